"""Caches of results keyed by file content, and parsing of many files.

Reading a tree is dominated by python-hcl2's parser. Parse trees themselves are not cached:
loading a serialised lark tree costs as much as parsing the text again. What is cached is whole
results (an inventory, a trim or check result) under a key covering every input file, what
reading each root module gives under a key covering the files it reads (so an edit reads
again only the roots that read the edited file), and the fact that an edited text parses.
Entries are written atomically (temporary file + rename), so concurrent runs can share a
directory; an unreadable entry, or one of the wrong shape, is
simply computed again. Entries are tagged JSON (:mod:`lpgen.terraform.cachecodec`), never
pickle: a cache directory may be shared (CI caches), and loading an entry must not be able
to run code. Keys include the lpgen and python-hcl2 versions and a digest of lpgen's own
source, so a changed lpgen never reads results an older one computed.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lpgen import __version__
from lpgen.errors import ParseError

if TYPE_CHECKING:
    from lark import Tree

CACHE_FORMAT = 4
# Below this much text, starting worker processes costs more than it saves.
PARALLEL_MIN_CHARS = 400_000
# Rewritten files are checked by python-hcl2's parser building no tree, about 0.7 µs a
# character after 0.05 s to load its grammar: from this much text, in parallel. Below it the
# workers (forked, then fed, then joined: about 0.05 s of CPU and 0.03 s of wall time on two
# cores) cost more than they save; the largest trim of the public repositories rewrites 145 KB.
VERIFY_PARALLEL_MIN_CHARS = 400_000
# With the read's worker kept (see lpgen.terraform.workers), from this much text this process
# loads the checker too and shares the checks (below, the worker alone is quicker: loading
# the grammar here takes as long as checking about 60 KB).
VERIFY_SHARE_MIN_CHARS = 100_000


@lru_cache(maxsize=1)
def _salt() -> bytes:
    hcl2_version = _dist_version("python-hcl2", "hcl2")
    # The fast reader's grammar too: its trees are python-hcl2's, but a new grammar is a new
    # reader, and the reader setting (LPGEN_PARSER) decides which one runs.
    ts_version = _dist_version("tree-sitter", "tree_sitter")
    ts_hcl_version = _dist_version("tree-sitter-hcl", "tree_sitter_hcl")
    reader = os.environ.get("LPGEN_PARSER", "auto").strip().lower()
    return (
        f"lpgen={__version__};src={_source_digest()};hcl2={hcl2_version};"
        f"ts={ts_version};ts-hcl={ts_hcl_version};reader={reader};format={CACHE_FORMAT}"
    ).encode()


def _dist_version(dist: str, module: str) -> str:
    """The installed version of the distribution ``dist`` that provides ``module``.

    Read from the name of its ``.dist-info`` directory next to the module (importing
    :mod:`importlib.metadata` costs more than the rest of a run answered from the cache);
    importlib.metadata only when there is none there.
    """
    import importlib.util

    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return "not installed"
    if spec.origin:
        prefix = dist.replace("-", "_").lower() + "-"
        site = os.path.dirname(os.path.dirname(os.path.realpath(spec.origin)))
        try:
            names = sorted(
                e.name[len(prefix) : -len(".dist-info")]
                for e in os.scandir(site)
                if e.name.lower().startswith(prefix) and e.name.endswith(".dist-info")
            )
        except OSError:
            names = []
        if names:
            return ",".join(names)
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:
        return "unknown"


def _source_digest() -> str:
    """A digest of lpgen's own modules: a result computed by other code is not reused."""
    h = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*.py")):
        h.update(path.relative_to(package).as_posix().encode())
        try:
            h.update(path.read_bytes())
        except OSError:
            h.update(b"?")
    return h.hexdigest()[:16]


