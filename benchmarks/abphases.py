"""What the A/B phase benchmarks share: a probe that times named functions of a cold lpgen run
(CPU time, in a new process), and two versions of lpgen run alternately.

``check_phase.py`` and ``snapshot_phases.py`` are built on it.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

_PROBE = """
import importlib, sys, time
spent = {}
def timed(f, key):
    def wrapper(*a, **k):
        t = time.process_time()
        try:
            return f(*a, **k)
        finally:
            spent[key] = spent.get(key, 0.0) + time.process_time() - t
    return wrapper
for key, target in TARGETS.items():
    module, _, attr = target.partition(":")
    owner = importlib.import_module(module)
    *path, name = attr.split(".")
    for part in path:
        owner = getattr(owner, part)
    found = owner.__dict__[name]
    if isinstance(found, classmethod):
        setattr(owner, name, classmethod(timed(found.__func__, key)))
    else:
        setattr(owner, name, timed(found, key))
from lpgen.cli import main
sys.argv = ["lpgen", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print("PHASES " + " ".join(f"{spent.get(k, 0.0):.4f}" for k in TARGETS), file=sys.stderr)
"""


def phases_cpu(src: Path, argv: list[str], targets: dict[str, str], cache: Path,
               cwd: Path) -> tuple[dict[str, float], float]:
    """CPU seconds spent in each of ``targets`` (name -> ``module:attr``) during one cold
    ``lpgen ARGV`` run of the lpgen in ``src``, and the whole process's."""
    shutil.rmtree(cache, ignore_errors=True)
    env = dict(os.environ, PYTHONPATH=str(src), LPGEN_CACHE_DIR=str(cache))
    script = f"TARGETS = {targets!r}\n" + _PROBE
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-c", script, *argv], env=env, cwd=cwd,
                          capture_output=True, text=True, check=False)  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    whole = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    for line in done.stderr.splitlines():
        if line.startswith("PHASES "):
            return dict(zip(targets, map(float, line.split()[1:]), strict=True)), whole
    raise SystemExit(f"no figure from {src}: {done.stderr[-500:]}")


def ab_arguments(ap: argparse.ArgumentParser) -> None:
    """The arguments every A/B phase benchmark takes."""
    ap.add_argument("--a", type=Path, required=True, help="directory holding version A's lpgen")
    ap.add_argument("--b", type=Path, required=True, help="directory holding version B's lpgen")
    ap.add_argument("--trees", type=Path, required=True)
    ap.add_argument("--repos", required=True, help="comma-separated names under --trees")
    ap.add_argument("--repeat", type=int, default=3)


def alternately(args: argparse.Namespace, measure: Callable[[Path], list[float]]
                ) -> tuple[list[float], list[float]]:
    """``measure(version's directory)`` ``--repeat`` times per version, A and B alternating;
    the medians of each figure, for A and for B."""
    got: dict[str, list[list[float]]] = {"a": [], "b": []}
    for n in range(args.repeat):
        for which in ("a", "b") if n % 2 == 0 else ("b", "a"):
            got[which].append(measure(getattr(args, which)))

    def medians(runs: list[list[float]]) -> list[float]:
        return [statistics.median(run[i] for run in runs) for i in range(len(runs[0]))]

    return medians(got["a"]), medians(got["b"])
