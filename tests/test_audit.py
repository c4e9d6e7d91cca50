"""`lpgen audit`: hygiene findings from the credential report, tied to the Terraform."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from lpgen import __version__
from lpgen.audit import (
    AuditOptions,
    attach_terraform,
    audit_report,
    audit_rules,
    evaluation_time,
    terraform_resource,
)
from lpgen.cli import main
from lpgen.credreport import parse_credential_report, read_credential_report
from lpgen.findings import Severity
from lpgen.model import AccessKey, Inventory, Location, LoginProfile, User
from tests.sarif import multitool, multitool_problems, schema_errors

DATA = Path(__file__).parent / "data" / "audit"
DOCS = Path(__file__).resolve().parent.parent / "docs"
UPDATE = bool(os.environ.get("LPGEN_UPDATE_GOLDEN"))
UTC = timezone.utc
MEASURED = (
    "Ages measured at 2026-11-20 09:30:00 UTC (the newest time in the report; "
    "use --now to choose another time).\n"
)

# Every finding report.csv holds, measured at its newest time, default thresholds.
EXPECTED = [
    ("<root_account>", "LP101", "critical"),  # active root key
    ("<root_account>", "LP101", "high"),  # inactive root key
    ("<root_account>", "LP102", "critical"),
    ("<root_account>", "LP103", "medium"),
    ("<root_account>", "LP104", "high"),
    ("alice", "LP110", "high"),
    ("alice", "LP111", "medium"),
    ("alice", "LP123", "low"),
    ("bob,ops", "LP120", "medium"),
    ("bob,ops", "LP121", "medium"),
    ("bob,ops", "LP122", "medium"),
    ("carol", "LP111", "medium"),
    ("carol", "LP112", "low"),
    ("carol", "LP130", "medium"),
    ("dave", "LP120", "medium"),
    ("dave", "LP121", "medium"),
    ("dave", "LP124", "low"),
    ("dave", "LP130", "medium"),
    ("frank", "LP110", "high"),
    ("frank", "LP123", "low"),
    ("george", "LP130", "medium"),
]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def check_golden(name: str, text: str) -> None:
    path = DATA / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.fixture
def in_data(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(DATA)
    return DATA


def findings_of(report_path: Path = DATA / "report.csv", **options: object) -> list[tuple[str, str, str]]:
    report = read_credential_report(report_path)
    opts = AuditOptions(**options)  # type: ignore[arg-type]
    now, _ = evaluation_time(report, opts.now)
    return sorted(
        (f.subject or "", f.code, str(f.severity))
        for f in audit_report(report, now=now, options=opts)
    )


def test_every_hygiene_problem_of_the_report_and_nothing_else() -> None:
    assert findings_of() == sorted(EXPECTED)
    # erin is healthy: MFA, recent password, no keys.
    assert "erin" not in {subject for subject, _, _ in findings_of()}


def test_thresholds_are_options() -> None:
    relaxed = findings_of(max_key_age=1000, max_password_age=400, inactive_days=700,
                          root_password_days=10)
    assert relaxed == sorted([
        ("<root_account>", "LP101", "critical"),
        ("<root_account>", "LP101", "high"),
        ("<root_account>", "LP102", "critical"),
        ("<root_account>", "LP104", "high"),
        ("alice", "LP110", "high"),
        ("alice", "LP123", "low"),
        ("bob,ops", "LP122", "medium"),
        ("dave", "LP124", "low"),
        ("frank", "LP110", "high"),
        ("frank", "LP123", "low"),
    ])


def test_new_credentials_get_a_grace_period_equal_to_the_window() -> None:
    # frank's password and key are 5 days old and unused: not reported as unused yet.
    at_day_91 = datetime(2027, 2, 14, 11, 0, tzinfo=UTC)
    frank = [code for subject, code, _ in findings_of(now=at_day_91) if subject == "frank"]
    assert frank == ["LP110", "LP111", "LP112", "LP120", "LP121", "LP123", "LP130"]
    assert [c for s, c, _ in findings_of() if s == "frank"] == ["LP110", "LP123"]


def test_ages_are_measured_at_the_generation_time_when_known(tmp_path: Path) -> None:
    report = read_credential_report(DATA / "report.csv")
    assert evaluation_time(report, None) == (
        datetime(2026, 11, 20, 9, 30, tzinfo=UTC), "the newest time in the report"
    )
    given = datetime(2027, 1, 1, tzinfo=UTC)
    assert evaluation_time(report, given) == (given, "--now")
    text = (DATA / "report.csv").read_text()
    generated = datetime(2026, 12, 1, tzinfo=UTC)
    later = parse_credential_report(text, generated_at=generated)
    assert evaluation_time(later, None) == (generated, "the report's generation time")


# --- the command -------------------------------------------------------------------------------


def test_cli_text(in_data: Path) -> None:
    code, out, err = run("audit", "--credential-report", "report.csv")
    assert code == 1  # critical and high findings, --fail-on high by default
    assert err == MEASURED
    check_golden("report.txt", out)


def test_cli_json_names_users_and_is_deterministic(in_data: Path) -> None:
    code, out, _err = run("audit", "--credential-report", "report.csv", "--format", "json")
    assert code == 1
    check_golden("report.json", out)
    data = json.loads(out)
    assert sorted((f["subject"], f["code"], f["severity"]) for f in data["findings"]) == sorted(
        EXPECTED
    )
    first = data["findings"][0]
    # Named relative to the repository root, whatever the current directory.
    assert (first["file"], first["line"], first["address"]) == (
        "tests/data/audit/report.csv", 2, None
    )


def test_cli_sarif_lists_every_audit_rule(in_data: Path) -> None:
    _code, out, _ = run("audit", "--credential-report", "report.csv", "--format", "sarif")
    log = json.loads(out)
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["version"] == __version__
    assert [r["id"] for r in driver["rules"]] == [r.code for r in audit_rules()]
    assert len(log["runs"][0]["results"]) == len(EXPECTED)
    assert log["runs"][0]["automationDetails"]["id"] == "lpgen/audit/"


def test_cli_with_terraform_points_at_the_resources(in_data: Path) -> None:
    code, out, err = run("audit", "tree", "--credential-report", "report.csv")
    assert code == 1
    assert err == MEASURED
    check_golden("tree.txt", out)
    lines = out.splitlines()
    # alice's LP110 is suppressed by the comment above her login profile.
    assert not any("LP110" in line and "alice" in line for line in lines)
    assert lines[-1].endswith("; 1 suppressed.")
    assert any(line.startswith("tests/data/audit/tree/svc.tf:11: LP124 low") and
               line.endswith('[aws_iam_access_key.svc_retired]') for line in lines)


def test_cli_with_terraform_json_names_the_resource(in_data: Path) -> None:
    _code, out, _ = run("audit", "tree", "--credential-report", "report.csv", "--format", "json")
    data = json.loads(out)["findings"]
    by_key = {(f["subject"], f["code"]): f for f in data}
    login = by_key[("carol", "LP112")]
    assert (login["address"], login["file"], login["line"]) == (
        "aws_iam_user_login_profile.carol", "tests/data/audit/tree/iam.tf", 27
    )
    assert by_key[("dave", "LP130")]["address"] == 'aws_iam_user.svc["dave"]'
    unmanaged = sorted(s for s, c in by_key if c == "LP140")
    assert unmanaged == ["frank", "george"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--fail-on", "never"], 0),
        (["--fail-on", "CRITICAL"], 1),
        (["--ignore", "LP10", "--fail-on", "critical"], 0),
        (["--ignore", "LP101,root-mfa-disabled", "--fail-on", "critical"], 0),
        (["--ignore", "LP101", "--fail-on", "critical"], 1),
        (["--fail-on", "low", "--ignore", "LP1"], 0),
    ],
)
def test_exit_code_follows_fail_on(in_data: Path, args: list[str], expected: int) -> None:
    code, _, _ = run("audit", "--credential-report", "report.csv", *args)
    assert code == expected


def test_ignore_drops_the_findings(in_data: Path) -> None:
    _, out, _ = run("audit", "--credential-report", "report.csv", "--ignore", "LP1", "--ignore",
                    "LP13")
    assert out == "No findings.\n"


def test_now_option_and_output_file(in_data: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.md"
    code, out, err = run("audit", "--credential-report", "report.csv", "--now",
                         "2026-11-25T00:00:00Z", "--format", "markdown", "-o", str(target),
                         "--fail-on", "never")
    assert (code, out) == (0, "")
    assert err == "Ages measured at 2026-11-25 00:00:00 UTC (--now).\n"
    text = target.read_text()
    assert text.startswith("### lpgen audit: 21 findings\n")
    assert "22 days ago" in text  # root's sign-in, measured at --now


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--credential-report", "missing.csv"],
         "Error: missing.csv: cannot read credential report: No such file or directory\n"),
        (["--credential-report", "report.csv", "--now", "tomorrow"], "not an ISO 8601 time"),
        (["--credential-report", "report.csv", "--ignore", "LPX"],
         "Error: unknown check code or name 'LPX'"),
        (["--credential-report", "report.csv", "--max-key-age", "-1"], "--max-key-age"),
    ],
)
def test_bad_input_exits_2(in_data: Path, args: list[str], error: str) -> None:
    code, out, err = run("audit", *args)
    assert code == 2 and out == ""
    assert error in err


def test_malformed_report_names_file_line_and_column(tmp_path: Path) -> None:
    text = (DATA / "report.csv").read_text().replace(",TRUE,2018-01-01", ",maybe,2018-01-01")
    bad = tmp_path / "bad.csv"
    bad.write_text(text)
    code, out, err = run("audit", "--credential-report", str(bad))
    assert (code, out) == (2, "")
    assert err == f"Error: {bad}:2: column 19 (cert_1_active): expected true or false, got 'maybe'\n"


def test_unjustified_suppression_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "users.tf").write_text(
        'resource "aws_iam_user" "george" { # lpgen:ignore LP130\n  name = "george"\n}\n'
    )
    (tmp_path / "report.csv").write_text((DATA / "report.csv").read_text())
    monkeypatch.chdir(tmp_path)
    _code, out, err = run("audit", ".", "--credential-report", "report.csv", "--fail-on", "never")
    assert "users.tf:1: LP130 medium User 'george' has never signed in" in out
    assert err.startswith("Warning: users.tf:1: lpgen:ignore LP130: needs a code and a reason; "
                          "ignored.\n")


@mock_aws
def test_live_report_from_moto() -> None:
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Passw0rd!Passw0rd!")
    iam.create_access_key(UserName="alice")
    code, out, err = run("audit", "--format", "json", "--fail-on", "high")
    assert code == 1
    found = sorted((f["subject"], f["code"]) for f in json.loads(out)["findings"])
    # moto dates its report 2015, before the user existed: no age-based finding.
    assert found == [("alice", "LP110"), ("alice", "LP123")]
    assert re.fullmatch(
        r"Credential report generated 2015-02-02 20:02:02 UTC \(\d+ days ago\)\.\n"
        r"AWS generates a new report at most every 4 hours\.\n",
        err,
    )


# --- tying findings to Terraform, with hand-built inventories --------------------------------------

REPORT_TEXT = (DATA / "report.csv").read_text()


def loc(line: int) -> Location:
    return Location(file="users.tf", line=line)


def inventory(**kw: object) -> Inventory:
    return Inventory(root="/tree", **kw)  # type: ignore[arg-type]


def test_key_findings_point_at_the_key_only_when_unambiguous() -> None:
    report = parse_credential_report(REPORT_TEXT)
    rows = {r.user: r for r in report.rows}
    dave = rows["dave"]  # key 1 inactive, key 2 active
    inv = inventory(
        users=[User("aws_iam_user.dave", "dave", loc(1))],
        access_keys=[
            AccessKey("dave", "aws_iam_access_key.old", loc(5), status="Inactive"),
            AccessKey("dave", "aws_iam_access_key.new", loc(9)),
        ],
    )
    inactive = terraform_resource(inv, "dave", "access_key", key=dave.keys[0], row=dave)
    active = terraform_resource(inv, "dave", "access_key", key=dave.keys[1], row=dave)
    assert inactive is not None and inactive.address == "aws_iam_access_key.old"
    assert active is not None and (active.address, active.location.line) == (
        "aws_iam_access_key.new", 9
    )

    # One declared key, two active in the account: it could be either.
    bob = rows["bob,ops"]
    inv = inventory(
        users=[User("aws_iam_user.bob", "bob,ops", loc(1))],
        access_keys=[AccessKey("bob,ops", "aws_iam_access_key.bob", loc(5))],
    )
    found = terraform_resource(inv, "bob,ops", "access_key", key=bob.keys[0], row=bob)
    assert found is not None and found.address == "aws_iam_user.bob"
    assert found.note == (
        "the account has 2 active keys, the Terraform declares one; lpgen cannot tell which"
    )


def test_password_findings_point_at_the_login_profile_or_the_user() -> None:
    inv = inventory(
        users=[User("aws_iam_user.a", "Alice", loc(1)), User("aws_iam_user.c", "carol", loc(4))],
        login_profiles=[LoginProfile("alice", "aws_iam_user_login_profile.a", loc(2))],
    )
    # IAM user names are unique ignoring case.
    profile = terraform_resource(inv, "alice", "login_profile")
    assert profile is not None and profile.address == "aws_iam_user_login_profile.a"
    fallback = terraform_resource(inv, "carol", "login_profile")
    assert fallback is not None and fallback.address == "aws_iam_user.c"
    assert fallback.note == "no aws_iam_user_login_profile declares the password"
    assert terraform_resource(inv, "zed", "user") is None


def test_attach_terraform_lists_unmanaged_users_and_account_mismatch() -> None:
    report = parse_credential_report(REPORT_TEXT, source="report.csv")
    inv = inventory(
        account_id="999988887777",
        users=[
            User("aws_iam_user.alice", "alice", loc(1)),
            User("aws_iam_user.dyn", None, loc(20)),  # name not evaluated
        ],
    )
    now, _ = evaluation_time(report, None)
    found, notes = attach_terraform(
        audit_report(report, now=now, options=AuditOptions()), report, inv, base="infra"
    )
    alice = [f for f in found if f.subject == "alice"]
    assert {(f.file, f.address) for f in alice} == {("infra/users.tf", "aws_iam_user.alice")}
    unmanaged = [f for f in found if f.code == "LP140"]
    assert [f.subject for f in unmanaged] == [
        "bob,ops", "carol", "dave", "erin", "frank", "george"
    ]
    assert unmanaged[0].severity is Severity.LOW
    assert unmanaged[0].message == (
        "User 'bob,ops' exists in the account but no aws_iam_user in the Terraform declares it "
        "(1 aws_iam_user resource with a name lpgen could not evaluate may)"
    )
    assert (unmanaged[0].file, unmanaged[0].line) == ("report.csv", 4)
    assert notes == [
        "Warning: the Terraform is for account 999988887777, the credential report for "
        "account 111122223333."
    ]


# --- docs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("rule", audit_rules(), ids=lambda r: r.code)
def test_every_audit_rule_has_its_docs_page(rule: object) -> None:
    from lpgen.findings import Rule

    assert isinstance(rule, Rule)
    page = (DOCS / "checks" / f"{rule.code}.md").read_text(encoding="utf-8")
    assert page.startswith(f"# {rule.code}: {rule.title}\n")
    assert f"**Severity:** {rule.severity}" in page
    assert f"`{rule.name}`" in page
    assert "```hcl" in page or "```" in page


def test_audit_guide_documents_every_option() -> None:
    guide = (DOCS / "audit.md").read_text(encoding="utf-8")
    command = main.commands["audit"]
    for param in command.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--"):
                assert opt in guide, f"{opt} is not documented in docs/audit.md"
    for rule in audit_rules():
        assert rule.code in guide


def test_cli_sarif_anchors_account_findings_at_the_provider_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Code scanning needs a file for every result: root and unmanaged users go to the
    tree's provider block, and the evidence outside the repository is named in the message."""
    tree = tmp_path / "repo" / "infra"
    shutil.copytree(DATA / "tree", tree)
    (tree / "providers.tf").write_text('\nprovider "aws" {\n  region = "eu-west-1"\n}\n')
    subprocess.run(["git", "init", "-q", str(tmp_path / "repo")], check=True)
    shutil.copy(DATA / "report.csv", tmp_path / "report.csv")
    monkeypatch.chdir(tree)
    code, out, _err = run("audit", ".", "--credential-report", str(tmp_path / "report.csv"),
                          "--format", "sarif")  # fmt: skip
    assert code == 1
    run_ = json.loads(out)["runs"][0]
    assert run_["automationDetails"] == {"id": "lpgen/audit/infra/"}
    by_rule = {}
    for r in run_["results"]:
        physical = r["locations"][0]["physicalLocation"]
        by_rule.setdefault(r["ruleId"], []).append(
            (physical["artifactLocation"]["uri"], physical["region"]["startLine"])
        )
    assert set(by_rule["LP101"]) == {("infra/providers.tf", 2)}
    assert set(by_rule["LP140"]) == {("infra/providers.tf", 2)}
    assert ("infra/svc.tf", 11) in by_rule["LP124"]
    root_key = next(r for r in run_["results"] if r["ruleId"] == "LP101")
    assert root_key["message"]["text"].endswith(f"(see {tmp_path / 'report.csv'}:2)")
    assert schema_errors(json.loads(out)) == []
    if multitool() is not None:
        assert multitool_problems(json.loads(out), tmp_path) == []


