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
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from abphases import ab_arguments, alternately, phases_cpu

TARGETS = {"inv": "lpgen.inventory:build_inventory", "run": "lpgen.check:_run_check"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ab_arguments(ap)
    ap.add_argument("--snapshots", type=Path, help="run with --snapshot DIR/NAME.json")
    args = ap.parse_args()
    print("| repository | checks CPU, A | B | B / A |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        cwd, cache = Path(tmp), Path(tmp) / "cache"  # cwd: no lpgen package beside it
        for name in args.repos.split(","):
            argv = ["check", str(args.trees / name)]
            if args.snapshots is not None:
                argv += ["--snapshot", str(args.snapshots / f"{name}.json")]

            def checks(src: Path, argv: list[str] = argv) -> list[float]:
                spent, _whole = phases_cpu(src, argv, TARGETS, cache, cwd)
                return [spent["run"] - spent["inv"]]

            (a,), (b,) = alternately(args, checks)
            print(f"| {name} | {a:.3f} s | {b:.3f} s | {b / a:.2f} |", flush=True)


if __name__ == "__main__":
    main()
