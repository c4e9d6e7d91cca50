"""Snapshot files (``lpgen.snapshot/1``): Access Advisor data, with account and collection time.

A snapshot is the offline input of trim, graph and check. ``collect`` writes one; a
snapshot can also be assembled by hand from ``aws iam get-service-last-accessed-details``
output (``import_details``). Loading validates everything and names exactly what is
wrong; saving is atomic. The format is documented in ``docs/snapshot-format.md``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal, cast

from lpgen.errors import InputError, SnapshotError, cut

FORMAT = "lpgen.snapshot/1"

Kind = Literal["policy", "group", "user", "role"]
Status = Literal["COMPLETED", "IN_PROGRESS", "FAILED", "missing", "error"]
KINDS: tuple[Kind, ...] = ("policy", "group", "user", "role")
STATUSES: tuple[Status, ...] = ("COMPLETED", "IN_PROGRESS", "FAILED", "missing", "error")
JOB_STATUSES = ("IN_PROGRESS", "COMPLETED", "FAILED")
GRANULARITIES = ("ACTION_LEVEL", "SERVICE_LEVEL")

# Keys of AWS responses that hold timestamps (IAM model shapes of type timestamp that
# Access Advisor and Get{Policy,Group,User,Role} return).
TIME_KEYS = frozenset(
    {"JobCreationDate", "JobCompletionDate", "LastAuthenticated", "LastAccessedTime", "CreateDate"}
)
# Paging keys that must not survive once all pages are merged.
_PAGING_KEYS = ("IsTruncated", "Marker", "ResponseMetadata")

_TIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$"
)
# The form format_time gives a UTC time, which is what a loaded snapshot holds: read by
# datetime.fromisoformat (the same datetime as the general path, several times quicker).
# Hours, minutes and seconds are limited here so that no newer Python's wider reading of
# ISO 8601 (such as 24:00) can accept what the general path refuses.
_UTC_TIME_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{6})?\+00:00"
)
_ARN_RE = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):iam::(?P<account>\d{12}):"
    r"(?P<kind>policy|group|user|role)(?P<path>/(?:[^/]+/)*)(?P<name>[^/]+)$"
)
_ACCOUNT_RE = re.compile(r"^\d{12}$")


# --- times -------------------------------------------------------------------------------


class TimeFormatError(ValueError):
    """A timestamp that is not ISO 8601 with a UTC offset."""


def parse_time(value: object) -> datetime:
    """Parse an ISO 8601 timestamp with offset (``...+00:00`` or ``...Z``), or take a datetime.

    Naive values are refused: a window computed from a guessed time zone could be hours off.
    """
    if isinstance(value, str) and _UTC_TIME_RE.fullmatch(value):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass  # such as February 30th: the general path says why
    return _parse_time(value)


def _parse_time(value: object) -> datetime:
    """:func:`parse_time` for every form it takes (the fast path aside)."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise TimeFormatError(f"{cut(value.isoformat())} has no UTC offset")
        return value
    if not isinstance(value, str):
        raise TimeFormatError(f"expected an ISO 8601 timestamp string, got {_describe(value)}")
    match = _TIME_RE.match(value.strip())
    if match is None:
        raise TimeFormatError(f"{cut(value)} is not an ISO 8601 timestamp")
    year, month, day, hour, minute, second, frac, zulu, sign, off_h, off_m = match.groups()
    if not zulu and not sign:
        raise TimeFormatError(f"{cut(value)} has no UTC offset (write it as ...+00:00 or ...Z)")
    if zulu:
        tz = timezone.utc
    else:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        tz = timezone(-offset if sign == "-" else offset)
    micro = int((frac or "0")[:6].ljust(6, "0"))
    try:
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz
        )
    except ValueError as exc:
        raise TimeFormatError(f"{cut(value)} is not a valid time: {exc}") from None


