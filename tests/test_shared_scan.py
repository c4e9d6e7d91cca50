"""One command scans its tree once: the account map and the inventory share the scan.

``trim --snapshot`` and ``check --snapshot`` map roots to accounts before reading the tree;
both need the same text scan (which directories matter, which are roots). Within one command
it is made once; the next command scans again, so an edit in between is always seen.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lpgen.cli import main
from lpgen.terraform import loader
from tests.test_account_map import FILES, PROD, STAGING, snapshot_of, write

USAGE = {
    "format": "lpgen.snapshot/1", "account_id": PROD, "partition": "aws",
    "collected_at": "2026-11-20T00:00:00+00:00",
    "entities": [{
        "arn": f"arn:aws:iam::{PROD}:role/prod-app", "create_date": "2024-01-01T00:00:00Z",
        "details": {"JobStatus": "COMPLETED", "JobType": "SERVICE_LEVEL",
                    "ServicesLastAccessed": [{"ServiceNamespace": "s3", "ServiceName": "s3"}]},
    }],
}  # fmt: skip


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The roots plan_dirs scanned, in order."""
    seen: list[Path] = []
    real = loader.plan_dirs

    def counting(tree: Any, found: Any) -> Any:
        seen.append(tree.root)
        return real(tree, found)

    monkeypatch.setattr(loader, "plan_dirs", counting)
    return seen


@pytest.mark.parametrize("cache", [True, False])
@pytest.mark.parametrize("command", ["trim", "check"])
def test_one_scan_per_command_and_the_same_output(
    tmp_path: Path, scans: list[Path], command: str, cache: bool
) -> None:
    tree = write(tmp_path / "infra", FILES)
    snap = tmp_path / f"{PROD}.json"
    snap.write_text(json.dumps(USAGE))
    args = [command, str(tree), "--snapshot", str(snap), "--no-git"]
    if command == "check":
        args += ["--format", "json", "--fail-on", "never"]
    args += ["--cache-dir", str(tmp_path / "cache")] if cache else ["--no-cache"]
    runner = CliRunner()
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert scans == [tree.resolve()]
    # Each part alone (no shared scan) gives the same output.
    scans.clear()
    from lpgen.terraform import scans as kept

    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(kept, "keep", lambda *_a: None)
    try:
        alone = runner.invoke(main, [*args[:-2], "--no-cache"] if cache else args)
    finally:
        monkeypatch.undo()
    assert (alone.exit_code, alone.output) == (result.exit_code, result.output)
    assert len(scans) == 2


def test_the_next_command_sees_an_edit(tmp_path: Path) -> None:
    tree = write(tmp_path / "infra", FILES)
    snaps = tmp_path / "snaps"
    snaps.mkdir()
    (snaps / f"{PROD}.json").write_text(snapshot_of(PROD))
    runner = CliRunner()
    args = ["trim", str(tree), "--snapshot", str(snaps), "--no-cache", "--no-git"]
    assert runner.invoke(main, args).exit_code == 0
    (tree / "envs/prod/main.tf").write_text(
        (tree / "envs/prod/main.tf").read_text() + '\nprovider "aws" {\n  alias = "b"\n'
        f'  allowed_account_ids = ["{STAGING}"]\n}}\n'
    )
    result = runner.invoke(main, args)
    assert result.exit_code == 2
    assert f"envs/prod is applied to {STAGING} too" in result.stderr
