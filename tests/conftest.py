"""Shared test fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "terraform_examples"

# Tests never talk to a real AWS account.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.pop("AWS_PROFILE", None)
# Fixture snapshots are dated 2026-11-20; only the tests of the age warning want it.
os.environ["LPGEN_MAX_SNAPSHOT_AGE"] = "0"
os.environ.pop("LPGEN_DOCS_URL", None)


@pytest.fixture(autouse=True)
def _private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test gets its own parse cache, never the user's."""
    monkeypatch.setenv("LPGEN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def examples() -> Path:
    return EXAMPLES
