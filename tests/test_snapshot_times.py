"""Reading a snapshot's times: the quick path for the canonical UTC form gives exactly what the
general reading gives (the same datetimes, the same normalised text, the same errors)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpgen.errors import SnapshotError
from lpgen.snapshot import (
    TimeFormatError,
    _parse_time,
    format_time,
    loads_snapshot,
    normalise_time,
    parse_time,
)
from lpgen.usage import UsageIndex

DATA = Path(__file__).parent / "data" / "snapshot"


def _general(value: object) -> tuple[str, Any]:
    """What the general reading answers: the datetime (and its tzinfo) or the error text."""
    try:
        parsed = _parse_time(value)
    except TimeFormatError as exc:
        return "error", str(exc)
    return "ok", (parsed, parsed.tzinfo, format_time(parsed))


def _quick(value: object) -> tuple[str, Any]:
    try:
        parsed = parse_time(value)
        normal = normalise_time(value)
    except TimeFormatError as exc:
        return "error", str(exc)
    return "ok", (parsed, parsed.tzinfo, normal)


_digits = st.text(alphabet="0123456789", min_size=1, max_size=7)


@st.composite
def timestamps(draw: st.DrawFn) -> str:
    """Canonical UTC times, their near misses and other offsets, fractions and separators."""
    when = draw(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)))
    text = when.strftime("%Y-%m-%dT%H:%M:%S").rjust(19, "0")
    if draw(st.booleans()):
        # Impossible fields: month 13, day 31 of a short month, hour 24, second 60.
        field, value = draw(
            st.sampled_from([(5, "13"), (8, "31"), (8, "30"), (8, "29"), (11, "24"), (17, "60")])
        )
        text = text[:field] + value + text[field + 2 :]
    fraction = draw(st.sampled_from(["", "", ".000000", ".000001", ".5", ".123456789"]))
    if fraction == "" and draw(st.booleans()):
        fraction = "." + draw(_digits)
    zone = draw(
        st.sampled_from(["+00:00", "+00:00", "Z", "z", "-00:00", "+02:00", "-05:30", "+0000", ""])
    )
    sep = draw(st.sampled_from(["T", "T", "t", " "]))
    pad = draw(st.sampled_from(["", "", " ", "\n"]))
    return pad + text[:10] + sep + text[11:] + fraction + zone + pad


@settings(max_examples=600, deadline=None)
@given(timestamps())
def test_quick_path_reads_like_the_general_one(value: str) -> None:
    assert _quick(value) == _general(value)


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-10T10:00:00+00:00",
        "2026-11-10T10:00:00.250000+00:00",
        "2026-11-10T10:00:00.000000+00:00",  # normalised without the fraction
        "2024-02-29T23:59:59+00:00",
        "2026-02-29T10:00:00+00:00",  # not a leap year: an error naming the value
        "2026-02-30T10:00:00+00:00",
        "0000-01-01T00:00:00+00:00",
        "2026-11-10T24:00:00+00:00",
        "2026-11-10T10:00:60+00:00",
        "٢٠٢٦-11-10T10:00:00+00:00",  # digits other than ASCII ones
        "2026-11-10T10:00:00+00:00 ",
        "2026-11-10T10:00:00Z",
        datetime(2026, 11, 10, 10, tzinfo=timezone.utc),
        datetime(2026, 11, 10, 10, tzinfo=timezone(timedelta(hours=2))),
        datetime(2026, 11, 10, 10),
        12,
    ],
)
def test_quick_path_cases(value: object) -> None:
    assert _quick(value) == _general(value)
    if isinstance(value, str) and value.endswith("+00:00") and _general(value)[0] == "ok":
        assert parse_time(value).tzinfo is timezone.utc


def _snapshot_text(times: list[str]) -> str:
    services = [
        {
            "ServiceName": f"svc{i}",
            "ServiceNamespace": f"svc{i}",
            "LastAuthenticated": t,
            "TrackedActionsLastAccessed": [
                {"ActionName": "Get", "LastAccessedTime": t},
            ],
        }
        for i, t in enumerate(times)
    ]
    return json.dumps(
        {
            "format": "lpgen.snapshot/1",
            "account_id": "111122223333",
            "collected_at": "2026-11-20T00:00:00Z",
            "entities": [
                {
                    "arn": "arn:aws:iam::111122223333:role/ci",
                    "create_date": times[0],
                    "details": {
                        "JobStatus": "COMPLETED",
                        "JobType": "ACTION_LEVEL",
                        "JobCompletionDate": times[0],
                        "ServicesLastAccessed": services,
                    },
                }
            ],
        },
        indent=2,
    )


def test_a_snapshot_repeating_times_in_several_spellings() -> None:
    spellings = [
        "2026-11-10T10:00:00+00:00",
        "2026-11-10T10:00:00Z",
        "2026-11-10T10:00:00.000000+00:00",
        "2026-11-10T12:00:00+02:00",
        "2026-11-10T10:00:00+00:00",
        "2026-11-10T10:00:00.500000+00:00",
        "2026-11-10T10:00:00.5Z",
        "2026-11-10T10:00:00Z",
    ]
    snap = loads_snapshot(_snapshot_text(spellings), file="s.json")
    [entity] = snap.entities
    written = [s["LastAuthenticated"] for s in entity.details["ServicesLastAccessed"]]
    tracked = [
        s["TrackedActionsLastAccessed"][0]["LastAccessedTime"]
        for s in entity.details["ServicesLastAccessed"]
    ]
    expected = [format_time(_parse_time(t)) for t in spellings]
    assert written == tracked == expected
    assert written[:3] == ["2026-11-10T10:00:00+00:00"] * 3
    assert written[3] == "2026-11-10T12:00:00+02:00"
    assert written[5] == written[6] == "2026-11-10T10:00:00.500000+00:00"
    assert entity.create_date == "2026-11-10T10:00:00+00:00"
    [usage] = UsageIndex.from_snapshots([snap])
    for service, text in zip(
        sorted(usage.services.values(), key=lambda s: int(s.namespace[3:])), written, strict=True
    ):
        assert service.last_authenticated == _parse_time(text)
        assert service.tracked_actions is not None
        assert service.tracked_actions["get"].last_accessed == _parse_time(text)
    assert usage.create_date == datetime(2026, 11, 10, 10, tzinfo=timezone.utc)


def test_a_bad_time_after_good_ones_still_names_its_line() -> None:
    times = ["2026-11-10T10:00:00+00:00"] * 3 + ["2026-02-30T10:00:00+00:00"]
    text = _snapshot_text(times)
    with pytest.raises(SnapshotError) as info:
        loads_snapshot(text, file="s.json")
    message = str(info.value)
    assert "ServicesLastAccessed[3].LastAuthenticated" in message
    assert "'2026-02-30T10:00:00+00:00' is not a valid time" in message
    bad_line = next(n for n, line in enumerate(text.splitlines(), 1) if "2026-02-30" in line)
    assert info.value.line == bad_line


def test_usage_of_a_group_report_reads_rows_by_namespace_whatever_its_case() -> None:
    text = json.loads(_snapshot_text(["2026-11-10T10:00:00+00:00"]))
    entity = text["entities"][0]
    entity["arn"] = "arn:aws:iam::111122223333:group/ops"
    entity["details"]["ServicesLastAccessed"][0]["ServiceNamespace"] = "S3"

    def row(name: str) -> dict[str, Any]:
        return {
            "EntityInfo": {
                "Arn": f"arn:aws:iam::111122223333:user/{name}",
                "Name": name,
                "Type": "USER",
            },
            "LastAuthenticated": "2026-11-18T00:00:00Z",
        }

    # Two spellings of one namespace: the first one holds the rows (as it always did).
    entity["entities_by_service"] = {"S3": [row("bob")], "s3": [row("carol")], "ec2": []}
    snap = loads_snapshot(json.dumps(text), file="s.json")
    [usage] = UsageIndex.from_snapshots([snap])
    service = usage.service("s3")
    assert service is not None
    assert [(e.name, e.last_authenticated) for e in service.entities] == [
        ("bob", datetime(2026, 11, 18, tzinfo=timezone.utc))
    ]


def test_the_vendored_snapshots_load_as_the_general_reading_says() -> None:
    for path in sorted(DATA.glob("*.json")):
        try:
            snap = loads_snapshot(path.read_text(encoding="utf-8"), file=str(path))
        except SnapshotError:
            continue
        for entity in snap.entities:
            for service in entity.details.get("ServicesLastAccessed") or []:
                value = service.get("LastAuthenticated")
                if value is not None:
                    assert value == format_time(_parse_time(value))
