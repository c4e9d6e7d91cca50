"""File helpers: atomic writes that never leave a half-written file; what a path is."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from lpgen.errors import InputError


def write_bytes_atomic(path: Path, data: bytes, *, what: str = "") -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory and a rename.

    An existing file keeps its permissions; a new one gets the mode a plain ``open()`` would
    give it (mkstemp alone creates 0600). On any failure the old file is left as it was and
    the temporary file is removed. ``what`` names the file in errors ("snapshot").
    """
    label = f"cannot write {what}: " if what else "cannot write: "
    directory = path.parent if str(path.parent) else Path(".")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InputError(f"{label}{exc.strerror}", file=str(path)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise InputError(f"{label}{exc.strerror}", file=str(path)) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_atomic(path: Path, text: str, *, newline: str = "", what: str = "") -> None:
    """Write ``text`` as UTF-8 atomically; line endings are written exactly as given."""
    if newline not in ("", "\n"):
        text = text.replace("\n", newline)
    write_bytes_atomic(path, text.encode("utf-8"), what=what)


def real_path_under(root: Path, rel: str) -> Path | None:
    """The real path of ``root / rel`` when it lies under the real path of ``root``, else None.

    Symlinks are followed (a symlinked file or directory pointing elsewhere is outside), and
    so are ``..`` parts and absolute paths. The path need not exist.
    """
    base = root.resolve() if root.is_dir() or not root.exists() else root.resolve().parent
    try:
        real = (base / rel).resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return None
    if real == base or base not in real.parents:
        return None
    return real


def special_kind(mode: int) -> str | None:
    """None for a regular file; else what it is ("a FIFO", "a device"): such a path is never
    opened, since reading a FIFO waits for a writer and a device may never end."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def outside_git(directory: str | os.PathLike[str]) -> bool:
    """True when git started in ``directory`` certainly finds no repository: ``GIT_DIR`` is
    not set, and neither the directory nor any above it holds a ``.git`` or looks like a
    bare repository. Starting git costs milliseconds each time; a tree that is not checked
    out from git need not pay for it."""
    if os.environ.get("GIT_DIR"):
        return False
    current = os.path.realpath(directory)
    while True:
        if os.path.lexists(os.path.join(current, ".git")) or (
            os.path.isfile(os.path.join(current, "HEAD"))
            and os.path.isdir(os.path.join(current, "objects"))
        ):
            return False
        parent = os.path.dirname(current)
        if parent == current:
            return True
        current = parent
