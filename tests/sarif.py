"""SARIF validation for the tests: the OASIS schema (vendored) and, where installed, Microsoft's
SARIF Multitool with GitHub code scanning's rules (``validate --rule-kind "Gh;Sarif"``)."""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

ROOT = Path(__file__).resolve().parent.parent
# The official OASIS SARIF 2.1.0 schema (errata 01), copied from
# https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json
SARIF_SCHEMA = ROOT / "tests" / "data" / "schemas" / "sarif-2.1.0.json"
NODE_MODULES = ROOT / "tests" / "node" / "node_modules"


@cache
def sarif_validator() -> Any:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def schema_errors(log: dict[str, Any]) -> list[str]:
    """Every way ``log`` breaks the SARIF 2.1.0 schema, one line each."""
    errors = sorted(sarif_validator().iter_errors(log), key=lambda e: list(e.path))
    return [f"{list(e.path)}: {e.message}" for e in errors]


def multitool() -> Path | None:
    """The SARIF Multitool binary npm installed under tests/node (None when absent)."""
    for binary in sorted(NODE_MODULES.glob("@microsoft/sarif-multitool-*/Sarif.Multitool")):
        if binary.is_file():
            return binary
    found = shutil.which("sarif-multitool")
    return Path(found) if found else None


def multitool_problems(log: dict[str, Any], tmp: Path) -> list[str]:
    """Errors and warnings of ``Sarif.Multitool validate --rule-kind "Gh;Sarif"`` on ``log``."""
    tool = multitool()
    assert tool is not None
    target = tmp / "log.sarif"
    target.write_text(json.dumps(log), encoding="utf-8")
    out = tmp / "validation.sarif"
    out.unlink(missing_ok=True)
    # Called directly, not through npm's bin.js, which hands the arguments to a shell
    # (where "Gh;Sarif" would end the command).
    done = subprocess.run(
        [str(tool), "validate", "--rule-kind", "Gh;Sarif", "--output", str(out), str(target)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.is_file(), done.stdout + done.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    problems = []
    for run in report.get("runs", []):
        for result in run.get("results", []):
            level = result.get("level", "warning")
            if level in ("error", "warning"):
                problems.append(f"{result.get('ruleId')}: {result['message'].get('text', '')}")
    if done.returncode != 0 and not problems:
        problems.append(f"multitool exited {done.returncode}: {done.stdout}{done.stderr}")
    return problems
