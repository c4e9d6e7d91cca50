"""What the evaluator keeps of an expression's shape never carries one evaluation's values into
another: the same expression in another scope, instance, module call or file gives its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lark import Tree

from lpgen.inventory import InventoryOptions, build_inventory
from lpgen.model import Location
from lpgen.terraform.evaluate import Evaluator, Scope, exprs, node_loc
from lpgen.terraform.loader import _NullContext
from lpgen.terraform.parse import SourceFile, parse_hcl
from lpgen.terraform.values import SList, SStr, Unknown, to_plain


class _Vars(_NullContext):
    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def variable(self, name: str) -> Any:
        return self.values.get(name, Unknown(f"var.{name} has no value"))


def _expr(text: str, rel: str = "main.tf") -> tuple[Tree[Any], SourceFile]:
    source = SourceFile(Path(rel), rel, f"x = {text}\n")
    tree = parse_hcl(source.text, rel=rel)
    attribute = next(t for t in tree.iter_subtrees() if t.data == "attribute")
    return exprs(attribute)[-1], source


EXPRESSIONS = [
    # (expression, scope A, result A, scope B, result B)
    ('"arn:aws:s3:::${var.bucket}/*"', {"bucket": "a"}, "arn:aws:s3:::a/*",
     {"bucket": "b"}, "arn:aws:s3:::b/*"),
    ('"${var.bucket}"', {"bucket": "a"}, "a", {"bucket": ["x"]}, ["x"]),
    ("var.m.k", {"m": {"k": "one"}}, "one", {"m": {"k": "two"}}, "two"),
    ("var.l[1]", {"l": ["a", "b"]}, "b", {"l": ["c", "d"]}, "d"),
    ("var.l[*].n", {"l": [{"n": 1}]}, [1], {"l": [{"n": 2}, {"n": 3}]}, [2, 3]),
    ("var.on ? \"yes\" : \"no\"", {"on": True}, "yes", {"on": False}, "no"),
    ("var.n + 1", {"n": 1}, 2, {"n": 41}, 42),
    ("concat(var.l, [\"z\"])", {"l": ["a"]}, ["a", "z"], {"l": []}, ["z"]),
    ("[for s in var.l : upper(s)]", {"l": ["a"]}, ["A"], {"l": ["b", "c"]}, ["B", "C"]),
    ("{for k, v in var.m : v => k}", {"m": {"a": "1"}}, {"1": "a"}, {"m": {"b": "2"}},
     {"2": "b"}),
    ("{ (var.k) = 1 }", {"k": "a"}, {"a": 1}, {"k": "b"}, {"b": 1}),
    ("try(var.m.missing, var.m.k)", {"m": {"k": "x"}}, "x", {"m": {"missing": "y"}}, "y"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "a", "want_a", "b", "want_b"), EXPRESSIONS)
def test_the_same_expression_in_two_scopes_gives_each_its_own_value(
    text: str, a: dict[str, Any], want_a: Any, b: dict[str, Any], want_b: Any
) -> None:
    node, source = _expr(text)
    ev = Evaluator()
    for _ in range(2):  # and again, once what its shape needs is kept on the nodes
        assert to_plain(ev.eval(node, Scope(_Vars(a), source))) == want_a
        assert to_plain(ev.eval(node, Scope(_Vars(b), source))) == want_b


def test_bindings_of_another_scope_are_not_kept() -> None:
    node, source = _expr('"${each.value}-${count.index}"')
    ev = Evaluator()
    one = Scope(_Vars({}), source, {"each.value": SStr("a"), "count.index": 0})
    two = Scope(_Vars({}), source, {"each.value": SStr("b"), "count.index": 1})
    assert ev.eval(node, one) == "a-0"
    assert ev.eval(node, two) == "b-1"
    assert isinstance(ev.eval(node, Scope(_Vars({}), source)), Unknown)


def test_locations_are_those_of_the_file_evaluated() -> None:
    node, source = _expr('["a", "b"]', rel="one.tf")
    other = SourceFile(Path("two.tf"), "two.tf", "\n\n" + source.text)
    ev = Evaluator()
    first = ev.eval(node, Scope(_Vars({}), source))
    assert isinstance(first, SList)
    assert first.loc == Location("one.tf", 1, 5, 4, 14)
    assert first[0].loc == Location("one.tf", 1, 6, 5, 8)
    # The same nodes read as if from another file: that file's name and lines.
    second = ev.eval(node, Scope(_Vars({}), other))
    assert second.loc == Location("two.tf", 3, 3, 4, 14)
    assert second.item_locs == [Location("two.tf", 3, 4, 5, 8), Location("two.tf", 3, 9, 10, 13)]
    assert node_loc(source, node) == first.loc


MODULE = """
variable "name" {}
variable "actions" { type = list(string) }
variable "buckets" { default = [] }

locals {
  arns = [for b in var.buckets : "arn:aws:s3:::${b}/*"]
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "Use${title(var.name)}"
    actions   = var.actions
    resources = length(local.arns) > 0 ? local.arns : ["*"]
  }
  dynamic "statement" {
    for_each = toset(var.buckets)
    content {
      sid       = "List${statement.key}"
      actions   = ["s3:ListBucket"]
      resources = ["arn:aws:s3:::${statement.value}"]
    }
  }
}

resource "aws_iam_policy" "this" {
  name   = var.name
  policy = data.aws_iam_policy_document.this.json
}
"""

ROOT = """
module "reader" {
  source  = "../../modules/policy"
  name    = "reader"
  actions = ["s3:GetObject"]
  buckets = ["logs", "data"]
}

