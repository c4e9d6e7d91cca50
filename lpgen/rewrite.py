"""Span edits: apply trim decisions to file texts, keeping every byte outside the edited spans.

The rewriter knows nothing about IAM. It receives :class:`Edit` records (remove an element of a
list, replace a string element by several strings, remove an HCL block) located by character
spans, and turns them into text changes that keep the file's comments, commas, quoting,
indentation and line endings. Each edited list is scanned again afterwards and must hold
exactly the elements intended; each changed file must still parse. Writes are atomic, and a
unified diff with ``a/`` ``b/`` prefixes can be produced for ``git apply``.
"""

from __future__ import annotations

import difflib
import itertools
import json
import re
import shutil
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lpgen.errors import EditError, InputError
from lpgen.model import Location, Syntax

__all__ = [
    "Edit",
    "FileChange",
    "apply_edits",
    "list_items",
    "outside_files",
    "read_source",
    "render_diff",
    "write_copy",
    "write_in_place",
]

EditKind = Literal["remove", "replace", "remove_block", "splice"]


@dataclass(frozen=True)
class Edit:
    """One change to one span of one file.

    * ``remove``: drop ``target`` (an element: a string literal or a statement object) from the
      list ``container`` (the ``[...]`` span).
    * ``replace``: write ``values`` (plain strings, e.g. action patterns) in place of the string
      literal ``target``, quoted like it. ``container`` is the list holding it, or None when the
      target is a lone string value (then more than one value becomes a list).
    * ``remove_block``: remove the HCL block ``target`` (``statement { ... }``) with its lines.
    * ``splice``: write ``values[0]`` verbatim in place of the span ``target`` (a whole
      resource block rewritten by its planner, e.g. lpgen.aws_managed_replace).
    """

    kind: EditKind
    target: Location
    container: Location | None = None
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileChange:
    """A file's text before and after the edits (``path`` relative to the tree root).

    ``spans`` are the character changes ``(start, end, replacement)`` on ``old`` when known;
    the diff then shows exactly those, not whatever alignment a line matcher would pick.
    """

    path: str
    old: str
    new: str
    spans: tuple[tuple[int, int, str], ...] = ()


# --------------------------------------------------------------------------------------------
# Reading


def read_source(path: Path) -> str:
    """Read a file as the inventory does: UTF-8, newlines untranslated."""
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


# --------------------------------------------------------------------------------------------
# A light scanner for HCL and JSON lists: strings, templates, comments and brackets


_ScanMode = Literal["hcl", "json"]


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, max(0, pos)) + 1


def _skip_template(text: str, i: int, end: int) -> int:
    """``text[i:i+2]`` is ``${`` or ``%{``; return the index after the matching ``}``."""
    depth = 0
    j = i + 1
    while j < end:
        c = text[j]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return j + 1
        elif c == '"':
            j = _skip_string(text, j, end, "hcl")
            continue
        j += 1
    raise ValueError("unterminated template sequence")


def _skip_string(text: str, i: int, end: int, mode: _ScanMode) -> int:
    """``text[i]`` is ``"``; return the index after the closing quote."""
    j = i + 1
    while j < end:
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == '"':
            return j + 1
        if c in "$%" and text.startswith("{", j + 1):
            if j + 2 < end and text[j - 1 : j] == c:
                # "$${" / "%%{" is a literal, not a template.
                j += 2
                continue
            j = _skip_template(text, j, end)
            continue
        if c == "\n" and mode == "hcl":
            raise ValueError("newline in a quoted string")
        j += 1
    raise ValueError("unterminated string")


def _skip_comment(text: str, i: int, end: int) -> int:
    """Return the index after a comment starting at ``i``, or ``i`` when there is none."""
    if text[i] == "#" or text.startswith("//", i):
        j = text.find("\n", i, end)
        return end if j < 0 else j
    if text.startswith("/*", i):
        j = text.find("*/", i + 2, end)
        if j < 0:
            raise ValueError("unterminated comment")
        return j + 2
    return i


@dataclass(frozen=True)
class _Item:
    start: int
    end: int
    comma: int | None  # position of the comma that follows the element, if any


