"""A parse cache keyed by file content, and parallel parsing of many files.

Parsing is the slow part of reading a tree (python-hcl2 does roughly 100-200 KB/s), so parse
results are pickled into a cache directory keyed by the SHA-256 of the text plus the lpgen and
python-hcl2 versions. Entries are written atomically (temporary file + rename), so concurrent
runs can share a directory; an unreadable entry is simply parsed again.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

from lark import Tree

from lpgen import __version__
from lpgen.errors import ParseError

CACHE_FORMAT = 1
# Below this much text, starting worker processes costs more than it saves.
PARALLEL_MIN_CHARS = 400_000


@lru_cache(maxsize=1)
def _salt() -> bytes:
    try:
        from importlib.metadata import version

        hcl2_version = version("python-hcl2")
    except Exception:
        hcl2_version = "unknown"
    return f"lpgen={__version__};hcl2={hcl2_version};format={CACHE_FORMAT}".encode()


def default_cache_dir() -> Path:
    env = os.environ.get("LPGEN_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lpgen"


class ParseCache:
    """Pickled parse trees by content hash."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.hits = 0
        self.misses = 0

    def key(self, text: str) -> str:
        h = hashlib.sha256(_salt())
        h.update(text.encode("utf-8", "surrogatepass"))
        return h.hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key[2:]}.pickle"

    def get(self, key: str) -> Tree[Any] | None:
        try:
            with open(self._path(key), "rb") as fh:
                value = pickle.load(fh)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError):
            self.misses += 1
            return None
        if not isinstance(value, Tree):
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, key: str, tree: Tree[Any]) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pickle")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(tree, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except OSError:
            # A read-only or full cache directory only costs speed.
            return


def _parse_one(args: tuple[str, str]) -> Tree[Any] | ParseError:
    from lpgen.terraform.parse import parse_hcl

    text, rel = args
    try:
        return parse_hcl(text, rel=rel)
    except ParseError as exc:
        return exc


def parse_many(
    items: Sequence[tuple[str, str]],
    *,
    cache: ParseCache | None,
    jobs: int | None = None,
) -> list[Tree[Any] | ParseError]:
    """Parse ``(text, rel)`` pairs, from the cache when possible, in parallel when worth it."""
    results: list[Tree[Any] | ParseError | None] = [None] * len(items)
    keys: list[str] = []
    todo: list[int] = []
    for i, (text, _rel) in enumerate(items):
        key = cache.key(text) if cache is not None else ""
        keys.append(key)
        hit = cache.get(key) if cache is not None else None
        if hit is not None:
            results[i] = hit
        else:
            todo.append(i)
    work = [items[i] for i in todo]
    size = sum(len(t) for t, _ in work)
    workers = jobs if jobs is not None else min(os.cpu_count() or 1, 8)
    if workers > 1 and len(work) > 1 and size >= PARALLEL_MIN_CHARS:
        # Big files first so the pool stays balanced.
        order = sorted(range(len(work)), key=lambda k: -len(work[k][0]))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            parsed = list(pool.map(_parse_one, [work[k] for k in order], chunksize=4))
        out: list[Tree[Any] | ParseError] = [ParseError("unparsed")] * len(work)
        for k, value in zip(order, parsed, strict=True):
            out[k] = value
    else:
        out = [_parse_one(w) for w in work]
    for i, value in zip(todo, out, strict=True):
        results[i] = value
        if cache is not None and isinstance(value, Tree):
            cache.put(keys[i], value)
    return [r if r is not None else ParseError("unparsed") for r in results]
