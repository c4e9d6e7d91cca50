"""lpgen collect: Access Advisor calls checked against AWS's model (Stubber), moto for STS, and
an end-to-end run against a loopback endpoint that speaks the IAM query protocol."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from click.testing import CliRunner

from lpgen.cli import main
from lpgen.collect import (
    AwsOptions,
    CollectOptions,
    CollectStats,
    CollectTarget,
    TerminalProgress,
    client_config,
    collect,
    open_clients,
    plan_targets,
    targets_from_inventory,
)
from lpgen.errors import AwsError, InputError
from lpgen.model import Group, Inventory, Location, Policy, Role, User
from lpgen.snapshot import load_snapshot, save_snapshot
from lpgen.usage import UsageIndex, assess_action
from tests.iam_server import FakeEntity, FakeIam, FakeService

ACCOUNT = "111122223333"
UTC = timezone.utc
T0 = datetime(2026, 11, 20, tzinfo=UTC)
JOB = "a" * 36
POLICY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/teams/dev"


def arn(kind: str, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT}:{kind}{path}{name}"


def target(kind: str, name: str, path: str = "/") -> CollectTarget:
    return CollectTarget(kind, name, path, arn(kind, name, path))  # type: ignore[arg-type]


class Clock:
    """A fake monotonic clock that only moves when the collector sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def iam() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("iam", region_name="us-east-1")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def run(
    client: Any, targets: list[CollectTarget], clock: Clock | None = None, **options: Any
) -> Any:
    clock = clock or Clock()
    stats = CollectStats()
    snapshot = collect(
        targets,
        iam_client=client,
        options=CollectOptions(concurrency=1, **options),
        now=lambda: T0,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        stats=stats,
    )
    snapshot.stats = stats  # handy for asserts
    return snapshot


def stub_policy(stub: Stubber, *, attachments: int = 1, policy_arn: str = POLICY_ARN) -> None:
    stub.add_response(
        "get_policy",
        {
            "Policy": {
                "PolicyName": policy_arn.rsplit("/", 1)[1],
                "Arn": policy_arn,
                "Path": "/teams/",
                "AttachmentCount": attachments,
                "CreateDate": datetime(2024, 3, 1, 10, tzinfo=UTC),
            }
        },
        {"PolicyArn": policy_arn},
    )


def stub_generate(stub: Stubber, entity_arn: str, granularity: str = "ACTION_LEVEL") -> None:
    stub.add_response(
        "generate_service_last_accessed_details",
        {"JobId": JOB},
        {"Arn": entity_arn, "Granularity": granularity},
    )


