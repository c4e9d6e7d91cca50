"""Scans of a tree kept while one command runs (no heavy imports: every command opens one).

A command may look at its tree more than once (the account map's and the results' cache keys,
the account map, the inventory) and writes nothing in between: within :func:`shared_scans`,
:func:`lpgen.terraform.treescan.scan_tree` walks a tree (same root and excludes) once, and
:func:`lpgen.terraform.loader.scan_tree` plans its reading once. A command that writes into
the tree calls :func:`forget` once it has (what is kept describes the tree before).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

_SCANS: dict[tuple[Any, ...], Any] | None = None


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


def kept(key: tuple[Any, ...]) -> Any:
    """The scan kept under ``key`` in this block (None: none, or outside a block)."""
    return _SCANS.get(key) if _SCANS is not None else None


def keep(key: tuple[Any, ...], scan: Any) -> None:
    if _SCANS is not None:
        _SCANS[key] = scan


def forget() -> None:
    """Drop what this block kept (the tree was written to)."""
    if _SCANS is not None:
        _SCANS.clear()
