"""Parse Terraform files into python-hcl2's lark trees, whose positions are file offsets.

Two readers give the same trees: :mod:`lpgen.terraform.fastparse` (tree-sitter, two to three
times faster) on the hot path, and python-hcl2 itself, the reference, for every text the
fast reader does not map exactly (and for syntax errors, whose messages are python-hcl2's).
``LPGEN_PARSER`` chooses: ``auto`` (the default), ``python-hcl2`` (the reference only) or
``verify`` (both, and an error naming the file where their trees differ).

Whether a rewritten file still parses is python-hcl2's verdict too, told by its own grammar and
lark parser building no tree (:func:`recognised`); python-hcl2 proper gives the error.
"""

from __future__ import annotations

import bisect
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from lark import Token, Tree
from lark.exceptions import LarkError, UnexpectedInput

from lpgen.errors import ParseError
from lpgen.fsutil import special_kind
from lpgen.model import Location, Syntax

_HEREDOC_START = re.compile(r"<<-?([A-Za-z][A-Za-z0-9._-]*)\r?\n")


@dataclass
class SourceFile:
    """One file's text (read with ``newline=""``) and where it sits relative to the root."""

    path: Path
    rel: str
    text: str
    _line_starts: list[int] = field(default_factory=list, repr=False)

    def line_of(self, offset: int) -> int:
        if not self._line_starts:
            self._line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        return bisect.bisect_right(self._line_starts, offset)

    def column_of(self, offset: int) -> int:
        line = self.line_of(offset)
        return offset - self._line_starts[line - 1] + 1

    def loc(self, start: int, end: int, syntax: Syntax = "hcl") -> Location:
        return Location(
            file=self.rel,
            line=self.line_of(start),
            column=self.column_of(start),
            start=start,
            end=end,
            syntax=syntax,
        )

    def node_loc(self, node: Tree[Any] | Token, syntax: Syntax = "hcl") -> Location:
        start, end = span(node)
        return self.loc(start, end, syntax)


def read_text(path: Path, rel: str) -> str:
    try:
        kind = special_kind(os.stat(path).st_mode)
        if kind is not None:
            raise ParseError(f"{kind}, not a regular file: not read", file=rel)
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise ParseError(f"cannot read: {exc.strerror}", file=rel) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # As HashiCorp's parser: every file must be UTF-8. Say where the first bad byte is.
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ParseError(
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line}, column {column}"
            " (save the file as UTF-8)",
            file=rel,
            line=line,
        ) from None


_HEREDOC_END_LINE = r"^([ \t]*){}([ \t]+)(\r?)$"


def for_parser(text: str) -> str:
    """The text as python-hcl2 accepts what HashiCorp's parser does, every offset unchanged.

    A UTF-8 byte order mark becomes a space; a heredoc end marker followed by spaces or tabs
    (``EOF  ``) gets them in front instead (``  EOF``), which HCL reads the same way. A text
    that does not end with a newline gets one, as python-hcl2's own API gives it (its grammar
    ends a comment with a newline: a file whose last line is a comment is read by HashiCorp's
    parser and by ``hcl2.loads``).
    """
    if text.startswith("\ufeff"):
        text = " " + text[1:]
    if text and not text.endswith("\n"):
        text += "\n"
    if "<<" not in text:
        return text
    pos = 0
    while True:
        m = _HEREDOC_START.search(text, pos)
        if m is None:
            return text
        end = re.compile(
            r"^[ \t]*" + re.escape(m.group(1)) + r"[ \t]*\r?$", re.M
        ).search(text, m.end())
        if end is None:
            return text
        line = text[end.start() : end.end()]
        fixed = re.match(_HEREDOC_END_LINE.format(re.escape(m.group(1))), line)
        if fixed is not None:
            lead, trail, cr = fixed.group(1), fixed.group(2), fixed.group(3)
            text = text[: end.start()] + lead + trail + m.group(1) + cr + text[end.end() :]
        pos = end.end()


def span(node: Tree[Any] | Token) -> tuple[int, int]:
    if isinstance(node, Token):
        return int(node.start_pos or 0), int(node.end_pos or 0)
    meta = node.meta
    if getattr(meta, "empty", True):
        return -1, -1
    return int(meta.start_pos), int(meta.end_pos)


@lru_cache(maxsize=1)
def _parser() -> Any:
    from hcl2.parser import parser

    return parser()


class _Nothing:
    """What :class:`_NoTree` builds: lark splices the children of an inlined rule (``_name``)
    into its parent's list, and may append to that list, so each use gets a new empty one."""

    __slots__ = ()

    @property
    def children(self) -> list[Any]:
        return []


_NOTHING = _Nothing()


class _NoTree:
    """An inline transformer for lark's LALR parser that builds no tree: every rule gives
    :data:`_NOTHING`. The parser's moves depend on the tokens and its tables only, never on
    what the callbacks build, so a text is accepted exactly when python-hcl2 accepts it."""

    __slots__ = ()

    def __default__(self, data: Any, children: Any, meta: Any) -> _Nothing:
        return _NOTHING