def details(status: str, services: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    # The model marks JobCompletionDate required (Stubber insists) although AWS leaves it out
    # while a job is in progress; the loopback test covers the real shape.
    return {
        "JobStatus": status,
        "JobType": "ACTION_LEVEL",
        "JobCreationDate": "2026-11-19T23:59:00Z",
        "JobCompletionDate": "2026-11-19T23:59:30Z",
        "ServicesLastAccessed": services,
        **extra,
    }


def service(namespace: str, last: Any = None, **extra: Any) -> dict[str, Any]:
    out = {"ServiceName": namespace.upper(), "ServiceNamespace": namespace, **extra}
    if last is not None:
        out["LastAuthenticated"] = last
    return out


def stub_get(stub: Stubber, response: dict[str, Any], marker: str | None = None) -> None:
    params: dict[str, Any] = {"JobId": JOB, "MaxItems": 1000}
    if marker:
        params["Marker"] = marker
    stub.add_response("get_service_last_accessed_details", response, params)


# --- Stubber: the Access Advisor protocol --------------------------------------------


def test_in_progress_then_completed_across_pages(iam: tuple[Any, Stubber]) -> None:
    client, stub = iam
    stub_policy(stub, attachments=2)
    stub_generate(stub, POLICY_ARN)
    stub_get(stub, details("IN_PROGRESS", []))
    stub_get(stub, details("IN_PROGRESS", []))
    tracked = [
        {"ActionName": "CreateBucket", "LastAccessedTime": "2026-11-01T00:00:00Z"},
        {"ActionName": "DeleteBucket"},
    ]
    stub_get(
        stub,
        details(
            "COMPLETED",
            [service("s3", datetime(2026, 11, 1, tzinfo=UTC), TrackedActionsLastAccessed=tracked)],
            IsTruncated=True,
            Marker="page2",
        ),
    )
    stub_get(
        stub,
        details("COMPLETED", [service("ec2")], IsTruncated=True, Marker="page3"),
        marker="page2",
    )
    stub_get(
        stub,
        details("COMPLETED", [service("kms", "2025-02-03T04:05:06+00:00")], IsTruncated=False),
        marker="page3",
    )
    clock = Clock()
    snapshot = run(client, [target("policy", "dev", "/teams/")], clock)
    [entity] = snapshot.entities
    assert entity.status == "COMPLETED" and entity.error is None
    assert clock.sleeps == [0.25, 0.375]  # polling backs off from 0.25 s
    assert entity.create_date == "2024-03-01T10:00:00+00:00"
    assert entity.attached is True
    services = entity.details["ServicesLastAccessed"]
    assert [s["ServiceNamespace"] for s in services] == ["s3", "ec2", "kms"]
    # datetime objects and both string styles all become ISO strings with offset
    assert services[0]["LastAuthenticated"] == "2026-11-01T00:00:00+00:00"
    assert services[0]["TrackedActionsLastAccessed"][0]["LastAccessedTime"] == (
        "2026-11-01T00:00:00+00:00"
    )
    assert services[2]["LastAuthenticated"] == "2025-02-03T04:05:06+00:00"
    assert entity.details["JobCompletionDate"] == "2026-11-19T23:59:30+00:00"
    assert "IsTruncated" not in entity.details and "Marker" not in entity.details
    assert snapshot.stats.polls == 3 and snapshot.stats.pages == 2


def test_poll_backoff_is_capped(iam: tuple[Any, Stubber]) -> None:
    client, stub = iam
    stub_policy(stub)
    stub_generate(stub, POLICY_ARN)
    for _ in range(8):
        stub_get(stub, details("IN_PROGRESS", []))
    stub_get(stub, details("COMPLETED", []))
    clock = Clock()
    run(client, [target("policy", "dev", "/teams/")], clock, poll_max=4.0)
    assert clock.sleeps == [0.25, 0.375, 0.5625, 0.84375, 1.265625, 1.8984375, 2.84765625, 4.0]


def stub_role(stub: Stubber, name: str) -> None:
    stub.add_response(
        "get_role",
        {
            "Role": {
                "RoleName": name,
                "RoleId": "AROA" + "X" * 17,
                "Arn": arn("role", name),
                "Path": "/",
                "AssumeRolePolicyDocument": "{}",
                "CreateDate": datetime(2024, 3, 1, 10, tzinfo=UTC),
            }
        },
        {"RoleName": name},
    )


def test_a_waiting_job_does_not_hold_the_thread(iam: tuple[Any, Stubber]) -> None:
    """One worker: while the policy's job runs, the role is collected (calls interleave)."""
    client, stub = iam
    stub_policy(stub)
    stub_generate(stub, POLICY_ARN)
    stub_get(stub, details("IN_PROGRESS", []))
    stub_role(stub, "deploy")
    stub_generate(stub, arn("role", "deploy"))
    stub_get(stub, details("COMPLETED", [service("sts")]))
    stub_get(stub, details("COMPLETED", [service("s3")]))
    clock = Clock()
    snapshot = run(client, [target("policy", "dev", "/teams/"), target("role", "deploy")], clock)
    assert [e.effective_status for e in snapshot.entities] == ["COMPLETED", "COMPLETED"]
    # Target order, whatever order they finished in.
    assert [e.arn for e in snapshot.entities] == [POLICY_ARN, arn("role", "deploy")]
    assert [e.details["ServicesLastAccessed"][0]["ServiceNamespace"] for e in snapshot.entities] == [
        "s3",
        "sts",
    ]
    assert clock.sleeps == [0.25]


def test_first_poll_waits_for_most_of_a_typical_job(iam: tuple[Any, Stubber]) -> None:
    """A job took 0.625 s: the next one's first poll waits 0.8 x that, not polling early."""
    client, stub = iam
    stub_policy(stub)
    stub_generate(stub, POLICY_ARN)
    stub_get(stub, details("IN_PROGRESS", []))
    stub_get(stub, details("IN_PROGRESS", []))
    stub_get(stub, details("COMPLETED", []))
    stub_role(stub, "deploy")
    stub_generate(stub, arn("role", "deploy"))
    stub_get(stub, details("COMPLETED", []))
    clock = Clock()
    snapshot = run(
        client,
        [target("policy", "dev", "/teams/"), target("role", "deploy")],
        clock,
        jobs_per_worker=1,
    )
    assert [e.effective_status for e in snapshot.entities] == ["COMPLETED", "COMPLETED"]
    assert clock.sleeps == [0.25, 0.375, 0.5]
    assert snapshot.stats.polls == 4


def test_failed_job_is_an_error_never_unused(iam: tuple[Any, Stubber], tmp_path: Path) -> None:
    client, stub = iam
    stub_policy(stub)
    stub_generate(stub, POLICY_ARN)
    stub_get(stub, details("FAILED", [], Error={"Code": "Failed", "Message": "Internal error"}))
    snapshot = run(client, [target("policy", "dev", "/teams/")])
    [entity] = snapshot.entities
    assert entity.status == "FAILED"
    assert entity.error == "the Access Advisor job failed: Failed: Internal error"
    save_snapshot(snapshot, tmp_path / "s.json")
    index = UsageIndex.from_snapshots([load_snapshot(tmp_path / "s.json")])
    verdict = assess_action(index.lookup("policy", "dev", "/teams/"), "s3:DeleteBucket", days=90)
    assert (verdict.code, verdict.removable) == ("job-not-completed", False)


def test_missing_entities_are_recorded_and_the_run_goes_on(iam: tuple[Any, Stubber]) -> None:
    client, stub = iam
    stub.add_client_error(
        "get_policy",
        "NoSuchEntity",
        "Policy arn:aws:iam::111122223333:policy/teams/dev does not exist or is not attachable.",
        404,
        expected_params={"PolicyArn": POLICY_ARN},
    )
    stub.add_response(
        "get_role",
        {
            "Role": {
                "Path": "/",
                "RoleName": "ci",
                "RoleId": "AROAEXAMPLE1234567",
                "Arn": arn("role", "ci"),
                "CreateDate": T0,
            }
        },
        {"RoleName": "ci"},
    )
    stub.add_client_error(
        "generate_service_last_accessed_details",
        "NoSuchEntity",
        "The role with name ci cannot be found.",
        404,
    )
    stub.add_response(
        "get_user",
        {
            "User": {
                "Path": "/",
                "UserName": "u",
                "UserId": "AIDAEXAMPLE12345678",
                "Arn": arn("user", "u"),
                "CreateDate": T0,
            }
        },
        {"UserName": "u"},
    )
    stub_generate(stub, arn("user", "u"))
    stub_get(stub, details("COMPLETED", []))
    snapshot = run(
        client, [target("policy", "dev", "/teams/"), target("role", "ci"), target("user", "u")]
    )
    assert [(e.status, e.error) for e in snapshot.entities] == [
        (
            "missing",
            "not found in AWS (not applied yet?): Policy arn:aws:iam::111122223333:"
            "policy/teams/dev does not exist or is not attachable.",
        ),
        ("missing", "not found in AWS (not applied yet?): The role with name ci cannot be found."),
        ("COMPLETED", None),
    ]


def test_throttling_and_limit_exceeded_are_retried(iam: tuple[Any, Stubber]) -> None:
    client, stub = iam
    stub_policy(stub)
    stub.add_client_error(
        "generate_service_last_accessed_details", "Throttling", "Rate exceeded", 400
    )
    stub.add_client_error(
        "generate_service_last_accessed_details", "LimitExceeded", "Too many jobs", 409
    )
    stub.add_client_error(
        "generate_service_last_accessed_details", "LimitExceeded", "Too many jobs", 409
    )
    stub_generate(stub, POLICY_ARN)
    stub.add_client_error("get_service_last_accessed_details", "Throttling", "Rate exceeded", 400)
    stub_get(stub, details("COMPLETED", [service("s3")]))
    clock = Clock()
    snapshot = run(client, [target("policy", "dev", "/teams/")], clock)
    assert snapshot.entities[0].status == "COMPLETED"
    assert snapshot.stats.retries == 4
    # Equal-jitter exponential backoff: attempt n waits between 2**n/2 and 2**n seconds.
    for delay, cap in zip(clock.sleeps, [1, 2, 4, 1], strict=True):
        assert cap / 2 <= delay <= cap


def test_limit_exceeded_that_never_clears_is_an_error(iam: tuple[Any, Stubber]) -> None:
    client, stub = iam
    stub_policy(stub)
    for _ in range(3):
        stub.add_client_error(
            "generate_service_last_accessed_details", "LimitExceeded", "Too many jobs", 409
        )
    snapshot = run(client, [target("policy", "dev", "/teams/")], retry_attempts=2)
    [entity] = snapshot.entities
    assert (entity.status, entity.error) == (
        "error",
        "GenerateServiceLastAccessedDetails: LimitExceeded: Too many jobs",
    )


def test_access_denied_is_an_error_for_that_entity(iam: tuple[Any, Stubber]) -> None:
    client, stub = iam
    stub.add_client_error(
        "get_policy", "AccessDenied", "not authorized to perform iam:GetPolicy", 403
    )
    snapshot = run(client, [target("policy", "dev", "/teams/")])
    assert (snapshot.entities[0].status, snapshot.entities[0].error) == (
        "error",
        "GetPolicy: AccessDenied: not authorized to perform iam:GetPolicy",
    )


def test_groups_get_with_entities_for_used_services(iam: tuple[Any, Stubber]) -> None:
    client, stub = iam
    group_arn = arn("group", "ops")
    stub.add_response(
        "get_group",
        {
            "Group": {
                "Path": "/",
                "GroupName": "ops",
                "GroupId": "AGPAEXAMPLE12345678",
                "Arn": group_arn,
                "CreateDate": "2023-05-06T07:08:09Z",
            },
            "Users": [],
        },
        {"GroupName": "ops", "MaxItems": 1},
    )
    stub_generate(stub, group_arn)
    stub_get(stub, details("COMPLETED", [service("s3", T0), service("ec2")]))

    def row(name: str, last: Any) -> dict[str, Any]:
        return {
            "EntityInfo": {
                "Arn": arn("user", name),
                "Name": name,
                "Type": "USER",
                "Id": f"AIDA{name.upper():0<16}",
                "Path": "/",
            },
            "LastAuthenticated": last,
        }

    page = {"JobStatus": "COMPLETED", "JobCreationDate": T0, "JobCompletionDate": T0}
    stub.add_response(
        "get_service_last_accessed_details_with_entities",
        {**page, "EntityDetailsList": [row("bob", T0)], "IsTruncated": True, "Marker": "m"},
        {"JobId": JOB, "ServiceNamespace": "s3", "MaxItems": 1000},
    )
    stub.add_response(
        "get_service_last_accessed_details_with_entities",
        {**page, "EntityDetailsList": [row("carol", "2026-01-01T00:00:00Z")]},
        {"JobId": JOB, "ServiceNamespace": "s3", "MaxItems": 1000, "Marker": "m"},
    )
    snapshot = run(client, [target("group", "ops")])
    [entity] = snapshot.entities
    assert entity.create_date == "2023-05-06T07:08:09+00:00"
    assert entity.entities_by_service is not None
    assert list(entity.entities_by_service) == ["s3"]  # ec2 was not used: no call
    assert [
        (r["EntityInfo"]["Name"], r["LastAuthenticated"]) for r in entity.entities_by_service["s3"]
    ] == [("bob", "2026-11-20T00:00:00+00:00"), ("carol", "2026-01-01T00:00:00+00:00")]


def test_service_granularity_and_real_arn(iam: tuple[Any, Stubber]) -> None:
    client, stub = iam
    real = arn("role", "deploy", "/service-role/")
    stub.add_response(
        "get_role",
        {
            "Role": {
                "Path": "/service-role/",
                "RoleName": "deploy",
                "RoleId": "AROAEXAMPLE1234567",
                "Arn": real,
                "CreateDate": T0,
            }
        },
        {"RoleName": "deploy"},
    )
    stub_generate(stub, real, "SERVICE_LEVEL")
    stub_get(stub, details("COMPLETED", []))
    snapshot = run(client, [target("role", "deploy")], granularity="SERVICE_LEVEL")
    assert snapshot.entities[0].arn == real
    assert snapshot.entities[0].granularity == "SERVICE_LEVEL"


def test_timeout_records_errors_not_unused(iam: tuple[Any, Stubber]) -> None:
    client, stub = iam
    stub_policy(stub)
    stub_generate(stub, POLICY_ARN)
    for _ in range(4):
        stub_get(stub, details("IN_PROGRESS", []))
    clock = Clock()
    snapshot = run(
        client, [target("policy", "dev", "/teams/"), target("role", "later")], clock,
        timeout=1.0,
        jobs_per_worker=1,  # one job at a time: the role waits for the policy
    )
    assert [(e.status, e.error) for e in snapshot.entities] == [
        ("IN_PROGRESS", "the job did not complete before the --timeout"),
        ("error", "not collected: the --timeout was reached"),
    ]
    assert clock.sleeps == [0.25, 0.375, 0.375]  # the last poll happens at the deadline


def test_timestamps_round_trip_to_the_snapshot(iam: tuple[Any, Stubber], tmp_path: Path) -> None:
    client, stub = iam
    stub_policy(stub)
    stub_generate(stub, POLICY_ARN)
    stub_get(
        stub,
        details(
            "COMPLETED",
            [
                service(
                    "s3",
                    "2026-11-01T08:00:00.5Z",
                    TrackedActionsLastAccessed=[
                        {
                            "ActionName": "GetBucketPolicy",
                            "LastAccessedTime": datetime(2026, 10, 1, tzinfo=UTC),
                        }
                    ],
                ),
            ],
        ),
    )
    snapshot = run(client, [target("policy", "dev", "/teams/")])
    save_snapshot(snapshot, tmp_path / "s.json")
    loaded = load_snapshot(tmp_path / "s.json")
    assert loaded.collected_at == T0
    s3 = loaded.entities[0].details["ServicesLastAccessed"][0]
    assert s3["LastAuthenticated"] == "2026-11-01T08:00:00.500000+00:00"
    usage = UsageIndex.from_snapshots([loaded]).lookup("policy", "dev", "/teams/")[0]
    s3_usage = usage.services["s3"]
    assert s3_usage.last_authenticated == datetime(2026, 11, 1, 8, 0, 0, 500000, tzinfo=UTC)
    assert s3_usage.tracked_actions is not None
    assert s3_usage.tracked_actions["getbucketpolicy"].last_accessed == datetime(
        2026, 10, 1, tzinfo=UTC
    )
    assert usage.create_date == datetime(2024, 3, 1, 10, tzinfo=UTC)


def test_progress_reports_every_entity(iam: tuple[Any, Stubber]) -> None:
    import io

    client, stub = iam
    stub.add_client_error("get_user", "NoSuchEntity", "gone", 404)
    stub.add_client_error("get_role", "AccessDenied", "no", 403)
    stream = io.StringIO()
    collect(
        [target("user", "a"), target("role", "b")],
        iam_client=client,
        options=CollectOptions(concurrency=1),
        progress=TerminalProgress(stream, width=10),
    )
    assert stream.getvalue().endswith("\n")
    last = stream.getvalue().rstrip("\n").split("\r")[-1]
    assert re.fullmatch(r"\[#{10}\] 2/2  missing 1  errors 1  \d+s", last)


def test_options_are_validated() -> None:
    with pytest.raises(InputError, match="concurrency must be at least 1"):
        CollectOptions(concurrency=0)
    with pytest.raises(InputError, match=r"page size must be 1\.\.1000"):
        CollectOptions(page_size=5000)


# --- targets from an inventory -------------------------------------------------------


def loc(line: int) -> Location:
    return Location("iam.tf", line)


def test_targets_from_inventory() -> None:
    inventory = Inventory(
        root=".",
        groups=[
            Group("aws_iam_group.ops", "ops", loc(1), path="/teams/"),
            Group('aws_iam_group.g["x"]', None, loc(2), unknown=["name: var.x"]),
        ],
        users=[
            User("aws_iam_user.alice", "alice", loc(3)),
            User("aws_iam_user.nobody", "nobody", loc(4)),
        ],
        roles=[Role("aws_iam_role.ci", "ci", loc(5), path="/svc/")],
        policies=[
            Policy("aws_iam_policy.dev", "dev", loc(6), path="/teams/"),
            Policy("aws_iam_policy.gen", None, loc(7), unknown=["name_prefix"]),
            Policy(
                "aws_iam_user_policy.a",
                "a",
                loc(8),
                kind="inline",
                owner_type="user",
                owner="alice",
            ),
            Policy(
                "aws_iam_user_policy.a2",
                "a2",
                loc(9),
                kind="inline",
                owner_type="user",
                owner="alice",
            ),
            Policy(
                "aws_iam_role_policy.ci",
                "ci",
                loc(10),
                kind="inline",
                owner_type="role",
                owner="ci",
            ),
            Policy(
                "aws_iam_role_policy.ext",
                "e",
                loc(11),
                kind="inline",
                owner_type="role",
                owner="external",
            ),
            Policy(
                "aws_iam_group_policy.ops",
                "o",
                loc(12),
                kind="inline",
                owner_type="group",
                owner="ops",
            ),
            Policy(
                "aws_iam_role_policy.unk",
                "u",
                loc(13),
                kind="inline",
                owner_type="role",
                owner=None,
            ),
        ],
    )
    plan = plan_targets(inventory, account_id=ACCOUNT, partition="aws-us-gov")
    assert [(t.kind, t.arn, t.addresses) for t in plan.targets] == [
        ("policy", "arn:aws-us-gov:iam::111122223333:policy/teams/dev", ("aws_iam_policy.dev",)),
        ("group", "arn:aws-us-gov:iam::111122223333:group/teams/ops", ("aws_iam_group.ops",)),
        ("user", "arn:aws-us-gov:iam::111122223333:user/alice", ("aws_iam_user.alice",)),
        ("role", "arn:aws-us-gov:iam::111122223333:role/external", ("aws_iam_role_policy.ext",)),
        ("role", "arn:aws-us-gov:iam::111122223333:role/svc/ci", ("aws_iam_role.ci",)),
    ]
    assert [(s.address, s.reason, s.location) for s in plan.skipped] == [
        ("aws_iam_policy.gen", "the policy name is not known statically (name_prefix)", "iam.tf:7"),
        (
            'aws_iam_group.g["x"]',
            "the group name is not known statically (name: var.x)",
            "iam.tf:2",
        ),
        (
            "aws_iam_role_policy.unk",
            "the role that owns this inline policy is not known statically",
            "iam.tf:13",
        ),
    ]
    assert targets_from_inventory(inventory, account_id=ACCOUNT, partition="aws-us-gov") == list(
        plan.targets
    )


# --- credentials: moto for STS -------------------------------------------------------


def test_open_clients_resolves_account_with_sts() -> None:
    from moto import mock_aws

    with mock_aws():
        clients = open_clients(AwsOptions(region="eu-west-1"))
        assert clients.identity.account_id == "123456789012"
        assert clients.identity.partition == "aws"
        assert clients.region == "eu-west-1"
        config = clients.iam.meta.config
        # Few botocore attempts: lpgen backs off throttling itself, without holding a thread.
        assert config.retries == {"mode": "standard", "total_max_attempts": 3}


def test_open_clients_assumes_a_role() -> None:
    from moto import mock_aws

    with mock_aws():
        clients = open_clients(
            AwsOptions(
                role_arn="arn:aws:iam::123456789012:role/audit",
                external_id="xyz",
                session_name="lpgen-test",
            )
        )
        assert clients.identity.arn == ("arn:aws:sts::123456789012:assumed-role/audit/lpgen-test")


def test_unknown_profile_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"--profile: The config profile .nope. could not be"):
        open_clients(AwsOptions(profile="nope"))


