"""Render template text with directives: ``%{ if }``/``%{ else }``/``%{ endif }``,
``%{ for x in xs }``/``%{ endfor }`` and the ``~`` strip markers, as HCL's templates do."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lpgen.terraform.values import Unknown

if TYPE_CHECKING:
    from lpgen.terraform.evaluate import Evaluator, Scope
    from lpgen.terraform.parse import SourceFile

_MARK = re.compile(r"\$\$\{|%%\{|\$\{|%\{")
_FOR = re.compile(r"for\s+([A-Za-z_][\w-]*)(?:\s*,\s*([A-Za-z_][\w-]*))?\s+in\s+", re.S)
_WS = " \t\r\n"


@dataclass
class _Token:
    kind: str  # "text", "interp", "directive"
    text: str = ""  # literal text, or the directive's keyword line
    start: int = 0  # offsets of the expression in the source
    end: int = 0
    at: int = 0  # where the token starts (for messages)


@dataclass
class _Node:
    kind: str  # "seq", "text", "interp", "if", "for"
    token: _Token | None = None
    body: list[_Node] = field(default_factory=list)
    other: list[_Node] = field(default_factory=list)  # the else branch
    names: tuple[str, ...] = ()


class _Error(Exception):
    pass


def _tokens(source: SourceFile, start: int, end: int, quoted: bool) -> list[_Token]:
    from lpgen.terraform.jsonpos import _interp_end

    text = source.text
    out: list[_Token] = []
    literal: list[str] = []
    strip_next = False
    i = start

    def flush() -> None:
        nonlocal strip_next
        piece = "".join(literal)
        if quoted:
            from lpgen.terraform.evaluate import unescape

            piece = unescape(piece)
        literal.clear()
        if strip_next:
            piece = piece.lstrip(_WS)
            strip_next = False
        out.append(_Token("text", piece))

    while i < end:
        m = _MARK.search(text, i, end)
        if m is None:
            literal.append(text[i:end])
            break
        literal.append(text[i : m.start()])
        if m.group(0) in ("$${", "%%{"):
            literal.append(m.group(0) if quoted else m.group(0)[1:])  # unescape() does it
            i = m.end()
            continue
        close = _interp_end(text, m.start(), end)
        if close < 0:
            raise _Error(f"unterminated {m.group(0)} at {source.rel}:{source.line_of(m.start())}")
        es, ee = m.start() + 2, close - 1
        strip_before = text.startswith("~", es)
        strip_after = text[ee - 1 : ee] == "~"
        es += 1 if strip_before else 0
        ee -= 1 if strip_after else 0
        flush()
        if strip_before:
            out[-1].text = out[-1].text.rstrip(_WS)
        kind = "interp" if m.group(0) == "${" else "directive"
        out.append(_Token(kind, text[es:ee].strip(), es, ee, m.start()))
        strip_next = strip_after
        i = close
    flush()
    return out


def _tree(tokens: list[_Token], source: SourceFile) -> _Node:
    root = _Node("seq")
    stack: list[_Node] = [root]
    in_else: list[bool] = [False]
    for tok in tokens:
        top = stack[-1]
        target = top.other if in_else[-1] else top.body
        if tok.kind in ("text", "interp"):
            target.append(_Node(tok.kind, tok))
            continue
        word = tok.text.split(None, 1)[0] if tok.text else ""
        where = f"{source.rel}:{source.line_of(tok.at)}"
        if word == "if":
            node = _Node("if", tok)
            target.append(node)
            stack.append(node)
            in_else.append(False)
        elif word == "for":
            m = _FOR.match(tok.text)
            if m is None:
                raise _Error(f"unreadable %{{ for }} at {where}")
            names = (m.group(1),) if m.group(2) is None else (m.group(1), m.group(2))
            node = _Node("for", tok, names=names)
            target.append(node)
            stack.append(node)
            in_else.append(False)
        elif word == "else" and top.kind == "if" and not in_else[-1]:
            in_else[-1] = True
        elif (word == "endif" and top.kind == "if") or (word == "endfor" and top.kind == "for"):
            stack.pop()
            in_else.pop()
        else:
            raise _Error(f"unexpected %{{ {word} }} at {where}")
    if len(stack) != 1:
        raise _Error(f"%{{ {stack[-1].kind} }} is not closed in {source.rel}")
    return root


def render(
    ev: Evaluator, source: SourceFile, start: int, end: int, scope: Scope, *, quoted: bool = False
) -> Any:
    """The rendered text, or an Unknown saying what could not be rendered. ``quoted``: the
    text is the inside of a quoted string (backslash escapes apply)."""
    try:
        tree = _tree(_tokens(source, start, end, quoted), source)
    except _Error as exc:
        return Unknown(str(exc))
    out: list[str] = []
    problem = _render(ev, source, tree.body, scope, out)
    return problem if problem is not None else "".join(out)


def _render(
    ev: Evaluator, source: SourceFile, nodes: list[_Node], scope: Scope, out: list[str]
) -> Unknown | None:
    from lpgen.terraform.evaluate import iterate, to_string, truthy

    for node in nodes:
        tok = node.token
        assert tok is not None
        if node.kind == "text":
            out.append(tok.text)
        elif node.kind == "interp":
            value = to_string(ev.eval(ev.snippet(source, tok.start, tok.end), scope))
            if isinstance(value, Unknown):
                return value
            out.append(value)
        elif node.kind == "if":
            raw = source.text[tok.start : tok.end]
            offset = tok.start + raw.index("if") + 2
            test = truthy(ev.eval(ev.snippet(source, offset, tok.end), scope))
            if isinstance(test, Unknown):
                return test
            problem = _render(ev, source, node.body if test else node.other, scope, out)
            if problem is not None:
                return problem
        else:  # for
            raw = source.text[tok.start : tok.end]
            m = _FOR.search(raw)
            assert m is not None
            collection = ev.eval(ev.snippet(source, tok.start + m.end(), tok.end), scope)
            if isinstance(collection, Unknown):
                return collection
            pairs = iterate(collection)
            if isinstance(pairs, Unknown):
                return pairs
            for key, value in pairs:
                if len(node.names) == 2:
                    inner = scope.child(**{node.names[0]: key, node.names[1]: value})
                else:
                    inner = scope.child(**{node.names[0]: value})
                problem = _render(ev, source, node.body, inner, out)
                if problem is not None:
                    return problem
    return None
