"""Reading in parallel only pays when the workers' texts do not overlap much.

Each worker parses every module its roots call: a module library's examples, which all call
the same modules, would have each worker parse nearly the whole tree. Those are read in one
process; roots with modules of their own are split. Either way the inventory is the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import lpgen.inventory as inventory_mod
from lpgen.inventory import InventoryOptions, build_inventory, render_json
from lpgen.terraform.loader import scan_tree

POLICY = """
resource "aws_iam_policy" "{name}" {{
  name   = "{name}"
  policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }}] }})
}}
"""
CALL = 'module "m" {\n  source = "../../modules/big"\n  name   = "%s"\n}\n'


def shared_tree(root: Path) -> Path:
    """Two examples calling one big module (most of the text)."""
    big = root / "modules" / "big"
    big.mkdir(parents=True)
    (big / "main.tf").write_text(
        'variable "name" {}\n' + "".join(POLICY.format(name=f"p{i}") for i in range(40))
    )
    for example in ("one", "two"):
        d = root / "examples" / example
        d.mkdir(parents=True)
        (d / "main.tf").write_text(CALL % example)
    return root


def separate_tree(root: Path) -> Path:
    """Two roots with policies of their own."""
    for env, count in (("prod", 60), ("staging", 40)):
        d = root / "envs" / env
        d.mkdir(parents=True)
        (d / "main.tf").write_text("".join(POLICY.format(name=f"{env}{i}") for i in range(count)))
    return root


@pytest.fixture
def splits(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What each read decided (groups, or None for one process), with any text enough."""
    monkeypatch.setattr(inventory_mod, "PARALLEL_MIN_CHARS", 0)
    seen: list[Any] = []
    real = inventory_mod._parallel_groups

    def spy(*args: Any) -> Any:
        seen.append(real(*args))
        return seen[-1]

    monkeypatch.setattr(inventory_mod, "_parallel_groups", spy)
    return seen


@pytest.mark.parametrize("cache", [False, True])
def test_roots_sharing_their_modules_are_read_in_one_process(
    tmp_path: Path, splits: list[Any], cache: bool
) -> None:
    root = shared_tree(tmp_path / "tree")
    opts = InventoryOptions(jobs=2, cache_dir=tmp_path / "cache" if cache else None)
    together = render_json(build_inventory(root, options=opts))
    assert splits == [None]
    assert together == render_json(build_inventory(root, options=InventoryOptions(jobs=1)))
    assert together.count('module.m.aws_iam_policy.p') == 80


@pytest.mark.parametrize("cache", [False, True])
def test_roots_with_their_own_text_are_split(
    tmp_path: Path, splits: list[Any], cache: bool
) -> None:
    root = separate_tree(tmp_path / "tree")
    opts = InventoryOptions(jobs=2, cache_dir=tmp_path / "cache" if cache else None)
    split = render_json(build_inventory(root, options=opts))
    [groups] = splits
    assert groups is not None and [[d.name for d in g] for g in groups] == [["prod"], ["staging"]]
    assert split == render_json(build_inventory(root, options=InventoryOptions(jobs=1)))


def test_the_share_is_measured_on_the_text_each_group_parses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inventory_mod, "PARALLEL_MIN_CHARS", 0)
    root = shared_tree(tmp_path / "tree").resolve()
    _found, _skipped, plan = scan_tree(root)
    roots = plan.roots()
    assert inventory_mod._parallel_groups(plan, roots, 2) is None
    monkeypatch.setattr(inventory_mod, "PARALLEL_MAX_SHARE", 1.0)
    assert inventory_mod._parallel_groups(plan, roots, 2) is not None
    assert inventory_mod._parallel_groups(plan, roots, 1) is None


def test_the_split_balances_what_each_worker_parses(
    tmp_path: Path, splits: list[Any]
) -> None:
    root = tmp_path / "tree"
    for env, count in (("a", 50), ("b", 30), ("c", 30)):
        d = root / env
        d.mkdir(parents=True)
        (d / "main.tf").write_text("".join(POLICY.format(name=f"{env}{i}") for i in range(count)))
    split = render_json(build_inventory(root, options=InventoryOptions(jobs=2)))
    [groups] = splits
    assert [[d.name for d in g] for g in groups] == [["a"], ["b", "c"]]
    assert split == render_json(build_inventory(root, options=InventoryOptions(jobs=1)))


@pytest.mark.parametrize("cache", [False, True])
def test_the_split_need_not_keep_roots_in_runs_and_merges_in_tree_order(
    tmp_path: Path, splits: list[Any], cache: bool
) -> None:
    # In tree order a, b, c, d: runs of roots could at best give 100 and 60 policies; taking
    # the biggest first gives 80 and 80, and the inventory still lists them in tree order.
    root = tmp_path / "tree"
    for env, count in (("a", 50), ("b", 50), ("c", 30), ("d", 30)):
        d = root / env
        d.mkdir(parents=True)
        (d / "main.tf").write_text("".join(POLICY.format(name=f"{env}{i}") for i in range(count)))
    opts = InventoryOptions(jobs=2, cache_dir=tmp_path / "cache" if cache else None)
    split = render_json(build_inventory(root, options=opts))
    [groups] = splits
    assert [[d.name for d in g] for g in groups] == [["a", "c"], ["b", "d"]]
    assert split == render_json(build_inventory(root, options=InventoryOptions(jobs=1)))
    names = [n for n in ("a0", "b0", "c0", "d0")]
    assert [split.index(f'"{n}"') for n in names] == sorted(split.index(f'"{n}"') for n in names)


