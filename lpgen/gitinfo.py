"""When was a line added? ``git blame`` of the Terraform files, when the tree is in git.

Trim keeps an action added to the code less than the window ago: it has not had the chance to
be used. The commit that last touched the line is a conservative proxy for when the action
was added (a later edit of the line only makes it look younger, which keeps more). Lines of
the repository's first commit are marked ``imported`` (git cannot tell whether they are new
or were brought in from elsewhere); trim still treats them as added then, which keeps more.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["LineHistory", "LineOrigin"]

_NULL_COMMIT = "0" * 40
_TIMEOUT = 60


@dataclass(frozen=True)
class LineOrigin:
    """The commit that added a line; ``commit`` is None for a line not committed yet."""

    commit: str | None
    time: datetime | None
    summary: str = ""
    # A line of the repository's first commit: an import whose real age git cannot tell.
    imported: bool = False

    @property
    def short(self) -> str:
        return self.commit[:7] if self.commit else "uncommitted"


_UNCOMMITTED = LineOrigin(None, None, "not committed yet")


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _parse_porcelain(out: str) -> dict[int, LineOrigin]:
    """Map final line numbers to their origin from ``git blame --porcelain`` output."""
    commits: dict[str, dict[str, str]] = {}
    lines: dict[int, str] = {}
    current: str | None = None
    for raw in out.splitlines():
        if raw.startswith("\t"):
            current = None
            continue
        parts = raw.split(" ")
        if current is None and len(parts) >= 3 and len(parts[0]) == 40:
            current = parts[0]
            commits.setdefault(current, {})
            if parts[2].isdigit():
                lines[int(parts[2])] = current
            continue
        if current is not None and parts:
            commits[current][parts[0]] = raw[len(parts[0]) + 1 :]
    result: dict[int, LineOrigin] = {}
    origins: dict[str, LineOrigin] = {}
    for sha, info in commits.items():
        if sha == _NULL_COMMIT:
            origins[sha] = _UNCOMMITTED
            continue
        when: datetime | None = None
        stamp = info.get("committer-time")
        if stamp and stamp.isdigit():
            when = datetime.fromtimestamp(int(stamp), tz=timezone.utc)
        origins[sha] = LineOrigin(sha, when, info.get("summary", ""), imported="boundary" in info)
    for number, sha in lines.items():
        result[number] = origins[sha]
    return result


class LineHistory:
    """Line origins of files under ``root``, from git; :attr:`available` is False outside git."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        base = self.root if self.root.is_dir() else self.root.parent
        from lpgen.fsutil import outside_git

        # Starting git costs milliseconds: not for a tree no repository holds.
        top = None if outside_git(base) else _git(["rev-parse", "--show-toplevel"], base)
        self.toplevel: Path | None = Path(top.strip()) if top else None
        self._cache: dict[str, dict[int, LineOrigin] | None] = {}

    @property
    def available(self) -> bool:
        return self.toplevel is not None

    def _blame(self, rel: str) -> dict[int, LineOrigin] | None:
        if rel in self._cache:
            return self._cache[rel]
        result: dict[int, LineOrigin] | None = None
        base = self.root if self.root.is_dir() else self.root.parent
        path = (base / rel).resolve()
        if self.toplevel is not None and path.is_file():
            # -w: a re-indented line keeps its age; -M: a line moved within the file too.
            # The root commit is reported as a boundary (whatever the user's blame.showRoot).
            out = _git(
                ["-c", "blame.showRoot=false", "blame", "--porcelain", "-w", "-M", "--", path.name],
                path.parent,
            )
            result = _parse_porcelain(out) if out is not None else {}
        self._cache[rel] = result
        return result

    def origin(self, rel: str, line: int) -> LineOrigin | None:
        """Where line ``line`` of ``rel`` (relative to the root) came from.

        None outside git. A file git does not track (or a repository without commits) counts
        as not committed yet.
        """
        table = self._blame(rel)
        if table is None:
            return None
        return table.get(line, _UNCOMMITTED)