def test_client_config_is_explicit() -> None:
    config = client_config(max_attempts=7, max_pool_connections=12)
    assert config.retries == {"mode": "standard", "total_max_attempts": 7}
    assert config.max_pool_connections == 12


# --- end to end over the wire ----------------------------------------------------------


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeIam]:
    with FakeIam(ACCOUNT, max_page=2, seed=1) as fake:
        monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", fake.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", fake.url)
        yield fake


def populate(fake: FakeIam) -> None:
    used = datetime(2026, 11, 1, tzinfo=UTC)
    member = {
        "EntityInfo": {
            "Arn": arn("user", "bob"),
            "Name": "bob",
            "Type": "USER",
            "Id": "AIDABOB",
            "Path": "/",
        },
        "LastAuthenticated": used,
    }
    fake.add(
        FakeEntity(
            "policy",
            "dev",
            "/teams/",
            in_progress_polls=1,
            attachment_count=3,
            services=[
                FakeService(
                    "s3",
                    last_authenticated=used,
                    tracked_actions=[
                        {"ActionName": "CreateBucket", "LastAccessedTime": used},
                        {"ActionName": "DeleteBucket"},
                    ],
                ),
                FakeService("ec2"),
                FakeService("kms"),
                FakeService("sqs"),
                FakeService("sns", last_authenticated=used),
            ],
        )
    )
    fake.add(
        FakeEntity(
            "group",
            "ops",
            services=[
                FakeService("s3", last_authenticated=used, entities=[member]),
                FakeService("ec2"),
            ],
        )
    )
    fake.add(FakeEntity("role", "ci", fail=True))
    fake.add(FakeEntity("policy", "orphan", attachment_count=0))


