"""aws_iam_policy_document followed through module outputs, locals and other documents."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from lpgen.cli import main
from lpgen.inventory import build_inventory
from tests.shown import shown

READER = Path(__file__).parent / "data" / "reader"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [*args, "--no-cache"])
    # The inventory text closes with the accounts per root module, tested elsewhere.
    return result.exit_code, result.stdout.split("\nAccounts per root module\n", 1)[0], result.stderr


def test_documents_reach_policies_through_outputs_locals_and_documents() -> None:
    tree = READER / "documents_followed"
    code, out, err = run("check", str(tree), "--select", "LP010,LP011")
    assert (code, err) == (1, "")
    assert out == (
        f"{shown(tree)}/main.tf:11: LP010 critical Policy 'via-local' allows every action on every "
        "resource (statement 1) [aws_iam_policy.via_local]\n"
        f"{shown(tree)}/main.tf:11: LP010 critical Policy 'via-merged' allows every action on every "
        "resource (statement 2) [aws_iam_policy.via_merged]\n"
        f"{shown(tree)}/modules/docs/main.tf:4: LP011 medium Policy 'via-merged' allows every iam "
        "action (iam:*) on every resource (statement 'Iam') [aws_iam_policy.via_merged]\n"
        f"{shown(tree)}/modules/docs/main.tf:4: LP011 medium Policy 'via-module' allows every iam "
        "action (iam:*) on every resource (statement 'Iam') [aws_iam_policy.via_module]\n"
        f"{shown(tree)}/modules/docs/main.tf:4: LP011 medium Policy 'via-wrap' allows every iam "
        "action (iam:*) on every resource (statement 'Iam') [aws_iam_policy.via_wrap]\n"
        "5 findings (2 critical, 3 medium).\n"
    )


def test_inventory_keeps_the_documents_style_and_spans() -> None:
    where = shown(READER / "documents_followed")
    code, out, _ = run("inventory", str(READER / "documents_followed"))
    assert code == 0
    assert out.split("Policies\n", 1)[1] == (
        f"  via-local [managed, policy_document, 1 statements] attached to nothing  ({where}/main.tf:23)\n"
        f"  via-merged [managed, policy_document, 2 statements] attached to nothing  ({where}/main.tf:27)\n"
        f"  via-module [managed, policy_document, 1 statements] attached to nothing  ({where}/main.tf:19)\n"
        f"  via-wrap [managed, policy_document, 1 statements] attached to nothing  ({where}/main.tf:31)\n"
    )


def test_a_library_document_behind_count_is_checked_where_it_is_used() -> None:
    tree = READER / "documents_library"
    code, out, _ = run("check", str(tree))
    assert code == 1
    assert out == (
        f"{shown(tree)}/modules/policy/main.tf:8: LP010 critical Policy 'admin' allows every action "
        "on every resource (statement 'Admin') (not instantiated: count is 0) "
        "[aws_iam_policy.admin]\n"
        "1 finding (1 critical).\n"
    )


def test_join_of_a_document_keeps_it_editable(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'data "aws_iam_policy_document" "d" {\n  count = 1\n  statement {\n'
        '    actions   = ["s3:GetObject"]\n    resources = ["*"]\n  }\n}\n'
        'resource "aws_iam_policy" "p" {\n  name   = "p"\n'
        '  policy = join("", data.aws_iam_policy_document.d.*.json)\n}\n',
        encoding="utf-8",
    )
    code, out, _ = run("inventory", str(tmp_path))
    assert code == 0
    assert "  p [managed, policy_document, 1 statements] attached to nothing  (main.tf:8)\n" in out


def test_optional_object_attributes_take_their_defaults(tmp_path: Path) -> None:
    # terraform-aws-modules/iam's statement maps: effect = optional(string, "Allow").
    (tmp_path / "main.tf").write_text(
        'variable "statements" {\n  type = map(object({\n    sid     = optional(string)\n'
        '    effect  = optional(string, "Allow")\n    actions = list(string)\n  }))\n'
        '  default = { admin = { actions = ["*"] } }\n}\n'
        'data "aws_iam_policy_document" "d" {\n  dynamic "statement" {\n'
        "    for_each = var.statements\n    content {\n      sid       = statement.value.sid\n"
        "      effect    = statement.value.effect\n      actions   = statement.value.actions\n"
        '      resources = ["*"]\n    }\n  }\n}\n'
        'resource "aws_iam_policy" "p" {\n  name   = "p"\n'
        "  policy = data.aws_iam_policy_document.d.json\n}\n",
        encoding="utf-8",
    )
    code, out, err = run("check", str(tmp_path), "--select", "LP010")
    assert (code, err) == (1, "")
    assert out.endswith(
        "LP010 critical Policy 'p' allows every action on every resource (statement 1) "
        "[aws_iam_policy.p]\n1 finding (1 critical).\n"
    )


def test_template_directives_are_rendered(tmp_path: Path) -> None:
    tree = Path(__file__).parent / "data" / "reader" / "template_directives"
    code, out, _ = run("check", str(tree), "--select", "LP010,LP011")
    assert code == 0
    assert out == (
        f"{shown(tree)}/main.tf:5: LP011 medium Policy 'worker' allows every s3 action (s3:*) on "
        "every resource (statement 3) [aws_iam_policy.worker]\n"
        "1 finding (1 medium).\n"
    )
    code, out, _ = run("check", str(tree), "--select", "LP010", "--var", "admin=true")
    assert code == 1
    assert "LP010 critical Policy 'worker' allows every action on every resource (statement 4)" in out


@pytest.mark.parametrize(
    ("template", "rendered"),
    [
        ("%{ for n in local.names ~}\n${n},\n%{ endfor ~}\n", "a,b,"),
        ("%{ for i, n in local.names }${i}${n}%{ endfor }", "0a1b"),
        ("%{ if length(local.names) > 1 }many%{ else }one%{ endif }", "many"),
        ("x  %{~ if false }y%{ endif ~}  z", "xz"),
        ("$${literal}%%{ if }", "${literal}%{ if }"),
    ],
)
def test_template_directive_rendering(tmp_path: Path, template: str, rendered: str) -> None:
    (tmp_path / "main.tf").write_text(
        'locals {\n  names = ["a", "b"]\n}\n'
        'resource "aws_iam_user" "u" {\n'
        f'  name = replace(trimspace(<<EOT\n{template}\nEOT\n  ), "\\n", "")\n'
        "}\n",
        encoding="utf-8",
    )
    inv = build_inventory(tmp_path)
    assert [u.name for u in inv.users] == [rendered]


def test_template_directive_on_an_unknown_value_is_unknown(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'variable "on" {}\nresource "aws_iam_user" "u" {\n'
        '  name = "%{ if var.on }a%{ else }b%{ endif }"\n}\n',
        encoding="utf-8",
    )
    inv = build_inventory(tmp_path)
    assert [u.name for u in inv.users] == [None]
    assert any("var.on has no value" in u.message for u in inv.unresolved)
