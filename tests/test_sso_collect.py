"""collect finds the roles IAM Identity Center provisions for a tree's permission sets
(iam:ListRoles checked against AWS's model with Stubber) and records their permission set."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from lpgen.collect import CollectOptions, collect, sso_targets_for
from lpgen.errors import AwsError
from lpgen.model import Inventory, Location, PermissionSet
from lpgen.snapshot import load_snapshot, save_snapshot
from lpgen.sso_collect import SSO_PATH_PREFIX, find_sso_roles, permission_set_of
from lpgen.usage import UsageIndex

ACCOUNT = "222233334444"
UTC = timezone.utc
PREFIX = SSO_PATH_PREFIX


def role(name: str, path: str = PREFIX) -> dict[str, Any]:
    return {
        "Path": path,
        "RoleName": name,
        "RoleId": "AROA" + "X" * 17,
        "Arn": f"arn:aws:iam::{ACCOUNT}:role{path}{name}",
        "CreateDate": datetime(2024, 1, 1, tzinfo=UTC),
    }


@pytest.fixture
def iam() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("iam", region_name="us-east-1")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def inventory(*names: str) -> Inventory:
    loc = Location("sso.tf", 1)
    return Inventory(
        root=".",
        permission_sets=[
            PermissionSet(f"aws_ssoadmin_permission_set.{n.lower()}", n, loc) for n in names
        ],
    )


def test_role_names_give_their_permission_set() -> None:
    assert permission_set_of("AWSReservedSSO_Dev_0123456789abcdef") == "Dev"
    assert permission_set_of("AWSReservedSSO_data_eng_0123456789abcdef") == "data_eng"
    assert permission_set_of("AWSReservedSSO_Dev_0123456789abcdef", "/") is None
    assert permission_set_of("ci") is None


def test_every_page_is_read_and_region_paths_count(iam: tuple[Any, Stubber]) -> None:
    client, stub = iam
    stub.add_response(
        "list_roles",
        {
            "Roles": [role("AWSReservedSSO_Dev_0123456789abcdef"),
                      role("AWSReservedSSO_Other_0123456789abcdef")],
            "IsTruncated": True,
            "Marker": "m1",
        },
        {"PathPrefix": PREFIX, "MaxItems": 1000},
    )  # fmt: skip
    stub.add_response(
        "list_roles",
        {
            "Roles": [role("AWSReservedSSO_ReadOnly_fedcba9876543210", PREFIX + "eu-west-2/")],
            "IsTruncated": False,
        },
        {"PathPrefix": PREFIX, "MaxItems": 1000, "Marker": "m1"},
    )
    found = find_sso_roles(client, ["Dev", "ReadOnly", "Admin"])
    assert [(r.permission_set, r.path) for r in found.roles] == [
        ("Dev", PREFIX),
        ("ReadOnly", PREFIX + "eu-west-2/"),
    ]
    assert found.not_found == ("Admin",)


def test_throttling_is_retried_and_access_denied_is_a_clear_error(
    iam: tuple[Any, Stubber],
) -> None:
    client, stub = iam
    stub.add_client_error("list_roles", "Throttling", "Rate exceeded", 400)
    stub.add_response("list_roles", {"Roles": [], "IsTruncated": False})
    sleeps: list[float] = []
    assert find_sso_roles(client, ["Dev"], sleep=sleeps.append).not_found == ("Dev",)
    assert sleeps == [1.0]
    stub.add_client_error("list_roles", "AccessDenied", "not authorized to iam:ListRoles", 403)
    with pytest.raises(AwsError, match=r"iam:ListRoles .*AccessDenied"):
        find_sso_roles(client, ["Dev"])


def test_no_permission_set_no_call(iam: tuple[Any, Stubber]) -> None:
    client, _stub = iam
    assert sso_targets_for(Inventory(root="."), client) == ([], [])


def test_collected_roles_carry_their_permission_set_into_the_snapshot(
    iam: tuple[Any, Stubber], tmp_path: Path
) -> None:
    client, stub = iam
    name = "AWSReservedSSO_Dev_0123456789abcdef"
    arn = f"arn:aws:iam::{ACCOUNT}:role{PREFIX}{name}"
    stub.add_response(
        "list_roles", {"Roles": [role(name)], "IsTruncated": False},
        {"PathPrefix": PREFIX, "MaxItems": 1000},
    )  # fmt: skip
    targets, skipped = sso_targets_for(inventory("Dev", "Admin"), client)
    assert [(t.kind, t.name, t.path, t.permission_set) for t in targets] == [
        ("role", name, PREFIX, "Dev")
    ]
    assert [s.address for s in skipped] == ["aws_ssoadmin_permission_set.admin"]
    assert "no AWSReservedSSO_Admin_* role in this account" in skipped[0].reason
    stub.add_response("get_role", {"Role": role(name)}, {"RoleName": name})
    stub.add_response(
        "generate_service_last_accessed_details",
        {"JobId": "j" * 36},
        {"Arn": arn, "Granularity": "ACTION_LEVEL"},
    )
    stub.add_response(
        "get_service_last_accessed_details",
        {
            "JobStatus": "COMPLETED",
            "JobType": "ACTION_LEVEL",
            "JobCreationDate": "2026-11-19T23:59:00Z",
            "JobCompletionDate": "2026-11-19T23:59:30Z",
            "ServicesLastAccessed": [{"ServiceName": "Amazon S3", "ServiceNamespace": "s3"}],
            "IsTruncated": False,
        },
        {"JobId": "j" * 36, "MaxItems": 1000},
    )
    snapshot = collect(
        targets,
        iam_client=client,
        options=CollectOptions(concurrency=1),
        now=lambda: datetime(2026, 11, 20, tzinfo=UTC),
        sleep=lambda _s: None,
    )
    out = tmp_path / "snap.json"
    save_snapshot(snapshot, out)
    assert '"permission_set": "Dev"' in out.read_text()
    loaded = load_snapshot(out)
    assert loaded.entities[0].permission_set == "Dev"
    assert [u.arn for u in UsageIndex.from_snapshots([loaded]).for_permission_set("dev")] == [arn]


def test_a_permission_set_key_on_a_policy_is_refused() -> None:
    from lpgen.errors import SnapshotError
    from lpgen.snapshot import loads_snapshot

    text = (
        '{"format": "lpgen.snapshot/1", "account_id": "222233334444",\n'
        ' "collected_at": "2026-11-20T00:00:00Z", "entities": [\n'
        '  {"arn": "arn:aws:iam::222233334444:policy/p", "permission_set": "Dev",\n'
        '   "details": {"JobStatus": "COMPLETED", "ServicesLastAccessed": []}}]}\n'
    )
    with pytest.raises(SnapshotError, match="permission_set: expected the name of a permission"):
        loads_snapshot(text, file="s.json")


SSO_TF = """
resource "aws_ssoadmin_permission_set" "dev" {
  name         = "Dev"
  instance_arn = "arn:aws:sso:::instance/ssoins-0123456789abcdef"
}
resource "aws_ssoadmin_permission_set_inline_policy" "dev" {
  instance_arn       = "arn:aws:sso:::instance/ssoins-0123456789abcdef"
  permission_set_arn = aws_ssoadmin_permission_set.dev.arn
  inline_policy = jsonencode({ Version = "2012-10-17", Statement = [
    { Effect = "Allow", Action = ["s3:ListAllMyBuckets", "ec2:DescribeInstances"], Resource = "*" }
  ] })
}
resource "aws_ssoadmin_managed_policy_attachment" "dev" {
  instance_arn       = "arn:aws:sso:::instance/ssoins-0123456789abcdef"
  permission_set_arn = aws_ssoadmin_permission_set.dev.arn
  managed_policy_arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
}
resource "aws_ssoadmin_account_assignment" "dev" {
  for_each           = toset(["111111111111", "222222222222"])
  instance_arn       = "arn:aws:sso:::instance/ssoins-0123456789abcdef"
  permission_set_arn = aws_ssoadmin_permission_set.dev.arn
  principal_id       = "g-0123456789"
  principal_type     = "GROUP"
  target_id          = each.value
  target_type        = "AWS_ACCOUNT"
}
"""


def test_collect_accounts_finds_the_roles_in_each_member_account(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """End to end over the IAM query protocol: ListRoles (paged), the role's report and the
    AWS-managed document, in each account reached by AssumeRole; then trim joins them."""
    from click.testing import CliRunner

    from lpgen.cli import main
    from tests.iam_server import FakeEntity, FakeIam, FakeService

    used = datetime(2026, 11, 1, tzinfo=UTC)
    with FakeIam("999999999999", seed=3, max_page=1) as fake:
        monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", fake.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", fake.url)
        fake.aws_policies["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"] = (
            "v3", {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:List*", "Resource": "*"}]},
        )  # fmt: skip
        for account, path in (("111111111111", PREFIX), ("222222222222", PREFIX + "eu-west-2/")):
            fake.add(FakeEntity("role", "AWSReservedSSO_Other_0123456789abcdef", path=PREFIX,
                                account=account))  # fmt: skip
            fake.add(FakeEntity(
                "role", "AWSReservedSSO_Dev_0123456789abcdef", path=path, account=account,
                services=[FakeService("s3", last_authenticated=used), FakeService("ec2")],
            ))  # fmt: skip
        root = tmp_path / "tf"
        root.mkdir()
        (root / "sso.tf").write_text(SSO_TF)
        out = tmp_path / "snapshots"
        result = CliRunner().invoke(
            main, ["collect", str(root), "--out", str(out),
                   "--accounts", "111111111111,222222222222"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert fake.calls["ListRoles"] >= 4  # every page, in both accounts
    for account, path in (("111111111111", PREFIX), ("222222222222", PREFIX + "eu-west-2/")):
        snap = load_snapshot(out / f"{account}.json")
        [entity] = snap.entities
        assert entity.arn == f"arn:aws:iam::{account}:role{path}AWSReservedSSO_Dev_0123456789abcdef"
        assert entity.permission_set == "Dev"
        assert entity.effective_status == "COMPLETED"
        assert snap.aws_managed_policies["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"][
            "version_id"
        ] == "v3"
    trimmed = CliRunner().invoke(
        main, ["trim", str(root), "--snapshot", str(out), "--no-git", "--max-snapshot-age", "9999",
               "--diff"],
    )  # fmt: skip
    assert trimmed.exit_code == 0, trimmed.output
    assert '-    { Effect = "Allow", Action = ["s3:ListAllMyBuckets", "ec2:DescribeInstances"]' in (
        trimmed.stdout
    )
    assert '+    { Effect = "Allow", Action = ["s3:ListAllMyBuckets"]' in trimmed.stdout


def test_progress_grows_by_the_roles_found_on_the_way() -> None:
    import io

    from lpgen.collect import TerminalProgress
    from lpgen.snapshot import SnapshotEntity

    out = io.StringIO()
    progress = TerminalProgress(out)
    progress.start(1)
    progress.grow(2)
    for _ in range(3):
        progress.advance(SnapshotEntity(f"arn:aws:iam::{ACCOUNT}:role/x", status="COMPLETED"))
    progress.finish()
    assert out.getvalue().endswith("] 3/3  errors 0  0s\n")
