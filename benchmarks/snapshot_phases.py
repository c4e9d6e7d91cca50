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
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from abphases import ab_arguments, alternately, phases_cpu

TARGETS = {
    "load": "lpgen.snapshot:load_snapshot",
    "index": "lpgen.usage:UsageIndex.from_snapshots",
    "plan": "lpgen.trim:plan_trim",
}
PHASES = tuple(TARGETS)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ab_arguments(ap)
    ap.add_argument("--snapshots", type=Path, required=True)
    ap.add_argument("--command", choices=("trim", "check"), default="trim")
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

            def phases(src: Path, argv: list[str] = argv) -> list[float]:
                spent, whole = phases_cpu(src, argv, TARGETS, cache, cwd)
                return [*(spent[k] for k in PHASES), whole]

            a, b = alternately(args, phases)
            cells = [f"{x:.3f} -> {y:.3f}" for x, y in zip(a, b, strict=True)]
            print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
