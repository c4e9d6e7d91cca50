"""One walk of a Terraform tree: which directories hold .tf files, and what else is there.

Every command starts by finding the tree's files, and a run answered from the cache does
little else: the walk uses :func:`os.scandir` (each entry's type comes with the directory
listing) and plain strings, and gives each file's ``stat`` so that a file's digest can be
reused while its size, modification time and inode are unchanged.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import stat as stat_mod
from dataclasses import dataclass, field

from lpgen.errors import InputError

__all__ = ["ScannedDir", "scan_tree"]


@dataclass
class ScannedDir:
    """A directory under the root that holds at least one regular ``.tf`` file."""

    # Its real path, and its path under the root ("" for the root itself).
    real: str
    rel: str
    # The regular .tf files (sorted names) with their stat.
    tf: list[tuple[str, os.stat_result]] = field(default_factory=list)
    # The *.tfvars and *.tfvars.json entries (sorted within each pattern, *.tfvars first),
    # with their stat; None for one that is not a regular file (never opened).
    tfvars: list[tuple[str, os.stat_result | None]] = field(default_factory=list)
    # The names of the .tf files above that are symbolic links (the others are real paths).
    links: set[str] = field(default_factory=set)


def _kind(mode: int) -> str | None:
    from lpgen.fsutil import special_kind

    return special_kind(mode)


def scan_tree(
    root: str | os.PathLike[str],
    exclude: tuple[str, ...] = (),
    skipped: list[tuple[str, str]] | None = None,
) -> list[ScannedDir]:
    """The directories under ``root`` holding regular .tf files, top-down, sorted.

    Skips ``.terraform``, hidden directories and ``node_modules``, and every file or directory
    whose path relative to ``root`` matches one of the ``exclude`` glob patterns
    (``fnmatch`` style). Symbolic links to directories are not followed. A ``.tf`` that is not
    a regular file (a FIFO, a socket, a device, a broken link) is never opened: it is added
    to ``skipped`` as ``(path under root, what it is)``. A symbolic link that loops is an
    InputError.
    """
    from lpgen.terraform import scans

    top = os.fspath(root)
    key = ("walk", top, exclude)
    before = scans.kept(key)  # this command walked the tree already (see lpgen.terraform.scans)
    if before is not None:
        walked, seen = before
        if skipped is not None:
            skipped.extend(seen)
        return list(walked)
    mine: list[tuple[str, str]] = []
    out = _walk(top, exclude, mine)
    scans.keep(key, (tuple(out), tuple(mine)))
    if skipped is not None:
        skipped.extend(mine)
    return out


def _walk(top: str, exclude: tuple[str, ...], skipped: list[tuple[str, str]]) -> list[ScannedDir]:
    real_top = os.path.realpath(top)
    out: list[ScannedDir] = []

    def excluded(rel: str) -> bool:
        return any(fnmatch.fnmatchcase(rel, pattern) for pattern in exclude)

    def walk(path: str, rel: str) -> None:
        prefix = rel + "/" if rel else ""
        try:
            with os.scandir(path) as it:
                entries = list(it)
        except OSError:
            return  # as os.walk: a directory that cannot be listed is left out
        subdirs: list[tuple[str, str]] = []
        tf_names: list[str] = []
        links: set[str] = set()
        tfvars: list[os.DirEntry[str]] = []
        for entry in entries:
            name = entry.name
            if name.endswith((".tfvars", ".tfvars.json")):
                tfvars.append(entry)  # whatever it is (a directory is named, not read)
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if name.startswith(".") or name == "node_modules" or excluded(prefix + name):
                    continue
                try:
                    link = entry.is_symlink()
                except OSError:
                    link = False
                if not link:
                    subdirs.append((name, entry.path))
                continue
            if name.endswith(".tf") and not name.startswith(".") and not excluded(prefix + name):
                tf_names.append(name)
                try:
                    if entry.is_symlink():
                        links.add(name)
                except OSError:
                    links.add(name)  # not known: resolved as a link would be
        regular: list[tuple[str, os.stat_result]] = []
        by_name = {e.name: e for e in entries}
        for name in sorted(tf_names):
            st = _stat(by_name[name], prefix + name)
            kind = "a broken symbolic link" if st is None else _kind(st.st_mode)
            if kind is None and st is not None:
                regular.append((name, st))
            else:
                skipped.append((prefix + name, kind or "not a regular file"))
        if regular:
            found = ScannedDir(real=os.path.join(real_top, rel) if rel else real_top, rel=rel,
                               tf=regular, links=links & {n for n, _ in regular})  # fmt: skip
            plain = sorted(e.name for e in tfvars if e.name.endswith(".tfvars"))
            json_ = sorted(e.name for e in tfvars if e.name.endswith(".tfvars.json"))
            for name in [*plain, *json_]:
                try:
                    st = os.stat(by_name[name].path)
                except OSError:
                    found.tfvars.append((name, None))
                    continue
                found.tfvars.append((name, st if stat_mod.S_ISREG(st.st_mode) else None))
            out.append(found)
        for name, sub in sorted(subdirs):
            walk(sub, prefix + name)

    walk(top, "")
    return out


def _stat(entry: os.DirEntry[str], rel: str) -> os.stat_result | None:
    """The stat of what ``entry`` names (links followed); None for a broken link."""
    try:
        return entry.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"{rel}: symbolic link loop (it never reaches a file)") from None
        if exc.errno == errno.ENOENT:
            return None
        raise InputError(f"{rel}: cannot read: {exc.strerror}") from None