def test_cli_sarif_without_a_file_to_anchor_at_says_so(in_data: Path, tmp_path: Path) -> None:
    shutil.copy(DATA / "report.csv", tmp_path / "report.csv")
    code, out, err = run("audit", "--credential-report", str(tmp_path / "report.csv"),
                         "--format", "sarif")  # fmt: skip
    assert code == 2 and out == ""
    assert "Error: SARIF needs a file in the repository for every result" in err


def test_cli_select_baseline_and_write_baseline(in_data: Path, tmp_path: Path) -> None:
    code, out, _ = run("audit", "--credential-report", "report.csv", "--select", "LP10",
                       "--quiet")  # fmt: skip
    assert code == 1
    assert {line.split()[1] for line in out.splitlines()} == {"LP101", "LP102", "LP103", "LP104"}
    baseline = tmp_path / "audit-baseline.json"
    code, out, err = run("audit", "--credential-report", "report.csv", "--baseline",
                         str(baseline), "--write-baseline")  # fmt: skip
    assert (code, out) == (0, "")
    assert err.endswith(f"Wrote {len(EXPECTED)} findings to {baseline}.\n")
    code, out, _ = run("audit", "--credential-report", "report.csv", "--baseline", str(baseline))
    assert code == 0
    assert out == f"No findings; {len(EXPECTED)} in the baseline.\n"
    code, _out, err = run("audit", "--credential-report", "report.csv", "--write-baseline")
    assert code == 2 and "--write-baseline needs --baseline FILE" in err


