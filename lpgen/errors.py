"""Exceptions the library raises; the CLI turns them into one-line messages and exit codes."""

from __future__ import annotations


class LpgenError(Exception):
    """Base class: a problem the user can act on, with the file and line at fault."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
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
