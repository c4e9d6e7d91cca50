"""HashiCorp's own HCL parser (``@cdktf/hcl2json`` from npm) as a second opinion in tests."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

NODE_DIR = Path(__file__).parent / "node"


def available() -> bool:
    return shutil.which("node") is not None and (
        NODE_DIR / "node_modules" / "@cdktf" / "hcl2json"
    ).is_dir()


def hashicorp_parse(paths: list[Path]) -> dict[str, str | None]:
    """Parse every file; map path -> None when accepted, else HashiCorp's error message."""
    if not available():
        pytest.skip("@cdktf/hcl2json is not installed (bash .ci/run installs it with npm)")
    proc = subprocess.run(
        ["node", str(NODE_DIR / "parse.js"), *[str(p) for p in paths]],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, str | None] = json.loads(proc.stdout)
    return result


def hashicorp_json(paths: list[Path]) -> dict[str, dict[str, Any]]:
    """Parse every file; map path -> {"ok": body as JSON} or {"error": message}."""
    if not available():
        pytest.skip("@cdktf/hcl2json is not installed (bash .ci/run installs it with npm)")
    proc = subprocess.run(
        ["node", str(NODE_DIR / "tojson.js"), *[str(p) for p in paths]],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result: dict[str, dict[str, Any]] = json.loads(proc.stdout)
    return result
