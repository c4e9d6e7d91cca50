"""CPU time of what `--snapshot` adds: loading, indexing, planning; two versions alternately.

    git archive OLD lpgen | tar -x -C /tmp/ab/a      # a directory holding an lpgen package
    git archive NEW lpgen | tar -x -C /tmp/ab/b
    python -m compileall -q /tmp/ab/a /tmp/ab/b      # or each run compiles its modules
    python benchmarks/snapshot_phases.py --a /tmp/ab/a --b /tmp/ab/b --trees WORK/trees \\
        --snapshots WORK/snapshots --repos modernisation-platform,notification-terraform

Each run is a cold ``lpgen trim TREE --snapshot DIR/NAME.json --diff`` (or ``lpgen check
TREE --snapshot ... --format json`` with ``--command check``) in a new process, with an
emptied cache directory. The figures are the CPU time spent in ``load_snapshot``,
``UsageIndex.from_snapshots`` and ``plan_trim`` (the trim planner, LP001 in ``check``), and
the whole process's; medians over ``--repeat`` runs per version, the versions alternating.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PHASES = ("load", "index", "plan")

_PROBE = """
import sys, time
import lpgen.snapshot as snapm
import lpgen.usage as usagem
import lpgen.trim as trimm
spent = {"load": 0.0, "index": 0.0, "plan": 0.0}
def timed(f, key):
    def wrapper(*a, **k):
        t = time.process_time()
        try:
            return f(*a, **k)
        finally:
            spent[key] += time.process_time() - t
    return wrapper
snapm.load_snapshot = timed(snapm.load_snapshot, "load")
index = usagem.UsageIndex.from_snapshots.__func__
usagem.UsageIndex.from_snapshots = classmethod(timed(index, "index"))
trimm.plan_trim = timed(trimm.plan_trim, "plan")
from lpgen.cli import main
sys.argv = ["lpgen", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print("PHASES " + " ".join(f"{spent[k]:.4f}" for k in ("load", "index", "plan")), file=sys.stderr)
"""


def phases_cpu(src: Path, argv: list[str], cache: Path, cwd: Path) -> list[float]:
    """The three phases' CPU time and the whole process's, in seconds."""
    shutil.rmtree(cache, ignore_errors=True)
    env = dict(os.environ, PYTHONPATH=str(src), LPGEN_CACHE_DIR=str(cache))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-c", _PROBE, *argv], env=env, cwd=cwd,
                          capture_output=True, text=True, check=False)  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    whole = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    for line in done.stderr.splitlines():
        if line.startswith("PHASES "):
            return [*map(float, line.split()[1:]), whole]
    raise SystemExit(f"no figure from {src}: {done.stderr[-500:]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--a", type=Path, required=True, help="directory holding version A's lpgen")
    ap.add_argument("--b", type=Path, required=True, help="directory holding version B's lpgen")
    ap.add_argument("--trees", type=Path, required=True)
    ap.add_argument("--snapshots", type=Path, required=True)
    ap.add_argument("--repos", required=True, help="comma-separated names under --trees")
    ap.add_argument("--command", choices=("trim", "check"), default="trim")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print("| repository | load_snapshot A -> B | UsageIndex | plan_trim | whole run |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        cwd, cache = Path(tmp), Path(tmp) / "cache"  # cwd: no lpgen package beside it
        for name in args.repos.split(","):
            tree, snap = str(args.trees / name), str(args.snapshots / f"{name}.json")
            argv = (
                ["trim", tree, "--snapshot", snap, "--diff"]
                if args.command == "trim"
                else ["check", tree, "--snapshot", snap, "--format", "json"]
            )
            got: dict[str, list[list[float]]] = {"a": [], "b": []}
            for n in range(args.repeat):
                for which in ("a", "b") if n % 2 == 0 else ("b", "a"):
                    got[which].append(phases_cpu(getattr(args, which), argv, cache, cwd))
            cells = []
            for i in range(len(PHASES) + 1):
                a = statistics.median(run[i] for run in got["a"])
                b = statistics.median(run[i] for run in got["b"])
                cells.append(f"{a:.3f} -> {b:.3f}")
            print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
