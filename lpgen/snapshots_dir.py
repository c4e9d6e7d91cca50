"""A directory of snapshots, one per account: layout, error records, loading, merging.

``collect --org``/``--accounts`` writes into a directory:

- ``<account id>.json``: the account's snapshot (format ``lpgen.snapshot/1``);
- ``<account id>.error.json``: why the account has no (new) snapshot (format
  ``lpgen.collect-error/1``: ``account_id``, ``name``, ``error``, ``at``); removed when a
  later run collects the account;
- ``summary.json``: the last run's outcome per account (format ``lpgen.collect-summary/1``).

Every ``--snapshot`` option also takes such a directory: all its snapshots are read. An
account that has an error record and no snapshot is an error there (its usage is unknown,
so nothing may be trimmed on the strength of the others).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from lpgen.errors import SnapshotError
from lpgen.fsutil import write_atomic
from lpgen.snapshot import Snapshot, dumps_snapshot, format_time, load_snapshot, parse_time

ERROR_FORMAT = "lpgen.collect-error/1"
SUMMARY_FORMAT = "lpgen.collect-summary/1"
SUMMARY_FILE = "summary.json"
_SNAPSHOT_NAME = re.compile(r"^(\d{12})\.json$")
_ERROR_NAME = re.compile(r"^(\d{12})\.error\.json$")


def snapshot_path(directory: Path, account_id: str) -> Path:
    return directory / f"{account_id}.json"


def error_path(directory: Path, account_id: str) -> Path:
    return directory / f"{account_id}.error.json"


@dataclass(frozen=True)
class ErrorRecord:
    """Why an account could not be collected."""

    account_id: str
    error: str
    at: datetime
    name: str = ""
    file: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": ERROR_FORMAT,
            "account_id": self.account_id,
            "name": self.name,
            "error": self.error,
            "at": format_time(self.at),
        }


def write_error(directory: Path, record: ErrorRecord) -> Path:
    path = error_path(directory, record.account_id)
    write_atomic(path, json.dumps(record.to_dict(), indent=2) + "\n", what="error record")
    return path


def load_error(path: Path) -> ErrorRecord:
    name = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"cannot read error record: {exc}", file=name) from None
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"invalid JSON: {exc.msg}", file=name, line=exc.lineno) from None
    if not isinstance(data, dict) or data.get("format") != ERROR_FORMAT:
        raise SnapshotError(f"not an lpgen error record (format {ERROR_FORMAT})", file=name)
    try:
        return ErrorRecord(
            account_id=str(data["account_id"]),
            error=str(data["error"]),
            at=parse_time(data["at"]),
            name=str(data.get("name") or ""),
            file=name,
        )
    except (KeyError, ValueError) as exc:
        raise SnapshotError(f"malformed error record: {exc}", file=name) from None


def save_into(directory: Path, snapshot: Snapshot) -> Path:
    """Write an account's snapshot atomically and drop a stale error record of it."""
    path = snapshot_path(directory, snapshot.account_id)
    write_atomic(path, dumps_snapshot(snapshot), what="snapshot")
    stale = error_path(directory, snapshot.account_id)
    if stale.exists():
        stale.unlink()
    return path


@dataclass
class DirContents:
    """What a snapshot directory holds, by account id."""

    directory: Path
    snapshots: dict[str, Path]
    errors: dict[str, Path]

    def failed(self) -> list[str]:
        """Accounts with an error record and no snapshot."""
        return sorted(set(self.errors) - set(self.snapshots))


def scan_dir(directory: Path) -> DirContents:
    """List a snapshot directory; a file that is neither is an error (never skipped)."""
    snapshots: dict[str, Path] = {}
    errors: dict[str, Path] = {}
    try:
        entries = sorted(directory.iterdir())
    except OSError as exc:
        raise SnapshotError(f"cannot read directory: {exc.strerror}", file=str(directory)) from None
    for entry in entries:
        name = entry.name
        if name.startswith(".") or name == SUMMARY_FILE or not entry.is_file():
            continue
        if match := _ERROR_NAME.match(name):
            errors[match.group(1)] = entry
        elif match := _SNAPSHOT_NAME.match(name):
            snapshots[match.group(1)] = entry
        elif name.endswith(".json"):
            raise SnapshotError(
                "not a snapshot directory entry (expected <account id>.json, "
                "<account id>.error.json or summary.json)",
                file=str(entry),
            )
    return DirContents(directory, snapshots, errors)