def format_time(value: datetime) -> str:
    """ISO 8601 with offset, as the AWS CLI prints it (``2026-11-20T00:00:00+00:00``)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise TimeFormatError(f"{cut(value.isoformat())} has no UTC offset")
    if value.utcoffset() == timedelta(0):
        value = value.astimezone(timezone.utc)
    return value.isoformat()


def normalise_time(value: object) -> str:
    """A datetime or an ISO string (``Z`` or offset) as one canonical ISO string with offset."""
    if (
        isinstance(value, str)
        and _UTC_TIME_RE.fullmatch(value)
        and not value.endswith(".000000+00:00")  # written without the fraction
    ):
        try:
            datetime.fromisoformat(value)  # a real date and time: already canonical
        except ValueError:
            pass
        else:
            return value
    return format_time(_parse_time(value))


def normalise_response(value: Any) -> Any:
    """A boto3/AWS CLI response made JSON-ready: times as ISO strings, paging keys dropped.

    boto3 returns datetime objects for a real endpoint, ``Stubber`` returns whatever it was
    given, the AWS CLI prints strings with ``+00:00``; all become the same string.
    """
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in _PAGING_KEYS:
                continue
            if key in TIME_KEYS and item is not None:
                out[key] = normalise_time(item)
            else:
                out[key] = normalise_response(item)
        return out
    if isinstance(value, (list, tuple)):
        return [normalise_response(item) for item in value]
    return value


# --- ARNs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IamArn:
    """The parts of an IAM user, group, role or managed-policy ARN."""

    partition: str
    account_id: str
    kind: Kind
    path: str
    name: str


def parse_arn(arn: str) -> IamArn | None:
    """Split an IAM ARN into partition, account, kind, path and name (None if it is not one)."""
    match = _ARN_RE.match(arn)
    if match is None:
        return None
    return IamArn(
        partition=match["partition"],
        account_id=match["account"],
        kind=cast(Kind, match["kind"]),
        path=match["path"],
        name=match["name"],
    )


# --- model -------------------------------------------------------------------------------


@dataclass
class SnapshotEntity:
    """One IAM entity's Access Advisor report.

    ``details`` is the GetServiceLastAccessedDetails response with all pages merged (AWS's
    own keys, times as ISO strings). ``status`` is None in a hand-assembled snapshot: the
    job status then comes from ``details["JobStatus"]``.
    """

    arn: str
    details: dict[str, Any] = field(default_factory=dict)
    create_date: str | None = None
    entities_by_service: dict[str, list[dict[str, Any]]] | None = None
    status: Status | None = None
    error: str | None = None
    attached: bool | None = None
    granularity: str | None = None
    addresses: list[str] = field(default_factory=list)
    # The IAM Identity Center permission set an AWSReservedSSO_* role was provisioned for.
    permission_set: str | None = None
    # Keys this version does not know, kept so a load/save round trip loses nothing.
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def parts(self) -> IamArn:
        parsed = parse_arn(self.arn)
        if parsed is None:  # pragma: no cover - validated on load and on construction paths
            raise SnapshotError(f"not an IAM user, group, role or policy ARN: {cut(self.arn)}")
        return parsed

    @property
    def kind(self) -> Kind:
        return self.parts.kind

    @property
    def effective_status(self) -> Status:
        """The recorded status, or the job's own status when none was recorded."""
        if self.status is not None:
            return self.status
        job = self.details.get("JobStatus")
        if job in JOB_STATUSES:
            return cast(Status, job)
        return "error"

    @property
    def effective_granularity(self) -> str | None:
        return self.granularity or self.details.get("JobType")


@dataclass
class Snapshot:
    """Access Advisor data for one account at one time."""

    account_id: str
    collected_at: datetime
    partition: str = "aws"
    entities: list[SnapshotEntity] = field(default_factory=list)
    generator: str | None = None
    # The file it was loaded from (its name labels evidence); not saved.
    label: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # The default version of each AWS-managed policy the tree attaches, by ARN:
    # {"version_id": "v5", "document": {...}} (or {"error": "..."} when it could not be read).
    aws_managed_policies: dict[str, dict[str, Any]] = field(default_factory=dict)

    def entity(self, arn: str) -> SnapshotEntity | None:
        return next((e for e in self.entities if e.arn == arn), None)


