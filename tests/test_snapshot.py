"""Snapshot files: validation that names what is wrong, atomic saving, import and show."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lpgen.cli import main
from lpgen.errors import SnapshotError
from lpgen.snapshot import (
    Snapshot,
    SnapshotEntity,
    dumps_snapshot,
    import_details,
    load_snapshot,
    loads_snapshot,
    merge_snapshots,
    normalise_time,
    parse_time,
    save_snapshot,
    summarise,
)

DATA = Path(__file__).parent / "data" / "snapshot"
UTC = timezone.utc


def minimal(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format": "lpgen.snapshot/1",
        "account_id": "111122223333",
        "partition": "aws",
        "collected_at": "2026-11-20T00:00:00+00:00",
        "entities": [
            {
                "arn": "arn:aws:iam::111122223333:user/alice",
                "details": {
                    "JobStatus": "COMPLETED",
                    "JobCreationDate": "2026-11-19T00:00:00Z",
                    "JobCompletionDate": "2026-11-19T00:00:01Z",
                    "ServicesLastAccessed": [],
                },
            }
        ],
    }
    doc.update(overrides)
    return doc


def error_of(doc: Any, tmp_path: Path) -> SnapshotError:
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    with pytest.raises(SnapshotError) as info:
        load_snapshot(path)
    return info.value


# --- times ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-20T00:00:00Z", "2026-11-20T00:00:00+00:00"),
        ("2026-11-20T00:00:00+00:00", "2026-11-20T00:00:00+00:00"),
        ("2026-11-20T00:00:00.123Z", "2026-11-20T00:00:00.123000+00:00"),
        ("2026-11-20T01:00:00+01:00", "2026-11-20T01:00:00+01:00"),
        (datetime(2026, 11, 20, tzinfo=UTC), "2026-11-20T00:00:00+00:00"),
    ],
)
def test_times_normalise_to_iso_with_offset(value: object, expected: str) -> None:
    assert normalise_time(value) == expected


def test_offsets_are_respected_when_parsing() -> None:
    assert parse_time("2026-11-20T01:00:00+01:00") == datetime(2026, 11, 20, tzinfo=UTC)


# --- loading -------------------------------------------------------------------------


def test_hand_assembled_snapshot_loads_with_only_arn_and_details() -> None:
    snap = load_snapshot(DATA / "hand-assembled.json")
    assert snap.label == "hand-assembled.json"
    assert snap.collected_at == datetime(2026, 11, 20, tzinfo=UTC)
    assert [e.kind for e in snap.entities] == ["policy", "group", "role"]
    assert [e.effective_status for e in snap.entities] == ["COMPLETED", "COMPLETED", "FAILED"]
    policy = snap.entities[0]
    assert policy.create_date == "2024-03-01T10:00:00+00:00"
    assert policy.attached is None
    s3 = policy.details["ServicesLastAccessed"][0]
    assert s3["LastAuthenticated"] == "2026-11-01T08:00:00+00:00"  # Z normalised
    assert snap.entities[1].entities_by_service is not None
    assert snap.entities[1].effective_granularity == "SERVICE_LEVEL"


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            minimal(format="lpgen.snapshot/2"),
            "format: unsupported format 'lpgen.snapshot/2': this lpgen reads \"lpgen.snapshot/1\"",
        ),
        (
            {k: v for k, v in minimal().items() if k != "format"},
            "missing key 'format' (expected \"lpgen.snapshot/1\")",
        ),
        ({k: v for k, v in minimal().items() if k != "collected_at"}, "missing key 'collected_at'"),
        ({k: v for k, v in minimal().items() if k != "entities"}, "missing key 'entities'"),
        (
            minimal(account_id="1111"),
            "account_id: expected a 12-digit string, got a string ('1111')",
        ),
        (
            minimal(collected_at="2026-11-20 00:00"),
            "collected_at: bad timestamp: '2026-11-20 00:00' is not an ISO 8601 timestamp",
        ),
        (
            minimal(collected_at="2026-11-20T00:00:00"),
            "collected_at: bad timestamp: '2026-11-20T00:00:00' has no UTC offset "
            "(write it as ...+00:00 or ...Z)",
        ),
        (
            minimal(collected_at="2026-13-20T00:00:00Z"),
            "collected_at: bad timestamp: '2026-13-20T00:00:00Z' is not a valid time: "
            "month must be in 1..12",
        ),
        (minimal(entities={}), "entities: expected a list, got an object"),
        (minimal(entities=[{"details": {}}]), "entities[0]: missing key 'arn'"),
    ],
)
def test_load_names_exactly_what_is_wrong(doc: Any, message: str, tmp_path: Path) -> None:
    err = error_of(doc, tmp_path)
    assert err.message == message
    assert err.file == str(tmp_path / "snap.json")


def test_entity_errors_name_the_json_path_and_line(tmp_path: Path) -> None:
    doc = minimal()
    doc["entities"][0]["details"]["ServicesLastAccessed"] = [
        {"ServiceNamespace": "s3", "ServiceName": "Amazon S3", "LastAuthenticated": "yesterday"}
    ]
    err = error_of(doc, tmp_path)
    assert err.message == (
        "entities[0].details.ServicesLastAccessed[0].LastAuthenticated: bad timestamp: "
        "'yesterday' is not an ISO 8601 timestamp"
    )
    lines = (tmp_path / "snap.json").read_text(encoding="utf-8").splitlines()
    assert err.line is not None and '"yesterday"' in lines[err.line - 1]
    assert str(err).startswith(f"{tmp_path / 'snap.json'}:{err.line}: entities[0]")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda e: e.update(arn="arn:aws:iam::999999999999:user/alice"),
            "entities[0].arn: account 999999999999 does not match the snapshot's account_id "
            "111122223333",
        ),
        (
            lambda e: e.update(arn="arn:aws:s3:::bucket"),
            "entities[0].arn: not an IAM user, group, role or policy ARN: 'arn:aws:s3:::bucket'",
        ),
        (lambda e: e.pop("details"), "entities[0]: missing key 'details'"),
        (lambda e: e["details"].pop("JobStatus"), "entities[0].details: missing key 'JobStatus'"),
        (
            lambda e: e["details"].update(JobStatus="DONE"),
            "entities[0].details.JobStatus: unknown job status a string ('DONE') "
            "(expected IN_PROGRESS, COMPLETED, FAILED)",
        ),
        (
            lambda e: e["details"].update(IsTruncated=True, Marker="x"),
            "entities[0].details.IsTruncated: only one page of services is here; fetch every page "
            "(--marker) and merge them (lpgen snapshot import accepts several pages)",
        ),
        (
            lambda e: e.update(status="done"),
            "entities[0].status: unknown status a string ('done') "
            "(expected one of COMPLETED, IN_PROGRESS, FAILED, missing, error)",
        ),
        (lambda e: e.update(kind="role"), "entities[0].kind: 'role' does not match the ARN (user)"),
        (
            lambda e: e.update(create_date=12),
            "entities[0].create_date: bad timestamp: expected an ISO 8601 timestamp string, "
            "got a number (12)",
        ),
    ],
)
def test_entity_validation(mutate: Any, message: str, tmp_path: Path) -> None:
    doc = minimal()
    mutate(doc["entities"][0])
    assert error_of(doc, tmp_path).message == message


def test_duplicate_entities_are_refused(tmp_path: Path) -> None:
    doc = minimal()
    doc["entities"].append(doc["entities"][0])
    assert error_of(doc, tmp_path).message == (
        "entities[1].arn: duplicate entity arn:aws:iam::111122223333:user/alice (also entities[0])"
    )


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    path.write_text('{\n  "format": "lpgen.snapshot/1",\n  oops\n}\n', encoding="utf-8")
    with pytest.raises(SnapshotError) as info:
        load_snapshot(path)
    assert (info.value.line, info.value.message) == (
        3,
        "invalid JSON: Expecting property name enclosed in double quotes",
    )


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="snapshot file not found"):
        load_snapshot(tmp_path / "nope.json")


def test_missing_and_error_entities_may_have_empty_details() -> None:
    doc = minimal()
    doc["entities"] = [
        {"arn": "arn:aws:iam::111122223333:user/gone", "status": "missing", "details": {}},
        {
            "arn": "arn:aws:iam::111122223333:role/x",
            "status": "error",
            "error": "AccessDenied",
            "details": {},
        },
    ]
    snap = loads_snapshot(json.dumps(doc))
    assert [e.effective_status for e in snap.entities] == ["missing", "error"]


# --- saving --------------------------------------------------------------------------


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    snap = load_snapshot(DATA / "hand-assembled.json")
    out = tmp_path / "copy.json"
    save_snapshot(snap, out)
    again = load_snapshot(out)
    assert dumps_snapshot(again) == dumps_snapshot(snap)
    assert again.entities[0].details == snap.entities[0].details
    # The written file has normalised times and explicit kinds.
    text = out.read_text(encoding="utf-8")
    assert '"collected_at": "2026-11-20T00:00:00+00:00"' in text
    assert '"kind": "group"' in text
    assert 'Z"' not in text


def test_unknown_keys_survive_a_round_trip(tmp_path: Path) -> None:
    doc = minimal(note="from the security team")
    doc["entities"][0]["ticket"] = "SEC-1"
    snap = loads_snapshot(json.dumps(doc))
    data = json.loads(dumps_snapshot(snap))
    assert data["note"] == "from the security team"
    assert data["entities"][0]["ticket"] == "SEC-1"


def test_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "snap.json"
    out.write_text("old content\n", encoding="utf-8")
    snap = loads_snapshot(json.dumps(minimal()))

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(SnapshotError, match="cannot write snapshot: No space left on device"):
        save_snapshot(snap, out)
    assert out.read_text(encoding="utf-8") == "old content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snap.json"]


# --- merge and import ----------------------------------------------------------------


def entity(name: str) -> SnapshotEntity:
    return SnapshotEntity(
        arn=f"arn:aws:iam::111122223333:user/{name}",
        details={"JobStatus": "COMPLETED", "ServicesLastAccessed": []},
    )


def test_merge_replaces_by_arn_and_keeps_the_earlier_time() -> None:
    t = datetime(2026, 11, 20, tzinfo=UTC)
    a = Snapshot("111122223333", t, entities=[entity("a"), entity("b")])
    replacement = entity("b")
    replacement.error = "new"
    b = Snapshot("111122223333", t - timedelta(days=1), entities=[replacement, entity("c")])
    merged = merge_snapshots(a, b)
    assert [e.arn.rsplit("/", 1)[1] for e in merged.entities] == ["a", "b", "c"]
    assert merged.entities[1].error == "new"
    assert merged.collected_at == t - timedelta(days=1)


def test_merge_refuses_other_accounts() -> None:
    t = datetime(2026, 11, 20, tzinfo=UTC)
    with pytest.raises(SnapshotError, match="cannot merge snapshots of different accounts"):
        merge_snapshots(Snapshot("111122223333", t), Snapshot("444455556666", t))


def pages(*names: str) -> list[tuple[str, str]]:
    return [(str(DATA / n), (DATA / n).read_text(encoding="utf-8")) for n in names]


def test_import_creates_a_snapshot_from_aws_cli_pages(tmp_path: Path) -> None:
    out = tmp_path / "new.json"
    arn = "arn:aws:iam::444455556666:role/app"
    result = import_details(out, arn, pages("details-page1.json", "details-page2.json"))
    assert (result.created, result.replaced) == (True, False)
    snap = load_snapshot(out)
    assert (snap.account_id, snap.partition) == ("444455556666", "aws")
    assert snap.collected_at == datetime(2026, 11, 19, 9, 0, 5, tzinfo=UTC)
    details = snap.entities[0].details
    assert [s["ServiceNamespace"] for s in details["ServicesLastAccessed"]] == ["dynamodb", "sqs"]
    assert "IsTruncated" not in details and "Marker" not in details


def test_import_refuses_a_truncated_last_page(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError) as info:
        import_details(
            tmp_path / "s.json", "arn:aws:iam::444455556666:role/app", pages("details-page1.json")
        )
    assert info.value.message.startswith("IsTruncated is true: this is not the last page")
    assert info.value.file == str(DATA / "details-page1.json")
    assert not (tmp_path / "s.json").exists()


def test_import_into_an_existing_snapshot(tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    save_snapshot(load_snapshot(DATA / "hand-assembled.json"), out)
    arn = "arn:aws:iam::111122223333:role/ci"
    result = import_details(
        out,
        arn,
        pages("details-page1.json", "details-page2.json"),
        create_date="2023-01-01T00:00:00Z",
    )
    assert (result.created, result.replaced) == (False, True)
    snap = load_snapshot(out)
    ci = snap.entity(arn)
    assert ci is not None and ci.effective_status == "COMPLETED"
    assert ci.create_date == "2023-01-01T00:00:00+00:00"
    # The imported job completed before the snapshot's time: the earlier one wins.
    assert snap.collected_at == datetime(2026, 11, 19, 9, 0, 5, tzinfo=UTC)
    assert len(snap.entities) == 3


def test_import_refuses_another_account(tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    save_snapshot(load_snapshot(DATA / "hand-assembled.json"), out)
    with pytest.raises(SnapshotError, match="cannot merge snapshots of different accounts"):
        import_details(
            out,
            "arn:aws:iam::444455556666:role/app",
            pages("details-page1.json", "details-page2.json"),
        )


# --- summary and CLI -----------------------------------------------------------------


def test_summary_counts_and_ranges() -> None:
    summary = summarise(load_snapshot(DATA / "hand-assembled.json"))
    assert summary.by_kind == {"policy": 1, "group": 1, "user": 0, "role": 1}
    assert summary.by_status["FAILED"] == 1
    assert summary.oldest_access == datetime(2025, 1, 15, tzinfo=UTC)
    assert summary.newest_access == datetime(2026, 11, 18, tzinfo=UTC)
    assert (summary.services_reported, summary.services_used) == (3, 2)
    assert [p.message for p in summary.problems] == ["Failed: Internal failure"]


def test_cli_snapshot_show() -> None:
    result = CliRunner().invoke(main, ["snapshot", "show", str(DATA / "hand-assembled.json")])
    assert result.exit_code == 0, result.output
    assert result.stdout == (DATA / "show.txt").read_text(encoding="utf-8")


def test_cli_snapshot_show_json() -> None:
    result = CliRunner().invoke(
        main, ["snapshot", "show", "--format", "json", str(DATA / "hand-assembled.json")]
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["entities"] == 3
    assert data["last_access"] == {
        "oldest": "2025-01-15T00:00:00+00:00",
        "newest": "2026-11-18T00:00:00+00:00",
    }
    assert data["problems"] == [
        {
            "arn": "arn:aws:iam::111122223333:role/ci",
            "status": "FAILED",
            "message": "Failed: Internal failure",
        }
    ]


def test_cli_snapshot_show_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(minimal(format="other"), indent=2), encoding="utf-8")
    result = CliRunner().invoke(main, ["snapshot", "show", str(path)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {path}:2: format: unsupported format 'other': this lpgen reads "
        '"lpgen.snapshot/1"\n'
    )


def test_cli_snapshot_import(tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    arn = "arn:aws:iam::444455556666:role/app"
    result = CliRunner().invoke(
        main,
        [
            "snapshot",
            "import",
            "--arn",
            arn,
            "--snapshot",
            str(out),
            str(DATA / "details-page1.json"),
            str(DATA / "details-page2.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Created {out}: added {arn} (2 services, COMPLETED).\n"
    again = CliRunner().invoke(
        main,
        ["snapshot", "import", "--arn", arn, "--snapshot", str(out), "-"],
        input=(DATA / "details-page2.json").read_text(encoding="utf-8"),
    )
    assert again.exit_code == 0, again.output
    assert again.stdout == f"Updated {out}: replaced {arn} (1 service, COMPLETED).\n"


def test_cli_snapshot_import_bad_arn(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "snapshot",
            "import",
            "--arn",
            "arn:aws:s3:::b",
            "--snapshot",
            str(tmp_path / "s.json"),
            str(DATA / "details-page2.json"),
        ],
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: --arn: not an IAM user, group, role or policy ARN: 'arn:aws:s3:::b'\n"
    )