TF = """
resource "aws_iam_policy" "dev" {
  name   = "dev"
  path   = "/teams/"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:*", Resource = "*" }] })
}
resource "aws_iam_policy" "orphan" {
  name   = "orphan"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:*", Resource = "*" }] })
}
resource "aws_iam_group" "ops" {
  name = "ops"
}
resource "aws_iam_role" "ci" {
  name               = "ci"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })
}
resource "aws_iam_role_policy" "ci" {
  name   = "ci"
  role   = aws_iam_role.ci.id
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "ec2:*", Resource = "*" }] })
}
resource "aws_iam_user_policy" "later" {
  name   = "later"
  user   = "not-applied-yet"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "ec2:*", Resource = "*" }] })
}
"""


def test_collect_command_against_a_loopback_iam_endpoint(endpoint: FakeIam, tmp_path: Path) -> None:
    populate(endpoint)
    tree = tmp_path / "tf"
    tree.mkdir()
    (tree / "iam.tf").write_text(TF, encoding="utf-8")
    out = tmp_path / "snap.json"
    result = CliRunner().invoke(main, ["collect", str(tree), "--out", str(out)])
    assert result.exit_code == 1, result.output  # one FAILED job
    summary = re.sub(r"in \d+\.\ds", "in Ns", result.stdout)
    summary = re.sub(r"at \S+ as", "at T as", summary)
    assert summary == (
        f"Collected 5 entities of account {ACCOUNT} into {out} in Ns: 3 completed, "
        "1 missing (not in AWS), 1 failed\n"
        f"  arn:aws:iam::{ACCOUNT}:user/not-applied-yet: missing: not found in AWS "
        "(not applied yet?): The user with name not-applied-yet cannot be found.\n"
        f"  arn:aws:iam::{ACCOUNT}:role/ci: Access Advisor job failed: "
        "Internal failure generating the report\n"
        f"Collected at T as arn:aws:iam::{ACCOUNT}:user/lpgen.\n"
    )
    snapshot = load_snapshot(out)
    by_name = {e.parts.name: e for e in snapshot.entities}
    dev = by_name["dev"]
    # Every page (max_page=2 -> 3 pages), after one IN_PROGRESS poll without JobCompletionDate.
    assert [s["ServiceNamespace"] for s in dev.details["ServicesLastAccessed"]] == [
        "s3",
        "ec2",
        "kms",
        "sqs",
        "sns",
    ]
    assert dev.details["ServicesLastAccessed"][0]["LastAuthenticated"] == (
        "2026-11-01T00:00:00+00:00"
    )
    assert (dev.attached, by_name["orphan"].attached) == (True, False)
    assert by_name["ops"].entities_by_service is not None
    assert [r["EntityInfo"]["Name"] for r in by_name["ops"].entities_by_service["s3"]] == ["bob"]
    assert by_name["ci"].effective_status == "FAILED"
    assert by_name["not-applied-yet"].effective_status == "missing"
    assert endpoint.calls["GetServiceLastAccessedDetails"] == 1 + 3 + 1 + 1 + 1


