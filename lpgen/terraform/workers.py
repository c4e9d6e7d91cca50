"""Worker processes kept from the tree's parallel read, for the checks of rewritten files.

``trim`` reads the tree in parallel processes, then checks every file it rewrites with
python-hcl2's grammar (:func:`lpgen.terraform.cache.check_parses`), whose loading alone costs
about 0.05 s. Within :func:`keep_workers`, the read's worker process is not shut down when
its roots are read: it loads that grammar while this process plans the edits, and the checks
are then made there. Outside the block (``check``, ``inventory``), nothing is kept.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

_KEPT: list[Any] | None = None


@contextlib.contextmanager
def keep_workers() -> Iterator[None]:
    """Within this block, a parallel read keeps its worker processes (see the module); they
    are shut down when the block ends."""
    global _KEPT
    if _KEPT is not None:  # an outer block keeps them
        yield
        return
    _KEPT = []
    try:
        yield
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