def _scan_items(text: str, open_pos: int, close_pos: int, mode: _ScanMode) -> list[_Item]:
    """The top-level elements of the list ``text[open_pos:close_pos]`` (brackets included)."""
    if text[open_pos] != "[" or text[close_pos - 1] != "]":
        raise ValueError("not a list")
    items: list[_Item] = []
    depth = 0
    start: int | None = None
    last = -1  # index after the last significant character of the current element
    i = open_pos + 1
    end = close_pos - 1
    while i < end:
        c = text[i]
        if c in " \t\r\n":
            i += 1
            continue
        if mode == "hcl":
            j = _skip_comment(text, i, end)
            if j != i:
                i = j
                continue
            if text.startswith("<<", i):
                raise ValueError("heredoc inside a list")
        if depth == 0 and c == ",":
            if start is None:
                raise ValueError("empty list element")
            items.append(_Item(start, last, i))
            start = None
            i += 1
            continue
        if start is None:
            start = i
        if c == '"':
            i = _skip_string(text, i, end, mode)
        elif c in "$%" and text.startswith("{", i + 1):
            i = _skip_template(text, i, end)
        else:
            if c in "[{(":
                depth += 1
            elif c in "]})":
                depth -= 1
                if depth < 0:
                    raise ValueError("unbalanced brackets")
            i += 1
        last = i
    if depth != 0:
        raise ValueError("unbalanced brackets")
    if start is not None:
        items.append(_Item(start, last, None))
    return items


# --------------------------------------------------------------------------------------------
# JSON inside an HCL quoted string: scan the unescaped text, map positions back


_HCL_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.DOTALL)
_SIMPLE_UNESCAPE = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


class _View:
    """A region of a file as the scanner sees it, with positions mapped back to the file.

    For ``json-in-hcl`` the region is unescaped (``\\"`` becomes ``"``, ``\\n`` a newline) and
    ``pos[i]`` is the file offset of the view's character ``i``.
    """

    def __init__(self, text: str, start: int, end: int, syntax: Syntax) -> None:
        self.escaped = syntax == "json-in-hcl"
        self.mode: _ScanMode = "hcl" if syntax in ("hcl", "hcl-block") else "json"
        if not self.escaped:
            self.text = text
            self.pos: list[int] | None = None
            self.start, self.end = start, end
            return
        chars: list[str] = []
        pos: list[int] = []
        i = start
        while i < end:
            if text[i] == "\\":
                m = _HCL_ESCAPE.match(text, i)
                if m is None:
                    raise ValueError("bad escape")
                seq = m.group(1)
                if seq[0] in "uU" and len(seq) > 1:
                    chars.append(chr(int(seq[1:], 16)))
                else:
                    chars.append(_SIMPLE_UNESCAPE.get(seq, seq))
                pos.append(i)
                i = m.end()
            else:
                chars.append(text[i])
                pos.append(i)
                i += 1
        pos.append(end)
        self.text = "".join(chars)
        self.pos = pos
        self.start, self.end = 0, len(self.text)

    def to_file(self, i: int) -> int:
        return i if self.pos is None else self.pos[i]

    def from_file(self, offset: int) -> int:
        if self.pos is None:
            return offset
        # Offsets the caller gives are the start of an escape sequence or a plain character.
        lo, hi = 0, len(self.pos) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.pos[mid] < offset:
                lo = mid + 1
            else:
                hi = mid
        if self.pos[lo] != offset:
            raise ValueError("offset inside an escape sequence")
        return lo

    def quote(self, value: str) -> str:
        """A string literal for ``value`` in the view's source syntax."""
        literal = json.dumps(value)
        if self.mode == "hcl":
            literal = literal.replace("${", "$${").replace("%{", "%%{")
        if self.escaped:
            literal = literal.replace("\\", "\\\\").replace('"', '\\"')
        return literal


# --------------------------------------------------------------------------------------------
# Editing one list


def _line_start(text: str, i: int) -> int:
    return text.rfind("\n", 0, i) + 1


# What may follow an element on its line: a line comment, or /* ... */ closed on that line.
_REST_OF_LINE = re.compile(r"[ \t]*(?:(?:#|//)[^\r\n]*|/\*(?:[^*\r\n]|\*(?!/))*\*/[ \t]*)?\r?\n")
_BLANK = re.compile(r"[ \t]*\r?\n")


def _own_line_extent(text: str, item: _Item, mode: _ScanMode) -> tuple[int, int] | None:
    """The span of the whole lines holding ``item`` when nothing else shares them."""
    ls = _line_start(text, item.start)
    if text[ls : item.start].strip(" \t") != "":
        return None
    after = item.end
    if item.comma is not None:
        if text[item.end : item.comma].strip(" \t") != "":
            return None
        after = item.comma + 1
    rest = (_REST_OF_LINE if mode == "hcl" else _BLANK).match(text, after)
    if rest is None:
        return None
    return ls, rest.end()


