"""The repository stands alone: nothing in it reads a file outside the clone."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# ROOT.parent, "../shared", parent.parent.parent: a path that leaves the clone.
LEAVES_THE_CLONE = re.compile(r"ROOT\.parent\b|\.\./shared|parent\.parent\.parent|/work/")


def test_no_test_or_script_reads_outside_the_repository() -> None:
    offenders = []
    for folder in ("tests", "lpgen", "benchmarks", ".ci"):
        for path in sorted((ROOT / folder).rglob("*")):
            if not path.is_file() or "data" in path.relative_to(ROOT).parts:
                continue
            if path.suffix not in (".py", ".sh", "") or "node_modules" in path.parts:
                continue
            if path == Path(__file__):
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            for number, line in enumerate(text.splitlines(), 1):
                if LEAVES_THE_CLONE.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_sarif_schema_is_vendored() -> None:
    schema = ROOT / "tests" / "data" / "schemas" / "sarif-2.1.0.json"
    assert '"Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"' in schema.read_text(
        encoding="utf-8"
    )