@lru_cache(maxsize=1)
def _recogniser() -> Any:
    """python-hcl2's grammar and lark parser, loaded from python-hcl2's own grammar cache
    (``hcl2/.lark_cache.bin``, which its ``parser()`` writes and reads), but building no tree
    and propagating no positions: about 40% faster than :func:`_parser` for a verdict.

    None when that cache is not exactly the one python-hcl2 would load (a stale or missing
    file, other options or versions, a lark whose cache format differs): callers then use
    python-hcl2's parser itself.
    """
    import hashlib
    import pickle  # nosec: python-hcl2's own installed file, read as python-hcl2 reads it
    import sys

    try:
        import lark
        from lark import Lark
        from lark.load_grammar import verify_used_files

        cache_file, post_lexer = _hcl2_parts()
        grammar = (cache_file.parent / "hcl2.lark").read_text(encoding="utf-8")
        # The key lark checks before using the cache, for python-hcl2's options (parser()).
        options = "".join(["parser", "lalr", "cache", str(cache_file), "propagate_positions",
                           "True"])  # fmt: skip
        key = grammar + options + lark.__version__ + str(sys.version_info[:2])
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest().encode("ascii")
        with open(cache_file, "rb") as fh:
            if fh.readline().rstrip(b"\n") != digest:
                return None
            if not verify_used_files(pickle.load(fh)):  # type: ignore[no-untyped-call]
                return None
            return Lark.__new__(Lark)._load(
                fh, postlex=post_lexer(), propagate_positions=False, transformer=_NoTree()
            )
    except Exception:  # any surprise (format, versions): python-hcl2's parser decides
        return None


def _hcl2_parts() -> tuple[Path, Any]:
    """python-hcl2's grammar cache file (as ``hcl2.parser`` names it) and its ``PostLexer``.

    When python-hcl2 is not imported yet, they are found without importing it (its package
    imports the whole of python-hcl2, about 8 ms): the file is the one next to its modules,
    and ``hcl2/postlexer.py`` (which imports only lark) is run from python-hcl2's own file
    as a private module."""
    import importlib.util
    import sys

    parser_module = sys.modules.get("hcl2.parser")
    post_module = sys.modules.get("hcl2.postlexer")
    if parser_module is not None and post_module is not None:
        return Path(parser_module.PARSER_FILE), post_module.PostLexer
    spec = importlib.util.find_spec("hcl2")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("python-hcl2 is not installed")
    package = Path(next(iter(spec.submodule_search_locations))).absolute().resolve()
    found = importlib.util.spec_from_file_location(
        "lpgen.terraform._hcl2_postlexer", package / "postlexer.py"
    )
    if found is None or found.loader is None:
        raise ImportError("python-hcl2's postlexer not found")
    module = importlib.util.module_from_spec(found)
    found.loader.exec_module(module)
    return package / ".lark_cache.bin", module.PostLexer


def recognised(text: str) -> bool:
    """True when python-hcl2 reads ``text`` as ``parse_hcl(reference=True)`` does (the same
    fixes, the same second try with multi-line interpolations joined), told without building
    its tree. False when it does not, or when this cannot tell: then ask :func:`parse_hcl`
    (for its verdict and its error message)."""
    recogniser = _recogniser()
    if recogniser is None:
        return False
    text = for_parser(text)
    try:
        recogniser.parse(text)
        return True
    except UnexpectedInput:
        joined = join_multiline_interpolations(text)
        if joined == text:
            return False
        try:
            recogniser.parse(joined)
            return True
        except Exception:
            return False
    except Exception:
        return False


def preload_verifier() -> None:
    """Load what :func:`recognised` (or, failing that, python-hcl2's parser) uses, before
    worker processes fork."""
    if _recogniser() is None:
        _parser()


READERS = ("auto", "python-hcl2", "verify")


def preload() -> None:
    """Load the reader runs will use (before worker processes fork, so each has it).

    With the fast reader, python-hcl2's grammar (about 0.1 s to load) is loaded only when a
    text is left to it."""
    if reader() == "auto":
        from lpgen.terraform.fastparse import available

        if available():
            return
    _parser()


def reader() -> str:
    """The reader ``LPGEN_PARSER`` asks for (``auto`` when unset or unknown)."""
    value = os.environ.get("LPGEN_PARSER", "auto").strip().lower()
    return value if value in READERS else "auto"