@pytest.mark.parametrize("slow", ["worker", "here"])
@pytest.mark.parametrize("cache", [False, True])
def test_a_process_done_with_its_group_takes_what_is_left_of_the_other(
    tmp_path: Path, splits: list[Any], monkeypatch: pytest.MonkeyPatch, slow: str, cache: bool
) -> None:
    """The split by text size is an estimate: when one process's roots cost more than
    their size says, the other reads what it has not started yet. Every root is still read
    once, and the inventory is the one a single process reads."""
    import os
    import time

    root = tmp_path / "tree"
    for env in "abcdefgh":
        d = root / env
        d.mkdir(parents=True)
        (d / "main.tf").write_text("".join(POLICY.format(name=f"{env}{i}") for i in range(8)))
    log = tmp_path / "reads.log"
    parent = os.getpid()
    real = inventory_mod._collect_unpaused

    def logged(path: Any, opts: Any, only: Any, *rest: Any) -> Any:
        here = os.getpid() == parent
        if here == (slow == "here"):
            time.sleep(0.3)  # this process's roots cost more than their text says
        with log.open("a") as fh:
            fh.write(f"{'here' if here else 'worker'} {only[0].name}\n")
        return real(path, opts, only, *rest)

    monkeypatch.setattr(inventory_mod, "_collect_unpaused", logged)  # inherited by the fork
    opts = InventoryOptions(jobs=2, cache_dir=tmp_path / "cache" if cache else None)
    split = render_json(build_inventory(root, options=opts))
    [groups] = splits
    assert groups is not None and sorted(len(g) for g in groups) == [4, 4]
    reads = [line.split() for line in log.read_text().splitlines()]
    assert sorted(name for _, name in reads) == list("abcdefgh")  # each root read once
    by = {"here": [n for w, n in reads if w == "here"],
          "worker": [n for w, n in reads if w == "worker"]}  # fmt: skip
    fast = "worker" if slow == "here" else "here"
    assert len(by[fast]) > 4, by  # the fast process took roots of the slow one's group
    taken = set(by[fast]) - {d.name for d in groups[0 if fast == "here" else 1]}
    assert taken, by
    log.unlink()
    monkeypatch.setattr(inventory_mod, "_collect_unpaused", real)
    assert split == render_json(build_inventory(root, options=InventoryOptions(jobs=1)))


def test_each_group_is_read_longest_first(tmp_path: Path, splits: list[Any]) -> None:
    """What another process may take from a group's end is its smallest roots, which
    evens out the end of a read best; the inventory is still in tree order."""
    root = tmp_path / "tree"
    for env, count in (("a", 20), ("b", 50), ("c", 30)):
        d = root / env
        d.mkdir(parents=True)
        (d / "main.tf").write_text("".join(POLICY.format(name=f"{env}{i}") for i in range(count)))
    split = render_json(build_inventory(root, options=InventoryOptions(jobs=2)))
    [groups] = splits
    assert [[d.name for d in g] for g in groups] == [["b"], ["c", "a"]]
    assert split == render_json(build_inventory(root, options=InventoryOptions(jobs=1)))


def test_a_read_failing_in_this_process_stops_the_workers_and_does_not_hang(
    tmp_path: Path,
) -> None:
    """An error in this process's own group ends the read with that error: the worker
    takes no more roots, and neither process waits for the other's partials."""
    import subprocess
    import sys
    import textwrap

    root = tmp_path / "tree"
    for env in "abcdefgh":
        d = root / env
        d.mkdir(parents=True)
        (d / "main.tf").write_text("".join(POLICY.format(name=f"{env}{i}") for i in range(30)))
    script = textwrap.dedent(f"""
        import os, sys, time
        from pathlib import Path
        import lpgen.inventory as inv
        from lpgen.errors import InputError
        inv.PARALLEL_MIN_CHARS = 0
        parent = os.getpid()
        real = inv._collect_unpaused
        def failing(path, opts, only, *rest):
            if os.getpid() == parent and only[0].name in ("a", "b"):
                time.sleep(0.5)  # the worker has sent partials meanwhile
                raise InputError("bad root", file=only[0].name)
            return real(path, opts, only, *rest)
        inv._collect_unpaused = failing
        try:
            inv.build_inventory(Path({str(root)!r}), options=inv.InventoryOptions(jobs=2))
        except InputError as exc:
            print("failed:", exc)
            sys.exit(3)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).parent.parent)  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert "failed: " in done.stdout and "bad root" in done.stdout


@pytest.mark.parametrize("claims", [True, False])
def test_a_forked_worker_is_sent_its_index_only_and_reads_what_it_inherited(
    tmp_path: Path, splits: list[Any], monkeypatch: pytest.MonkeyPatch, claims: bool
) -> None:
    """The scan holds every file's text: a forked worker takes it from the claims it
    inherits (sent through the pipe, it reached the worker late). Where workers are not
    forked (no claims), each is sent everything. Either way the inventory is the same."""
    import pickle

    root = separate_tree(tmp_path / "tree")
    if not claims:
        monkeypatch.setattr(inventory_mod._Claims, "made", classmethod(lambda cls, g: None))
    sent: list[int] = []
    from concurrent.futures import ProcessPoolExecutor

    submit = ProcessPoolExecutor.submit

    def spy(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if fn is inventory_mod._collect_roots_worker:
            sent.append(len(pickle.dumps(args)))
            assert isinstance(args[0], int) == claims
        return submit(self, fn, *args, **kwargs)

    monkeypatch.setattr(ProcessPoolExecutor, "submit", spy)
    split = render_json(build_inventory(root, options=InventoryOptions(jobs=2)))
    [groups] = splits
    assert groups is not None and len(sent) == 1
    text = sum(len(p.read_text()) for p in root.rglob("*.tf"))
    assert (sent[0] < 100) if claims else (sent[0] > text)
    monkeypatch.undo()
    assert split == render_json(build_inventory(root, options=InventoryOptions(jobs=1)))
