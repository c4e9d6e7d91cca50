"""Wildcards decided service by service give exactly what deciding action by action gives.

``*`` covers ~22,000 catalog actions; the planner judges a whole service at once wherever
nothing can single out one of its actions (no keep pattern or ``lpgen:keep`` comment that
may match one, usage data that stops at the service). These tests compare it with the
action-by-action path (forced by making the per-service verdict always undecided) on
generated policies, keep lists, comments and usage over one or two snapshots.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lpgen import catalog, trim
from lpgen.inventory import build_inventory
from lpgen.snapshot import snapshot_from_dict
from lpgen.trim import TrimOptions, _may_match_service, plan_trim
from lpgen.usage import UsageIndex, assess_action, assess_service_actions

PATTERNS = [
    "*", "s3*:Get*", "*:List*", "s?s:*", "s3:*", "s3:Get*", "sqs:SendMessage", "ec2:Describe*",
    "iam:*", "iam:PassRole", "lambda:InvokeFunction", "kms:*", "unknownsvc:Thing*",
]  # fmt: skip
KEEP = ["s3:Put*", "sqs:*", "*:Describe*", "ec2:RunInstances", "s*", "KMS:Decrypt", "x?:*"]
SERVICES = ["s3", "sqs", "ec2", "iam", "lambda", "kms", "sns"]
TRACKED = {
    "s3": ["CreateBucket", "DeleteBucket", "ListAllMyBuckets", "PutBucketPolicy"],
    "sqs": ["DeleteQueue", "SendMessage"],
    "ec2": ["RunInstances", "DescribeInstances"],
    "iam": ["GetRole"],
    "kms": ["Decrypt"],
}
COLLECTED = "2026-11-20T00:00:00+00:00"
WHEN = {"new": "2026-11-01T00:00:00+00:00", "old": "2026-01-01T00:00:00+00:00", "never": None}


@st.composite
def statements(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(1, 3))):
        actions = draw(st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=3, unique=True))
        comment = draw(st.sampled_from([None, "", "s3:Put*", "*:Get*", "ec2:*", "sqs:Send*"]))
        out.append({"Sid": f"S{i}", "Action": actions, "comment": comment})
    return out


@st.composite
def usages(draw: st.DrawFn) -> dict[str, Any]:
    services = {}
    for ns in SERVICES:
        state = draw(st.sampled_from(["absent", "never", "old", "new", "new"]))
        if state == "absent":
            continue
        tracked = None
        if ns in TRACKED and draw(st.booleans()):
            tracked = {a: draw(st.sampled_from(["new", "old", "never"])) for a in TRACKED[ns]}
        services[ns] = (state, tracked)
    return services


def render_tf(stmts: list[dict[str, Any]]) -> str:
    parts = []
    for s in stmts:
        fields = []
        if s["comment"] is not None:
            fields.append(f"        # lpgen:keep {s['comment']}".rstrip())
        fields += [
            f'        Sid    = "{s["Sid"]}"',
            '        Effect = "Allow"',
            f"        Action = {json.dumps(s['Action'])}",
            '        Resource = "*"',
        ]
        parts.append("      {\n" + "\n".join(fields) + "\n      }")
    return (
        'resource "aws_iam_policy" "p" {\n  name = "p"\n  policy = jsonencode({\n'
        '    Version = "2012-10-17"\n    Statement = [\n' + ",\n".join(parts) + "\n    ]\n"
        "  })\n}\n"
    )


def render_snapshot(services: dict[str, Any], account: str, level: str) -> dict[str, Any]:
    items = []
    for ns, (state, tracked) in services.items():
        item: dict[str, Any] = {"ServiceNamespace": ns, "ServiceName": ns}
        if WHEN[state]:
            item["LastAuthenticated"] = WHEN[state]
        if tracked is not None and level == "ACTION_LEVEL":
            item["TrackedActionsLastAccessed"] = [
                {"ActionName": a, **({"LastAccessedTime": WHEN[w]} if WHEN[w] else {})}
                for a, w in tracked.items()
            ]
        items.append(item)
    return {
        "format": "lpgen.snapshot/1",
        "account_id": account,
        "collected_at": COLLECTED,
        "entities": [
            {
                "arn": f"arn:aws:iam::{account}:policy/p",
                "create_date": "2024-01-01T00:00:00+00:00",
                "attached": True,
                "details": {
                    "JobStatus": "COMPLETED",
                    "JobType": level,
                    "ServicesLastAccessed": items,
                },
            }
        ],
    }


def _plans(root: Path, index: UsageIndex, keep: tuple[str, ...]) -> tuple[str, str]:
    """(per service, action by action): the repr of each path's whole plan."""
    inv = build_inventory(root)
    options = TrimOptions(use_git=False, keep=keep)

    def sources(file: str) -> str | None:
        return (root / file).read_text()

    fast = repr(plan_trim(inv, index, options=options, sources=sources))
    with pytest.MonkeyPatch.context() as mp:
        # The old path: every pattern and comment tried on every action, one verdict each.
        mp.setattr(trim, "assess_service_actions", lambda *_a, **_k: None)
        mp.setattr(trim, "_may_match_service", lambda *_a: True)
        mp.setattr(trim, "_directive_may_cover", lambda *_a: True)
        slow = repr(plan_trim(build_inventory(root), index, options=options, sources=sources))
    return fast, slow


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    statements(),
    usages(),
    st.one_of(st.none(), usages()),
    st.sampled_from(["ACTION_LEVEL", "SERVICE_LEVEL"]),
    st.lists(st.sampled_from(KEEP), max_size=2, unique=True),
)
def test_per_service_decisions_equal_per_action_decisions(
    stmts: list[dict[str, Any]],
    first: dict[str, Any],
    second: dict[str, Any] | None,
    level: str,
    keep: list[str],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "main.tf").write_text(render_tf(stmts))
        snaps = [snapshot_from_dict(render_snapshot(first, "111122223333", level))]
        if second is not None:
            snaps.append(snapshot_from_dict(render_snapshot(second, "444455556666", level)))
        fast, slow = _plans(root, UsageIndex.from_snapshots(snaps), tuple(keep))
        assert fast == slow


