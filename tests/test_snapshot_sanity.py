"""Data that cannot be right is refused: snapshots from the future, stale snapshots, deep
nesting, huge values; snapshot and credential-report errors name the line of the value."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lpgen.cli import main
from lpgen.credreport import COLUMNS, parse_credential_report
from lpgen.errors import InputError, SnapshotError
from lpgen.snapshot import format_time, loads_snapshot

CASE = Path(__file__).parent / "data" / "trim" / "jsonencode"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout_bytes.decode(), result.stderr


def _snapshot_at(tmp_path: Path, when: datetime) -> Path:
    data: dict[str, Any] = json.loads((CASE / "snapshot.json").read_text())
    data["collected_at"] = format_time(when.replace(microsecond=0))
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(data, indent=2))
    return path


def _tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(CASE / "input", tree)
    return tree


def test_a_snapshot_from_the_future_is_an_error_naming_it(tmp_path: Path) -> None:
    snap = _snapshot_at(tmp_path, datetime.now(timezone.utc) + timedelta(days=365))
    tree = _tree(tmp_path)
    before = (tree / "main.tf").read_text()
    code, out, err = run("trim", str(tree), "--snapshot", str(snap), "--no-git", "--write")
    assert (code, out) == (2, "")
    line = next(i for i, row in enumerate(snap.read_text().splitlines(), 1)
                if '"collected_at"' in row)
    assert err.startswith(f"Error: {snap}:{line}: collected_at ")
    assert "is in the future" in err and err.count("\n") == 1
    assert (tree / "main.tf").read_text() == before
    # check and graph read snapshots the same way.
    code, _, err = run("check", str(tree), "--snapshot", str(snap))
    assert code == 2 and "is in the future" in err


def test_clock_skew_of_less_than_a_day_is_accepted(tmp_path: Path) -> None:
    snap = _snapshot_at(tmp_path, datetime.now(timezone.utc) + timedelta(hours=12))
    code, _, err = run("trim", str(_tree(tmp_path)), "--snapshot", str(snap), "--no-git")
    assert code == 0, err


def test_a_stale_snapshot_is_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LPGEN_MAX_SNAPSHOT_AGE")
    when = datetime.now(timezone.utc) - timedelta(days=10, hours=1)
    snap = _snapshot_at(tmp_path, when)
    tree = _tree(tmp_path)
    code, _, err = run("trim", str(tree), "--snapshot", str(snap), "--no-git")
    assert code == 0
    assert err == (
        f"Warning: snapshot.json: collected 10 days ago ({format_time(when.replace(microsecond=0))}), "
        "more than 7: trim removes on stale evidence (what was used since is not seen); "
        "collect a fresh snapshot\n"
    )
    code, _, err = run("trim", str(tree), "--snapshot", str(snap), "--no-git",
                       "--max-snapshot-age", "30")
    assert (code, err) == (0, "")
    # The same from the tree's config file (the bundled example's fixed sample does this).
    (tree / ".lpgen.toml").write_text("max_snapshot_age = 30\n")
    code, _, err = run("trim", str(tree), "--snapshot", str(snap), "--no-git")
    assert (code, err) == (0, "")


def test_deeply_nested_snapshot_is_an_input_error(tmp_path: Path) -> None:
    text = '{\n"format": "lpgen.snapshot/1",\n"x":\n' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(SnapshotError, match=r"nested too deeply") as info:
        loads_snapshot(text, file="deep.json")
    assert info.value.line == 4
    path = tmp_path / "deep.json"
    path.write_text(text)
    code, _, err = run("trim", str(_tree(tmp_path)), "--snapshot", str(path))
    assert code == 2 and err.startswith(f"Error: {path}:4: invalid snapshot: nested too deeply")


def test_a_huge_value_is_cut_in_the_error(tmp_path: Path) -> None:
    data = json.loads((CASE / "snapshot.json").read_text())
    data["entities"][0]["arn"] = "x" * 5_000_000
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(data, indent=2))
    code, _, err = run("trim", str(_tree(tmp_path)), "--snapshot", str(path))
    assert code == 2
    assert len(err) < 300, len(err)
    assert "(5,000,000 characters)" in err


def test_snapshot_errors_name_the_line_of_the_value() -> None:
    data = json.loads((CASE / "snapshot.json").read_text())
    services = data["entities"][0]["details"]["ServicesLastAccessed"]
    services[-1]["TrackedActionsLastAccessed"] = 5
    text = json.dumps(data, indent=2)
    line = next(i for i, row in enumerate(text.splitlines(), 1)
                if '"TrackedActionsLastAccessed": 5' in row)
    with pytest.raises(SnapshotError) as info:
        loads_snapshot(text, file="s.json")
    assert info.value.line == line
    assert "TrackedActionsLastAccessed: expected a list or null, got a number (5)" in str(info.value)


def test_credential_report_errors_name_the_line_of_the_value() -> None:
    # A quoted field spanning lines before the bad value: the error names the value's line.
    fields = ["x", "arn:aws:iam::111122223333:user/x", "2025-01-01T00:00:00+00:00", "false",
              "N/A", "N/A", "N/A", "false", *(["false", "N/A", "N/A", "N/A", "N/A"] * 2),
              "yes", "N/A", "false", "N/A"]
    fields[COLUMNS.index("access_key_1_last_used_region")] = '"eu-west-1\nmore\nlines"'
    text = ",".join(COLUMNS) + "\n" + ",".join(fields) + "\n"
    with pytest.raises(InputError, match=r"column 19 \(cert_1_active\)") as info:
        parse_credential_report(text, source="r.csv")
    assert info.value.line == 4
    fields[COLUMNS.index("access_key_1_last_used_region")] = "N/A"
    fields[COLUMNS.index("cert_1_active")] = "false"
    fields[COLUMNS.index("mfa_active")] = "y" * 100_000
    with pytest.raises(InputError) as info:
        parse_credential_report(",".join(COLUMNS) + "\n" + ",".join(fields) + "\n")
    assert len(str(info.value)) < 300 and "(100,000 characters)" in str(info.value)