def test_collect_survives_throttling_on_the_wire(endpoint: FakeIam) -> None:
    populate(endpoint)
    endpoint.throttle_rate = 0.15
    endpoint.limit_rate = 0.15
    client = boto3.client("iam", region_name="us-east-1", config=client_config())
    snapshot = collect(
        [target("policy", "dev", "/teams/"), target("group", "ops"), target("policy", "orphan")],
        iam_client=client,
        options=CollectOptions(concurrency=3, poll_initial=0.05, retry_base=0.05),
    )
    assert [e.effective_status for e in snapshot.entities] == ["COMPLETED"] * 3
    assert endpoint.errors["Throttling"] > 0


def test_role_session_reads_its_own_jobs(endpoint: FakeIam) -> None:
    populate(endpoint)
    clients = open_clients(
        AwsOptions(role_arn=f"arn:aws:iam::{ACCOUNT}:role/audit", external_id="ext-1")
    )
    assert clients.identity.arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/audit/lpgen-collect"
    assert endpoint.assumed[0]["ExternalId"] == "ext-1"
    snapshot = collect(
        [target("group", "ops")],
        iam_client=clients.iam,
        options=CollectOptions(),
        account_id=clients.identity.account_id,
        partition=clients.identity.partition,
    )
    assert snapshot.entities[0].effective_status == "COMPLETED"
    # A job generated by one principal cannot be read by another (as in AWS).
    other = boto3.client(
        "iam", region_name="us-east-1", aws_access_key_id="AKIAOTHER", aws_secret_access_key="x"
    )
    job = clients.iam.generate_service_last_accessed_details(Arn=arn("group", "ops"))["JobId"]
    with pytest.raises(other.exceptions.NoSuchEntityException):
        other.get_service_last_accessed_details(JobId=job)


