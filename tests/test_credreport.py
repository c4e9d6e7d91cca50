"""Reading the IAM credential report: every value form, malformed files, the live flow."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from lpgen.credreport import (
    COLUMNS,
    ROOT_USER,
    NoValue,
    fetch_credential_report,
    parse_credential_report,
    read_credential_report,
)
from lpgen.errors import AwsError, InputError

DATA = Path(__file__).parent / "data" / "audit"
REPORT = DATA / "report.csv"
UTC = timezone.utc
HEADER = ",".join(COLUMNS)
# A user with nothing: no password, no key, no certificate.
EMPTY_USER = (
    "x,arn:aws:iam::111122223333:user/x,2025-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,"
    "false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
)


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_reads_every_value_form_of_the_documented_format() -> None:
    report = read_credential_report(REPORT)
    assert report.source == str(REPORT)
    assert report.generated_at is None
    assert report.account_id == "111122223333"
    rows = {r.user: r for r in report.rows}
    assert list(rows) == [
        ROOT_USER, "alice", "bob,ops", "carol", "dave", "erin", "frank", "george"
    ]

    root = rows[ROOT_USER]
    assert root.is_root and root.line == 2
    assert root.password_enabled is None  # not_supported
    assert root.password_last_changed is NoValue.NOT_SUPPORTED
    assert root.password_last_used == t("2026-11-02T08:00:00")
    assert root.keys[0].active and root.keys[0].last_used_service == "s3"
    assert not root.keys[1].active and root.keys[1].exists  # inactive, still there
    assert root.keys[1].last_used is NoValue.NOT_APPLICABLE
    assert root.certs[0].active  # written TRUE
    assert not root.certs[1].exists

    bob = rows["bob,ops"]  # a comma in the name (quoted) and in the ARN
    assert bob.arn == "arn:aws:iam::111122223333:user/bob,ops"
    assert bob.password_enabled is False
    assert bob.password_last_used is NoValue.NOT_APPLICABLE
    assert bob.keys[0].last_used == t("2026-06-01T15:00:00")  # -05:00 offset
    assert bob.keys[1].active  # written True
    assert bob.keys[1].last_used == t("2026-11-18T06:00:00")  # Z suffix
    assert bob.line == 4

    carol = rows["carol"]
    assert carol.password_enabled is True and carol.mfa_active  # TRUE
    assert carol.password_last_used is NoValue.NO_INFORMATION
    assert carol.password_next_rotation is NoValue.NOT_APPLICABLE
    assert rows["dave"].password_enabled is False  # FALSE


def test_newest_time_ignores_the_future_next_rotation_date() -> None:
    report = read_credential_report(REPORT)
    # alice's password_next_rotation (2027-01-01) is later but is not an event.
    assert report.newest_time() == t("2026-11-20T09:30:00")


def test_reads_the_json_the_aws_cli_prints(tmp_path: Path) -> None:
    envelope = {
        "Content": base64.b64encode(REPORT.read_bytes()).decode(),
        "ReportFormat": "text/csv",
        "GeneratedTime": "2026-11-21T00:00:00+00:00",
    }
    path = tmp_path / "report.json"
    path.write_text(json.dumps(envelope, indent=4))
    report = read_credential_report(path)
    assert report.generated_at == t("2026-11-21T00:00:00")
    assert len(report.rows) == 8


def test_byte_order_mark_and_crlf_are_accepted() -> None:
    text = "\ufeff" + HEADER + "\r\n" + EMPTY_USER + "\r\n"
    report = parse_credential_report(text, source="r.csv")
    assert [r.user for r in report.rows] == ["x"]


def test_extra_columns_are_ignored_and_order_does_not_matter() -> None:
    cols = [*reversed(COLUMNS), "future_column"]
    values = dict(zip(COLUMNS, EMPTY_USER.split(","), strict=True))
    row = ",".join(values.get(c, "whatever") for c in cols)
    report = parse_credential_report(",".join(cols) + "\n" + row + "\n")
    assert report.rows[0].user == "x" and report.rows[0].created == t("2025-01-01T00:00:00")


# --- malformed files name the line and column ------------------------------------------------


def replace_field(column: str, value: str) -> str:
    fields = EMPTY_USER.split(",")
    fields[COLUMNS.index(column)] = value
    return ",".join(fields)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"^r\.csv:1: the credential report is empty$"),
        ("name,value\na,b\n", r"^r\.csv:1: not a credential report"),
        (
            HEADER.replace(",mfa_active", "") + "\n",
            r"^r\.csv:1: the header lacks column 'mfa_active'$",
        ),
        (
            HEADER + "\n" + EMPTY_USER + "\n" + EMPTY_USER.replace("x,arn", "y,arn")[:60] + "\n",
            r"^r\.csv:3: column 4 \(password_enabled\) is missing: the row has 3 of 22 fields "
            r"\(truncated\?\)$",
        ),
        (
            HEADER + "\n" + EMPTY_USER.replace("x,arn", "bob,ops,arn") + "\n",
            r"^r\.csv:2: the row has 23 fields, the header 22 \(a comma in an unquoted user "
            r"name\?\)",
        ),
        (
            HEADER + "\n" + replace_field("mfa_active", "yes") + "\n",
            r"^r\.csv:2: column 8 \(mfa_active\): expected true or false, got 'yes'$",
        ),
        (
            HEADER + "\n" + replace_field("access_key_2_last_rotated", "2024-13-01") + "\n",
            r"^r\.csv:2: column 15 \(access_key_2_last_rotated\): expected an ISO 8601 time",
        ),
        (
            HEADER + "\n" + EMPTY_USER + '\n"unterminated,' + EMPTY_USER[2:],
            r"^r\.csv:3: malformed CSV: unexpected end of data$",
        ),
        (
            HEADER + "\n" + EMPTY_USER + "\n" + EMPTY_USER + "\n",
            r"^r\.csv:3: user 'x' appears twice \(also on line 2\)$",
        ),
    ],
    ids=[
        "empty", "not-a-report", "missing-column", "truncated", "unquoted-comma",
        "bad-boolean", "bad-time", "unterminated-quote", "duplicate-user",
    ],
)
def test_malformed_report_errors_name_line_and_column(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_credential_report(text, source="r.csv")


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read credential report"):
        read_credential_report(tmp_path / "missing.csv")
    latin = tmp_path / "latin.csv"
    latin.write_bytes(HEADER.encode() + b"\n\xe9\n")
    with pytest.raises(InputError, match=r"latin\.csv: not UTF-8"):
        read_credential_report(latin)
    envelope = tmp_path / "bad.json"
    envelope.write_text('{"Content": "%%%"}')
    with pytest.raises(InputError, match="'Content' is not base64-encoded CSV"):
        read_credential_report(envelope)


# --- the live flow ----------------------------------------------------------------------------


@mock_aws
def test_fetch_with_moto_generates_then_reads() -> None:
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Passw0rd!Passw0rd!")
    iam.create_user(UserName="svc")
    iam.create_access_key(UserName="svc")
    report = fetch_credential_report(iam, poll=0, sleep=lambda _: None)
    rows = {r.user: r for r in report.rows}
    assert set(rows) == {"alice", "svc"}  # moto writes no root row
    assert report.root is None and report.source is None
    assert report.generated_at == datetime(2015, 2, 2, 20, 2, 2, tzinfo=UTC)  # moto's fixed time
    assert rows["alice"].password_enabled is True
    assert rows["alice"].password_last_used is NoValue.NO_INFORMATION
    # moto writes not_supported where AWS writes N/A.
    assert rows["svc"].password_last_used is NoValue.NOT_SUPPORTED
    assert rows["svc"].keys[0].active and isinstance(rows["svc"].keys[0].last_rotated, datetime)
    assert not rows["svc"].keys[1].exists


def stubbed() -> tuple[Any, Stubber]:
    client = boto3.client("iam", region_name="us-east-1")
    return client, Stubber(client)


CSV = (HEADER + "\n" + EMPTY_USER + "\n").encode()
GENERATED = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def test_fetch_waits_while_the_report_is_in_progress() -> None:
    client, stub = stubbed()
    stub.add_response("generate_credential_report", {"State": "STARTED"})
    stub.add_response("generate_credential_report", {"State": "INPROGRESS"})
    stub.add_response("generate_credential_report", {"State": "COMPLETE"})
    stub.add_client_error("get_credential_report", "ReportInProgress", http_status_code=404)
    stub.add_response("generate_credential_report", {"State": "COMPLETE"})
    stub.add_response(
        "get_credential_report",
        {"Content": CSV, "ReportFormat": "text/csv", "GeneratedTime": GENERATED},
    )
    clock = FakeClock()
    with stub:
        report = fetch_credential_report(client, poll=5, sleep=clock.sleep, clock=clock)
    stub.assert_no_pending_responses()
    assert clock.sleeps == [5, 5, 5]
    assert [r.user for r in report.rows] == ["x"]
    assert report.generated_at == GENERATED


@pytest.mark.parametrize("code", ["ReportNotPresent", "ReportExpired", "LimitExceeded"])
def test_fetch_regenerates_a_missing_or_expired_report(code: str) -> None:
    client, stub = stubbed()
    stub.add_response("generate_credential_report", {"State": "COMPLETE"})
    stub.add_client_error("get_credential_report", code, http_status_code=410)
    stub.add_response("generate_credential_report", {"State": "COMPLETE"})
    stub.add_response("get_credential_report", {"Content": CSV, "GeneratedTime": GENERATED})
    clock = FakeClock()
    with stub:
        report = fetch_credential_report(client, poll=1, sleep=clock.sleep, clock=clock)
    assert len(report.rows) == 1 and clock.sleeps == [1]


def test_fetch_waits_out_limit_exceeded_on_generate() -> None:
    client, stub = stubbed()
    stub.add_client_error("generate_credential_report", "LimitExceeded", http_status_code=409)
    stub.add_response("generate_credential_report", {"State": "COMPLETE"})
    stub.add_response("get_credential_report", {"Content": CSV})
    clock = FakeClock()
    with stub:
        report = fetch_credential_report(client, poll=2, sleep=clock.sleep, clock=clock)
    assert report.generated_at is None and clock.sleeps == [2]


def test_fetch_gives_up_after_the_timeout() -> None:
    client, stub = stubbed()
    for _ in range(4):
        stub.add_response("generate_credential_report", {"State": "INPROGRESS"})
    clock = FakeClock()
    with stub, pytest.raises(AwsError, match=r"still not ready after 10s \(state INPROGRESS\)"):
        fetch_credential_report(client, poll=4, timeout=10, sleep=clock.sleep, clock=clock)
    assert clock.sleeps == [4, 4]


def test_fetch_reports_access_denied() -> None:
    client, stub = stubbed()
    stub.add_client_error(
        "generate_credential_report", "AccessDenied", "not authorized to GenerateCredentialReport"
    )
    with stub, pytest.raises(
        AwsError, match="GenerateCredentialReport: AccessDenied: not authorized"
    ):
        fetch_credential_report(client, sleep=lambda _: None)


def test_parse_time_accepts_naive_times_as_utc() -> None:
    text = HEADER + "\n" + replace_field("user_creation_time", "2025-01-01T00:00:00") + "\n"
    row = parse_credential_report(text).rows[0]
    assert row.created == t("2025-01-01T00:00:00")
    assert row.created - t("2024-12-31T00:00:00") == timedelta(days=1)
