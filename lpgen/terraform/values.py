"""Evaluated Terraform values that remember where they came from."""

from __future__ import annotations

from typing import Any

from lpgen.model import Location


class SStr(str):
    """A string literal with the span it was read from."""

    loc: Location | None

    def __new__(cls, value: str, loc: Location | None = None) -> SStr:
        obj = super().__new__(cls, value)
        obj.loc = loc
        return obj


class SList(list[Any]):
    """A tuple/list literal with its span; ``note`` says why it cannot be edited in place."""

    def __init__(
        self,
        items: Any = (),
        loc: Location | None = None,
        note: str | None = None,
        item_locs: list[Location] | None = None,
    ) -> None:
        super().__init__(items)
        self.loc = loc
        self.note = note
        # Spans of the elements as written in this literal (a reference's value keeps the
        # provenance of what it refers to; this is where the list names it).
        self.item_locs = item_locs


class TSet(list[Any]):
    """A Terraform set: unique elements in Terraform's iteration order."""


class SDict(dict[str, Any]):
    """An object/map literal (or an HCL block) with its span."""

    # A policy statement that replaces one with the same Sid in aws_iam_policy_document's
    # merge: where the replaced statement came from (see lpgen.policydoc).
    replaces: str | None = None

    def __init__(
        self, items: Any = (), loc: Location | None = None, note: str | None = None
    ) -> None:
        super().__init__(items)
        self.loc = loc
        self.note = note


class Encoded(str):
    """A JSON document as a string that also keeps the structured value it came from.

    ``style`` is how it was written (jsonencode, heredoc, file, templatefile, policy_document);
    ``complete`` is False when parts are unknown (the text then holds placeholders).
    """

    value: Any
    style: str
    complete: bool
    loc: Location | None
    source_file: str | None

    def __new__(
        cls,
        text: str,
        value: Any,
        style: str,
        *,
        complete: bool = True,
        loc: Location | None = None,
        source_file: str | None = None,
    ) -> Encoded:
        obj = super().__new__(cls, text)
        obj.value = value
        obj.style = style
        obj.complete = complete
        obj.loc = loc
        obj.source_file = source_file
        return obj


class Unknown:
    """A value that cannot be known statically, with the reason (never guessed)."""

    __slots__ = ("reason", "ref")

    def __init__(self, reason: str, ref: str | None = None) -> None:
        self.reason = reason
        self.ref = ref  # address of the resource this value belongs to, when it is an attribute

    def __repr__(self) -> str:
        return f"Unknown({self.reason!r})"

    def __bool__(self) -> bool:
        return False


class Unreadable(Unknown):
    """A value that can never be read: a missing or unreadable file, invalid JSON in it.

    Unlike other unknowns it is not waiting for a value: Terraform or AWS rejects it.
    """

    __slots__ = ()


class Invalid(Unknown):
    """An expression Terraform itself would reject (a missing attribute or key, an index out
    of range, an instance that does not exist): what ``try()`` passes over, ``can()`` is false
    for. Every other Unknown is a value not known yet, and stays unknown through them."""

    __slots__ = ()


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


# The exact types that hold no Unknown and need no stripping of provenance but their own
# (tested first: nearly every value walked is one of them).
_LEAVES = frozenset({str, SStr, Encoded, int, float, bool, type(None)})


def first_unknown(value: Any) -> Unknown | None:
    """Return the first Unknown found anywhere inside ``value``."""
    if type(value) in _LEAVES:
        return None
    if isinstance(value, Unknown):
        return value
    if isinstance(value, dict):
        for v in value.values():
            if type(v) in _LEAVES:
                continue
            u = first_unknown(v)
            if u is not None:
                return u
    elif isinstance(value, list):
        for v in value:
            if type(v) in _LEAVES:
                continue
            u = first_unknown(v)
            if u is not None:
                return u
    return None


def to_plain(value: Any) -> Any:
    """Strip provenance: plain str/list/dict (Unknown stays Unknown)."""
    cls = type(value)
    if cls is str or cls is int or cls is bool or value is None:
        return value
    if isinstance(value, Unknown) or value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    return value


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, TSet):
        return "set"
    if isinstance(value, list):
        return "tuple"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__
