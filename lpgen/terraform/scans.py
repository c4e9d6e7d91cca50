"""Scans of a tree kept while one command runs (no heavy imports: every command opens one).

A command may look at its tree more than once, the account map and then the inventory, and
writes nothing in between: within :func:`shared_scans`, :func:`lpgen.terraform.loader.scan_tree`
scans a tree (same root and excludes) once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_SCANS: dict[tuple[Path, tuple[str, ...]], Any] | None = None


@contextlib.contextmanager
def shared_scans() -> Iterator[None]:
    """Within this block, a scan of a tree is kept and given again (see the module)."""
    global _SCANS
    outer = _SCANS
    if outer is None:
        _SCANS = {}
    try:
        yield
    finally:
        _SCANS = outer


def kept(key: tuple[Path, tuple[str, ...]]) -> Any:
    """The scan kept under ``key`` in this block (None: none, or outside a block)."""
    return _SCANS.get(key) if _SCANS is not None else None


def keep(key: tuple[Path, tuple[str, ...]], scan: Any) -> None:
    if _SCANS is not None:
        _SCANS[key] = scan
