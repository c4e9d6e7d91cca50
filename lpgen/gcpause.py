"""The cyclic garbage collector paused while a step allocates what the rest of the run keeps."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the ``with`` block.

    Loading a snapshot, indexing its usage and planning a trim allocate tens of thousands of
    dicts, lists and records, most of them kept to the end of the command; each of the
    collector's passes would walk all that was allocated since the last, and find nothing
    (they hold no reference cycles). What is alive afterwards is kept out of the collector's
    generations, as after reading the tree (:mod:`lpgen.inventory`): objects are still freed
    as usual when their last reference goes. Nested blocks leave the collector to the
    outermost one.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.enable()
