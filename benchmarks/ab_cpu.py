"""Compare two versions of lpgen on real trees: CPU time, alternately, in one session.

    git archive OLD lpgen | tar -x -C /tmp/ab/a      # a directory holding an lpgen package
    git archive NEW lpgen | tar -x -C /tmp/ab/b
    python benchmarks/ab_cpu.py --a /tmp/ab/a --b /tmp/ab/b --trees WORK/trees \\
        --snapshots WORK/snapshots --repos modernisation-platform,terraform-aws-eks --repeat 3

``WORK`` is a ``benchmarks/real_repos.py --work`` directory (its ``trees/NAME`` and
``snapshots/NAME.json``). Each command (``check --snapshot``, ``trim --diff``, ``check``
without usage data) runs ``--repeat`` times per version, the versions alternating (A B, B A,
...), with ``--no-cache`` and cold (an emptied cache directory). The figure is the CPU time
(user + system, worker processes included) of the whole process, which a busy shared machine
disturbs less than wall-clock time; the median is printed, and whether both versions wrote
the same output.
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


def run(src: Path, argv: list[str], cache: Path | None, cwd: Path) -> tuple[float, bytes]:
    env = dict(os.environ, PYTHONPATH=str(src))
    if cache is None:
        argv = [*argv, "--no-cache"]
    else:
        shutil.rmtree(cache, ignore_errors=True)
        env["LPGEN_CACHE_DIR"] = str(cache)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-m", "lpgen", *argv], cwd=cwd, env=env,
                          capture_output=True, check=False)  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return cpu, done.stdout + done.stderr


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--a", type=Path, required=True, help="directory holding version A's lpgen")
    ap.add_argument("--b", type=Path, required=True, help="directory holding version B's lpgen")
    ap.add_argument("--trees", type=Path, required=True)
    ap.add_argument("--snapshots", type=Path, required=True)
    ap.add_argument("--repos", required=True, help="comma-separated names under --trees")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cwd, cache = Path(tmp), Path(tmp) / "cache"  # cwd: no lpgen package beside it
        print("| repository | command | mode | A cpu (s) | B cpu (s) | B / A | same output |")
        print("|---|---|---|---|---|---|---|")
        for repo in args.repos.split(","):
            tree = str(args.trees / repo)
            snap = str(args.snapshots / f"{repo}.json")
            commands = {
                "check": ["check", tree, "--snapshot", snap, "--format", "json", "--fail-on",
                          "critical"],
                "trim": ["trim", tree, "--snapshot", snap, "--diff"],
                "check static": ["check", tree, "--format", "json", "--fail-on", "critical"],
            }  # fmt: skip
            for name, argv in commands.items():
                for mode, where in (("no-cache", None), ("cold", cache)):
                    cpu: dict[str, list[float]] = {"a": [], "b": []}
                    out: dict[str, bytes] = {}
                    for i in range(args.repeat):
                        for tag in ("a", "b") if i % 2 == 0 else ("b", "a"):
                            t, text = run(getattr(args, tag), argv, where, cwd)
                            cpu[tag].append(t)
                            out.setdefault(tag, text)
                    a, b = statistics.median(cpu["a"]), statistics.median(cpu["b"])
                    same = "yes" if out["a"] == out["b"] else "NO"
                    row = f"| {repo} | {name} | {mode} | {a:.2f} | {b:.2f} | {b / a:.2f} |"
                    print(f"{row} {same} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
