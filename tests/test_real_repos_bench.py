"""The public-repository benchmark: its manifest pins commits, its snapshots load and join."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from lpgen.inventory import InventoryOptions, build_inventory
from lpgen.snapshot import loads_snapshot

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

_spec = importlib.util.spec_from_file_location("lpgen_bench_real", BENCHMARKS / "real_repos.py")
assert _spec is not None and _spec.loader is not None
real = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = real
_spec.loader.exec_module(real)


def test_manifest_names_at_least_eight_repositories_at_fixed_commits() -> None:
    repos = real.load_manifest()
    assert len(repos) >= 8
    assert len({r["name"] for r in repos}) == len(repos)
    for r in repos:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", r["repo"])
        assert re.fullmatch(r"[0-9a-f]{40}", r["commit"])
        assert isinstance(r.get("paths", []), list)


def test_snapshot_built_from_an_inventory_loads_and_covers_its_entities() -> None:
    inventory = {
        "users": [{"name": "alice", "path": "/people/"}, {"name": None}],
        "groups": [{"name": "ops", "path": "/"}],
        "roles": [{"name": "ci"}],
        "policies": [{"name": "deploy", "path": "/", "kind": "managed"},
                     {"name": "inline", "kind": "inline"}],
    }
    snap = real.build_snapshot(inventory)
    loaded = loads_snapshot(json.dumps(snap))
    arns = sorted(e["arn"] for e in snap["entities"])
    assert arns == [
        "arn:aws:iam::111122223333:group/ops",
        "arn:aws:iam::111122223333:policy/deploy",
        "arn:aws:iam::111122223333:role/ci",
        "arn:aws:iam::111122223333:user/people/alice",
    ]
    assert loaded.account_id == "111122223333"
    # Deterministic, with used and unused services both present.
    assert real.build_snapshot(inventory) == snap
    used = [("LastAuthenticated" in s) for e in snap["entities"]
            for s in e["details"]["ServicesLastAccessed"]]
    assert any(used) and not all(used)


def test_extract_reads_the_pinned_commit_of_a_bare_clone(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    git = ["git", "-C", str(src), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", str(src)], check=True)
    (src / "iam").mkdir()
    (src / "iam" / "main.tf").write_text('resource "aws_iam_user" "a" {\n  name = "a"\n}\n')
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True,
                            check=True).stdout.strip()
    (src / "iam" / "main.tf").write_text("# changed later\n")
    subprocess.run([*git, "commit", "-qam", "two"], check=True)
    mirror = tmp_path / "mirror"
    subprocess.run(["git", "clone", "-q", "--bare", str(src), str(mirror / "o+r" / "repo")],
                   check=True)
    dest = tmp_path / "trees" / "r"
    entry = {"name": "r", "repo": "o/r", "commit": commit, "paths": ["iam"]}
    assert real.extract(entry, mirror, dest) == "extracted"
    assert real.extract(entry, mirror, dest) == "present"
    assert [p.name for p in real.tf_files(dest)] == ["main.tf"]
    inv = build_inventory(dest, options=InventoryOptions(account_id="111122223333"))
    assert [u.name for u in inv.users] == ["a"]


def test_the_whole_set_is_judged_on_the_repositories_as_one_tree() -> None:
    """The whole-set targets judge one run over the nine as one tree; the sums of the
    separate runs are shown for reference, with no verdict."""
    import argparse

    bench = real.Bench(argparse.Namespace(work=Path("/tmp"), out=Path("/tmp"),
                                          separate_only=False))  # fmt: skip

    def result(name: str, base: float, cold: float, warm: float) -> Any:
        r = real.RepoResult(name, "o/" + name, "0" * 40, files=1, bytes=10**6, baseline_s=base)
        r.times = {m: {"cold": cold, "warm": warm} for m in real.MODES}
        r.identical = {m: True for m in real.MODES}
        return r

    bench.results = [result("a", 2.0, 0.3, 0.1), result("b", 3.0, 0.5, 0.1)]
    bench.together = result(real.TOGETHER, 5.0, 0.7, 0.12)
    report = bench.report()
    assert f"| {real.TOGETHER} | - | 1 | 1.00 | 5.00 | 0.70 s (0.140x) |" in report
    assert ("| check warm, sums of the 2 separate runs (reference) | - | 0.040 (0.2 s / 5.0 s) |"
            in report)
    assert (f"| check warm <= 0.03x, whole set ({real.TOGETHER}) | PASS | 0.024 "
            "(0.12 s / 5.0 s) |" in report)
    assert (f"| trim cold <= 0.2x, whole set ({real.TOGETHER}) | PASS | 0.140 (0.70 s / 5.0 s) |"
            in report)
    assert "FAIL" not in report
    # Without the one tree, the whole set has no verdict.
    bench.together = None
    report = bench.report()
    assert "PASS | 0.024" not in report
    assert "| check warm <= 0.03x, whole set: not measured (--separate-only) | n/a | - |" in report
