"""Properties of trim over generated policies and usage (hypothesis), end to end.

For any policy and any usage: the output never allows an action the input did not (per
statement, after wildcard expansion); every action the usage does not prove unused stays;
Deny, NotAction and Condition are unchanged; the output parses; a second run is a no-op.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import hcl2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lpgen import catalog
from lpgen.inventory import build_inventory
from lpgen.model import Statement
from lpgen.rewrite import read_source, write_in_place
from lpgen.trim import TrimOptions, run_trim

PATTERNS = [
    "s3:GetObject", "s3:CreateBucket", "S3:deleteBucket", "s3:Get*", "s3:*", "s3:Put?ucketPolicy",
    "sqs:SendMessage", "sqs:*", "sqs:Delete*", "ec2:Describe*", "ec2:RunInstances",
    "iam:PassRole", "iam:GetRole", "lambda:InvokeFunction", "unknownsvc:Thing*",
]  # fmt: skip
SERVICES = ["s3", "sqs", "ec2", "iam", "lambda"]
TRACKED = {
    "s3": ["CreateBucket", "DeleteBucket", "ListAllMyBuckets", "PutBucketPolicy"],
    "sqs": ["DeleteQueue", "SendMessage"],
    "ec2": ["RunInstances", "DescribeInstances"],
    "iam": ["GetRole"],
    "lambda": [],
}
COLLECTED = "2026-11-20T00:00:00+00:00"
WHEN = {"new": "2026-11-01T00:00:00+00:00", "old": "2026-01-01T00:00:00+00:00", "never": None}


@st.composite
def statements(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(1, 4))):
        deny = draw(st.integers(0, 5)) == 0
        not_action = not deny and draw(st.integers(0, 5)) == 0
        actions = draw(st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=4, unique=True))
        stmt: dict[str, Any] = {"Sid": f"S{i}", "Effect": "Deny" if deny else "Allow"}
        stmt["NotAction" if not_action else "Action"] = actions
        stmt["Resource"] = "*"
        if draw(st.booleans()):
            stmt["Condition"] = {"Bool": {"aws:SecureTransport": "true"}}
        out.append(stmt)
    return out


@st.composite
def usages(draw: st.DrawFn) -> dict[str, Any]:
    services = {}
    for ns in SERVICES:
        state = draw(st.sampled_from(["absent", "never", "old", "new"]))
        if state == "absent":
            continue
        tracked = None
        if TRACKED[ns] and draw(st.booleans()):
            tracked = {a: draw(st.sampled_from(["new", "old", "never"])) for a in TRACKED[ns]}
        services[ns] = (state, tracked)
    return services


def _hcl_list(values: list[str], multiline: bool, indent: str) -> str:
    if not multiline:
        return "[" + ", ".join(json.dumps(v) for v in values) + "]"
    inner = "".join(f"{indent}  {json.dumps(v)},\n" for v in values)
    return "[\n" + inner + indent + "]"


def render_tf(stmts: list[dict[str, Any]], style: str, multiline: bool) -> str:
    if style == "policy_document":
        blocks = []
        for s in stmts:
            lines = ["  statement {", f'    sid    = "{s["Sid"]}"', f'    effect = "{s["Effect"]}"']
            key = "actions" if "Action" in s else "not_actions"
            lines.append(f"    {key} = {_hcl_list(s.get('Action') or s['NotAction'], multiline, '    ')}")
            lines.append('    resources = ["*"]')
            if "Condition" in s:
                lines += [
                    "    condition {",
                    '      test     = "Bool"',
                    '      variable = "aws:SecureTransport"',
                    '      values   = ["true"]',
                    "    }",
                ]
            lines.append("  }")
            blocks.append("\n".join(lines))
        return (
            'data "aws_iam_policy_document" "p" {\n' + "\n\n".join(blocks) + "\n}\n\n"
            'resource "aws_iam_policy" "p" {\n  name   = "p"\n'
            "  policy = data.aws_iam_policy_document.p.json\n}\n"
        )
    parts = []
    for s in stmts:
        fields = [f'        Sid    = "{s["Sid"]}"', f'        Effect = "{s["Effect"]}"']
        key = "Action" if "Action" in s else "NotAction"
        fields.append(f"        {key} = {_hcl_list(s[key], multiline, '        ')}")
        fields.append('        Resource = "*"')
        if "Condition" in s:
            fields.append('        Condition = { Bool = { "aws:SecureTransport" = "true" } }')
        parts.append("      {\n" + "\n".join(fields) + "\n      }")
    return (
        'resource "aws_iam_policy" "p" {\n  name = "p"\n  policy = jsonencode({\n'
        '    Version = "2012-10-17"\n    Statement = [\n' + ",\n".join(parts) + "\n    ]\n"
        "  })\n}\n"
    )


def render_snapshot(services: dict[str, Any]) -> dict[str, Any]:
    items = []
    for ns, (state, tracked) in services.items():
        item: dict[str, Any] = {"ServiceNamespace": ns, "ServiceName": ns}
        if WHEN[state]:
            item["LastAuthenticated"] = WHEN[state]
        if tracked is not None:
            item["TrackedActionsLastAccessed"] = [
                {"ActionName": a, **({"LastAccessedTime": WHEN[w]} if WHEN[w] else {})}
                for a, w in tracked.items()
            ]
        items.append(item)
    return {
        "format": "lpgen.snapshot/1",
        "account_id": "111122223333",
        "collected_at": COLLECTED,
        "entities": [
            {
                "arn": "arn:aws:iam::111122223333:policy/p",
                "create_date": "2024-01-01T00:00:00+00:00",
                "attached": True,
                "details": {
                    "JobStatus": "COMPLETED",
                    "JobType": "ACTION_LEVEL",
                    "ServicesLastAccessed": items,
                },
            }
        ],
    }


def removable(action: str, services: dict[str, Any]) -> bool:
    """The oracle: may this catalog action go, given the generated usage?"""
    if catalog.matches_any(catalog.UNTRACKED_DEFAULT_KEEP, action):
        return False
    ns, name = action.split(":", 1)
    if ns not in services:
        return False
    state, tracked = services[ns]
    if state != "new":
        return True
    if tracked is None:
        return False
    for tracked_name, when in tracked.items():
        if tracked_name.lower() == name.lower():
            return when != "new"
    return False


def allowed(stmt: Statement) -> tuple[frozenset[str], tuple[str, ...]]:
    values = [e.value for e in stmt.actions or []]
    expansion = catalog.expand_all(values)
    return expansion.actions, expansion.unknown


def by_sid(path: Path) -> dict[str, Statement]:
    inv = build_inventory(path)
    [policy] = inv.policies
    assert policy.document is not None
    return {s.sid or "": s for s in policy.document.statements}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    statements(),
    usages(),
    st.sampled_from(["jsonencode", "policy_document"]),
    st.booleans(),
)
def test_trim_never_broadens_and_never_breaks_what_is_used(
    stmts: list[dict[str, Any]], services: dict[str, Any], style: str, multiline: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "tree"
        root.mkdir()
        (root / "main.tf").write_text(render_tf(stmts, style, multiline))
        snap = Path(tmp) / "snapshot.json"
        snap.write_text(json.dumps(render_snapshot(services)))
        before = by_sid(root)

        options = TrimOptions(use_git=False)
        result = run_trim(root, [snap], options=options)
        write_in_place(root, result.changes)
        text = read_source(root / "main.tf")
        hcl2.loads(text)  # the output parses
        after = by_sid(root)

        for sid, old in before.items():
            new = after.get(sid)
            if not old.is_allow or old.not_actions is not None:
                # Deny and NotAction statements are kept exactly.
                assert new is not None
                assert [e.value for e in new.actions or []] == [e.value for e in old.actions or []]
                assert [e.value for e in new.not_actions or []] == [
                    e.value for e in old.not_actions or []
                ]
                assert new.effect == old.effect and new.conditions == old.conditions
                continue
            old_actions, old_unknown = allowed(old)
            needed = {a for a in old_actions if not removable(a, services)}
            if new is None:
                assert not needed and not old_unknown, f"statement {sid} removed but needed"
                continue
            new_actions, new_unknown = allowed(new)
            assert new_actions <= old_actions  # never broader
            assert needed <= new_actions  # nothing used is lost
            assert set(new_unknown) == set(old_unknown)  # unknown patterns stay
            assert new.conditions == old.conditions
            assert new.resources == old.resources

        # Running again changes nothing.
        again = run_trim(root, [snap], options=options)
        assert again.changes == ()