def expand_snapshot_args(values: Sequence[str]) -> list[str]:
    """``--snapshot`` values with every directory replaced by the snapshot files in it."""
    out: list[str] = []
    for value in values:
        path = Path(value)
        if not path.is_dir():
            out.append(value)
            continue
        contents = scan_dir(path)
        failed = contents.failed()
        if failed:
            record = load_error(contents.errors[failed[0]])
            more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
            raise SnapshotError(
                f"account {record.account_id}{more} has no snapshot, only an error record: "
                f"{record.error}; collect it again, or delete {Path(record.file).name} to go on "
                "without its usage",
                file=str(path),
            )
        if not contents.snapshots:
            raise SnapshotError("no snapshot files (<account id>.json) in directory", file=value)
        out.extend(str(p) for _, p in sorted(contents.snapshots.items()))
    return out


def snapshot_accounts(files: Sequence[str]) -> set[str]:
    """The account ids the snapshot files say they are of."""
    out: set[str] = set()
    for file in files:
        try:
            data = json.loads(Path(file).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue  # the snapshot loader reports it, with the line
        if isinstance(data, dict) and isinstance(data.get("account_id"), str):
            out.add(data["account_id"])
    return out


def fresh_snapshot(directory: Path, account_id: str, *, now: datetime, max_age: float) -> bool:
    """Whether the directory holds a snapshot of the account collected at most ``max_age``
    seconds before ``now`` (an unreadable one is not fresh: it is collected again)."""
    path = snapshot_path(directory, account_id)
    if not path.is_file():
        return False
    try:
        snapshot = load_snapshot(path)
    except SnapshotError:
        return False
    if snapshot.account_id != account_id:
        return False
    age = (now - snapshot.collected_at).total_seconds()
    return 0 <= age <= max_age


def parse_age(value: str) -> float:
    """``90m``, ``12h``, ``2d`` (or plain seconds) -> seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", value)
    if not match:
        raise SnapshotError(f"--max-age must look like 90m, 12h or 2d, not {value!r}")
    number = float(match.group(1))
    return number * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


# --- merge -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeResult:
    written: tuple[Path, ...]
    errors: tuple[Path, ...]
    accounts: int
    # (account id, the error record dropped because another input has its snapshot)
    superseded: tuple[tuple[str, str], ...] = ()


def _inputs(values: Iterable[str]) -> tuple[list[Path], list[Path]]:
    snapshots: list[Path] = []
    errors: list[Path] = []
    for value in values:
        path = Path(value)
        if path.is_dir():
            contents = scan_dir(path)
            snapshots.extend(p for _, p in sorted(contents.snapshots.items()))
            errors.extend(p for _, p in sorted(contents.errors.items()))
        elif _ERROR_NAME.match(path.name):
            errors.append(path)
        elif path.is_file():
            snapshots.append(path)
        else:
            raise SnapshotError("no such snapshot file or directory", file=value)
    return snapshots, errors


def merge_dirs(inputs: Sequence[str], out: Path) -> MergeResult:
    """Combine the snapshots (and error records) of several collect runs into ``out``.

    Every input must be a valid ``lpgen.snapshot/1`` snapshot (or error record). Two inputs
    for one account must be identical (a shard's result downloaded twice); otherwise the
    merge fails naming both, and nothing is written. An error record gives way to a
    snapshot of the same account from another input.
    """
    snapshot_files, error_files = _inputs(inputs)
    chosen: dict[str, tuple[Path, Snapshot, str]] = {}
    for path in snapshot_files:
        snapshot = load_snapshot(path)
        text = dumps_snapshot(snapshot)
        old = chosen.get(snapshot.account_id)
        if old is not None and old[2] != text:
            raise SnapshotError(
                f"account {snapshot.account_id} is also in {old[0]} with other data; "
                "merge one of them",
                file=str(path),
            )
        chosen.setdefault(snapshot.account_id, (path, snapshot, text))
    failed: dict[str, ErrorRecord] = {}
    superseded: list[tuple[str, str]] = []
    for path in error_files:
        record = load_error(path)
        if record.account_id in chosen:
            superseded.append((record.account_id, str(path)))
            continue
        old_record = failed.get(record.account_id)
        if old_record is None or record.at > old_record.at:
            failed[record.account_id] = record
    if not chosen and not failed:
        raise SnapshotError("nothing to merge: no snapshots or error records in the inputs")
    written: list[Path] = []
    for account_id, (_, _snapshot, text) in sorted(chosen.items()):
        path = snapshot_path(out, account_id)
        write_atomic(path, text, what="snapshot")
        stale = error_path(out, account_id)
        if stale.exists():
            stale.unlink()
        written.append(path)
    errors = [write_error(out, record) for _, record in sorted(failed.items())]
    return MergeResult(
        written=tuple(written),
        errors=tuple(errors),
        accounts=len(chosen) + len(failed),
        superseded=tuple(superseded),
    )
