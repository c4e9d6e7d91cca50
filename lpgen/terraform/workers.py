"""Worker processes kept from the tree's parallel read, for the checks of rewritten files.

``trim`` reads the tree in parallel processes, then checks every file it rewrites with
python-hcl2's grammar (:func:`lpgen.terraform.cache.check_parses`), whose loading alone costs
about 0.05 s. Within :func:`keep_workers`, the read's worker process is not shut down when
its roots are read: it loads that grammar while this process plans the edits, and the checks
are then made there. Outside the block (``check``, ``inventory``), nothing is kept.

Within the block, what can wait (writing the run's cache entries) is done :func:`later`: while
this process would otherwise wait for the worker's checks, or when the block ends.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

_KEPT: list[Any] | None = None
_LATER: list[Callable[[], object]] = []
_OWNER = 0  # the process whose block it is (a forked worker inherits _KEPT, not the block)


@contextlib.contextmanager
def keep_workers() -> Iterator[None]:
    """Within this block, a parallel read keeps its worker processes (see the module); they
    are shut down when the block ends."""
    global _KEPT, _OWNER
    if _KEPT is not None:  # an outer block keeps them
        yield
        return
    _KEPT = []
    _OWNER = os.getpid()
    try:
        yield
    finally:
        try:
            run_later()
        finally:
            kept, _KEPT = _KEPT, None
            for pool in kept:
                pool.shutdown(wait=True)


def wanted() -> bool:
    """Whether a parallel read should keep its workers (inside :func:`keep_workers`)."""
    return _KEPT is not None


def keep(pool: Any) -> None:
    """Keep ``pool`` (its workers busy loading the checker) until the block ends."""
    assert _KEPT is not None
    _KEPT.append(pool)


def kept_pool() -> Any | None:
    """The pool a parallel read kept in this block, if any."""
    return _KEPT[-1] if _KEPT else None


def later(task: Callable[[], object]) -> bool:
    """Within :func:`keep_workers`, queue ``task`` for :func:`run_later` (True); outside it,
    False: the caller does it now."""
    if _KEPT is None or os.getpid() != _OWNER:
        return False
    _LATER.append(task)
    return True


def run_later() -> None:
    """Do what :func:`later` queued, in order."""
    while _LATER:
        _LATER.pop(0)()
