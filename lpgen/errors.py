"""Exceptions the library raises; the CLI turns them into one-line messages and exit codes."""

from __future__ import annotations

# An error is one line; a value echoed in it (a 5 MB string in a snapshot) is cut.
MAX_MESSAGE = 1000


def cut(value: object, limit: int = 80) -> str:
    """``repr(value)`` for an error message, cut to about ``limit`` characters."""
    text = repr(value)
    if len(text) <= limit:
        return text
    size = f" ({len(value):,} characters)" if isinstance(value, str) else ""
    return text[: max(limit - 1, 1)] + "…" + size


class LpgenError(Exception):
    """Base class: a problem the user can act on, with the file and line at fault."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        if len(message) > MAX_MESSAGE:
            message = message[:MAX_MESSAGE] + f"… ({len(message):,} characters, cut)"
        message = message.replace("\r", " ").replace("\n", " ")
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        return f"{where}{self.message}"


class InputError(LpgenError):
    """Bad input: unparseable Terraform, invalid snapshot, bad option value (exit 2)."""


class ParseError(InputError):
    """A Terraform or JSON file could not be parsed."""


class SnapshotError(InputError):
    """A snapshot file is missing, malformed or of an unknown format."""


class EditError(LpgenError):
    """A file could not be edited safely; nothing was written."""


class AwsError(LpgenError):
    """AWS refused or failed a call in a way that stops the run."""


class ToolMissingError(LpgenError):
    """An external program lpgen needs (e.g. Graphviz `dot`) is not installed."""