module "writer" {
  source  = "../../modules/policy"
  name    = "writer"
  actions = ["s3:PutObject", "s3:DeleteObject"]
}
"""


def test_a_module_called_twice_with_different_inputs(tmp_path: Path) -> None:
    (tmp_path / "modules" / "policy").mkdir(parents=True)
    (tmp_path / "modules" / "policy" / "main.tf").write_text(MODULE)
    for name in ("one", "two"):  # two roots call it too: the same parsed files, read again
        (tmp_path / "envs" / name).mkdir(parents=True)
        root = ROOT.replace('"reader"', f'"reader-{name}"')
        (tmp_path / "envs" / name / "main.tf").write_text(root)
    inv = build_inventory(tmp_path)
    seen: dict[str, list[Any]] = {}
    for p in inv.policies:
        assert p.document is not None
        statements = [
            (s.sid, [a.value for a in s.actions or []], s.resources, s.location)
            for s in p.document.statements
        ]
        seen.setdefault(p.name or "", []).append(statements)
    module = "modules/policy/main.tf"
    dynamic = Location(module, 16, 3, 356, 566, "hcl-block")
    for name in ("one", "two"):
        assert seen[f"reader-{name}"] == [[
            (f"UseReader-{name.title()}", ["s3:GetObject"],
             ["arn:aws:s3:::logs/*", "arn:aws:s3:::data/*"],
             Location(module, 11, 3, 210, 353, "hcl-block")),
            ("Listdata", ["s3:ListBucket"], ["arn:aws:s3:::data"], dynamic),
            ("Listlogs", ["s3:ListBucket"], ["arn:aws:s3:::logs"], dynamic),
        ]]  # fmt: skip
    writer = [("UseWriter", ["s3:PutObject", "s3:DeleteObject"], ["*"],
               Location(module, 11, 3, 210, 353, "hcl-block"))]  # fmt: skip
    assert seen["writer"] == [writer, writer]


SHARED = """
data "aws_iam_policy_document" "d" {
  source_policy_documents = [data.aws_iam_policy_document.e.json]
  statement {
    sid       = "D"
    actions   = ["s3:GetObject"]
    resources = [aws_iam_policy.p.arn]
  }
}

data "aws_iam_policy_document" "e" {
  statement {
    sid       = "E"
    actions   = ["s3:PutObject"]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "p" {
  name   = "p"
  policy = data.aws_iam_policy_document.d.json
}

resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = data.aws_iam_policy_document.e.json
  inline_policy {
    name   = "i"
    policy = data.aws_iam_policy_document.d.json
  }
}
"""

CYCLE = """
locals {
  doc = data.aws_iam_policy_document.d.json
}

data "aws_iam_policy_document" "d" {
  statement {
    actions   = ["s3:GetObject"]
    resources = [local.doc == "" ? "a" : "b"]
  }
}

resource "aws_iam_policy" "q" {
  name   = "q"
  policy = local.doc
}

resource "aws_iam_policy" "p" {
  name   = "p"
  policy = data.aws_iam_policy_document.d.json
}
"""


def _statements(doc: Any) -> list[tuple[Any, ...]]:
    return [(s.sid, [a.value for a in s.actions or []], s.resources) for s in doc.statements]


def test_a_document_read_by_several_consumers_is_the_same_for_each(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(SHARED)
    inv = build_inventory(tmp_path, options=InventoryOptions(account_id="123456789012"))
    both = [
        ("E", ["s3:PutObject"], ["*"]),
        ("D", ["s3:GetObject"], ["arn:aws:iam::123456789012:policy/p"]),
    ]
    policies = {p.address: p for p in inv.policies}
    assert sorted(policies) == ["aws_iam_policy.p", "aws_iam_role.r.inline_policy[0]"]
    for p in policies.values():
        assert _statements(p.document) == both
        assert p.document is not None and p.document.statements[1].location == Location(
            "main.tf", 4, 3, 106, 213, "hcl-block"
        )
    (role,) = inv.roles
    assert _statements(role.assume_role_policy) == [("E", ["s3:PutObject"], ["*"])]
    documents = {d.address: _statements(d.document) for d in inv.documents}
    assert documents == {
        "data.aws_iam_policy_document.d": both,
        "data.aws_iam_policy_document.e": [("E", ["s3:PutObject"], ["*"])],
    }


def test_a_document_in_a_cycle_reads_as_before(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(CYCLE)
    inv = build_inventory(tmp_path)
    for p in inv.policies:
        assert p.document is not None and p.document.unknown_reason is None
        assert _statements(p.document) == [(None, ["s3:GetObject"], ["<unknown>"])]
    assert [(u.address, u.message) for u in inv.unresolved] == [
        ("local.doc", "cycle between locals: local.doc -> local.doc")
    ]


PER_INSTANCE = """
variable "buckets" { default = ["logs", "data"] }

data "aws_iam_policy_document" "read" {
  for_each = toset(var.buckets)
  statement {
    sid       = "Read${each.key}"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::${each.value}/*"]
  }
}

resource "aws_iam_policy" "read" {
  for_each = toset(var.buckets)
  name     = "read-${each.key}"
  policy   = data.aws_iam_policy_document.read[each.key].json
}
"""


def test_each_instance_of_a_document_has_its_own(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(PER_INSTANCE)
    inv = build_inventory(tmp_path)
    got = {p.name: _statements(p.document) for p in inv.policies}
    assert got == {
        "read-data": [("Readdata", ["s3:GetObject"], ["arn:aws:s3:::data/*"])],
        "read-logs": [("Readlogs", ["s3:GetObject"], ["arn:aws:s3:::logs/*"])],
    }