def test_inline_ignore_expires(in_data: Path, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(DATA / "tree", tree)
    iam = tree / "iam.tf"
    text = iam.read_text(encoding="utf-8")
    assert "# lpgen:ignore LP110 break-glass" in text

    def alice_lp110(until: str) -> tuple[bool, str]:
        iam.write_text(text.replace("# lpgen:ignore LP110 ", f"# lpgen:ignore LP110 {until} "))
        _code, out, err = run("audit", str(tree), "--credential-report", "report.csv")
        return any("LP110" in line and "alice" in line for line in out.splitlines()), err

    # Ages are measured at 2026-11-20: a comment valid until then still silences...
    assert alice_lp110("until=2026-11-20") == (False, MEASURED)
    # ...one that expired the day before does not, and says so.
    shown, err = alice_lp110("until=2026-11-19")
    assert shown
    assert "iam.tf:6: lpgen:ignore LP110: expired on 2026-11-19; the finding is reported again." in err
    iam.write_text(text.replace("# lpgen:ignore LP110 ", "# lpgen:ignore LP110 until=2026-13-01 "))
    code, _out, err = run("audit", str(tree), "--credential-report", "report.csv")
    assert code == 2
    assert err.endswith("iam.tf:6: lpgen:ignore: invalid date '2026-13-01' (until=YYYY-MM-DD)\n")
