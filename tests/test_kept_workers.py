"""trim's checks of rewritten files run in the worker process its parallel read kept.

The worker loads python-hcl2's grammar while this process plans the edits; the verdicts and
errors are the ones this process would give, and nothing is left running afterwards.
"""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path
from typing import Any

import pytest

import lpgen.inventory as inventory_mod
from lpgen.inventory import InventoryOptions, build_inventory
from lpgen.terraform import parse
from lpgen.terraform.cache import check_parses
from lpgen.terraform.workers import keep_workers, kept_pool
from lpgen.trim import TrimOptions, run_trim
from tests.snapshots import policy_snapshot

POLICY = """
resource "aws_iam_policy" "{name}" {{
  name   = "{name}"
  policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = ["s3:GetObject", "sqs:SendMessage"], Resource = "*" }}] }})
}}
"""


def two_roots(root: Path) -> Path:
    for env in ("prod", "staging"):
        d = root / env
        d.mkdir(parents=True)
        (d / "main.tf").write_text("".join(POLICY.format(name=f"{env}{i}") for i in range(20)))
    return root


def snapshot(names: list[str]) -> dict[str, Any]:
    return policy_snapshot(names, {"s3": True, "sqs": False})


@pytest.fixture
def parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inventory_mod, "PARALLEL_MIN_CHARS", 0)
    parse._recogniser.cache_clear()  # as in a new process: the checker not loaded here
    yield
    parse._recogniser.cache_clear()


def test_trim_checks_in_the_kept_worker_and_leaves_nothing_running(
    tmp_path: Path, parallel: None
) -> None:
    tree = two_roots(tmp_path / "tree")
    snap = tmp_path / "snap.json"
    snap.write_text(json.dumps(snapshot([f"{e}{i}" for e in ("prod", "staging")
                                         for i in range(20)])))  # fmt: skip
    options = InventoryOptions(jobs=2)
    result = run_trim(tree, [snap], options=TrimOptions(use_git=False),
                      inventory_options=options)  # fmt: skip
    changed = [c for c in result.changes if c.new != c.old]
    assert len(changed) == 2 and all("sqs:SendMessage" not in c.new for c in changed)
    # The rewritten files were checked, but not here: the grammar was never loaded in this
    # process, and the kept worker is gone.
    assert parse._recogniser.cache_info().currsize == 0
    assert multiprocessing.active_children() == []
    assert kept_pool() is None
    # The same edits as a read in one process, checked here.
    alone = run_trim(tree, [snap], options=TrimOptions(use_git=False),
                     inventory_options=InventoryOptions(jobs=1))  # fmt: skip
    assert [(c.path, c.new) for c in alone.changes] == [(c.path, c.new) for c in result.changes]
    assert parse._recogniser.cache_info().currsize == 1


@pytest.mark.parametrize("big", [False, True])
def test_the_kept_worker_gives_the_verdicts_and_errors_of_this_process(
    tmp_path: Path, parallel: None, monkeypatch: pytest.MonkeyPatch, big: bool
) -> None:
    """A small batch is checked in the kept worker alone; a bigger one (100 KB or more) is
    shared: this process checks, smallest first, what the worker has not started."""
    import lpgen.terraform.cache as cache_mod

    if big:
        monkeypatch.setattr(cache_mod, "VERIFY_SHARE_MIN_CHARS", 0)
    tree = two_roots(tmp_path / "tree")
    items = [
        ('a = 1\n', "ok.tf"),
        ('resource "x" "y" {\n  a = [1,\n}\n', "bad.tf"),
        ('b = "${var.x}"\n', "template.tf"),
        ("c = {\n", "open.tf"),
    ] * 5
    with keep_workers():
        build_inventory(tree, options=InventoryOptions(jobs=2))
        assert kept_pool() is not None
        there = check_parses(items)
        # Only a big batch loads the checker here too.
        assert parse._recogniser.cache_info().currsize == (1 if big else 0)
    assert kept_pool() is None and multiprocessing.active_children() == []
    here = check_parses(items)
    assert [None if v is None else (v.message, v.line) for v in there] == [
        None if v is None else (v.message, v.line) for v in here
    ]
    assert [v is None for v in here] == [True, False, True, False] * 5


def test_no_worker_is_kept_outside_trim(tmp_path: Path, parallel: None) -> None:
    tree = two_roots(tmp_path / "tree")
    build_inventory(tree, options=InventoryOptions(jobs=2))
    assert kept_pool() is None and multiprocessing.active_children() == []


def results(cache: Path) -> list[str]:
    return sorted(p.name for p in (cache / "results").glob("*.json"))


def test_trim_writes_its_cache_entries_while_the_worker_checks(
    tmp_path: Path, parallel: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside trim, the read's cache entries are not written as soon as read but while
    this process waits for the kept worker's checks; every one is written by the end, and
    the next run is answered from them."""
    import lpgen.terraform.cache as cache_mod

    tree = two_roots(tmp_path / "tree")
    cache = tmp_path / "cache"
    events: list[str] = []
    real_check = cache_mod._check_in_kept
    real_write = cache_mod.ResultCache._write

    def check(*args: Any) -> Any:
        events.append("check")
        return real_check(*args)

    def write(self: Any, key: str, *args: Any) -> bool:
        events.append("write")
        return real_write(self, key, *args)

    monkeypatch.setattr(cache_mod, "_check_in_kept", check)
    monkeypatch.setattr(cache_mod.ResultCache, "_write", write)
    with keep_workers():
        inv = build_inventory(tree, options=InventoryOptions(jobs=2, cache_dir=cache))
        assert kept_pool() is not None
        assert events == [] and results(cache) == []  # read, nothing written yet
        check_parses([("a = 1\n", "ok.tf")])
    # Two roots and the tree's entry naming them, written while the worker checked.
    assert events == ["check", "write", "write", "write"]
    assert len(results(cache)) == 3
    monkeypatch.setattr(inventory_mod, "_read_roots", None)  # the next read would fail
    again = build_inventory(tree, options=InventoryOptions(jobs=2, cache_dir=cache))
    assert inventory_mod.render_json(again) == inventory_mod.render_json(inv)


def test_what_waits_is_written_when_the_block_ends_and_only_there(
    tmp_path: Path, parallel: None
) -> None:
    tree = two_roots(tmp_path / "tree")
    cache = tmp_path / "cache"
    with keep_workers():
        build_inventory(tree, options=InventoryOptions(jobs=2, cache_dir=cache))
        assert results(cache) == []
    assert len(results(cache)) == 3
    # Outside trim, each entry is written at once.
    other = tmp_path / "other"
    build_inventory(tree, options=InventoryOptions(jobs=2, cache_dir=other))
    assert len(results(other)) == 3