def default_cache_dir() -> Path:
    env = os.environ.get("LPGEN_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lpgen"


class ParseCache:
    """Which texts are known to parse, by content hash (markers, not trees)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory / "parses"

    def key(self, text: str) -> str:
        h = hashlib.sha256(_salt())
        h.update(text.encode("utf-8", "surrogatepass"))
        return h.hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key[2:]}.ok"

    def known_to_parse(self, key: str) -> bool:
        """Whether a text with this key parsed before."""
        return self._path(key).exists()

    def mark_parses(self, key: str) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
        except OSError:
            return  # a read-only or full cache directory only costs speed


def _parse_one(args: tuple[str, str], reference: bool = False) -> Tree[Any] | ParseError:
    from lpgen.terraform.parse import parse_hcl

    text, rel = args
    try:
        return parse_hcl(text, rel=rel, reference=reference)
    except ParseError as exc:
        return exc


# Files read while several root modules are read one after the other in this process (see
# :func:`shared_parses`): a module directory two roots call is parsed once.
_SHARED: dict[tuple[str, str], Any] | None = None
# The directories whose files are kept (None: every file).
_SHARED_DIRS: frozenset[Path] | None = None


@contextlib.contextmanager
def shared_parses(dirs: Iterable[Path] | None = None) -> Iterator[None]:
    """Within this block, a file read again with the same text and path is not parsed again
    (the loader keeps what it read of it, see :func:`shared_reads`; that is never modified
    once built). With ``dirs``, only the files of those directories (resolved paths: the
    ones more than one of the roots read) are kept, the others freed once read."""
    global _SHARED, _SHARED_DIRS
    outer, outer_dirs = _SHARED, _SHARED_DIRS
    if outer is None:
        _SHARED = {}
        _SHARED_DIRS = frozenset(dirs) if dirs is not None else None
    try:
        yield
    finally:
        _SHARED, _SHARED_DIRS = outer, outer_dirs


def shared_reads(path: Path | None = None) -> dict[tuple[str, str], Any] | None:
    """What the loader read of each file, by ``(text, rel)``, within :func:`shared_parses`;
    None outside, or when the file at ``path`` is not one to keep."""
    if _SHARED is not None and path is not None and _SHARED_DIRS is not None:
        return _SHARED if path.parent in _SHARED_DIRS else None
    return _SHARED


def parse_many(items: Sequence[tuple[str, str]]) -> list[Tree[Any] | ParseError]:
    """Parse ``(text, rel)`` pairs in order; a file that does not parse gives its error.

    The cyclic garbage collector is paused meanwhile: parse trees are millions of objects
    that stay alive, and its passes over them find nothing and double the time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return [_parse_one(item) for item in items]
    finally:
        if enabled:
            gc.enable()


class ResultCache:
    """Whole results (an inventory) keyed by every input file of a tree.

    The key covers the options and the content of every .tf and .tfvars file under the root;
    an entry also records the hash of every other file the result depends on (modules outside
    the root, files read by ``file()`` and ``templatefile()``) and is used only while they are
    unchanged.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory / "results"

    def tree_key(self, root: Path, options: str, *, exclude: tuple[str, ...] = ()) -> str:
        from lpgen.terraform.treescan import scan_tree

        h = hashlib.sha256(_salt())
        h.update(f"\0{root}\0{options}\0".encode())
        # A .tf that is not a regular file (a FIFO, a broken link) is skipped with a warning:
        # its name and kind are part of the key, so a cached result never hides that warning.
        skipped: list[tuple[str, str]] = []
        found = scan_tree(root, exclude, skipped)
        for rel, kind in sorted(skipped):
            h.update(f"skipped\0{rel}\0{kind}\0".encode())
        for d in found:
            prefix = d.rel + "/" if d.rel else ""
            for name, st in d.tf:
                h.update(f"{prefix}{name}\0".encode())
                h.update(_digest_of(os.path.join(d.real, name), st).encode())
            for name, maybe in d.tfvars:
                # Never open a FIFO named like a tfvars file; its name is part of the key
                # (the reader warns about it).
                if maybe is None:
                    h.update(f"skipped\0{prefix}{name}\0".encode())
                else:
                    h.update(f"{prefix}{name}\0".encode())
                    h.update(_digest_of(os.path.join(d.real, name), maybe).encode())
        return h.hexdigest()

    def root_key(
        self,
        root: Path,
        options: str,
        directory: Path,
        dirs: dict[Path, list[tuple[str, str]]],
        skipped: Sequence[tuple[str, str]] = (),
    ) -> str:
        """The key of what reading one root module ``directory`` gives: the options, the
        content of every .tf file of the module directories it reaches (``dirs``: directory
        -> ``(path under root, text)``), its tfvars files, and the files skipped anywhere in
        the tree (each read reports them). Files it reads beyond these (modules outside the
        tree, ``file()`` sources, ``--var-file``) are recorded as an entry's dependencies.
        """
        h = hashlib.sha256(_salt())
        h.update(f"\0root\0{root}\0{options}\0{directory}\0".encode())
        for rel, kind in sorted(skipped):
            h.update(f"skipped\0{rel}\0{kind}\0".encode())
        for d, files in sorted(dirs.items()):
            h.update(f"dir\0{d}\0".encode())
            for rel, text in files:
                h.update(f"{rel}\0".encode())
                h.update(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest())
        tfvars = sorted(
            p for p in directory.iterdir() if p.name.endswith((".tfvars", ".tfvars.json"))
        )
        for f in tfvars:
            h.update(f"tfvars\0{f.name}\0".encode())
            h.update((_file_hash(f) if f.is_file() else "not a regular file").encode())
        return h.hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def load(self, key: str, root: Path, expected: type | None = None) -> object | None:
        """The entry for ``key`` if it is well formed (of type ``expected``) and every file
        it depends on is unchanged; None otherwise (a miss)."""
        from lpgen.terraform.cachecodec import CacheFormatError, decode

        try:
            data = self._path(key).read_bytes()
            entry = decode(data)
        except (OSError, CacheFormatError):
            return None
        if not (isinstance(entry, dict) and set(entry) == {"deps", "value"}):
            return None
        deps, value = entry["deps"], entry["value"]
        if not isinstance(deps, list) or not all(
            isinstance(d, list) and len(d) == 2 and all(isinstance(x, str) for x in d)
            for d in deps
        ):
            return None
        if expected is not None and not isinstance(value, expected):
            return None
        for rel, digest in deps:
            if _file_hash(root / rel) != digest:
                return None
        return value  # type: ignore[no-any-return]

    def store(self, key: str, root: Path, value: object, files: Sequence[str]) -> bool:
        """Keep ``value`` under ``key``; False when it could not be (computed again next
        time). While trim keeps a worker (lpgen.terraform.workers), the entry is written when
        this process would otherwise wait for it, or at the end of the block: True then means
        it is to be written (its files' digests are taken now)."""
        from lpgen.terraform import workers

        deps = [[rel, _file_hash(root / rel)] for rel in files]
        if workers.later(lambda: self._write(key, deps, value)):
            return True
        return self._write(key, deps, value)

    def _write(self, key: str, deps: list[list[str]], value: object) -> bool:
        from lpgen.terraform.cachecodec import encode

        path = self._path(key)
        try:
            data = encode({"deps": deps, "value": value})
        except (TypeError, ValueError, RecursionError):
            return False  # not representable: computed again next time
        tmp: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except OSError:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            return False
        return True


# Digests already computed in this process, by path: (size, mtime_ns, inode, digest). A
# command keys several results on the same files; each is read and hashed once. An entry is
# kept only for a file last modified well before it was hashed, so a file rewritten within
# the file system's timestamp granularity is never mistaken for unchanged ("racy" files are
# hashed again every time, as git does).
_DIGESTS: dict[str, tuple[int, int, int, str]] = {}
_RACY_NS = 2_000_000_000


def _file_hash(path: Path) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return "missing"
    return _digest_of(str(path), st)


def _digest_of(path: str, st: os.stat_result) -> str:
    """The digest of the file at ``path`` whose stat is ``st`` (read unless known)."""
    known = _DIGESTS.get(path)
    if known is not None and known[:3] == (st.st_size, st.st_mtime_ns, st.st_ino):
        return known[3]
    try:
        digest = _read_digest(path, st.st_size)
    except OSError:
        return "missing"
    if st.st_mtime_ns < time.time_ns() - _RACY_NS:
        _DIGESTS[path] = (st.st_size, st.st_mtime_ns, st.st_ino, digest)
    return digest


def _read_digest(path: str, size: int) -> str:
    # os.read on a descriptor: a warm run reads every file of the tree, and an io object
    # per file costs more than reading a small one.
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        while True:
            chunk = os.read(fd, max(size + 1, 65536))
            if not chunk:
                break
            h.update(chunk)
    finally:
        os.close(fd)
    return h.hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes ("missing" when it cannot be read)."""
    return _file_hash(path)


def git_head(root: Path) -> str:
    """The commit checked out at ``root`` ("" outside git): results that read git history
    depend on it."""
    import subprocess

    from lpgen.fsutil import outside_git

    if outside_git(root):
        return ""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def cached_result(
    cache_dir: Path | None,
    root: Path,
    parts: Sequence[str],
    compute: Callable[[], Any],
    *,
    files_of: Callable[[Any], Sequence[str]],
    exclude: tuple[str, ...] = (),
    expected: type | None = None,
) -> Any:
    """Return ``compute()``, or the result of an earlier call with the same inputs.

    The key is every .tf/.tfvars file under ``root`` plus ``parts`` (options, the contents
    of snapshot files, the git commit, ...); ``files_of(result)`` names the other files the
    result read, which must be unchanged for the entry to be used.
    """
    if cache_dir is None:
        return compute()
    cache = ResultCache(cache_dir)
    key = cache.tree_key(root, "\0".join(parts), exclude=exclude)
    found = cache.load(key, root, expected)
    if found is not None:
        return found
    result = compute()
    cache.store(key, root, result, files_of(result))
    return result


def _parse_ok(args: tuple[str, str]) -> ParseError | None:
    from lpgen.terraform.parse import recognised

    if recognised(args[0]):
        return None
    # Not accepted (or not known): python-hcl2 proper, for its verdict and its error.
    result = _parse_one(args, reference=True)
    return result if isinstance(result, ParseError) else None


def _check_in_kept(
    pool: Any, items: Sequence[tuple[str, str]], share: bool
) -> list[ParseError | None]:
    """Check ``items`` in the worker the tree's read kept (see lpgen.terraform.workers),
    which has loaded the checker meanwhile. With ``share`` (a big batch), this process
    loads it too and checks, smallest first, the files the worker has not started."""
    from lpgen.terraform import workers

    order = sorted(range(len(items)), key=lambda n: -len(items[n][0]))
    futures = [pool.submit(_parse_ok, items[n]) for n in order]
    out: list[ParseError | None] = [None] * len(items)
    if not share:
        workers.run_later()  # the cache entries of this run, while the worker checks
    else:
        from lpgen.terraform.parse import preload_verifier

        preload_verifier()
        for n, future in zip(reversed(order), reversed(futures), strict=True):
            if not future.cancel():
                break  # the worker has reached this one: it has the rest too
            out[n] = _parse_ok(items[n])
        workers.run_later()
    for n, future in zip(order, futures, strict=True):
        if not future.cancelled():
            out[n] = future.result()
    return out


def check_parses(
    items: Sequence[tuple[str, str]], *, jobs: int | None = None
) -> list[ParseError | None]:
    """Whether each ``(text, rel)`` parses (None) or the error, by python-hcl2 itself (the
    reference reader: this checks rewritten files). Its grammar and lark parser decide, without
    building a tree (:func:`lpgen.terraform.parse.recognised`); a text they reject is parsed
    again by python-hcl2 proper for its error. Only the verdict crosses process boundaries, so
    big batches are checked in parallel cheaply."""
    from lpgen.terraform.workers import kept_pool

    workers = min(jobs if jobs is not None else min(os.cpu_count() or 1, 8), len(items))
    size = sum(len(t) for t, _ in items)
    kept = kept_pool() if jobs is None and items else None
    enabled = gc.isenabled()
    gc.disable()
    try:
        if kept is not None:
            return _check_in_kept(kept, items, size >= VERIFY_SHARE_MIN_CHARS)
        if workers > 1 and size >= VERIFY_PARALLEL_MIN_CHARS:
            from concurrent.futures import ProcessPoolExecutor

            from lpgen.terraform.parse import preload_verifier

            preload_verifier()  # load the grammar once, before the workers fork
            # Biggest first, one file at a time: the workers finish together.
            order = sorted(range(len(items)), key=lambda n: -len(items[n][0]))
            with ProcessPoolExecutor(max_workers=workers) as pool:
                done = list(pool.map(_parse_ok, [items[n] for n in order]))
            out: list[ParseError | None] = [None] * len(items)
            for n, verdict in zip(order, done, strict=True):
                out[n] = verdict
            return out
        return [_parse_ok(item) for item in items]
    finally:
        if enabled:
            gc.enable()
