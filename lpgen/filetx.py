"""All-or-nothing writes of several files: stage all, then replace; restore on failure.

:func:`replace_all` first writes every new text to a temporary file next to its target
(fsynced, with the target's permissions) and keeps the old version reachable (a hard link,
or a copy where links are not supported). Only when every file is staged does it replace
the targets, one ``os.replace`` each; if one fails, the targets already replaced get their
old version back. No temporary file is left in any case the process survives.

A process killed in the middle cannot clean up after itself, so before replacing anything
it writes a journal (``.lpgen-write.json`` in the tree's root) naming every target, its
staged and old versions and their hashes. :func:`recover` (run by the next ``--write``)
puts back the old version of every target the interrupted run replaced, removes the
temporary files and the journal, and says what it did; :func:`leftovers` only reports.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lpgen.errors import EditError

__all__ = ["JOURNAL", "leftovers", "recover", "replace_all"]

JOURNAL = ".lpgen-write.json"
_FORMAT = "lpgen.write-journal/1"
_STAGED, _OLD = ".lpgen-new-", ".lpgen-old-"


@dataclass
class _Slot:
    target: Path
    label: str  # the path shown to users (relative to the root)
    data: bytes
    staged: Path | None = None
    old: Path | None = None
    staged_made: bool = False
    old_made: bool = False
    replaced: bool = False


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _create(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _stage(slot: _Slot) -> None:
    assert slot.staged is not None and slot.old is not None
    fd = _create(slot.staged)
    slot.staged_made = True
    with os.fdopen(fd, "wb") as fh:
        fh.write(slot.data)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(slot.staged, slot.target.stat().st_mode & 0o7777)
    # The old version stays reachable under a second name until the run is over.
    try:
        os.link(slot.target, slot.old)
    except OSError:
        shutil.copy2(slot.target, slot.old)
        with open(slot.old, "rb") as fh:
            os.fsync(fh.fileno())
    slot.old_made = True


def _discard(slots: Sequence[_Slot], journal: Path | None) -> None:
    for slot in slots:
        for p, made in ((slot.staged, slot.staged_made), (slot.old, slot.old_made)):
            if p is not None and made:
                with contextlib.suppress(OSError):
                    os.unlink(p)
    if journal is not None:
        with contextlib.suppress(OSError):
            os.unlink(journal)


def _write_journal(root: Path, slots: Sequence[_Slot]) -> Path:
    journal = root / JOURNAL
    entries = []
    for s in slots:
        assert s.staged is not None and s.old is not None
        entries.append(
            {
                "target": s.label,
                "staged": os.path.relpath(s.staged, root),
                "old": os.path.relpath(s.old, root),
                "new_sha256": _sha(s.data),
            }
        )
    fd, tmp = tempfile.mkstemp(prefix=".lpgen-write.", suffix=".tmp", dir=root)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"format": _FORMAT, "files": entries}, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, journal)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(root)
    return journal


def replace_all(root: Path, files: Sequence[tuple[Path, str, bytes]]) -> None:
    """Replace every ``(target, label, data)`` or none of them; raise EditError on failure.

    ``label`` names the file in errors (its path under ``root``). The error says which file
    failed and what state the tree is in.
    """
    slots = [_Slot(target, label, data) for target, label, data in files]
    if not slots:
        return
    root = root.resolve()
    if (root / JOURNAL).exists():
        raise EditError(
            "an earlier write was interrupted; run `lpgen trim --write` again to restore "
            "what it left (nothing was written now)",
            file=JOURNAL,
        )
    import secrets  # only when writing

    run = secrets.token_hex(4)
    for slot in slots:
        slot.staged = slot.target.with_name(f".{slot.target.name}{_STAGED}{run}.tmp")
        slot.old = slot.target.with_name(f".{slot.target.name}{_OLD}{run}.tmp")
    journal: Path | None = None
    current: _Slot | None = None
    try:
        # The journal comes first: whatever happens next, the next run knows every name.
        journal = _write_journal(root, slots)
        for slot in slots:
            current = slot
            _stage(slot)
        current = None
    except OSError as exc:
        _discard(slots, journal)
        what = "the edited file" if current is not None else "the journal of the write"
        raise EditError(
            f"cannot stage {what}: {exc.strerror or exc}; nothing was replaced, "
            "the tree is as it was",
            file=current.label if current is not None else JOURNAL,
        ) from None
    except BaseException:
        _discard(slots, journal)
        raise
    try:
        for slot in slots:
            current = slot
            assert slot.staged is not None
            os.replace(slot.staged, slot.target)
            slot.replaced = True
            slot.staged_made = False
        current = None
    except BaseException as exc:
        done = sum(1 for s in slots if s.replaced)
        failed = _restore(slots)
        if failed:
            # Keep the journal and the old versions: the next run puts them back.
            for slot in slots:
                if slot.staged is not None and slot.staged_made:
                    with contextlib.suppress(OSError):
                        os.unlink(slot.staged)
            names = ", ".join(s.label for s in failed)
            state = (
                f"could not restore {names}: the tree is partly written; the next "
                f"`lpgen trim --write` restores it from {JOURNAL}"
            )
        else:
            _discard(slots, journal)
            state = "nothing was replaced, the tree is as it was" if not done else (
                f"the {done} file{'s' if done != 1 else ''} already replaced "
                f"{'were' if done != 1 else 'was'} restored, the tree is as it was"
            )
        if not isinstance(exc, OSError):
            raise
        label = current.label if current is not None else slots[0].label
        raise EditError(f"cannot replace: {exc.strerror or exc}; {state}", file=label) from None
    _discard(slots, journal)
    for directory in {s.target.parent for s in slots}:
        _fsync_dir(directory)


def _restore(slots: Sequence[_Slot]) -> list[_Slot]:
    """Put back the old version of every replaced target; the ones that could not be."""
    failed: list[_Slot] = []
    for slot in slots:
        if not slot.replaced:
            continue
        assert slot.old is not None
        try:
            os.replace(slot.old, slot.target)
            slot.old_made = False
            slot.replaced = False
        except OSError:
            failed.append(slot)
    return failed


# --------------------------------------------------------------------------------------------
# After an interrupted run


def _read_journal(root: Path) -> list[dict[str, str]] | None:
    path = root / JOURNAL
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return []
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        return []
    files = data.get("files")
    if not isinstance(files, list):
        return []
    return [
        f
        for f in files
        if isinstance(f, dict)
        and all(isinstance(f.get(k), str) for k in ("target", "staged", "old"))
    ]


def _inside(root: Path, rel: str) -> Path | None:
    from lpgen.fsutil import real_path_under

    return real_path_under(root, rel)


def _journal_dirs(root: Path, entries: list[dict[str, str]] | None) -> list[Path]:
    found = [_inside(root, e["target"]) for e in entries or []]
    return [p.parent for p in found if p is not None]


def _strays(root: Path, directories: Sequence[Path]) -> list[Path]:
    found: list[Path] = []
    for d in sorted(set(directories)):
        with contextlib.suppress(OSError):
            for p in sorted(d.iterdir()):
                name = p.name
                if name.startswith(".") and name.endswith(".tmp") and (
                    _STAGED in name or _OLD in name
                ):
                    found.append(p)
    return found


def leftovers(root: Path, directories: Sequence[Path] = ()) -> list[str]:
    """What an interrupted write left under ``root`` (nothing is changed)."""
    root = root.resolve()
    notes: list[str] = []
    entries = _read_journal(root)
    directories = [*directories, *_journal_dirs(root, entries)]
    if entries is not None:
        notes.append(
            f"{JOURNAL}: an earlier `lpgen trim --write` was interrupted; the files it "
            "names may be partly written (the next --write restores them)"
        )
    for p in _strays(root, [root, *directories]):
        if _OLD in p.name and entries is None:
            notes.append(
                f"{os.path.relpath(p, root)}: an earlier version of a file from an interrupted "
                "write (no journal); compare and delete it by hand"
            )
            continue
        notes.append(
            f"{os.path.relpath(p, root)}: temporary file of an interrupted write "
            "(the next --write removes it)"
        )
    return notes


def recover(root: Path, directories: Sequence[Path] = ()) -> list[str]:
    """Undo an interrupted write under ``root`` and remove its temporary files.

    A target still holding what the interrupted run wrote gets its old version back; a
    target changed since is left alone (and so is its old version, which is reported).
    Returns what was done, one line per file.
    """
    root = root.resolve()
    notes: list[str] = []
    entries = _read_journal(root)
    directories = [*directories, *_journal_dirs(root, entries)]
    keep: set[Path] = set()
    for entry in entries or []:
        target, old, staged = (_inside(root, entry[k]) for k in ("target", "old", "staged"))
        if target is None or old is None or staged is None:
            continue
        with contextlib.suppress(OSError):
            staged.unlink()
        try:
            before = _sha(old.read_bytes())
        except OSError:
            continue  # nothing to put back
        try:
            current = _sha(target.read_bytes())
        except OSError:
            current = ""
        if current == before:
            with contextlib.suppress(OSError):
                os.unlink(old)  # never replaced, or already restored
        elif current == entry.get("new_sha256"):
            try:
                os.replace(old, target)
                notes.append(f"{entry['target']}: restored from an interrupted write")
            except OSError as exc:
                keep.add(old)
                notes.append(
                    f"{entry['target']}: could not restore from {entry['old']} "
                    f"({exc.strerror}); do it by hand"
                )
        elif current:
            keep.add(old)
            notes.append(
                f"{entry['target']}: changed since an interrupted write; its earlier "
                f"version is kept in {entry['old']}"
            )
        else:
            with contextlib.suppress(OSError):
                os.unlink(old)
    if entries is not None:
        if not keep:
            with contextlib.suppress(OSError):
                (root / JOURNAL).unlink()
        if not notes:
            notes.append(f"{JOURNAL}: removed the journal of an interrupted write")
    for p in _strays(root, [root, *directories]):
        if p in keep:
            continue
        if _OLD in p.name and entries is None:
            notes.append(
                f"{os.path.relpath(p, root)}: an earlier version of a file from an interrupted "
                "write (no journal); compare and delete it by hand"
            )
            continue
        with contextlib.suppress(OSError):
            p.unlink()
            notes.append(
                f"{os.path.relpath(p, root)}: removed a temporary file of an interrupted write"
            )
    return notes
