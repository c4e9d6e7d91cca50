"""How reports name a file of this repository's test data: relative to the repository root."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def shown(path: Path) -> str:
    """``tests/data/reader/x`` for a tree under this repository, as every report names it."""
    return path.resolve().relative_to(REPO).as_posix()
