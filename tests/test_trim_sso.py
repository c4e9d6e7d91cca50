"""trim on IAM Identity Center permission sets: the inline policy is judged by the
AWSReservedSSO_* roles of every account the Terraform assigns it to; an assigned account
without evidence keeps everything, and the report names it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from lpgen.cli import main

CASE = Path(__file__).parent / "data" / "trim" / "permission_set"
A, B = "111122223333", "222233334444"


def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    shutil.copytree(CASE / "input", root)
    return root


def snapshot(tmp_path: Path, account: str, edit: Any = None) -> Path:
    data = json.loads((CASE / f"snapshot-{account}.json").read_text())
    if edit is not None:
        edit(data)
    out = tmp_path / f"snapshot-{account}.json"
    out.write_text(json.dumps(data))
    return out


def trim(root: Path, *snaps: Path, fmt: str = "json") -> tuple[int, Any, str]:
    args = ["trim", str(root), "--no-git", "--format", fmt]
    for s in snaps:
        args += ["--snapshot", str(s)]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    out = json.loads(result.stdout) if fmt == "json" else result.stdout
    return result.exit_code, out, result.stderr


def record(doc: Any, address: str) -> Any:
    return next(p for p in doc["policies"] if p["address"] == address)


DEV = "aws_ssoadmin_permission_set_inline_policy.developer"


def test_removals_name_the_accounts_whose_roles_back_them(tmp_path: Path) -> None:
    code, doc, _ = trim(tree(tmp_path), snapshot(tmp_path, A), snapshot(tmp_path, B))
    assert code == 0
    dev = record(doc, DEV)
    assert dev["status"] == "trimmed"
    assert dev["permission_set"] == "Developer"
    assert dev["accounts"] == [A, B]
    [terminate] = [r for r in dev["removed"] if r["entry"] == "ec2:TerminateInstances"]
    accounts = {e["account_id"] for e in terminate["evidence"]}
    assert accounts == {A, B}
    # ec2:RunInstances was used in account B only: the union keeps it.
    assert not any(r["entry"] == "ec2:RunInstances" for r in dev["removed"])


def test_an_assigned_account_without_a_snapshot_keeps_everything(tmp_path: Path) -> None:
    _code, doc, _ = trim(tree(tmp_path), snapshot(tmp_path, A))
    dev = record(doc, DEV)
    assert dev["status"] == "skipped"
    assert dev["removed"] == []
    assert dev["reason"] == (
        "no usage data from every assigned account: no snapshot of account 222233334444 "
        '(aws_ssoadmin_account_assignment.developer["222233334444"])'
    )


def test_a_snapshot_without_the_role_is_no_evidence(tmp_path: Path) -> None:
    def drop(data: Any) -> None:
        data["entities"] = []

    _code, doc, _ = trim(tree(tmp_path), snapshot(tmp_path, A), snapshot(tmp_path, B, drop))
    dev = record(doc, DEV)
    assert dev["status"] == "skipped"
    assert "the snapshot of account 222233334444 has no AWSReservedSSO_Developer_* role" in (
        dev["reason"]
    )


def test_an_account_not_known_statically_is_no_evidence(tmp_path: Path) -> None:
    root = tree(tmp_path)
    sso = root / "sso.tf"
    sso.write_text(
        sso.read_text().replace('target_id          = "111122223333"', "target_id = var.account")
        + 'variable "account" {\n  type = string\n}\n'
    )
    _code, doc, _ = trim(root, snapshot(tmp_path, A), snapshot(tmp_path, B))
    op = record(doc, "aws_ssoadmin_permission_set_inline_policy.operator")
    assert op["status"] == "skipped"
    assert "account of aws_ssoadmin_account_assignment.operator not known statically" in (
        op["reason"]
    )


def test_a_young_role_or_a_failed_job_keeps_everything(tmp_path: Path) -> None:
    def young(data: Any) -> None:
        data["entities"][0]["create_date"] = "2026-11-01T00:00:00+00:00"

    _code, doc, _ = trim(tree(tmp_path), snapshot(tmp_path, A), snapshot(tmp_path, B, young))
    dev = record(doc, DEV)
    assert dev["status"] == "skipped" and "younger than the window" in dev["reason"]

    def failed(data: Any) -> None:
        data["entities"][0]["details"] = {"JobStatus": "FAILED"}

    _code, doc, _ = trim(tree(tmp_path / "2"), snapshot(tmp_path, A), snapshot(tmp_path, B, failed))
    dev = record(doc, DEV)
    assert dev["status"] == "skipped" and "job failed" in dev["reason"]


def test_not_assigned_anywhere_is_no_evidence(tmp_path: Path) -> None:
    root = tree(tmp_path)
    sso = root / "sso.tf"
    text = sso.read_text()
    sso.write_text(text[: text.index('resource "aws_ssoadmin_account_assignment" "operator"')])
    _code, doc, _ = trim(root, snapshot(tmp_path, A), snapshot(tmp_path, B))
    op = record(doc, "aws_ssoadmin_permission_set_inline_policy.operator")
    assert op["status"] == "skipped"
    assert op["reason"].startswith("not assigned to any account in the Terraform")


def test_the_pr_body_names_the_accounts(tmp_path: Path) -> None:
    _code, body, _ = trim(
        tree(tmp_path), snapshot(tmp_path, A), snapshot(tmp_path, B), fmt="markdown"
    )
    assert (
        "Permission set `Developer`: usage of its `AWSReservedSSO_Developer_*` roles in "
        "accounts 111122223333, 222233334444." in body
    )
    assert "snapshot-222233334444.json, account 222233334444" in body


def test_check_reports_what_trim_would_do(tmp_path: Path) -> None:
    args = ["check", str(tree(tmp_path)), "--no-git", "--select", "LP001"]
    for s in (snapshot(tmp_path, A), snapshot(tmp_path, B)):
        args += ["--snapshot", str(s)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.stderr  # medium is below the default --fail-on
    lines = [line for line in result.stdout.splitlines() if "LP001" in line]
    assert lines[0].endswith(
        "sso.tf:16: LP001 medium Inline policy of permission set 'Developer' grants 134 actions "
        "unused in the 90-day window; lpgen trim would remove ec2:TerminateInstances, logs:* "
        "(133 actions) (no longer granting logs); usage of its AWSReservedSSO_Developer_* roles "
        "in accounts 111122223333, 222233334444 [aws_ssoadmin_permission_set_inline_policy"
        ".developer]"
    )
    assert len(lines) == 2  # the Auditor has no evidence from 333344445555: not reported


def test_the_trim_guide_shows_this_case_as_it_is() -> None:
    guide = (Path(__file__).parent.parent / "docs" / "trim.md").read_text(encoding="utf-8")
    assert (CASE / "report.txt").read_text(encoding="utf-8") in guide


def test_the_readme_command_shows_both_features() -> None:
    root = Path(__file__).parent.parent
    acme = root / "terraform_examples" / "acme"
    result = CliRunner().invoke(
        main,
        ["trim", str(acme), "--snapshot", str(acme / "snapshot.json"),
         "--snapshot", str(acme / "snapshot-staging.json"), "--no-git"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert (
        "  permission set acme-engineer: usage of its AWSReservedSSO_acme-engineer_* roles in "
        "accounts 111122223333, 444455556666\n"
        "  - lambda:DeleteFunction: removed from statement 'Deploy'\n"
    ) in out
    assert "lambda:UpdateFunctionCode: removed from statement 'Deploy'" not in out
    assert (
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess: permission set acme-engineer used 1 of "
        "its services in the 90-day window (s3); 82 of its 95 actions would stay" in out
    )
    # Without the staging snapshot nothing of the permission set goes, and the account is named.
    alone = CliRunner().invoke(
        main, ["trim", str(acme), "--snapshot", str(acme / "snapshot.json"), "--no-git"]
    )
    assert "no snapshot of account 444455556666" in alone.stdout


def test_an_account_from_remote_state_is_no_evidence(tmp_path: Path) -> None:
    # The shape of a public single-account setup: the target account from another root.
    root = tree(tmp_path)
    sso = root / "sso.tf"
    sso.write_text(
        sso.read_text().replace(
            'target_id          = "111122223333"',
            "target_id = data.terraform_remote_state.org.outputs.prod_account_id",
        )
    )
    _code, doc, _ = trim(root, snapshot(tmp_path, A), snapshot(tmp_path, B))
    op = record(doc, "aws_ssoadmin_permission_set_inline_policy.operator")
    assert op["status"] == "skipped"
    assert op["reason"].startswith(
        "no usage data from every assigned account: account of "
        "aws_ssoadmin_account_assignment.operator not known statically"
    )
    assert "((" not in op["reason"]