def test_no_credentials_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(AwsError, match="no AWS credentials found"):
        open_clients(AwsOptions())


def test_collect_cli_usage_errors(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["collect", str(tmp_path), "--out", "x.json", "--concurrency", "0"]
    )
    assert result.exit_code == 2
    assert "Invalid value for '--concurrency': 0 is not in the range 1<=x<=32." in result.stderr


def test_snapshot_written_by_collect_is_valid_json(endpoint: FakeIam, tmp_path: Path) -> None:
    populate(endpoint)
    client = boto3.client("iam", region_name="us-east-1", config=client_config())
    snapshot = collect(
        [target("policy", "dev", "/teams/")],
        iam_client=client,
        options=CollectOptions(poll_initial=0.01),
    )
    save_snapshot(snapshot, tmp_path / "s.json")
    data = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert data["format"] == "lpgen.snapshot/1"
    assert data["entities"][0]["kind"] == "policy"
    assert data["generator"].startswith("lpgen ")


# --- the documented permissions are exactly what collect calls -------------------------


def test_documented_permissions_match_the_calls_collect_makes(
    endpoint: FakeIam, tmp_path: Path
) -> None:
    from lpgen.inventory import build_inventory

    populate(endpoint)
    endpoint.add(FakeEntity("user", "alice"))
    clients = open_clients(AwsOptions())
    collect(
        [
            target("policy", "dev", "/teams/"),
            target("group", "ops"),
            target("role", "ci"),
            target("user", "alice"),
        ],
        iam_client=clients.iam,
        options=CollectOptions(poll_initial=0.01),
    )
    from lpgen.collect import sso_targets_for
    from lpgen.model import PermissionSet

    sso = Inventory(root=".", permission_sets=[PermissionSet("ps", "Dev", Location("x.tf", 1))])
    sso_targets_for(sso, clients.iam)
    from lpgen.aws_managed import fetch_aws_managed

    read_only = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    endpoint.aws_policies[read_only] = ("v9", {"Version": "2012-10-17", "Statement": []})
    assert fetch_aws_managed(clients.iam, [read_only])[read_only]["version_id"] == "v9"
    called = {f"iam:{op}" for op in endpoint.calls if op != "GetCallerIdentity"}
    assert len(called) == 9

    root = Path(__file__).resolve().parent.parent
    doc = (root / "docs" / "permissions.md").read_text(encoding="utf-8")
    policy = json.loads(re.search(r"```json\n(.*?)```", doc, re.S).group(1))  # type: ignore[union-attr]
    documented: set[str] = set()
    for statement in policy["Statement"]:
        actions = statement["Action"]
        documented.update([actions] if isinstance(actions, str) else actions)
    assert documented == called

    inventory = build_inventory(root / "terraform_examples" / "lpgen-collector")
    [managed] = [p for p in inventory.policies if p.kind == "managed"]
    assert managed.document is not None
    in_terraform = {
        entry.value
        for statement in managed.document.statements
        for entry in statement.actions or []
    }
    assert in_terraform == called
