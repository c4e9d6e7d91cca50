"""The IAM credential report: fetch it from AWS or read it from a file, and parse it."""

from __future__ import annotations

import base64
import binascii
import csv
import enum
import io
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeAlias

from lpgen.errors import AwsError, InputError, cut

ROOT_USER = "<root_account>"

# The columns lpgen reads (IAM User Guide, "Getting credential reports": 22 columns).
# Others (a future column) are ignored; a missing one is an error naming it.
COLUMNS: tuple[str, ...] = (
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
)


class NoValue(enum.Enum):
    """The report's words for "no date here"; they mean different things."""

    NOT_APPLICABLE = "N/A"  # no password / no key / key never used
    NO_INFORMATION = "no_information"  # password never used since tracking began (Oct 2014)
    NOT_SUPPORTED = "not_supported"  # root's password fields; moto writes it where AWS says N/A

    def __str__(self) -> str:
        return self.value


TimeValue: TypeAlias = "datetime | NoValue"


def as_time(value: TimeValue) -> datetime | None:
    return value if isinstance(value, datetime) else None


@dataclass(frozen=True)
class KeySlot:
    """One of the two access key columns groups of a row."""

    number: int  # 1 or 2
    active: bool
    last_rotated: TimeValue
    last_used: TimeValue
    last_used_region: str | None
    last_used_service: str | None

    @property
    def exists(self) -> bool:
        # An inactive key keeps its creation time; an empty slot has N/A.
        return self.active or isinstance(self.last_rotated, datetime)

    @property
    def label(self) -> str:
        return f"access key {self.number}"


@dataclass(frozen=True)
class CertSlot:
    number: int
    active: bool
    last_rotated: TimeValue

    @property
    def exists(self) -> bool:
        return self.active or isinstance(self.last_rotated, datetime)


@dataclass(frozen=True)
class CredentialRow:
    """One user (or the root user) of the report, values parsed."""

    user: str
    arn: str
    line: int  # line of the row in the CSV text (1 is the header)
    created: TimeValue
    password_enabled: bool | None  # None: not_supported (root)
    password_last_used: TimeValue
    password_last_changed: TimeValue
    password_next_rotation: TimeValue
    mfa_active: bool
    keys: tuple[KeySlot, KeySlot]
    certs: tuple[CertSlot, CertSlot]

    @property
    def is_root(self) -> bool:
        return self.user == ROOT_USER

    @property
    def account_id(self) -> str | None:
        parts = self.arn.split(":")
        return parts[4] if len(parts) > 5 and parts[4] else None

    def times(self) -> list[datetime]:
        """Every past time the row records (not password_next_rotation, a future date)."""
        values: list[TimeValue] = [
            self.created,
            self.password_last_used,
            self.password_last_changed,
        ]
        for k in self.keys:
            values += [k.last_rotated, k.last_used]
        for c in self.certs:
            values.append(c.last_rotated)
        return [v for v in values if isinstance(v, datetime)]


@dataclass(frozen=True)
class CredentialReport:
    rows: tuple[CredentialRow, ...]
    # When AWS generated it (GetCredentialReport's GeneratedTime); unknown for a bare CSV.
    generated_at: datetime | None = None
    # The file it was read from, as given; None when fetched from AWS.
    source: str | None = None

    @property
    def root(self) -> CredentialRow | None:
        return next((r for r in self.rows if r.is_root), None)

    @property
    def users(self) -> list[CredentialRow]:
        return [r for r in self.rows if not r.is_root]

    @property
    def account_id(self) -> str | None:
        return next((r.account_id for r in self.rows if r.account_id), None)

    def newest_time(self) -> datetime | None:
        """The latest time recorded in the report (a lower bound of its generation time)."""
        times = [t for r in self.rows for t in r.times()]
        return max(times) if times else None


# --- parsing ----------------------------------------------------------------------------