# --- loading and validation --------------------------------------------------------------


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({cut(value)})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class _Validator:
    """Validates parsed snapshot JSON, naming the JSON path (and line) of the first problem."""

    def __init__(self, file: str | None, text: str | None) -> None:
        self.file = file
        self.text = text
        # Normalised timestamps by their text: a snapshot repeats the same times many times.
        self._times: dict[str, str] = {}

    def fail(
        self, where: str, message: str, *, near: str | None = None, value: object = None
    ) -> SnapshotError:
        """An error naming the JSON path and the line of the value at that path (else that
        of the entity's ARN, ``near``, or of the offending string value after it)."""
        line = None
        if self.text is not None and where:
            line = line_of_path(self.text, where)
        if line is None and self.text is not None and near is not None:
            index = self.text.find(json.dumps(near))
            if index >= 0 and isinstance(value, str):
                found = self.text.find(json.dumps(value), index)
                index = found if found >= 0 else index
            if index >= 0:
                line = self.text.count("\n", 0, index) + 1
        prefix = f"{where}: " if where else ""
        return SnapshotError(f"{prefix}{message}", file=self.file, line=line)

    def time(self, value: object, where: str, *, near: str | None = None) -> str:
        if isinstance(value, str):
            known = self._times.get(value)
            if known is not None:
                return known
        try:
            normal = normalise_time(value)
        except TimeFormatError as exc:
            raise self.fail(where, f"bad timestamp: {exc}", near=near, value=value) from None
        if isinstance(value, str):
            self._times[value] = normal
        return normal

    def snapshot(self, data: object) -> Snapshot:
        if not isinstance(data, dict):
            raise self.fail("", f"a snapshot is a JSON object, got {_describe(data)}")
        fmt = data.get("format")
        if fmt is None:
            raise self.fail("", f"missing key 'format' (expected \"{FORMAT}\")")
        if fmt != FORMAT:
            raise self.fail(
                "format", f'unsupported format {cut(fmt)}: this lpgen reads "{FORMAT}"', near=fmt
            )
        for key in ("account_id", "collected_at", "entities"):
            if key not in data:
                raise self.fail("", f"missing key '{key}'")
        account = data["account_id"]
        if not isinstance(account, str) or not _ACCOUNT_RE.match(account):
            raise self.fail("account_id", f"expected a 12-digit string, got {_describe(account)}")
        partition = data.get("partition", "aws")
        if not isinstance(partition, str) or not re.match(r"^aws[a-z-]*$", partition):
            raise self.fail("partition", f"expected aws, aws-cn, ..., got {_describe(partition)}")
        raw_time = data["collected_at"]
        near = raw_time if isinstance(raw_time, str) else None
        collected_at = parse_time(self.time(raw_time, "collected_at", near=near))
        generator = data.get("generator")
        if generator is not None and not isinstance(generator, str):
            raise self.fail("generator", f"expected a string, got {_describe(generator)}")
        raw_entities = data["entities"]
        if not isinstance(raw_entities, list):
            raise self.fail("entities", f"expected a list, got {_describe(raw_entities)}")
        entities: list[SnapshotEntity] = []
        seen: dict[str, int] = {}
        for index, raw in enumerate(raw_entities):
            entity = self.entity(raw, f"entities[{index}]", account, partition)
            if entity.arn in seen:
                raise self.fail(
                    f"entities[{index}].arn",
                    f"duplicate entity {entity.arn} (also entities[{seen[entity.arn]}])",
                    near=entity.arn,
                )
            seen[entity.arn] = index
            entities.append(entity)
        known = {
            "format", "account_id", "partition", "collected_at", "entities", "generator",
            "aws_managed_policies",
        }  # fmt: skip
        managed = self.aws_managed(data.get("aws_managed_policies", {}))
        return Snapshot(
            aws_managed_policies=managed,
            account_id=account,
            collected_at=collected_at,
            partition=partition,
            entities=entities,
            generator=generator,
            extra={k: v for k, v in data.items() if k not in known},
        )

    def aws_managed(self, raw: object) -> dict[str, dict[str, Any]]:
        where = "aws_managed_policies"
        if not isinstance(raw, dict):
            raise self.fail(where, f"expected an object by policy ARN, got {_describe(raw)}")
        out: dict[str, dict[str, Any]] = {}
        for arn, record in raw.items():
            if not re.match(r"^arn:aws[a-z-]*:iam::aws:policy/", arn):
                raise self.fail(where, f"not an AWS-managed policy ARN: {cut(arn)}", near=arn)
            ok = isinstance(record, dict) and (
                isinstance(record.get("error"), str)
                or (
                    isinstance(record.get("document"), dict)
                    and "Statement" in record["document"]
                )
            )
            if not ok:
                raise self.fail(
                    f"{where}.{arn}",
                    "expected {\"version_id\": ..., \"document\": {\"Statement\": ...}} "
                    "or {\"error\": ...}",
                    near=arn,
                )
            out[arn] = dict(record)
        return out

    def entity(self, raw: object, where: str, account: str, partition: str) -> SnapshotEntity:
        if not isinstance(raw, dict):
            raise self.fail(where, f"an entity is a JSON object, got {_describe(raw)}")
        arn = raw.get("arn")
        if arn is None:
            raise self.fail(where, "missing key 'arn'")
        if not isinstance(arn, str):
            raise self.fail(f"{where}.arn", f"expected a string, got {_describe(arn)}")
        parts = parse_arn(arn)
        if parts is None:
            raise self.fail(
                f"{where}.arn", f"not an IAM user, group, role or policy ARN: {cut(arn)}", near=arn
            )
        if parts.account_id != account:
            raise self.fail(
                f"{where}.arn",
                f"account {parts.account_id} does not match the snapshot's account_id {account}",
                near=arn,
            )
        if parts.partition != partition:
            raise self.fail(
                f"{where}.arn",
                f"partition {parts.partition} does not match the snapshot's partition {partition}",
                near=arn,
            )
        kind = raw.get("kind")
        if kind is not None and kind != parts.kind:
            raise self.fail(
                f"{where}.kind", f"{cut(kind)} does not match the ARN ({parts.kind})", near=arn
            )
        status = raw.get("status")
        if status is not None and status not in STATUSES:
            raise self.fail(
                f"{where}.status",
                f"unknown status {_describe(status)} (expected one of {', '.join(STATUSES)})",
                near=arn,
            )
        error = raw.get("error")
        if error is not None and not isinstance(error, str):
            raise self.fail(
                f"{where}.error", f"expected a string, got {_describe(error)}", near=arn
            )
        attached = raw.get("attached")
        if attached is not None and not isinstance(attached, bool):
            raise self.fail(
                f"{where}.attached", f"expected true or false, got {_describe(attached)}", near=arn
            )
        granularity = raw.get("granularity")
        if granularity is not None and granularity not in GRANULARITIES:
            raise self.fail(
                f"{where}.granularity",
                f"expected ACTION_LEVEL or SERVICE_LEVEL, got {_describe(granularity)}",
                near=arn,
            )
        addresses = raw.get("addresses", [])
        if not isinstance(addresses, list) or not all(isinstance(a, str) for a in addresses):
            raise self.fail(f"{where}.addresses", "expected a list of strings", near=arn)
        create_date = raw.get("create_date")
        if create_date is not None:
            create_date = self.time(create_date, f"{where}.create_date", near=arn)
        permission_set = raw.get("permission_set")
        if permission_set is not None and (
            not isinstance(permission_set, str) or parts.kind != "role"
        ):
            raise self.fail(
                f"{where}.permission_set",
                f"expected the name of a permission set (a string, on a role), "
                f"got {_describe(permission_set)}",
                near=arn,
            )
        if "details" not in raw:
            raise self.fail(where, "missing key 'details'", near=arn)
        details = self.details(raw["details"], f"{where}.details", arn, status)
        by_service = raw.get("entities_by_service")
        if by_service is not None:
            by_service = self.by_service(by_service, f"{where}.entities_by_service", arn)
        known = {
            "arn", "kind", "status", "error", "attached", "granularity", "addresses",
            "create_date", "details", "entities_by_service", "permission_set",
        }  # fmt: skip
        return SnapshotEntity(
            arn=arn,
            details=details,
            create_date=create_date,
            entities_by_service=by_service,
            status=status,
            error=error,
            attached=attached,
            granularity=granularity,
            addresses=list(addresses),
            permission_set=permission_set,
            extra={k: v for k, v in raw.items() if k not in known},
        )

    def details(self, raw: object, where: str, arn: str, status: object) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise self.fail(where, f"expected an object, got {_describe(raw)}", near=arn)
        if not raw and status in ("missing", "error"):
            return {}
        job = raw.get("JobStatus")
        if job is None:
            raise self.fail(where, "missing key 'JobStatus'", near=arn)
        if job not in JOB_STATUSES:
            raise self.fail(
                f"{where}.JobStatus",
                f"unknown job status {_describe(job)} (expected {', '.join(JOB_STATUSES)})",
                near=arn,
            )
        job_type = raw.get("JobType")
        if job_type is not None and job_type not in GRANULARITIES:
            raise self.fail(
                f"{where}.JobType",
                f"expected ACTION_LEVEL or SERVICE_LEVEL, got {_describe(job_type)}",
                near=arn,
            )
        if raw.get("IsTruncated") is True:
            raise self.fail(
                f"{where}.IsTruncated",
                "only one page of services is here; fetch every page (--marker) and merge them "
                "(lpgen snapshot import accepts several pages)",
                near=arn,
            )
        out: dict[str, Any] = {}
        for key, value in raw.items():
            if key in _PAGING_KEYS:
                continue
            if key in ("JobCreationDate", "JobCompletionDate") and value is not None:
                out[key] = self.time(value, f"{where}.{key}", near=arn)
            elif key == "ServicesLastAccessed":
                out[key] = self.services(value, f"{where}.{key}", arn)
            else:
                out[key] = value
        if job == "COMPLETED" and "ServicesLastAccessed" not in out:
            raise self.fail(where, "missing key 'ServicesLastAccessed'", near=arn)
        return out

    def services(self, raw: object, where: str, arn: str) -> list[dict[str, Any]]:
        if not isinstance(raw, list):
            raise self.fail(where, f"expected a list, got {_describe(raw)}", near=arn)
        out: list[dict[str, Any]] = []
        for index, item in enumerate(raw):
            here = f"{where}[{index}]"
            if not isinstance(item, dict):
                raise self.fail(here, f"expected an object, got {_describe(item)}", near=arn)
            namespace = item.get("ServiceNamespace")
            if not isinstance(namespace, str) or not namespace:
                raise self.fail(here, "missing key 'ServiceNamespace'", near=arn)
            service: dict[str, Any] = {}
            for key, value in item.items():
                if key == "LastAuthenticated" and value is not None:
                    service[key] = self.time(value, f"{here}.{key}", near=arn)
                elif key == "TrackedActionsLastAccessed" and value is not None:
                    service[key] = self.actions(value, f"{here}.{key}", arn)
                else:
                    service[key] = value
            out.append(service)
        return out

    def actions(self, raw: object, where: str, arn: str) -> list[dict[str, Any]]:
        if not isinstance(raw, list):
            raise self.fail(where, f"expected a list or null, got {_describe(raw)}", near=arn)
        out: list[dict[str, Any]] = []
        for index, item in enumerate(raw):
            here = f"{where}[{index}]"
            if not isinstance(item, dict):
                raise self.fail(here, f"expected an object, got {_describe(item)}", near=arn)
            if not isinstance(item.get("ActionName"), str):
                raise self.fail(here, "missing key 'ActionName'", near=arn)
            action = dict(item)
            if item.get("LastAccessedTime") is not None:
                action["LastAccessedTime"] = self.time(
                    item["LastAccessedTime"], f"{here}.LastAccessedTime", near=arn
                )
            out.append(action)
        return out

    def by_service(self, raw: object, where: str, arn: str) -> dict[str, list[dict[str, Any]]]:
        if not isinstance(raw, dict):
            raise self.fail(where, f"expected an object, got {_describe(raw)}", near=arn)
        out: dict[str, list[dict[str, Any]]] = {}
        for namespace, items in raw.items():
            here = f"{where}.{namespace}"
            if not isinstance(items, list):
                raise self.fail(here, f"expected a list, got {_describe(items)}", near=arn)
            rows: list[dict[str, Any]] = []
            for index, item in enumerate(items):
                at = f"{here}[{index}]"
                if not isinstance(item, dict):
                    raise self.fail(at, f"expected an object, got {_describe(item)}", near=arn)
                info = item.get("EntityInfo")
                if not isinstance(info, dict) or not isinstance(info.get("Arn"), str):
                    raise self.fail(at, "missing key 'EntityInfo.Arn'", near=arn)
                row = dict(item)
                if item.get("LastAuthenticated") is not None:
                    row["LastAuthenticated"] = self.time(
                        item["LastAuthenticated"], f"{at}.LastAuthenticated", near=arn
                    )
                rows.append(row)
            out[namespace] = rows
        return out


