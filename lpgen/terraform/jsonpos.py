"""A JSON reader that keeps the span of every value and understands Terraform ``${}``.

Policy JSON lives in heredocs and files, where the rewriter needs the exact span of each
action string. ``json`` gives no positions, so this small recursive-descent reader does.
Inside heredocs and templatefile() sources, strings may hold ``${ ... }`` interpolations and
a value may be a bare ``${ ... }``; both are handed to a callback to evaluate.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from lpgen.errors import ParseError
from lpgen.model import Syntax
from lpgen.terraform.parse import SourceFile
from lpgen.terraform.values import SDict, SList, SStr, first_unknown, to_plain

# (template text of a JSON string without its quotes, start, end) -> value
TemplateFn = Callable[[str, int, int], Any]

_WS = " \t\r\n"
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class _Reader:
    def __init__(
        self,
        source: SourceFile,
        end: int,
        template: TemplateFn | None,
        syntax: Syntax,
    ) -> None:
        self.s = source.text
        self.source = source
        self.end = end
        self.template = template
        self.syntax: Syntax = syntax

    def fail(self, pos: int, message: str) -> ParseError:
        return ParseError(
            f"invalid JSON: {message}", file=self.source.rel, line=self.source.line_of(pos)
        )

    def ws(self, i: int) -> int:
        s, end = self.s, self.end
        while i < end and s[i] in _WS:
            i += 1
        return i

    def value(self, i: int) -> tuple[Any, int]:
        i = self.ws(i)
        if i >= self.end:
            raise self.fail(i, "unexpected end of document")
        c = self.s[i]
        if c == "{":
            return self.obj(i)
        if c == "[":
            return self.arr(i)
        if c == '"':
            return self.string(i)
        if self.s.startswith("${", i) and self.template is not None:
            j = _interp_end(self.s, i, self.end)
            if j < 0:
                raise self.fail(i, "unterminated ${")
            return self.template("${" + self.s[i + 2 : j - 1] + "}", i, j), j
        for word, val in (("true", True), ("false", False), ("null", None)):
            if self.s.startswith(word, i):
                return val, i + len(word)
        j = i
        while j < self.end and self.s[j] in "+-0123456789.eE":
            j += 1
        if j == i:
            raise self.fail(i, f"unexpected character {c!r}")
        try:
            num = json.loads(self.s[i:j])
        except ValueError:
            raise self.fail(i, f"bad number {self.s[i:j]!r}") from None
        return num, j

    def obj(self, i: int) -> tuple[Any, int]:
        start = i
        out = SDict()
        i = self.ws(i + 1)
        if i < self.end and self.s[i] == "}":
            out.loc = self.source.loc(start, i + 1, self.syntax)
            return out, i + 1
        while True:
            i = self.ws(i)
            if i >= self.end or self.s[i] != '"':
                raise self.fail(i, "expected a quoted key")
            key, i = self.string(i)
            i = self.ws(i)
            if i >= self.end or self.s[i] != ":":
                raise self.fail(i, "expected ':'")
            val, i = self.value(i + 1)
            out[str(key)] = val
            i = self.ws(i)
            if i < self.end and self.s[i] == ",":
                i += 1
                continue
            if i < self.end and self.s[i] == "}":
                out.loc = self.source.loc(start, i + 1, self.syntax)
                return out, i + 1
            raise self.fail(i, "expected ',' or '}'")

    def arr(self, i: int) -> tuple[Any, int]:
        start = i
        out = SList()
        i = self.ws(i + 1)
        if i < self.end and self.s[i] == "]":
            out.loc = self.source.loc(start, i + 1, self.syntax)
            return out, i + 1
        while True:
            val, i = self.value(i)
            out.append(val)
            i = self.ws(i)
            if i < self.end and self.s[i] == ",":
                i += 1
                continue
            if i < self.end and self.s[i] == "]":
                out.loc = self.source.loc(start, i + 1, self.syntax)
                return out, i + 1
            raise self.fail(i, "expected ',' or ']'")

    def string(self, i: int) -> tuple[Any, int]:
        s = self.s
        j = i + 1
        has_template = False
        while j < self.end:
            c = s[j]
            if c == "\\":
                j += 2
                continue
            if c == '"':
                break
            if c == "$" and s.startswith("${", j) and not s.startswith("$${", j - 1):
                k = _interp_end(s, j, self.end)
                if k < 0:
                    raise self.fail(j, "unterminated ${")
                has_template = True
                j = k
                continue
            if c == "\n":
                raise self.fail(j, "newline inside a string")
            j += 1
        if j >= self.end:
            raise self.fail(i, "unterminated string")
        raw = s[i + 1 : j]
        loc = self.source.loc(i, j + 1, self.syntax)
        if self.template is not None and ("$${" in raw or "%%{" in raw):
            # Template escapes: Terraform renders $${ as ${ (and %%{ as %{).
            has_template = True
        if has_template and self.template is not None:
            value = self.template(raw, i, j + 1)
            if isinstance(value, str) and not isinstance(value, SStr):
                value = SStr(value, loc)
            return value, j + 1
        return SStr(_unescape(raw, self, i), loc), j + 1


def _unescape(raw: str, reader: _Reader, pos: int) -> str:
    if "\\" not in raw:
        return raw
    out: list[str] = []
    k = 0
    while k < len(raw):
        c = raw[k]
        if c != "\\":
            out.append(c)
            k += 1
            continue
        nxt = raw[k + 1 : k + 2]
        if nxt == "u":
            try:
                out.append(chr(int(raw[k + 2 : k + 6], 16)))
            except ValueError:
                raise reader.fail(pos + k, "bad \\u escape") from None
            k += 6
        elif nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            k += 2
        else:
            raise reader.fail(pos + k, f"bad escape \\{nxt}")
    return "".join(out)


def _interp_end(s: str, i: int, end: int) -> int:
    """Index just after the ``}`` closing the ``${`` at ``i`` (nested braces and strings)."""
    depth = 0
    j = i + 2
    in_str = False
    while j < end:
        c = s[j]
        if in_str:
            if c == "\\":
                j += 2
                continue
            if c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c == "{":
            depth += 1
        elif c == "}":
            if depth == 0:
                return j + 1
            depth -= 1
        j += 1
    return -1


def parse_json_span(
    source: SourceFile,
    start: int,
    end: int,
    *,
    template: TemplateFn | None = None,
    syntax: Syntax = "json",
) -> Any:
    """Parse the JSON document in ``source.text[start:end]``, keeping spans."""
    reader = _Reader(source, end, template, syntax)
    value, i = reader.value(start)
    i = reader.ws(i)
    if i < end:
        raise reader.fail(i, "unexpected text after the document")
    return value


TEMPLATE_NOTE = (
    "the template writes JSON syntax through interpolated values; the rendered text is read, "
    "so this statement cannot be edited in place"
)


def reconcile_rendered(value: Any, text: str) -> Any:
    """Check a span-preserving parse of a JSON template against its fully rendered text.

    Terraform renders a template to text first and the text is what AWS reads, so an
    interpolation may write JSON syntax (``${jsonencode(list)}`` as a bare value, or a
    ``join("\\",\\"", ...)`` inside quotes). When the spans give the same document as the
    text, the spans are kept (editable); otherwise the rendered document wins, without spans.
    Returns ``value`` unchanged when the text is not JSON.
    """
    try:
        rendered = json.loads(text)
    except ValueError:
        return value
    if value is not None and first_unknown(value) is None and to_plain(value) == rendered:
        return value
    return _annotate(rendered)


def _annotate(value: Any) -> Any:
    if isinstance(value, dict):
        return SDict({k: _annotate(v) for k, v in value.items()}, note=TEMPLATE_NOTE)
    if isinstance(value, list):
        return SList([_annotate(v) for v in value], note=TEMPLATE_NOTE)
    if isinstance(value, str):
        return SStr(value)
    return value


def looks_like_json(text: str) -> bool:
    stripped = text.lstrip()
    return stripped.startswith("{") or stripped.startswith("[")