def parse_hcl(
    text: str, *, rel: str, offset: int = 0, line_of: Any = None, reference: bool = False,
    lazy: bool = True,
) -> Tree[Any]:
    """Parse HCL text into a lark tree; positions are shifted by ``offset``.

    The fast reader is tried first unless ``reference`` (python-hcl2 only, as for checking
    that a rewritten file still parses) or ``LPGEN_PARSER=python-hcl2``. Its attribute values
    are built when first used, unless ``lazy`` is false: a value not built yet keeps the fast
    reader's tree of the whole text alive (about 90 bytes a character), which a caller that
    reads a big file piece by piece, to hold only one piece's parse at a time, cannot afford.

    An interpolation that spans several lines inside a quoted string is valid HCL that
    python-hcl2 rejects; such newlines are turned into spaces (same length, so every
    position stays right) and the file is parsed again.
    """
    text = for_parser(text)
    mode = "python-hcl2" if reference else reader()
    if mode != "python-hcl2":
        from lpgen.terraform.fastparse import parse_fast, parse_lazy

        # A whole file's attribute values are built when first used (most never are).
        fast = (parse_lazy(text, rel) if mode == "auto" and lazy and not offset
                else parse_fast(text))  # fmt: skip
        if fast is not None:
            if mode == "verify":
                _verify(fast, text, rel)
            if offset:
                shift_positions(fast, offset)
            return fast
    return _parse_reference(text, rel=rel, offset=offset, line_of=line_of)


def _verify(fast: Tree[Any], text: str, rel: str) -> None:
    from lpgen.terraform.fastparse import first_difference

    try:
        ref = _parser().parse(text)
    except LarkError:
        raise ParseError(
            "the fast reader read a file python-hcl2 rejects (LPGEN_PARSER=verify)", file=rel
        ) from None
    where = first_difference(fast, ref)
    if where is not None:
        raise ParseError(
            f"the two readers differ at character {where} (LPGEN_PARSER=verify)", file=rel
        )


def _parse_reference(text: str, *, rel: str, offset: int, line_of: Any) -> Tree[Any]:
    try:
        tree: Tree[Any] = _parser().parse(text)
    except UnexpectedInput as first:
        joined = join_multiline_interpolations(text)
        if joined == text:
            raise _parse_error(first, text, rel, offset, line_of) from None
        try:
            tree = _parser().parse(joined)
        except UnexpectedInput as exc:
            raise _parse_error(exc, text, rel, offset, line_of) from None
        except LarkError as exc:  # pragma: no cover - lark internal
            raise ParseError(f"cannot parse: {exc}", file=rel) from None
    except LarkError as exc:  # pragma: no cover - lark internal
        raise ParseError(f"cannot parse: {exc}", file=rel) from None
    if offset:
        shift_positions(tree, offset)
    return tree


def _parse_error(
    exc: UnexpectedInput, text: str, rel: str, offset: int, line_of: Any
) -> ParseError:
    pos = getattr(exc, "pos_in_stream", None)
    if pos is None:
        token = getattr(exc, "token", None)
        pos = getattr(token, "start_pos", None)
    if pos is None:
        pos = 0
    line = line_of(pos + offset) if line_of else text.count("\n", 0, pos) + 1
    token = getattr(exc, "token", None)
    if token is not None and getattr(token, "type", "") == "$END":
        what = "unexpected end of file"
    elif token is not None:
        shown = str(token).strip().split()[0] if str(token).strip() else str(token)
        what = f"unexpected {shown[:40]!r}"
    else:
        char = text[pos : pos + 1]
        what = f"unexpected character {char!r}" if char else "unexpected end of file"
    return ParseError(f"cannot parse HCL: {what}", file=rel, line=line)


def shift_positions(tree: Tree[Any], delta: int) -> None:
    """Move every position in ``tree`` by ``delta`` characters (for sub-parsed snippets)."""
    for node in tree.iter_subtrees():
        meta = node.meta
        if not getattr(meta, "empty", True):
            meta.start_pos += delta
            meta.end_pos += delta
        for child in node.children:
            if isinstance(child, Token) and child.start_pos is not None:
                child.start_pos += delta
                if child.end_pos is not None:
                    child.end_pos += delta


def join_multiline_interpolations(text: str) -> str:
    """Replace newlines inside ``${ }`` of quoted strings by spaces, keeping every offset."""
    out = list(text)
    stack: list[str] = ["code"]
    i, n = 0, len(text)
    changed = False
    while i < n:
        top = stack[-1]
        c = text[i]
        if top == "str":
            if c == "\\":
                i += 2
                continue
            if c == '"':
                stack.pop()
            elif text.startswith("$${", i) or text.startswith("%%{", i):
                i += 3
                continue
            elif text.startswith("${", i) or text.startswith("%{", i):
                stack.append("interp")
                i += 2
                continue
            i += 1
            continue
        # code, interpolation or braces inside one
        if c == '"':
            stack.append("str")
        elif c == "#" or text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        elif text.startswith("<<", i):
            m = _HEREDOC_START.match(text, i)
            if m:
                marker = m.group(1)
                end = re.compile(r"^[ \t]*" + re.escape(marker) + r"\r?$", re.M).search(
                    text, m.end()
                )
                i = n if end is None else end.end()
                continue
        elif c == "{":
            stack.append("brace")
        elif c == "}":
            if len(stack) > 1:
                stack.pop()
        elif c in "\r\n" and "str" in stack:
            out[i] = " "
            changed = True
        i += 1
    return "".join(out) if changed else text


def parse_file(source: SourceFile) -> Tree[Any]:
    """The file's tree (from either reader; they agree)."""
    return parse_hcl(source.text, rel=source.rel, line_of=source.line_of)
