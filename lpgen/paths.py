"""Where report paths are relative to: the repository root, or PATH outside a repository.

Every command names files the same way, whatever the current directory: relative to the
top of the git work tree that holds PATH (so SARIF, GitHub annotations and review comments
match the repository), or relative to PATH when it is not in a git work tree.
"""

from __future__ import annotations

import dataclasses
import os
import posixpath
import re
import subprocess
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

_T = TypeVar("_T")

__all__ = [
    "account_anchor",
    "display_root",
    "file_anchor",
    "prefix_under_root",
    "relative_to_root",
    "shown_graph_files",
    "shown_locations",
]


@lru_cache(maxsize=64)
def _toplevel(directory: str) -> str | None:
    from lpgen.fsutil import outside_git

    if outside_git(directory):
        return None
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    top = done.stdout.strip()
    return top if done.returncode == 0 and top else None


def display_root(path: str | os.PathLike[str] | None) -> Path:
    """The directory report paths are relative to, for a tree at ``path`` (None: the cwd)."""
    start = Path(path).resolve() if path is not None else Path.cwd().resolve()
    if start.is_file():
        start = start.parent
    top = _toplevel(str(start))
    if top is not None:
        return Path(top).resolve()
    return start if path is not None else Path.cwd().resolve()


def prefix_under_root(path: str | os.PathLike[str], root: Path) -> str | None:
    """``infra/prod`` for a tree at ``<root>/infra/prod``; None for the root itself."""
    rel = relative_to_root(Path(path).resolve(), root)
    return None if rel in (None, ".") else rel


def relative_to_root(file: str | os.PathLike[str], root: Path) -> str | None:
    """``file`` (absolute, or relative to the cwd) as a POSIX path under ``root``.

    None when it lies outside ``root``.
    """
    absolute = Path(file).resolve()
    try:
        rel = absolute.relative_to(root)
    except ValueError:
        return None
    text = rel.as_posix()
    return posixpath.normpath(text) if text else "."


_PROVIDER = re.compile(r'^[ \t]*provider[ \t]+"?aws"?[ \t]*\{', re.MULTILINE)
_SKIP_DIRS = frozenset({".terraform", ".git", "node_modules"})


def account_anchor(path: str | os.PathLike[str], root: Path) -> tuple[str, int] | None:
    """Where account-level findings are shown in code scanning: the tree's AWS provider.

    A finding about the account (the root user, a user no Terraform declares) has no
    resource to point at; it is anchored at the first ``provider "aws"`` block of the tree
    at ``path`` (files in sorted order), else at line 1 of its first ``.tf`` file. None when
    the tree has no ``.tf`` file under ``root``.
    """
    tree = Path(path).resolve()
    first: tuple[str, int] | None = None
    for file in _tf_files_in_order(tree):
        if not file.is_file():
            continue
        rel = relative_to_root(file, root)
        if rel is None:
            continue
        if first is None:
            first = (rel, 1)
        try:
            text = file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        match = _PROVIDER.search(text)
        if match is not None:
            return rel, text.count("\n", 0, match.start()) + 1
    return first


def _tf_files_in_order(top: Path) -> Iterator[Path]:
    """What ``sorted(top.rglob("*.tf"))`` gives outside ``.terraform``, ``.git`` and
    ``node_modules``, lazily: depth first, each directory's entries sorted by name (the
    order of sorted paths), so that the first provider block is found without walking the
    whole tree. Symbolic links to directories are not followed (as rglob)."""
    try:
        with os.scandir(top) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.endswith(".tf"):
            yield top / entry.name
        try:
            into = entry.is_dir() and not entry.is_symlink()
        except OSError:
            into = False
        if into and entry.name not in _SKIP_DIRS:
            yield from _tf_files_in_order(top / entry.name)


def file_anchor(file: str | os.PathLike[str] | None, root: Path) -> tuple[str, int] | None:
    """Line 1 of ``file`` (a plan, a credential report) when it lies under ``root``."""
    if file is None:
        return None
    rel = relative_to_root(file, root)
    return (rel, 1) if rel is not None else None


def shown_locations(obj: _T, prefix: str | None) -> _T:
    """A copy of a dataclass (an Inventory) whose list items' ``location`` and
    ``entry_location`` name files ``prefix/FILE``: for reports only, never for edits."""
    if not prefix or not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        return obj
    from lpgen.model import Location

    def moved(item: Any) -> Any:
        if not dataclasses.is_dataclass(item) or isinstance(item, type):
            return item
        changes = {}
        for name in ("location", "entry_location"):
            loc = getattr(item, name, None)
            if isinstance(loc, Location):
                changes[name] = dataclasses.replace(loc, file=posixpath.join(prefix, loc.file))
        return dataclasses.replace(item, **changes) if changes else item

    lists = {
        f.name: [moved(x) for x in getattr(obj, f.name)]
        for f in dataclasses.fields(obj)
        if f.init and isinstance(getattr(obj, f.name), list)
    }
    return dataclasses.replace(obj, **lists)


def shown_graph_files(graph: Any, prefix: str | None) -> None:
    """Name the ``file`` attribute of every node and edge of a networkx graph
    ``prefix/FILE`` (the graph is built for this one report)."""
    if not prefix:
        return
    for _node, data in graph.nodes(data=True):
        if data.get("file"):
            data["file"] = posixpath.join(prefix, data["file"])
    for _u, _v, data in graph.edges(data=True):
        if data.get("file"):
            data["file"] = posixpath.join(prefix, data["file"])