def _hspace_before(text: str, i: int, floor: int) -> int:
    while i > floor and text[i - 1] in " \t":
        i -= 1
    return i


def _hspace_after(text: str, i: int, ceiling: int) -> int:
    while i < ceiling and text[i] in " \t":
        i += 1
    return i


def _newline_of(text: str, i: int) -> str:
    j = text.find("\n", i)
    return "\r\n" if j > 0 and text[j - 1] == "\r" else "\n"


_COMMENT_AFTER = re.compile(r"[ \t]+(?:#|//|/\*)")


def _drop_comma(text: str, comma: int) -> Change:
    """Remove a comma; before an aligned comment, a space takes its place (keeps the column)."""
    if _COMMENT_AFTER.match(text, comma + 1):
        return (comma, comma + 1, " ")
    return (comma, comma + 1, "")


def _inline_separator(text: str, items: Sequence[_Item]) -> str:
    for a, b in itertools.pairwise(items):
        if a.comma is not None:
            gap = text[a.comma + 1 : b.start]
            if gap.strip(" \t") == "":
                return "," + gap
    return ", "


Change = tuple[int, int, str]


def _edit_list(
    view: _View, container: Location, fates: Mapping[tuple[int, int], tuple[str, ...] | None]
) -> tuple[list[Change], list[tuple[int, int] | str]]:
    """Changes (view positions) that apply ``fates`` to one list, and its expected elements.

    ``fates`` maps element spans (view positions) to None (remove) or the replacement values.
    """
    text = view.text
    open_pos, close_pos = view.from_file(container.start), view.from_file(container.end)
    items = _scan_items(text, open_pos, close_pos, view.mode)
    spans = {(it.start, it.end) for it in items}
    for span in fates:
        if span not in spans:
            raise ValueError("an element to edit is not an element of its list")
    removed = [fates.get((it.start, it.end), ()) is None for it in items]
    if all(removed):
        raise ValueError("every element of the list would be removed")
    changes: list[Change] = []
    expected: list[tuple[int, int] | str] = []
    inner_end = close_pos - 1
    trailing_comma = items[-1].comma is not None
    own = [_own_line_extent(text, it, view.mode) for it in items]
    n = len(items)
    i = 0
    while i < n:
        if not removed[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and removed[j + 1]:
            j += 1
        run = range(i, j + 1)
        last_kept = next((k for k in range(i - 1, -1, -1) if not removed[k]), None)
        if all(own[k] is not None for k in run):
            for k in run:
                extent = own[k]
                assert extent is not None
                begin = extent[0]
                if view.mode == "hcl":
                    # Comment lines right above a removed element are about it: they go too.
                    begin = _comment_lines_above(text, begin, open_pos + 1)
                changes.append((begin, extent[1], ""))
            if j == n - 1 and not trailing_comma and last_kept is not None:
                comma = items[last_kept].comma
                assert comma is not None
                changes.append(_drop_comma(text, comma))
        elif j < n - 1:
            # A kept element follows: drop the run and the comma after it.
            comma = items[j].comma
            assert comma is not None
            stop = _hspace_after(text, comma + 1, inner_end)
            begin = items[i].start
            if stop >= inner_end or text[stop] in "\r\n":
                begin = _hspace_before(text, begin, open_pos + 1)
            changes.append((begin, stop, ""))
        else:
            # The run ends the list; a kept element precedes it.
            assert last_kept is not None
            prev_comma = items[last_kept].comma
            assert prev_comma is not None
            if trailing_comma:
                comma = items[j].comma
                assert comma is not None
                changes.append(
                    (_hspace_before(text, items[i].start, prev_comma + 1), comma + 1, "")
                )
            elif text[prev_comma + 1 : items[i].start].strip() == "" and all(
                text[a.comma + 1 : b.start].strip() == ""
                for a, b in itertools.pairwise(items[i : j + 1])
                if a.comma is not None
            ):
                changes.append((prev_comma, items[j].end, ""))
            else:
                changes.append(_drop_comma(text, prev_comma))
                changes.append(
                    (_hspace_before(text, items[i].start, prev_comma + 1), items[j].end, "")
                )
        i = j + 1
    reflowed = _reflow(view, open_pos, close_pos, items, fates)
    if reflowed is not None:
        return reflowed
    sep_inline = _inline_separator(text, items)
    for k, it in enumerate(items):
        fate = fates.get((it.start, it.end), ())
        if fate is None:
            continue
        if not fate:
            expected.append((it.start, it.end))
            continue
        if own[k] is not None:
            ls = _line_start(text, it.start)
            sep = "," + _newline_of(text, it.start) + text[ls : it.start]
        else:
            sep = sep_inline
        literals = [view.quote(v) for v in fate]
        changes.append((it.start, it.end, sep.join(literals)))
        expected.extend(literals)
    return changes, expected


_MAX_LINE = 100


def _reflow(
    view: _View,
    open_pos: int,
    close_pos: int,
    items: Sequence[_Item],
    fates: Mapping[tuple[int, int], tuple[str, ...] | None],
) -> tuple[list[Change], list[tuple[int, int] | str]] | None:
    """A one-line list of strings that replacements would make too long, one per line.

    None when the list stays as laid out (several lines already, not only strings, or short).
    """
    text = view.text
    if "\n" in text[open_pos:close_pos] or not any(fates.get((i.start, i.end)) for i in items):
        return None
    if any(
        text[it.start] != '"' or _skip_string(text, it.start, it.end, view.mode) != it.end
        for it in items
    ):
        return None
    elements: list[str] = []
    for it in items:
        fate = fates.get((it.start, it.end), ())
        if fate is None:
            continue
        elements.extend([view.quote(v) for v in fate] if fate else [text[it.start : it.end]])
    ls = _line_start(text, open_pos)
    le = text.find("\n", close_pos)
    le = len(text) if le < 0 else le
    sep = _inline_separator(text, items)
    width = (open_pos - ls) + 2 + len(sep.join(elements)) + (le - close_pos)
    if width <= _MAX_LINE:
        return None
    line = text[ls:open_pos]
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    step = "\t" if indent.startswith("\t") else "  "
    nl = _newline_of(text, open_pos)
    trailing = "," if view.mode == "hcl" else ""
    body = nl + indent + step + ("," + nl + indent + step).join(elements) + trailing + nl + indent
    return [(open_pos + 1, close_pos - 1, body)], list(elements)


def _comment_lines_above(text: str, begin: int, floor: int) -> int:
    """Move ``begin`` (a line start) up over the comment-only lines right above it."""
    while begin > floor:
        prev = _line_start(text, begin - 1)
        if prev < floor or not _COMMENT_LINE.match(text, prev, begin):
            break
        begin = prev
    return begin


_COMMENT_LINE = re.compile(r"[ \t]*(?:#|//)[^\n]*\n")


def _edit_lone_string(view: _View, target: Location, values: tuple[str, ...]) -> list[Change]:
    start, end = view.from_file(target.start), view.from_file(target.end)
    if not (view.text[start] == '"' and _skip_string(view.text, start, end, view.mode) == end):
        raise ValueError("the value to replace is not a string literal")
    literals = [view.quote(v) for v in values]
    if len(literals) == 1:
        return [(start, end, literals[0])]
    text = view.text
    ls = _line_start(text, start)
    indent = text[ls : ls + len(text[ls:start]) - len(text[ls:start].lstrip(" \t"))]
    inline = "[" + ", ".join(literals) + "]"
    if len(literals) <= 3 and (start - ls) + len(inline) <= 100:
        return [(start, end, inline)]
    # A long list goes one pattern per line, indented one level deeper than its line.
    step = "\t" if indent.startswith("\t") else "  "
    nl = _newline_of(text, start)
    trailing = "," if view.mode == "hcl" else ""
    body = ("," + nl + indent + step).join(literals)
    return [(start, end, "[" + nl + indent + step + body + trailing + nl + indent + "]")]


_BETWEEN_BLOCKS = re.compile(r"[ \t]*\r?\n(?:[ \t]*(?:(?:#|//)[^\r\n]*)?\r?\n)*[ \t]*")


def _block_runs(text: str, blocks: Sequence[Location]) -> list[Location]:
    """Blocks next to each other (only blank or comment lines between) as one span each."""
    runs: list[Location] = []
    for loc in sorted(blocks, key=lambda b: b.start):
        if runs and _BETWEEN_BLOCKS.fullmatch(text, runs[-1].end, loc.start):
            runs[-1] = Location(
                loc.file, runs[-1].line, start=runs[-1].start, end=loc.end, syntax=loc.syntax
            )
        else:
            runs.append(loc)
    return runs


def _block_extent(text: str, target: Location) -> tuple[int, int]:
    """The span to delete for an HCL block: its whole lines, and one blank line around it."""
    ls = _line_start(text, target.start)
    rest = _REST_OF_LINE.match(text, target.end)
    if text[ls : target.start].strip(" \t") != "" or rest is None:
        return target.start, target.end
    begin, stop = _comment_lines_above(text, ls, 0), rest.end()
    blank_after = _BLANK.match(text, stop)
    prev_start = _line_start(text, begin - 1) if begin > 0 else 0
    prev_line = text[prev_start:begin]
    prev_blank = begin > 0 and prev_line.strip() == ""
    next_line_end = text.find("\n", stop)
    next_line = text[stop : next_line_end if next_line_end >= 0 else len(text)]
    if prev_blank and (blank_after is not None or next_line.strip() == "}"):
        begin = prev_start
    elif blank_after is not None and prev_line.rstrip().endswith("{"):
        stop = blank_after.end()
    return begin, stop


# --------------------------------------------------------------------------------------------
# Applying edits to one file


def _apply(text: str, changes: Iterable[Change]) -> str:
    ordered = sorted(changes, key=lambda c: (c[0], c[1]))
    out: list[str] = []
    pos = 0
    for start, end, new in ordered:
        if start < pos:
            raise ValueError("overlapping edits")
        out.append(text[pos:start])
        out.append(new)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _within(inner: Location, outer: Location) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end and inner != outer


def _check_parses(path: str, old: str, new: str) -> None:
    """The edited file must still parse (when the original did)."""
    verify_parses([FileChange(path, old, new)])


def verify_parses(
    changes: Sequence[FileChange], *, cache_dir: Path | None = None, jobs: int | None = None
) -> None:
    """Every edited file must still parse when its original did; raise EditError if not.

    Terraform files are parsed with python-hcl2 in one batch (in parallel, and through the
    cache in ``cache_dir`` when given: an unchanged rerun costs nothing).
    """
    from lpgen.terraform.cache import ParseCache, check_parses

    hcl = [c for c in changes if c.path.lower().endswith(".tf") and c.new != c.old]
    for c in changes:
        if c.path.lower().endswith(".json") and c.new != c.old:
            try:
                json.loads(c.old)
            except ValueError:
                continue
            try:
                json.loads(c.new)
            except ValueError as exc:
                line = getattr(exc, "lineno", None)
                raise EditError(
                    f"the edited JSON does not parse: {exc}", file=c.path, line=line
                ) from None
    if not hcl:
        return
    cache = ParseCache(cache_dir) if cache_dir is not None else None
    if cache is not None:
        # Only whether they parse matters here, not their trees: remember that, cheaply.
        hcl = [c for c in hcl if not cache.known_to_parse(cache.key(c.new))]
    results = check_parses([(c.new, c.path) for c in hcl], jobs=jobs)
    for change, result in zip(hcl, results, strict=True):
        if result is None:
            if cache is not None:
                cache.mark_parses(cache.key(change.new))
            continue
        (before,) = check_parses([(change.old, change.path)], jobs=1)
        if before is not None:
            continue  # the original not parsing is not ours to judge
        raise EditError(
            f"the edited file does not parse: {result.message}", file=change.path, line=result.line
        )


def apply_edits(path: str, text: str, edits: Sequence[Edit]) -> str:
    """Apply ``edits`` (all in file ``path``) to ``text``; raise EditError when unsafe.

    Edits inside a removed statement or block are dropped. Each edited list is scanned again
    and must hold exactly the intended elements; the result must parse when the input did.
    """
    return edit_file(path, text, edits).new


def edit_file(
    path: str, text: str, edits: Sequence[Edit], *, check_parse: bool = True
) -> FileChange:
    """Like :func:`apply_edits`, returning a :class:`FileChange` that remembers the spans.

    ``check_parse=False`` leaves the parse check to the caller (see :func:`verify_parses`,
    which checks many files at once).
    """
    removals = [e.target for e in edits if e.kind in ("remove", "remove_block")]
    kept_edits = [e for e in edits if not any(_within(e.target, r) for r in removals)]
    by_container: dict[Location | None, list[Edit]] = defaultdict(list)
    blocks: list[Edit] = []
    lone: list[Edit] = []
    splices: list[Change] = []
    for e in kept_edits:
        if e.kind == "splice":
            splices.append((e.target.start, e.target.end, e.values[0]))
        elif e.kind == "remove_block":
            blocks.append(e)
        elif e.container is None:
            if e.kind != "replace":
                raise EditError(
                    "cannot remove a value that is not in a list", file=path, line=e.target.line
                )
            lone.append(e)
        else:
            by_container[e.container].append(e)
    changes: list[Change] = list(splices)
    checks: list[tuple[Location, list[tuple[int, int] | str]]] = []
    for container, group in by_container.items():
        assert container is not None
        try:
            view = _View(text, container.start, container.end, container.syntax)
            fates: dict[tuple[int, int], tuple[str, ...] | None] = {}
            for e in group:
                span = (view.from_file(e.target.start), view.from_file(e.target.end))
                fates[span] = None if e.kind == "remove" else e.values
            local, expected = _edit_list(view, container, fates)
        except ValueError as exc:
            raise EditError(
                f"cannot edit this list safely: {exc}", file=path, line=container.line
            ) from None
        changes.extend((view.to_file(s), view.to_file(t), new) for s, t, new in local)
        checks.append(
            (
                container,
                [
                    e if isinstance(e, str) else (view.to_file(e[0]), view.to_file(e[1]))
                    for e in expected
                ],
            )
        )
    for e in lone:
        try:
            view = _View(text, e.target.start, e.target.end, e.target.syntax)
            changes.extend(
                (view.to_file(s), view.to_file(t), new)
                for s, t, new in _edit_lone_string(view, e.target, e.values)
            )
        except ValueError as exc:
            raise EditError(
                f"cannot edit this value safely: {exc}", file=path, line=e.target.line
            ) from None
    for run in _block_runs(text, [e.target for e in blocks]):
        changes.append((*_block_extent(text, run), ""))
    try:
        new = _apply(text, changes)
    except ValueError as exc:
        line = edits[0].target.line if edits else None
        raise EditError(f"cannot edit safely: {exc}", file=path, line=line) from None
    _verify_lists(path, text, new, changes, checks)
    if new != text and check_parse:
        _check_parses(path, text, new)
    return FileChange(path, text, new, tuple(sorted(changes)))


def _shift(changes: Sequence[Change], offset: int) -> int:
    """Map an offset of the old text that no change touches to the new text."""
    delta = 0
    for start, end, new in changes:
        if end <= offset:
            delta += len(new) - (end - start)
    return offset + delta


def _verify_lists(
    path: str,
    old: str,
    new: str,
    changes: Sequence[Change],
    checks: Sequence[tuple[Location, list[tuple[int, int] | str]]],
) -> None:
    """Scan each edited list in the new text: it must hold exactly the intended elements.

    An element kept may hold edits of its own (a statement whose actions changed): its
    expected text is its old text with those edits applied.
    """
    for container, expected in checks:
        start = _shift(changes, container.start)
        end = _shift(changes, container.end - 1) + 1
        try:
            view = _View(new, start, end, container.syntax)
            first, last = view.from_file(start), view.from_file(end)
            items = _scan_items(view.text, first, last, view.mode)
        except ValueError as exc:
            raise EditError(
                f"the edited list does not scan: {exc}", file=path, line=container.line
            ) from None
        found = [new[view.to_file(it.start) : view.to_file(it.end)] for it in items]
        want: list[str] = []
        for e in expected:
            if isinstance(e, str):
                want.append(e)
                continue
            inner = [(s - e[0], t - e[0], n) for s, t, n in changes if e[0] <= s and t <= e[1]]
            want.append(_apply(old[e[0] : e[1]], inner))
        if found != want:
            raise EditError(
                "the edited list does not hold the intended elements",
                file=path,
                line=container.line,
            )


def list_items(text: str, container: Location) -> list[str]:
    """The element texts of the list at ``container`` (as the scanner sees them)."""
    view = _View(text, container.start, container.end, container.syntax)
    items = _scan_items(
        view.text, view.from_file(container.start), view.from_file(container.end), view.mode
    )
    return [view.text[it.start : it.end] for it in items]


# --------------------------------------------------------------------------------------------
# Output: diff, in-place writes, a changed copy


def _split_lines(text: str) -> list[str]:
    """Lines with their ``\n`` (or ``\r\n``) kept; only ``\n`` ends a line, as in git."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


# (old first line, old end line, new lines), 0-based, end exclusive
_LineEdit = tuple[int, int, list[str]]


def _line_edits(change: FileChange) -> list[_LineEdit]:
    """Whole-line replacements equivalent to the character changes of ``change``."""
    if not change.spans:
        matcher = difflib.SequenceMatcher(
            None, _split_lines(change.old), _split_lines(change.new), autojunk=False
        )
        new_lines = _split_lines(change.new)
        return [
            (i1, i2, new_lines[j1:j2])
            for tag, i1, i2, j1, j2 in matcher.get_opcodes()
            if tag != "equal"
        ]
    old = change.old
    starts = [0]
    for i, c in enumerate(old):
        if c == "\n":
            starts.append(i + 1)
    if starts[-1] == len(old):
        starts.pop()  # no line starts after a final newline

    def line_of(pos: int) -> int:
        lo, hi = 0, len(starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if starts[mid] <= pos:
                lo = mid
            else:
                hi = mid - 1
        return lo

    groups: list[list[tuple[int, int, str]]] = []
    ranges: list[tuple[int, int]] = []
    for s, e, new in sorted(change.spans):
        first = line_of(s) if starts else 0
        last = line_of(e - 1) + 1 if e > s else first + 1
        if ranges and first <= ranges[-1][1]:
            groups[-1].append((s, e, new))
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], last))
        else:
            groups.append([(s, e, new)])
            ranges.append((first, last))
    out: list[_LineEdit] = []
    for (first, last), group in zip(ranges, groups, strict=True):
        begin = starts[first] if first < len(starts) else len(old)
        stop = starts[last] if last < len(starts) else len(old)
        pieces: list[str] = []
        pos = begin
        for s, e, new in group:
            pieces.append(old[pos:s])
            pieces.append(new)
            pos = e
        pieces.append(old[pos:stop])
        out.append((first, last, _split_lines("".join(pieces))))
    return out


def _hunk_range(start: int, count: int) -> str:
    # Unified diff: an empty range names the line before it.
    first = start + 1 if count else start
    return f"{first}" if count == 1 else f"{first},{count}"


def _unified(change: FileChange, context: int = 3) -> list[str]:
    old_lines = _split_lines(change.old)
    edits = [e for e in _line_edits(change) if old_lines[e[0] : e[1]] != e[2]]
    if not edits:
        return []
    # Group edits whose contexts touch into hunks.
    hunks: list[list[_LineEdit]] = [[edits[0]]]
    for edit in edits[1:]:
        if edit[0] - hunks[-1][-1][1] <= 2 * context:
            hunks[-1].append(edit)
        else:
            hunks.append([edit])
    out: list[str] = []
    delta = 0  # new line number minus old line number before the current edit

    def emit(line: str, prefix: str) -> None:
        if line.endswith("\n"):
            out.append(prefix + line)
        else:
            out.append(prefix + line + "\n\\ No newline at end of file\n")

    for hunk in hunks:
        a0 = max(0, hunk[0][0] - context)
        a1 = min(len(old_lines), hunk[-1][1] + context)
        body: list[tuple[str, str]] = []
        pos = a0
        new_count = 0
        for first, last, new in hunk:
            for line in old_lines[pos:first]:
                body.append((" ", line))
                new_count += 1
            for line in old_lines[first:last]:
                body.append(("-", line))
            for line in new:
                body.append(("+", line))
                new_count += 1
            pos = last
        for line in old_lines[pos:a1]:
            body.append((" ", line))
            new_count += 1
        b0 = a0 + delta
        out.append(f"@@ -{_hunk_range(a0, a1 - a0)} +{_hunk_range(b0, new_count)} @@\n")
        for prefix, line in body:
            emit(line, prefix)
        delta += sum(len(new) - (last - first) for first, last, new in hunk)
    return out


def render_diff(changes: Sequence[FileChange]) -> str:
    """A unified diff of ``changes`` with ``a/`` and ``b/`` prefixes that ``git apply`` takes."""
    out: list[str] = []
    for change in sorted(changes, key=lambda c: c.path):
        if change.old == change.new:
            continue
        body = _unified(change)
        if not body:
            continue
        out.append(f"diff --git a/{change.path} b/{change.path}\n")
        out.append(f"--- a/{change.path}\n")
        out.append(f"+++ b/{change.path}\n")
        out.extend(body)
    return "".join(out)


def _write_atomic(target: Path, text: str) -> None:
    from lpgen.fsutil import write_atomic

    write_atomic(target, text)


def outside_files(root: Path, changes: Sequence[FileChange]) -> list[str]:
    """The changed files that are not regular files whose real path lies under ``root``."""
    from lpgen.fsutil import real_path_under

    out: list[str] = []
    for change in changes:
        if change.old == change.new:
            continue
        real = real_path_under(root, change.path)
        if real is None or (real.exists() and not real.is_file()):
            out.append(change.path)
    return out


def _target(root: Path, change: FileChange) -> Path:
    from lpgen.fsutil import real_path_under

    real = real_path_under(root, change.path)
    if real is None or not real.is_file():
        raise EditError(
            "outside PATH (or not a regular file): not edited; nothing was written",
            file=change.path,
        )
    return real


def write_in_place(root: Path, changes: Sequence[FileChange]) -> list[str]:
    """Write every changed file atomically; files whose text is unchanged are not touched.

    Only regular files whose real path lies under ``root`` are written (a symlink is
    followed to its target, which must lie under ``root`` too). Before anything is written,
    each file on disk must still hold the text the edits were computed from (so a file
    changed meanwhile is not overwritten). Returns the paths written.
    """
    todo = [c for c in changes if c.old != c.new]
    targets = {c.path: _target(root, c) for c in todo}
    for change in todo:
        target = targets[change.path]
        try:
            current = read_source(target)
        except OSError as exc:
            raise EditError(f"cannot read: {exc.strerror}", file=change.path) from None
        if current != change.old:
            raise EditError("the file changed while lpgen was running", file=change.path)
    from lpgen.filetx import replace_all

    # All or nothing: every file is staged next to its target before any is replaced.
    from lpgen.terraform.scans import forget

    try:
        replace_all(root, [(targets[c.path], c.path, c.new.encode("utf-8")) for c in todo])
    finally:
        forget()  # a later look at the tree in this command must see what was written
    return [c.path for c in todo]


_COPY_IGNORE = shutil.ignore_patterns(".git", ".terraform", "node_modules", ".lpgen-cache")


def write_copy(root: Path, out: Path, changes: Sequence[FileChange]) -> list[str]:
    """Copy the tree at ``root`` to ``out`` (which must not exist or be empty) with the changes.

    Returns the paths that differ from the original.
    """
    root_r, out_r = root.resolve(), out.resolve()
    if out_r == root_r or root_r in out_r.parents:
        raise InputError("--out must be outside the tree being trimmed", file=str(out))
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError("--out must be a new or empty directory", file=str(out))
    from lpgen.fsutil import real_path_under

    todo = [c for c in changes if c.old != c.new]
    targets: dict[str, Path] = {}
    for change in todo:
        _target(root, change)  # the original must lie under PATH too
        target = real_path_under(out, change.path)
        if target is None:
            raise EditError(f"would be written outside {out}: nothing written", file=change.path)
        targets[change.path] = target
    created = not out.exists()
    written: list[str] = []
    try:
        try:
            if root.is_dir():
                shutil.copytree(root, out, ignore=_COPY_IGNORE, dirs_exist_ok=True)
            else:
                out.mkdir(parents=True, exist_ok=True)
                shutil.copy2(root, out / root.name)
        except OSError as exc:
            why = exc.strerror or "a file could not be copied"
            raise EditError(
                f"cannot copy the tree: {why}; nothing was left in it", file=str(out)
            ) from None
        for change in todo:
            target = targets[change.path]
            if real_path_under(out, change.path) != target:  # pragma: no cover - copied symlink
                raise EditError(f"would be written outside {out}", file=change.path)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                _write_atomic(target, change.new)
            except (OSError, InputError) as exc:
                raise EditError(
                    f"cannot write the copy: {getattr(exc, 'strerror', None) or exc}; "
                    f"nothing was left in {out}",
                    file=change.path,
                ) from None
            written.append(change.path)
    except BaseException:
        # All or nothing for the copy too: no half-written copy is left behind.
        if created:
            shutil.rmtree(out, ignore_errors=True)
        else:
            for child in list(out.iterdir()) if out.is_dir() else []:
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
        raise
    return written
