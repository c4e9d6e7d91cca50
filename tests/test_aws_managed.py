"""AWS-managed policies: collect reads each attached one's default version (GetPolicy,
GetPolicyVersion, checked against AWS's model with Stubber) into the snapshot, and graph
--who-can answers from those documents instead of "maybe"."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from botocore.stub import Stubber
from click.testing import CliRunner

from lpgen.aws_managed import attached_aws_managed, fetch_aws_managed
from lpgen.cli import main
from lpgen.errors import SnapshotError
from lpgen.snapshot import Snapshot, load_snapshot, loads_snapshot, save_snapshot

UTC = timezone.utc
READ_ONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
DOC = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"},
    ],
}


@pytest.fixture
def iam() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("iam", region_name="us-east-1")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def stub_policy(stub: Stubber, arn: str, version: str, doc: dict[str, Any]) -> None:
    when = datetime(2015, 2, 6, tzinfo=UTC)
    stub.add_response(
        "get_policy",
        {"Policy": {"PolicyName": arn.rsplit("/", 1)[1], "Arn": arn, "Path": "/",
                    "DefaultVersionId": version, "CreateDate": when}},
        {"PolicyArn": arn},
    )  # fmt: skip
    stub.add_response(
        "get_policy_version",
        # The wire form: URL-encoded JSON (botocore decodes it after the call).
        {"PolicyVersion": {"Document": quote(json.dumps(doc)), "VersionId": version,
                           "IsDefaultVersion": True, "CreateDate": when}},
        {"PolicyArn": arn, "VersionId": version},
    )  # fmt: skip


def test_default_versions_are_read_and_a_failure_is_recorded(iam: tuple[Any, Stubber]) -> None:
    client, stub = iam
    stub_policy(stub, READ_ONLY, "v12", DOC)
    gone = "arn:aws:iam::aws:policy/Gone"
    stub.add_client_error("get_policy", "NoSuchEntity", "Policy Gone not found", 404)
    got = fetch_aws_managed(client, [READ_ONLY, gone])
    assert got[READ_ONLY] == {"version_id": "v12", "document": DOC}
    assert got[gone]["error"].startswith("GetPolicy: ")
    assert "NoSuchEntity" in got[gone]["error"]


def test_the_snapshot_keeps_them(tmp_path: Path) -> None:
    snap = Snapshot(
        "111122223333", datetime(2026, 11, 20, tzinfo=UTC),
        aws_managed_policies={READ_ONLY: {"version_id": "v12", "document": DOC}},
    )  # fmt: skip
    path = tmp_path / "s.json"
    save_snapshot(snap, path)
    assert load_snapshot(path).aws_managed_policies == snap.aws_managed_policies
    text = path.read_text().replace(READ_ONLY, "arn:aws:iam::111122223333:policy/mine")
    with pytest.raises(SnapshotError, match="not an AWS-managed policy ARN"):
        loads_snapshot(text, file="s.json")


def test_attached_ones_are_found_on_entities_and_permission_sets(tmp_path: Path) -> None:
    from lpgen.inventory import build_inventory

    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_role" "ci" {\n  name = "ci"\n  assume_role_policy = "{}"\n}\n'
        'resource "aws_iam_role_policy_attachment" "ci" {\n  role = aws_iam_role.ci.name\n'
        f'  policy_arn = "{READ_ONLY}"\n}}\n'
        'resource "aws_ssoadmin_permission_set" "ro" {\n  name = "ReadOnly"\n'
        '  instance_arn = "arn:aws:sso:::instance/ssoins-0123456789abcdef"\n}\n'
        'resource "aws_ssoadmin_managed_policy_attachment" "ro" {\n'
        '  instance_arn = "arn:aws:sso:::instance/ssoins-0123456789abcdef"\n'
        '  permission_set_arn = aws_ssoadmin_permission_set.ro.arn\n'
        '  managed_policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"\n}\n'
    )
    assert attached_aws_managed(build_inventory(tmp_path)) == [
        READ_ONLY, "arn:aws:iam::aws:policy/ReadOnlyAccess",
    ]  # fmt: skip


def test_who_can_answers_from_the_collected_document(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_role" "ci" {\n  name = "ci"\n  assume_role_policy = "{}"\n}\n'
        'resource "aws_iam_role_policy_attachment" "ci" {\n  role = aws_iam_role.ci.name\n'
        f'  policy_arn = "{READ_ONLY}"\n}}\n'
    )
    args = ["graph", str(tmp_path), "--who-can", "s3:GetObject"]
    before = CliRunner().invoke(main, args)
    assert before.exit_code == 0, before.stderr
    assert "maybe" in before.stdout
    snap = Snapshot(
        "111122223333", datetime(2026, 11, 20, tzinfo=UTC),
        aws_managed_policies={READ_ONLY: {"version_id": "v12", "document": DOC}},
    )  # fmt: skip
    save_snapshot(snap, tmp_path / "s.json")
    after = CliRunner().invoke(main, [*args, "--snapshot", str(tmp_path / "s.json")])
    assert after.exit_code == 0, after.stderr
    assert "maybe" not in after.stdout
    assert "role ci" in after.stdout or "ci" in after.stdout
    denied = CliRunner().invoke(
        main, ["graph", str(tmp_path), "--who-can", "s3:PutObject",
               "--snapshot", str(tmp_path / "s.json")],
    )  # fmt: skip
    assert "role ci" not in denied.stdout


EC2_RO = "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"
EC2_DOC = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Resource": "*",
         "Action": ["ec2:Describe*", "elasticloadbalancing:Describe*", "iam:PassRole"]},
    ],
}  # fmt: skip
USED = "2026-11-02T09:00:00+00:00"


def managed_case(tmp_path: Path, **entity: Any) -> tuple[Path, Path]:
    tree = tmp_path / "tree"
    tree.mkdir(parents=True)
    (tree / "main.tf").write_text(
        'resource "aws_iam_role" "ci" {\n  name = "ci"\n  assume_role_policy = "{}"\n}\n\n'
        'resource "aws_iam_role_policy_attachment" "ci" {\n  role       = aws_iam_role.ci.name\n'
        f'  policy_arn = "{EC2_RO}"\n}}\n'
    )
    record = {
        "arn": "arn:aws:iam::111122223333:role/ci",
        "create_date": "2024-01-01T00:00:00+00:00",
        "details": {"JobStatus": "COMPLETED", "JobType": "ACTION_LEVEL", "ServicesLastAccessed": [
            {"ServiceNamespace": "ec2", "ServiceName": "EC2", "LastAuthenticated": USED,
             "TrackedActionsLastAccessed": [
                 {"ActionName": "DescribeInstances", "LastAccessedTime": USED},
                 {"ActionName": "DescribeVolumes"}]},
            {"ServiceNamespace": "elasticloadbalancing", "ServiceName": "ELB"},
            {"ServiceNamespace": "iam", "ServiceName": "IAM"},
        ]},
        **entity,
    }  # fmt: skip
    snap = {
        "format": "lpgen.snapshot/1", "account_id": "111122223333",
        "collected_at": "2026-11-20T00:00:00+00:00",
        "aws_managed_policies": {EC2_RO: {"version_id": "v8", "document": EC2_DOC}},
        "entities": [record],
    }  # fmt: skip
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(snap))
    return tree, path


def trim_json(tree: Path, snap: Path) -> Any:
    result = CliRunner().invoke(
        main, ["trim", str(tree), "--snapshot", str(snap), "--no-git", "--format", "json"]
    )
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_trim_reports_what_the_principal_used_of_an_aws_managed_policy(tmp_path: Path) -> None:
    from lpgen import catalog

    tree, snap = managed_case(tmp_path)
    [m] = trim_json(tree, snap)["aws_managed"]
    describe = catalog.expand("ec2:Describe*") or ()
    elb = catalog.expand("elasticloadbalancing:Describe*") or ()
    assert m["status"] == "used"
    assert m["principal"] == "role ci"
    assert m["used_services"] == ["ec2"]
    # ec2:DescribeVolumes is tracked and unused: it goes; the other EC2 Describe actions are
    # not tracked and the service was used: they stay; elasticloadbalancing was not used;
    # iam:PassRole is never judged by Access Advisor: it stays.
    assert m["granted"] == len(describe) + len(elb) + 1
    assert "ec2:DescribeVolumes" not in m["kept"]
    assert "ec2:DescribeInstances" in m["kept"]
    assert "iam:PassRole" in m["kept"]
    assert not any(k.startswith("elasticloadbalancing:") for k in m["kept"])
    assert len(m["kept"]) == len(describe) - 1 + 1
    text = CliRunner().invoke(main, ["trim", str(tree), "--snapshot", str(snap), "--no-git"])
    assert (
        f"aws_iam_role_policy_attachment.ci (main.tf:6): {EC2_RO}: role ci used 1 of its "
        f"services in the 90-day window (ec2); {len(describe) - 1 + 1} of its {m['granted']} actions "
        "would stay under trim's rules\n"
        f"      would stay: ec2 ({len(describe) - 1} actions), iam:PassRole\n"
    ) in text.stdout


def test_a_young_principal_or_a_failed_job_says_nothing(tmp_path: Path) -> None:
    tree, snap = managed_case(tmp_path, create_date="2026-11-01T00:00:00+00:00")
    [m] = trim_json(tree, snap)["aws_managed"]
    assert m["status"] == "unknown" and "inside the 90-day window" in m["reason"]
    assert m["kept"] == []
    tree, snap = managed_case(tmp_path / "2", status="FAILED", error="the job failed")
    [m] = trim_json(tree, snap)["aws_managed"]
    assert m["status"] == "unknown" and "job failed" in m["reason"]


def test_check_reports_the_unused_part_of_an_aws_managed_policy(tmp_path: Path) -> None:
    tree, snap = managed_case(tmp_path)
    result = CliRunner().invoke(
        main, ["check", str(tree), "--snapshot", str(snap), "--no-git", "--select", "LP001"]
    )
    assert result.exit_code == 0, result.stderr
    [line] = [x for x in result.stdout.splitlines() if "LP001" in x]
    assert line.startswith(
        "main.tf:6: LP001 medium AWS-managed policy AmazonEC2ReadOnlyAccess grants role ci "
    )
    assert "(services used in the 90-day window: ec2); replace it by a policy holding" in line