def _one_policy(tmp_path: Path, actions: list[str]) -> tuple[UsageIndex, Any]:
    (tmp_path / "main.tf").write_text(render_tf([{"Sid": "S", "Action": actions, "comment": None}]))
    usage = {"s3": ("new", {"CreateBucket": "old", "DeleteBucket": "new"}), "sqs": ("old", None),
             "ec2": ("new", None), "kms": ("never", None)}  # fmt: skip
    index = UsageIndex.from_snapshots(
        [snapshot_from_dict(render_snapshot(usage, "111122223333", "ACTION_LEVEL"))]
    )
    fast, slow = _plans(tmp_path, index, ())
    assert fast == slow
    plan = plan_trim(build_inventory(tmp_path), index, options=TrimOptions(use_git=False))
    [decision] = plan.policies
    return index, decision


def test_a_star_keeps_what_it_cannot_judge_service_by_service(tmp_path: Path) -> None:
    _index, decision = _one_policy(tmp_path, ["*"])
    untracked = len(catalog.actions_for_service("s3")) - 2  # all but the two tracked ones
    notes = [(k.code, k.subject, k.count) for k in decision.kept]
    # Services missing from the report stay (every action of them), so do s3's untracked
    # actions and iam:PassRole; narrowed, "*" would not fit IAM's quota: kept as written.
    assert notes[0][0] == "service-not-reported" and notes[0][1].startswith("* (")
    assert ("keep-list", "iam:PassRole", 1) in notes
    assert ("action-not-tracked", f"* ({untracked} actions)", untracked) in notes
    assert notes[-1][0] == "size-limit" and decision.status == "unchanged"


def test_service_wildcards_trim_whole_services_as_before(tmp_path: Path) -> None:
    _index, decision = _one_policy(tmp_path, ["s3:*", "sqs:*", "kms:*", "ec2:*"])
    assert decision.status == "trimmed"
    by_entry = {r.entry: r for r in decision.removals}
    assert set(by_entry) == {"s3:*", "sqs:*", "kms:*"}
    assert by_entry["sqs:*"].replaced_by == () and by_entry["kms:*"].replaced_by == ()
    assert [p.subject for p in by_entry["sqs:*"].proofs] == ["sqs"]
    assert by_entry["s3:*"].actions == ("s3:CreateBucket",)
    assert [p.subject for p in by_entry["s3:*"].proofs] == ["s3:CreateBucket"]
    assert decision.services_removed == ("kms", "sqs")


@pytest.mark.parametrize(
    ("pattern", "service", "may"),
    [
        ("s3:GetObject", "s3", True), ("S3:Get*", "s3", True), ("s3:*", "sqs", False),
        ("s3*:Get*", "s3express", True), ("*:List*", "ec2", True), ("s*", "ec2", True),
        ("s3", "s3", False), ("?3:*", "s3", True), ("kms:Decrypt", "KMS".lower(), True),
    ],
)  # fmt: skip
def test_may_match_service_is_conservative(pattern: str, service: str, may: bool) -> None:
    assert _may_match_service(pattern, service) is may
    if not may:  # never wrong when it says no
        assert not any(catalog.matches(pattern, a) for a in catalog.actions_for_service(service))


@pytest.mark.parametrize("level", ["ACTION_LEVEL", "SERVICE_LEVEL"])
@pytest.mark.parametrize(
    "state", [("new", None), ("old", None), ("never", None), ("new", {"CreateBucket": "old"}),
              ("old", {"CreateBucket": "new"})],
)  # fmt: skip
def test_service_verdict_is_every_action_verdict(state: tuple[str, Any], level: str) -> None:
    for services in ({"s3": state}, {}, {"s3": state, "sqs": ("old", None)}):
        snaps = [
            snapshot_from_dict(render_snapshot(services, "111122223333", level)),
            snapshot_from_dict(render_snapshot({"s3": ("old", None)}, "444455556666", level)),
        ]
        index = UsageIndex.from_snapshots(snaps)
        usages_ = index.lookup("policy", "p")
        same = assess_service_actions(usages_, "S3", days=90)
        verdicts = {assess_action(usages_, a, days=90) for a in catalog.actions_for_service("s3")}
        if same is None:
            assert len(verdicts) > 1 or next(iter(verdicts)).code.startswith("action")
        else:
            assert verdicts == {same}