# --- locating a JSON path in the text (for errors) ---------------------------------------

_MAX_DEPTH = 100
_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<punct>[{}\[\],:])|(?P<lit>[^\s{}\[\],:"]+))', re.DOTALL
)
_PATH_PART = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


def _path_parts(where: str) -> list[str | int] | None:
    parts: list[str | int] = []
    pos = 0
    while pos < len(where):
        m = _PATH_PART.match(where, pos)
        if m is None or m.end() == pos:
            return None
        parts.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    return parts


def _walk(text: str, target: list[str | int] | None) -> tuple[int | None, int | None]:
    """Scan JSON text without recursion: (offset of the value at ``target``, offset where
    nesting first exceeds ``_MAX_DEPTH``)."""
    # Each frame: [kind, current key or index, expecting a key?]
    stack: list[list[Any]] = []
    pos = 0
    too_deep: int | None = None
    while True:
        m = _TOKEN.match(text, pos)
        if m is None:
            return None, too_deep
        start = m.start(m.lastgroup or 0)
        pos = m.end()
        token = m.group(m.lastgroup or 0)
        if m.lastgroup == "punct" and token in "]}":
            if stack:
                stack.pop()
            if not stack:
                return None, too_deep
            continue
        if m.lastgroup == "punct" and token == ",":
            frame = stack[-1] if stack else None
            if frame is not None:
                if frame[0] == "list":
                    frame[1] += 1
                else:
                    frame[2] = True
            continue
        if m.lastgroup == "punct" and token == ":":
            continue
        frame = stack[-1] if stack else None
        if frame is not None and frame[0] == "dict" and frame[2]:
            frame[1] = json.loads(token) if m.lastgroup == "str" else token
            frame[2] = False
            continue
        # A value starts here.
        if target is not None and [f[1] for f in stack] == target:
            return start, too_deep
        if m.lastgroup == "punct" and token in "[{":
            stack.append(["list", 0, False] if token == "[" else ["dict", None, True])
            if len(stack) > _MAX_DEPTH and too_deep is None:
                too_deep = start
                if target is None:
                    return None, too_deep
        elif not stack:
            return None, too_deep


def line_of_path(text: str, where: str) -> int | None:
    """The line of the value at a JSON path such as ``entities[2].details.JobStatus``."""
    parts = _path_parts(where)
    if parts is None:
        return None
    try:
        offset, _ = _walk(text, parts)
    except (ValueError, IndexError):
        return None
    return None if offset is None else text.count("\n", 0, offset) + 1


def _too_deep(text: str) -> int | None:
    try:
        _, offset = _walk(text, None)
    except (ValueError, IndexError):
        return None
    return None if offset is None else text.count("\n", 0, offset) + 1


def snapshot_from_dict(data: object, *, file: str | None = None) -> Snapshot:
    """Validate parsed snapshot JSON and build a Snapshot (times normalised)."""
    return _Validator(file, None).snapshot(data)


def load_snapshot(path: str | Path) -> Snapshot:
    """Read and validate a snapshot file; errors name the file, the JSON path and the line."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SnapshotError("snapshot file not found", file=name) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"cannot read snapshot: {exc}", file=name) from None
    return loads_snapshot(text, file=name)


def loads_snapshot(text: str, *, file: str | None = None) -> Snapshot:
    """Validate snapshot JSON text (``file`` names it in errors and becomes the label)."""
    from lpgen.gcpause import collector_paused

    with collector_paused():
        return _loads_snapshot(text, file)


def _loads_snapshot(text: str, file: str | None) -> Snapshot:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"invalid JSON: {exc.msg}", file=file, line=exc.lineno) from None
    except RecursionError:
        line = _too_deep(text)
        raise SnapshotError(
            f"invalid snapshot: nested too deeply (more than {_MAX_DEPTH} levels from here)",
            file=file,
            line=line,
        ) from None
    validator = _Validator(file, text)
    snapshot = validator.snapshot(data)
    snapshot.label = Path(file).name if file else ""
    check_not_future(snapshot, file=file, line=line_of_path(text, "collected_at"))
    return snapshot


# --- time sanity -------------------------------------------------------------------------

CLOCK_SKEW = timedelta(days=1)
DEFAULT_MAX_AGE_DAYS = 7


def _now() -> datetime:
    return datetime.now(timezone.utc)


def check_not_future(
    snapshot: Snapshot,
    *,
    file: str | None = None,
    line: int | None = None,
    now: datetime | None = None,
) -> None:
    """A snapshot collected later than now (beyond a day of clock skew) cannot be right.

    Trim measures its window back from ``collected_at``: a time a year ahead would put the
    window in the future and remove actions used inside the real one.
    """
    current = now or _now()
    if snapshot.collected_at > current + CLOCK_SKEW:
        raise SnapshotError(
            f"collected_at {format_time(snapshot.collected_at)} is in the future (now is "
            f"{format_time(current.replace(microsecond=0))}): a snapshot cannot be collected "
            "later than now; check the clock of the machine that wrote it",
            file=file,
            line=line,
        )


def age_warning(
    snapshot: Snapshot | Any, *, max_age_days: int, now: datetime | None = None
) -> str | None:
    """A warning when the snapshot is older than ``max_age_days`` (0: never), else None."""
    if max_age_days <= 0:
        return None
    age = (now or _now()) - snapshot.collected_at
    if age <= timedelta(days=max_age_days):
        return None
    return (
        f"{snapshot.label or 'snapshot'}: collected {age.days} days ago "
        f"({format_time(snapshot.collected_at)}), more than {max_age_days}: trim removes on "
        "stale evidence (what was used since is not seen); collect a fresh snapshot"
    )


# --- saving ------------------------------------------------------------------------------


def entity_to_dict(entity: SnapshotEntity) -> dict[str, Any]:
    """The JSON record of one entity (optional keys only when set)."""
    out: dict[str, Any] = {"arn": entity.arn, "kind": entity.kind}
    if entity.status is not None:
        out["status"] = entity.status
    if entity.error is not None:
        out["error"] = entity.error
    if entity.addresses:
        out["addresses"] = list(entity.addresses)
    if entity.create_date is not None:
        out["create_date"] = normalise_time(entity.create_date)
    if entity.attached is not None:
        out["attached"] = entity.attached
    if entity.granularity is not None:
        out["granularity"] = entity.granularity
    if entity.permission_set is not None:
        out["permission_set"] = entity.permission_set
    out["details"] = normalise_response(entity.details)
    if entity.entities_by_service is not None:
        out["entities_by_service"] = normalise_response(entity.entities_by_service)
    out.update(entity.extra)
    return out


def snapshot_to_dict(snapshot: Snapshot) -> dict[str, Any]:
    """The JSON document of a snapshot."""
    out: dict[str, Any] = {
        "format": FORMAT,
        "account_id": snapshot.account_id,
        "partition": snapshot.partition,
        "collected_at": format_time(snapshot.collected_at),
    }
    if snapshot.generator:
        out["generator"] = snapshot.generator
    out.update(snapshot.extra)
    if snapshot.aws_managed_policies:
        out["aws_managed_policies"] = {
            k: snapshot.aws_managed_policies[k] for k in sorted(snapshot.aws_managed_policies)
        }
    out["entities"] = [entity_to_dict(e) for e in snapshot.entities]
    return out


def dumps_snapshot(snapshot: Snapshot) -> str:
    return json.dumps(snapshot_to_dict(snapshot), indent=2, ensure_ascii=False) + "\n"


def save_snapshot(snapshot: Snapshot, path: str | Path) -> None:
    """Write a snapshot atomically: a temporary file in the same directory, then rename."""
    from lpgen.fsutil import write_atomic

    try:
        write_atomic(Path(path), dumps_snapshot(snapshot), what="snapshot")
    except InputError as exc:
        raise SnapshotError(exc.message, file=exc.file) from None


# --- merging and importing ---------------------------------------------------------------


def merge_snapshots(base: Snapshot, other: Snapshot) -> Snapshot:
    """Combine two snapshots of one account: ``other``'s entities replace ``base``'s by ARN.

    The result's ``collected_at`` is the earlier of the two, so trim's window (measured back
    from it) covers every usage either snapshot saw: merging never makes more look unused.
    """
    if base.account_id != other.account_id or base.partition != other.partition:
        raise SnapshotError(
            f"cannot merge snapshots of different accounts ({base.partition}:{base.account_id} "
            f"and {other.partition}:{other.account_id}); pass them as separate --snapshot files",
            file=other.label or None,
        )
    replaced = {e.arn: e for e in other.entities}
    entities = [replaced.pop(e.arn, e) for e in base.entities]
    entities.extend(e for e in other.entities if e.arn in replaced)
    return Snapshot(
        account_id=base.account_id,
        collected_at=min(base.collected_at, other.collected_at),
        partition=base.partition,
        entities=entities,
        generator=base.generator or other.generator,
        label=base.label,
        extra={**other.extra, **base.extra},
        aws_managed_policies={**base.aws_managed_policies, **other.aws_managed_policies},
    )


def details_from_pages(pages: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Merge ``get-service-last-accessed-details`` outputs (name, JSON text), page by page."""
    merged: dict[str, Any] | None = None
    last_name = ""
    truncated = False
    for name, text in pages:
        last_name = name
        try:
            page = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SnapshotError(f"invalid JSON: {exc.msg}", file=name, line=exc.lineno) from None
        if not isinstance(page, dict) or "JobStatus" not in page:
            raise SnapshotError(
                "not get-service-last-accessed-details output (no JobStatus)", file=name
            )
        truncated = page.get("IsTruncated") is True
        if merged is None:
            merged = dict(page)
            merged["ServicesLastAccessed"] = list(page.get("ServicesLastAccessed") or [])
        else:
            if page.get("JobStatus") != merged.get("JobStatus"):
                raise SnapshotError(
                    f"JobStatus {cut(page.get('JobStatus'))} differs from the first page's "
                    f"{cut(merged.get('JobStatus'))}: pages of different jobs?",
                    file=name,
                )
            merged["ServicesLastAccessed"].extend(page.get("ServicesLastAccessed") or [])
    if merged is None:
        raise SnapshotError("no details file given")
    if truncated:
        raise SnapshotError(
            "IsTruncated is true: this is not the last page; fetch the next one with "
            "--marker and pass every page, in order",
            file=last_name,
        )
    for key in _PAGING_KEYS:
        merged.pop(key, None)
    return merged


@dataclass(frozen=True)
class ImportResult:
    snapshot: Snapshot
    path: str
    arn: str
    created: bool
    replaced: bool


def import_details(
    snapshot_path: str | Path,
    arn: str,
    pages: list[tuple[str, str]],
    *,
    create_date: str | None = None,
    collected_at: str | None = None,
) -> ImportResult:
    """Add AWS CLI ``get-service-last-accessed-details`` output for ``arn`` to a snapshot file.

    The file is created when it does not exist (account and partition from the ARN;
    ``collected_at`` defaults to the job's completion time). An entity already there is
    replaced. The snapshot's ``collected_at`` becomes the earlier of the two times.
    """
    parts = parse_arn(arn)
    if parts is None:
        raise SnapshotError(f"--arn: not an IAM user, group, role or policy ARN: {cut(arn)}")
    details_name = pages[0][0] if pages else ""
    details = details_from_pages(pages)
    if create_date is not None:
        create_date = _checked_time(create_date, "--create-date")
    record = {"arn": arn, "details": details}
    if create_date is not None:
        record["create_date"] = create_date
    when_text = collected_at or details.get("JobCompletionDate")
    if when_text is None:
        raise SnapshotError(
            "the details have no JobCompletionDate; give --collected-at", file=details_name
        )
    when = parse_time(_checked_time(when_text, "collected_at"))
    fresh = _Validator(details_name, None).snapshot(
        {
            "format": FORMAT,
            "account_id": parts.account_id,
            "partition": parts.partition,
            "collected_at": format_time(when),
            "entities": [record],
        }
    )
    target = Path(snapshot_path)
    if target.exists():
        base = load_snapshot(target)
        replaced = base.entity(arn) is not None
        merged = merge_snapshots(base, fresh)
        created = False
    else:
        merged, replaced, created = fresh, False, True
    merged.label = target.name
    save_snapshot(merged, target)
    return ImportResult(merged, str(snapshot_path), arn, created, replaced)


def _checked_time(value: str, what: str) -> str:
    try:
        return normalise_time(value)
    except TimeFormatError as exc:
        raise SnapshotError(f"{what}: bad timestamp: {exc}") from None


# --- summary -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    arn: str
    status: Status
    message: str


@dataclass(frozen=True)
class SnapshotSummary:
    """What ``lpgen snapshot show`` prints."""

    label: str
    account_id: str
    partition: str
    collected_at: datetime
    generator: str | None
    by_kind: dict[str, int]
    by_status: dict[str, int]
    granularities: dict[str, int]
    oldest_job: datetime | None
    newest_job: datetime | None
    oldest_access: datetime | None
    newest_access: datetime | None
    services_reported: int
    services_used: int
    problems: tuple[Problem, ...]

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


def summarise(snapshot: Snapshot) -> SnapshotSummary:
    """Count entities by kind and status, find the oldest/newest data, list the problems."""
    by_kind: dict[str, int] = {kind: 0 for kind in KINDS}
    by_status: dict[str, int] = {status: 0 for status in STATUSES}
    granularities: dict[str, int] = {}
    jobs: list[datetime] = []
    accesses: list[datetime] = []
    reported: set[str] = set()
    used: set[str] = set()
    problems: list[Problem] = []
    for entity in snapshot.entities:
        by_kind[entity.kind] += 1
        status = entity.effective_status
        by_status[status] += 1
        granularity = entity.effective_granularity
        if granularity:
            granularities[granularity] = granularities.get(granularity, 0) + 1
        if entity.details.get("JobCompletionDate"):
            jobs.append(parse_time(entity.details["JobCompletionDate"]))
        for service in entity.details.get("ServicesLastAccessed") or []:
            namespace = str(service.get("ServiceNamespace", "")).lower()
            reported.add(namespace)
            if service.get("LastAuthenticated"):
                used.add(namespace)
                accesses.append(parse_time(service["LastAuthenticated"]))
        if status != "COMPLETED" or entity.error:
            message = entity.error or _default_message(entity)
            problems.append(Problem(entity.arn, status, message))
    return SnapshotSummary(
        label=snapshot.label,
        account_id=snapshot.account_id,
        partition=snapshot.partition,
        collected_at=snapshot.collected_at,
        generator=snapshot.generator,
        by_kind=by_kind,
        by_status=by_status,
        granularities=granularities,
        oldest_job=min(jobs, default=None),
        newest_job=max(jobs, default=None),
        oldest_access=min(accesses, default=None),
        newest_access=max(accesses, default=None),
        services_reported=len(reported),
        services_used=len(used),
        problems=tuple(problems),
    )


def _default_message(entity: SnapshotEntity) -> str:
    error = entity.details.get("Error")
    if isinstance(error, dict) and error.get("Message"):
        return f"{error.get('Code', 'Error')}: {error['Message']}"
    return {
        "IN_PROGRESS": "the job had not completed",
        "FAILED": "the job failed",
        "missing": "not found in AWS (not applied yet?)",
        "error": "no data",
    }.get(entity.effective_status, "")


def _plural(count: int, word: str) -> str:
    if count == 1:
        return f"1 {word}"
    return f"{count} {word[:-1] + 'ies' if word.endswith('y') else word + 's'}"


def render_summary(summary: SnapshotSummary) -> str:
    """The text ``lpgen snapshot show`` prints."""
    kinds = ", ".join(_plural(summary.by_kind[k], k) for k in KINDS if summary.by_kind[k])
    lines = [
        f"Snapshot {summary.label or '-'}: account {summary.account_id} ({summary.partition}), "
        f"collected {format_time(summary.collected_at)}",
        f"Entities: {summary.total}" + (f" ({kinds})" if kinds else ""),
    ]
    statuses = [
        ("COMPLETED", "completed"),
        ("IN_PROGRESS", "in progress"),
        ("FAILED", "failed"),
        ("missing", "missing"),
        ("error", "errors"),
    ]
    lines.append("Status: " + ", ".join(f"{summary.by_status[s]} {label}" for s, label in statuses))
    if summary.granularities:
        lines.append(
            "Granularity: "
            + ", ".join(f"{g} ({n})" for g, n in sorted(summary.granularities.items()))
        )
    if summary.oldest_job and summary.newest_job:
        lines.append(
            f"Jobs completed: {format_time(summary.oldest_job)} .. "
            f"{format_time(summary.newest_job)}"
        )
    if summary.oldest_access and summary.newest_access:
        lines.append(
            f"Last access: oldest {format_time(summary.oldest_access)}, "
            f"newest {format_time(summary.newest_access)}"
        )
    else:
        lines.append("Last access: no service was used")
    lines.append(f"Services: {summary.services_used} used of {summary.services_reported} reported")
    if summary.problems:
        lines.append(f"Problems ({len(summary.problems)}):")
        lines.extend(f"  {p.arn}: {p.status}: {p.message}" for p in summary.problems)
    return "\n".join(lines)


def summary_to_dict(summary: SnapshotSummary) -> dict[str, Any]:
    """``lpgen snapshot show --format json``."""

    def when(value: datetime | None) -> str | None:
        return format_time(value) if value else None

    return {
        "snapshot": summary.label,
        "account_id": summary.account_id,
        "partition": summary.partition,
        "collected_at": format_time(summary.collected_at),
        "generator": summary.generator,
        "entities": summary.total,
        "by_kind": summary.by_kind,
        "by_status": summary.by_status,
        "granularity": summary.granularities,
        "jobs_completed": {"oldest": when(summary.oldest_job), "newest": when(summary.newest_job)},
        "last_access": {
            "oldest": when(summary.oldest_access),
            "newest": when(summary.newest_access),
        },
        "services": {"reported": summary.services_reported, "used": summary.services_used},
        "problems": [
            {"arn": p.arn, "status": p.status, "message": p.message} for p in summary.problems
        ],
    }
