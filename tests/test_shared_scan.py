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


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The trees walked (directory listings), in order."""
    from lpgen.terraform import treescan

    seen: list[str] = []
    real = treescan._walk

    def counting(top: str, exclude: Any, skipped: Any) -> Any:
        seen.append(top)
        return real(top, exclude, skipped)

    monkeypatch.setattr(treescan, "_walk", counting)
    return seen


@pytest.mark.parametrize("command", ["trim", "check"])
def test_one_walk_per_command_cold_and_warm(
    tmp_path: Path, walks: list[str], command: str
) -> None:
    """The cache keys of the account map and of the result, the account map and the
    inventory all look at the same listing: the tree is walked once per command."""
    tree = write(tmp_path / "infra", FILES)
    (tree / "envs/prod/pipe.tf").mkdir()  # a directory named like a file: not a .tf
    snap = tmp_path / f"{PROD}.json"
    snap.write_text(json.dumps(USAGE))
    args = [command, str(tree), "--snapshot", str(snap), "--no-git",
            "--cache-dir", str(tmp_path / "cache")]  # fmt: skip
    runner = CliRunner()
    cold = runner.invoke(main, args)
    assert cold.exit_code == 0, cold.output
    assert walks == [str(tree.resolve())]
    walks.clear()
    warm = runner.invoke(main, args)
    assert (warm.exit_code, warm.output) == (cold.exit_code, cold.output)
    assert walks == [str(tree.resolve())]
    walks.clear()
    alone = runner.invoke(main, [*args[:-2], "--no-cache"])
    assert (alone.exit_code, alone.output) == (cold.exit_code, cold.output)
    assert len(walks) == 1


def test_a_kept_walk_still_reports_skipped_files(tmp_path: Path) -> None:
    import os

    from lpgen.terraform import scans, treescan

    tree = write(tmp_path / "infra", FILES)
    os.mkfifo(tree / "envs/prod/pipe.tf")
    with scans.shared_scans():
        first: list[tuple[str, str]] = []
        again: list[tuple[str, str]] = []
        a = treescan.scan_tree(str(tree), (), first)
        b = treescan.scan_tree(str(tree), (), again)
    assert first == again == [("envs/prod/pipe.tf", "a FIFO")]
    assert [d.rel for d in a] == [d.rel for d in b]


def test_writing_the_tree_forgets_the_walk(tmp_path: Path) -> None:
    """After trim writes files, a look at the tree in the same command sees the new files
    (a kept listing would give the old sizes, and so the old digests)."""
    from lpgen.rewrite import FileChange, write_in_place
    from lpgen.terraform import scans, treescan
    from lpgen.terraform.cache import ResultCache

    tree = write(tmp_path / "infra", FILES)
    rel = "envs/prod/main.tf"
    old = (tree / rel).read_text()
    cache = ResultCache(tmp_path / "cache")
    with scans.shared_scans():
        before = cache.tree_key(tree, "x")
        sizes = {n: st.st_size for d in treescan.scan_tree(str(tree)) for n, st in d.tf
                 if d.rel == "envs/prod"}  # fmt: skip
        write_in_place(tree, [FileChange(rel, old, old + "\n# edited\n")])
        after = cache.tree_key(tree, "x")
        now = {n: st.st_size for d in treescan.scan_tree(str(tree)) for n, st in d.tf
               if d.rel == "envs/prod"}  # fmt: skip
    assert after != before
    assert now["main.tf"] == sizes["main.tf"] + len("\n# edited\n")
