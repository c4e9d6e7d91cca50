"""The usage join: lookups across snapshots and trim's keep/remove rule with its reasons."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from lpgen.model import Location, Policy
from lpgen.snapshot import Snapshot, load_snapshot, snapshot_from_dict
from lpgen.usage import (
    UsageIndex,
    assess_action,
    assess_entity,
    assess_service,
    in_window,
)

DATA = Path(__file__).parent / "data" / "snapshot"
UTC = timezone.utc
COLLECTED = datetime(2026, 11, 20, tzinfo=UTC)


def at(days_before: int) -> str:
    return (COLLECTED - timedelta(days=days_before)).isoformat()


def snap(
    entities: list[dict[str, Any]],
    *,
    account: str = "111122223333",
    label: str = "a.json",
    collected_at: str = "2026-11-20T00:00:00Z",
) -> Snapshot:
    for entity in entities:
        entity["arn"] = entity["arn"].replace("ACCOUNT", account)
    snapshot = snapshot_from_dict(
        {
            "format": "lpgen.snapshot/1",
            "account_id": account,
            "collected_at": collected_at,
            "entities": entities,
        }
    )
    snapshot.label = label
    return snapshot


def policy_report(
    services: list[dict[str, Any]],
    *,
    name: str = "dev",
    path: str = "/",
    job: str = "ACTION_LEVEL",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "arn": f"arn:aws:iam::ACCOUNT:policy{path}{name}",
        "details": {
            "JobStatus": "COMPLETED",
            "JobType": job,
            "JobCreationDate": at(0),
            "JobCompletionDate": at(0),
            "ServicesLastAccessed": services,
        },
        **extra,
    }


def s3(last: int | None, actions: dict[str, int | None] | None) -> dict[str, Any]:
    service: dict[str, Any] = {"ServiceName": "Amazon S3", "ServiceNamespace": "s3"}
    if last is not None:
        service["LastAuthenticated"] = at(last)
        service["LastAuthenticatedEntity"] = "arn:aws:iam::111122223333:user/alice"
    if actions is not None:
        service["TrackedActionsLastAccessed"] = [
            {"ActionName": n} if d is None else {"ActionName": n, "LastAccessedTime": at(d)}
            for n, d in actions.items()
        ]
    return service


def test_in_window_is_measured_from_the_snapshot_time() -> None:
    assert in_window(COLLECTED - timedelta(days=90), COLLECTED, 90)
    assert not in_window(COLLECTED - timedelta(days=90, seconds=1), COLLECTED, 90)
    assert in_window(COLLECTED + timedelta(hours=1), COLLECTED, 90)  # after collection: used
    assert not in_window(None, COLLECTED, 90)


def test_lookup_by_kind_path_name_across_accounts() -> None:
    a = snap([policy_report([], name="dev", path="/teams/")], account="111122223333")
    b = snap(
        [policy_report([], name="dev", path="/teams/")], account="444455556666", label="b.json"
    )
    index = UsageIndex.from_snapshots([a, b])
    found = index.lookup("policy", "dev", "/teams/")
    assert [(u.label, u.account_id) for u in found] == [
        ("a.json", "111122223333"),
        ("b.json", "444455556666"),
    ]
    assert index.lookup("policy", "dev", "teams") == found  # path normalised
    assert index.lookup("policy", "dev") == []  # default path "/" does not match /teams/
    assert len(index.lookup("policy", "dev", None)) == 2
    assert index.lookup("group", "dev", None) == []
    only_b = index.lookup_arn("arn:aws:iam::444455556666:policy/teams/dev")
    assert [u.label for u in only_b] == ["b.json"]


def test_entity_usage_fields_from_a_hand_assembled_snapshot() -> None:
    index = UsageIndex.from_snapshots([load_snapshot(DATA / "hand-assembled.json")])
    [policy] = index.lookup("policy", "developers", "/teams/")
    assert policy.label == "hand-assembled.json"
    assert policy.collected_at == COLLECTED
    assert policy.create_date == datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert policy.granularity == "ACTION_LEVEL"
    s3 = policy.service("S3")
    assert s3 is not None and s3.tracked_actions is not None
    assert s3.last_authenticated == datetime(2026, 11, 1, 8, tzinfo=UTC)
    assert s3.last_region == "eu-west-1"
    assert s3.tracked_actions["createbucket"].entity == "arn:aws:iam::111122223333:user/alice"
    assert s3.tracked_actions["deletebucket"].last_accessed is None
    kms = policy.service("kms")
    assert kms is not None and kms.tracked_actions is None and kms.last_authenticated is None
    [group] = index.lookup("group", "ops")
    assert group.granularity == "SERVICE_LEVEL"
    users = group.services["s3"].entities
    assert [(e.name, e.last_authenticated) for e in users] == [
        ("bob", datetime(2026, 11, 18, tzinfo=UTC)),
        ("carol", None),
    ]
    [role] = index.lookup("role", "ci")
    assert (role.status, role.error) == ("FAILED", "Failed: Internal failure")


@pytest.mark.parametrize(
    ("action", "code", "removable"),
    [
        # Service unused in the window: its actions go.
        ("ec2:RunInstances", "service-unused", True),
        ("kms:Decrypt", "service-unused", True),
        # Service used: a tracked action unused in the window goes ...
        ("s3:DeleteBucket", "action-unused", True),
        ("s3:PutBucketPolicy", "action-not-tracked", False),  # ... an untracked one stays
        ("S3:createbucket", "action-used", False),  # case-insensitive
        ("dynamodb:GetItem", "service-not-reported", False),
    ],
)
def test_assess_action_rule(action: str, code: str, removable: bool) -> None:
    index = UsageIndex.from_snapshots([load_snapshot(DATA / "hand-assembled.json")])
    usages = index.lookup("policy", "developers", "/teams/")
    verdict = assess_action(usages, action, days=90)
    assert (verdict.code, verdict.removable) == (code, removable)
    assert verdict.evidence and verdict.evidence[0].label == "hand-assembled.json"


def test_verdict_reasons_carry_the_evidence() -> None:
    index = UsageIndex.from_snapshots([load_snapshot(DATA / "hand-assembled.json")])
    usages = index.lookup("policy", "developers", "/teams/")
    unused = assess_action(usages, "ec2:RunInstances", days=90)
    assert unused.reason == (
        "hand-assembled.json: ec2 last used 2025-01-15T00:00:00+00:00, "
        "window 90 days from 2026-11-20T00:00:00+00:00"
    )
    assert unused.evidence[0].window_start == COLLECTED - timedelta(days=90)
    used = assess_action(usages, "s3:CreateBucket", days=90)
    assert used.evidence[0].entity == "arn:aws:iam::111122223333:user/alice"
    assert used.evidence[0].last_accessed == datetime(2026, 10, 30, 12, tzinfo=UTC)
    # A longer window turns EC2 into "used" (it was used 674 days before collection).
    assert assess_action(usages, "ec2:RunInstances", days=700).code == "action-used"


def test_service_without_tracked_actions_keeps_its_actions_when_used() -> None:
    report = policy_report([s3(10, None)])
    usages = UsageIndex.from_snapshots([snap([report])]).lookup("policy", "dev")
    verdict = assess_action(usages, "s3:GetObject", days=90)
    assert (verdict.code, verdict.removable) == ("service-used", False)
    assert verdict.reason.endswith("AWS tracks no actions of s3")


def test_service_level_report_ignores_tracked_actions() -> None:
    report = policy_report([s3(10, {"DeleteBucket": None})], job="SERVICE_LEVEL")
    usages = UsageIndex.from_snapshots([snap([report])]).lookup("policy", "dev")
    assert usages[0].services["s3"].tracked_actions is None
    verdict = assess_action(usages, "s3:DeleteBucket", days=90)
    assert (verdict.code, verdict.removable) == ("service-used", False)
    assert verdict.reason.endswith("the report is service-level")


@pytest.mark.parametrize(
    ("extra", "code", "reason"),
    [
        (
            {"status": "missing", "error": "not found in AWS (not applied yet?)", "details": {}},
            "job-not-completed",
            "entity not found in AWS when collected (not applied yet?): not found in AWS "
            "(not applied yet?)",
        ),
        (
            {"status": "IN_PROGRESS", "error": "the job did not complete before the --timeout"},
            "job-not-completed",
            "Access Advisor job did not complete: the job did not complete before the --timeout",
        ),
        (
            {"status": "error", "error": "GetPolicy: AccessDenied: no", "details": {}},
            "job-not-completed",
            "collection failed: GetPolicy: AccessDenied: no",
        ),
        (
            {"attached": False},
            "not-attached",
            "policy is attached to nothing, so AWS has no usage data",
        ),
        (
            {"create_date": at(30)},
            "too-young",
            "created 2026-10-21T00:00:00+00:00, inside the 90-day window",
        ),
    ],
)
def test_entities_without_usable_data_keep_everything(
    extra: dict[str, Any], code: str, reason: str
) -> None:
    report = policy_report([s3(None, {"DeleteBucket": None})], **extra)
    usages = UsageIndex.from_snapshots([snap([report])]).lookup("policy", "dev")
    for action in ("s3:DeleteBucket", "ec2:RunInstances"):
        verdict = assess_action(usages, action, days=90)
        assert (verdict.code, verdict.removable) == (code, False)
        assert verdict.reason == f"a.json: {reason}"
    entity_verdict = assess_entity(usages, days=90)
    assert entity_verdict is not None and entity_verdict.code == code


def test_failed_job_in_details_only_is_never_unused() -> None:
    report = policy_report([])
    report["details"]["JobStatus"] = "FAILED"
    usages = UsageIndex.from_snapshots([snap([report])]).lookup("policy", "dev")
    assert assess_action(usages, "s3:DeleteBucket", days=90).code == "job-not-completed"


def test_old_enough_entity_is_judged() -> None:
    report = policy_report([s3(None, None)], create_date=at(91), attached=True)
    usages = UsageIndex.from_snapshots([snap([report])]).lookup("policy", "dev")
    assert assess_entity(usages, days=90) is None
    assert assess_action(usages, "s3:GetObject", days=90).code == "service-unused"


def test_no_data_keeps() -> None:
    verdict = assess_action([], "s3:GetObject", days=90)
    assert (verdict.code, verdict.removable) == ("no-data", False)
    assert verdict.reason == "no Access Advisor data for this entity in any snapshot"


def test_several_snapshots_are_a_union() -> None:
    unused = snap([policy_report([s3(200, {"DeleteBucket": None})])], label="prod.json")
    used = snap(
        [policy_report([s3(5, {"DeleteBucket": 5})])], account="444455556666", label="dev.json"
    )
    index = UsageIndex.from_snapshots([unused, used])
    usages = index.lookup("policy", "dev")
    verdict = assess_action(usages, "s3:DeleteBucket", days=90)
    assert (verdict.code, verdict.removable) == ("action-used", False)
    assert verdict.evidence[-1].label == "dev.json"
    # Both unused: it goes, with the evidence of both.
    both = UsageIndex.from_snapshots(
        [unused, snap([policy_report([s3(100, None)])], account="444455556666", label="dev.json")]
    )
    verdict = assess_action(both.lookup("policy", "dev"), "s3:DeleteBucket", days=90)
    assert verdict.removable and [e.label for e in verdict.evidence] == ["prod.json", "dev.json"]
    # One account's snapshot is incomplete: keep.
    broken = snap(
        [policy_report([], status="error", error="boom", details={})],
        account="444455556666",
        label="dev.json",
    )
    verdict = assess_action(
        UsageIndex.from_snapshots([unused, broken]).lookup("policy", "dev"),
        "s3:DeleteBucket",
        days=90,
    )
    assert (verdict.code, verdict.reason) == (
        "job-not-completed",
        "dev.json: collection failed: boom",
    )


def test_windows_use_each_snapshots_own_time() -> None:
    # Usage 60 days before an older snapshot's time is in its window, whatever today is.
    report = policy_report([s3(None, None)])
    report["details"]["ServicesLastAccessed"][0]["LastAuthenticated"] = "2019-11-02T00:00:00Z"
    old = snap([report], collected_at="2020-01-01T00:00:00Z")
    usages = UsageIndex.from_snapshots([old]).lookup("policy", "dev")
    assert usages[0].service("s3") is not None
    assert assess_service(usages, "s3", days=90).code == "service-used"
    assert assess_service(usages, "s3", days=30).code == "service-unused"


def test_for_policy_joins_managed_and_inline() -> None:
    index = UsageIndex.from_snapshots([load_snapshot(DATA / "hand-assembled.json")])
    loc = Location("main.tf", 1)
    managed = Policy("aws_iam_policy.dev", "developers", loc, path="/teams/")
    assert [u.kind for u in index.for_policy(managed)] == ["policy"]
    inline = Policy(
        "aws_iam_group_policy.x", "x", loc, kind="inline", owner_type="group", owner="ops"
    )
    assert [u.arn for u in index.for_policy(inline)] == ["arn:aws:iam::111122223333:group/ops"]
    unknown = Policy("aws_iam_policy.y", None, loc)
    assert index.for_policy(unknown) == []


def test_a_failed_job_is_said_once() -> None:
    report = policy_report([])
    report["status"] = "FAILED"
    report["error"] = "the Access Advisor job failed: Failed: Internal failure"
    report["details"]["JobStatus"] = "FAILED"
    usages = UsageIndex.from_snapshots([snap([report])]).lookup("policy", "dev")
    verdict = assess_action(usages, "s3:DeleteBucket", days=90)
    assert verdict.reason == "a.json: Access Advisor job failed: Failed: Internal failure"