class _RowError(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def parse_time(text: str) -> datetime:
    """ISO 8601 with offset (``2024-01-02T03:04:05+00:00``, ``...Z``); no offset means UTC."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def _time(row: dict[str, str], column: str) -> TimeValue:
    raw = row[column].strip()
    for marker in NoValue:
        if raw == marker.value or raw.lower() == marker.value.lower():
            return marker
    try:
        return parse_time(raw)
    except ValueError:
        raise _RowError(
            column,
            f"expected an ISO 8601 time, N/A, no_information or not_supported, got {cut(raw)}",
        ) from None


def _bool(row: dict[str, str], column: str, *, allow_none: bool = False) -> bool | None:
    raw = row[column].strip().lower()
    if raw == "true":
        return True
    if raw == "false":
        return False
    if allow_none and raw in ("not_supported", "n/a"):
        return None
    raise _RowError(column, f"expected true or false, got {cut(row[column])}")


def _text(row: dict[str, str], column: str) -> str | None:
    raw = row[column].strip()
    return None if raw in ("", "N/A", "not_supported") else raw


def _row(values: dict[str, str], line: int) -> CredentialRow:
    user = values["user"].strip()
    if not user:
        raise _RowError("user", "empty user name")
    keys = tuple(
        KeySlot(
            number=n,
            active=bool(_bool(values, f"access_key_{n}_active")),
            last_rotated=_time(values, f"access_key_{n}_last_rotated"),
            last_used=_time(values, f"access_key_{n}_last_used_date"),
            last_used_region=_text(values, f"access_key_{n}_last_used_region"),
            last_used_service=_text(values, f"access_key_{n}_last_used_service"),
        )
        for n in (1, 2)
    )
    certs = tuple(
        CertSlot(
            number=n,
            active=bool(_bool(values, f"cert_{n}_active")),
            last_rotated=_time(values, f"cert_{n}_last_rotated"),
        )
        for n in (1, 2)
    )
    return CredentialRow(
        user=user,
        arn=values["arn"].strip(),
        line=line,
        created=_time(values, "user_creation_time"),
        password_enabled=_bool(values, "password_enabled", allow_none=True),
        password_last_used=_time(values, "password_last_used"),
        password_last_changed=_time(values, "password_last_changed"),
        password_next_rotation=_time(values, "password_next_rotation"),
        mfa_active=bool(_bool(values, "mfa_active")),
        keys=(keys[0], keys[1]),
        certs=(certs[0], certs[1]),
    )


def parse_credential_report(
    text: str,
    *,
    source: str | None = None,
    generated_at: datetime | None = None,
) -> CredentialReport:
    """Parse the report's CSV text; errors name the file, line and column at fault."""
    where = source or "credential report"
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise InputError("the credential report is empty", file=where, line=1)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raise InputError(f"malformed CSV header: {exc}", file=where, line=1) from None
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        if "user" not in header or "arn" not in header:
            raise InputError(
                "not a credential report: the header has no 'user' and 'arn' columns",
                file=where,
                line=1,
            )
        raise InputError(
            f"the header lacks column{'s' if len(missing) > 1 else ''} "
            + ", ".join(repr(c) for c in missing),
            file=where,
            line=1,
        )
    rows: list[CredentialRow] = []
    seen: dict[str, int] = {}
    while True:
        line = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError(f"malformed CSV: {exc}", file=where, line=line) from None
        if not fields or all(not f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            if len(fields) < len(header):
                absent = header[len(fields)]
                raise InputError(
                    f"column {len(fields) + 1} ({absent}) is missing: the row has "
                    f"{len(fields)} of {len(header)} fields (truncated?)",
                    file=where,
                    line=line,
                )
            raise InputError(
                f"the row has {len(fields)} fields, the header {len(header)} "
                "(a comma in an unquoted user name?)",
                file=where,
                line=line,
            )
        values = dict(zip(header, fields, strict=True))
        try:
            parsed = _row(values, line)
        except _RowError as exc:
            column = header.index(exc.column) + 1
            # The line of the value itself: a quoted field before it may span lines.
            at = line + sum(f.count("\n") for f in fields[: column - 1])
            raise InputError(
                f"column {column} ({exc.column}): {exc.message}", file=where, line=at
            ) from None
        if parsed.user in seen:
            raise InputError(
                f"user {cut(parsed.user)} appears twice (also on line {seen[parsed.user]})",
                file=where,
                line=line,
            )
        seen[parsed.user] = line
        rows.append(parsed)
    return CredentialReport(rows=tuple(rows), generated_at=generated_at, source=source)


def _generated_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, str) and value:
        return parse_time(value)
    return None


def read_credential_report(path: str | os.PathLike[str]) -> CredentialReport:
    """Read a report file: the CSV itself, or the JSON `aws iam get-credential-report` prints."""
    name = os.fspath(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read credential report: {exc.strerror}", file=name) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", file=name) from None
    if not text.lstrip().startswith("{"):
        return parse_credential_report(text, source=name)
    # `aws iam get-credential-report` prints {"Content": base64, "GeneratedTime": ..., ...}.
    try:
        envelope = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", file=name, line=exc.lineno) from None
    content = envelope.get("Content") if isinstance(envelope, dict) else None
    if not isinstance(content, str):
        raise InputError("JSON without a 'Content' string: not a credential report", file=name)
    try:
        csv_text = base64.b64decode(content, validate=True).decode("utf-8-sig")
    except (binascii.Error, UnicodeDecodeError):
        raise InputError("'Content' is not base64-encoded CSV", file=name) from None
    try:
        generated = _generated_time(envelope.get("GeneratedTime"))
    except ValueError:
        raise InputError("'GeneratedTime' is not an ISO 8601 time", file=name) from None
    return parse_credential_report(csv_text, source=name, generated_at=generated)


# --- fetching from AWS ------------------------------------------------------------------


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def fetch_credential_report(
    iam_client: Any,
    *,
    poll: float = 2.0,
    timeout: float = 300.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> CredentialReport:
    """Generate the credential report (AWS reuses one younger than 4 hours) and read it.

    Calls GenerateCredentialReport until its State is COMPLETE, then GetCredentialReport.
    ReportInProgress and LimitExceeded are waited out; ReportNotPresent and ReportExpired
    start a new generation. Gives up with AwsError after ``timeout`` seconds.
    """
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped,unused-ignore]

    deadline = clock() + timeout

    def wait(why: str) -> None:
        if clock() + poll > deadline:
            raise AwsError(f"the credential report is still not ready after {timeout:g}s ({why})")
        sleep(poll)

    def fail(exc: Exception, action: str) -> AwsError:
        if isinstance(exc, ClientError):
            err = exc.response.get("Error", {})
            return AwsError(f"{action}: {err.get('Code', 'error')}: {err.get('Message', '')}")
        return AwsError(f"{action}: {exc}")

    while True:
        try:
            state = iam_client.generate_credential_report().get("State")
        except ClientError as exc:
            if _error_code(exc) == "LimitExceeded":
                wait("GenerateCredentialReport: LimitExceeded")
                continue
            raise fail(exc, "GenerateCredentialReport") from None
        except BotoCoreError as exc:
            raise fail(exc, "GenerateCredentialReport") from None
        if state != "COMPLETE":
            wait(f"state {state}")
            continue
        try:
            response = iam_client.get_credential_report()
        except ClientError as exc:
            code = _error_code(exc)
            if code in ("ReportInProgress", "ReportNotPresent", "ReportExpired", "LimitExceeded"):
                wait(f"GetCredentialReport: {code}")
                continue
            raise fail(exc, "GetCredentialReport") from None
        except BotoCoreError as exc:
            raise fail(exc, "GetCredentialReport") from None
        break
    content = response.get("Content", b"")
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else str(content)
    return parse_credential_report(
        text,
        source=None,
        generated_at=_generated_time(response.get("GeneratedTime")),
    )


def make_iam_client(*, profile: str | None = None, region: str | None = None) -> Any:
    """An IAM client for the given profile, retrying throttling in standard mode."""
    import boto3  # type: ignore[import-untyped,unused-ignore]
    from botocore.config import Config  # type: ignore[import-untyped,unused-ignore]
    from botocore.exceptions import BotoCoreError  # type: ignore[import-untyped,unused-ignore]

    try:
        session = boto3.Session(profile_name=profile, region_name=region)
        return session.client("iam", config=Config(retries={"mode": "standard", "max_attempts": 8}))
    except BotoCoreError as exc:
        raise AwsError(f"cannot create an IAM client: {exc}") from None
