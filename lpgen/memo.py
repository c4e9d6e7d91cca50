"""Judgments remembered for the length of one command (what `lpgen check` decides twice).

`lpgen check` judges the tree's declarations, then judges them again together with the
declarations of unknown count (:func:`lpgen.check._conditional_findings`): the same policy
objects, the same documents. Inside :func:`remembering`, a judgment of an object (what a
document allows, the findings on one policy) is kept, keyed by the identity of the objects it
was made of, and those objects are kept alive with it, so an identity is never reused by
another object while the scope lasts. Outside the scope nothing is kept: every call computes.

Only pure judgments of objects that nothing changes while the scope lasts belong here (the
checks read an inventory and never modify it).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar, cast

__all__ = ["remembered", "remembering"]

T = TypeVar("T")

_Store = dict[Hashable, tuple[tuple[object, ...], object]]
_SCOPE: ContextVar[_Store | None] = ContextVar("lpgen_memo", default=None)


@contextmanager
def remembering() -> Iterator[None]:
    """Keep judgments until the block ends (a nested block shares the outer one's)."""
    if _SCOPE.get() is not None:
        yield
        return
    token = _SCOPE.set({})
    try:
        yield
    finally:
        _SCOPE.reset(token)


def active() -> bool:
    """Whether judgments are being kept."""
    return _SCOPE.get() is not None


def remembered(
    kind: str, objects: tuple[object, ...], extra: Hashable, compute: Callable[[], T]
) -> T:
    """``compute()``, or what it gave before in this scope for the same ``kind``, the same
    ``objects`` (by identity) and an equal ``extra``."""
    store = _SCOPE.get()
    if store is None:
        return compute()
    key = (kind, tuple(map(id, objects)), extra)
    hit = store.get(key)
    if hit is not None:
        return cast(T, hit[1])
    value = compute()
    store[key] = (objects, value)
    return value
