"""CPU time of `lpgen check`'s checks alone (not the read), two versions alternately.

    git archive OLD lpgen | tar -x -C /tmp/ab/a      # a directory holding an lpgen package
    git archive NEW lpgen | tar -x -C /tmp/ab/b
    python benchmarks/check_phase.py --a /tmp/ab/a --b /tmp/ab/b --trees WORK/trees \\
        --repos modernisation-platform,notification-terraform --repeat 3 [--snapshots DIR]

Each run is a cold `lpgen check TREE` (an emptied cache directory; with ``--snapshots``, also
``--snapshot DIR/NAME.json``) in a new process. The figure is the process's CPU time spent in
``run_check`` minus the time in ``build_inventory``: the checks, the conditional pass, merging,
suppression and sorting, and the imports they need. Compile both packages first
(``python -m compileall -q /tmp/ab/a /tmp/ab/b``) when PYTHONDONTWRITEBYTECODE is set, or a
version without ``__pycache__`` pays for compiling its modules in every run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

_PROBE = """
import sys, time
import lpgen.check as chk
import lpgen.inventory as invm
spent = {"inv": 0.0, "run": 0.0}
def timed(f, key):
    def wrapper(*a, **k):
        t = time.process_time()
        try:
            return f(*a, **k)
        finally:
            spent[key] += time.process_time() - t
    return wrapper
invm.build_inventory = timed(invm.build_inventory, "inv")
chk._run_check = timed(chk._run_check, "run")
from lpgen.cli import main
sys.argv = ["lpgen", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print(f"CHECKS {spent['run'] - spent['inv']:.4f}", file=sys.stderr)
"""


def checks_cpu(src: Path, argv: list[str], cache: Path) -> float:
    shutil.rmtree(cache, ignore_errors=True)
    env = dict(os.environ, PYTHONPATH=str(src))
    done = subprocess.run([sys.executable, "-c", _PROBE, *argv, "--cache-dir", str(cache)],
                          env=env, capture_output=True, text=True, check=False)  # fmt: skip
    for line in done.stderr.splitlines():
        if line.startswith("CHECKS "):
            return float(line.split()[1])
    raise SystemExit(f"no figure from {src}: {done.stderr[-500:]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--a", type=Path, required=True, help="directory holding version A's lpgen")
    ap.add_argument("--b", type=Path, required=True, help="directory holding version B's lpgen")
    ap.add_argument("--trees", type=Path, required=True)
    ap.add_argument("--snapshots", type=Path, help="run with --snapshot DIR/NAME.json")
    ap.add_argument("--repos", required=True, help="comma-separated names under --trees")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print("| repository | checks CPU, A | B | B / A |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        for name in args.repos.split(","):
            argv = ["check", str(args.trees / name)]
            if args.snapshots is not None:
                argv += ["--snapshot", str(args.snapshots / f"{name}.json")]
            got: dict[str, list[float]] = {"a": [], "b": []}
            for n in range(args.repeat):
                order = ("a", "b") if n % 2 == 0 else ("b", "a")
                for which in order:
                    got[which].append(checks_cpu(getattr(args, which), argv, cache))
            a, b = statistics.median(got["a"]), statistics.median(got["b"])
            print(f"| {name} | {a:.3f} s | {b:.3f} s | {b / a:.2f} |", flush=True)


if __name__ == "__main__":
    main()
