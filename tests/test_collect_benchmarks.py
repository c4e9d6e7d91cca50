"""The collect benchmarks still run end to end (tiny sizes, no latency): they import internals."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
QUICK = ["--latency-min", "0", "--latency-max", "0.001", "--job-seconds", "0,0.01",
         "--throttle", "0", "--limit", "0", "--max-seconds", "60", "--time-limit", "100"]  # fmt: skip


@pytest.mark.parametrize(
    ("script", "size"),
    [
        ("collect_bench.py", ["--entities", "6", "--concurrency", "2"]),
        ("org_collect_bench.py", ["--accounts", "2", "--entities", "3", "--concurrency", "2"]),
    ],
)
def test_collect_benchmark_runs_and_checks_its_snapshots(script: str, size: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *size, *QUICK],
        capture_output=True, text=True, timeout=150, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.rstrip().endswith("OK")
