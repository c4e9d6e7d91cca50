"""A fast reader: tree-sitter's HCL grammar, turned into the lark tree python-hcl2 builds.

python-hcl2 is the reference reader. This module gives the *same* tree for the same text
(rule names, tokens with their types, values and positions, newline and comment nodes where
python-hcl2's LALR grammar puts them) two to three times faster than python-hcl2's own
parse: tree-sitter parses in C, and only the tree is built in Python.

Whenever a text is not plainly within both grammars (a syntax error, a construct python-hcl2
lexes its own way, a newline where python-hcl2's grammar has no place for one, a template
directive in a quoted string...), :func:`parse_fast` returns ``None`` and the caller reads
the text with python-hcl2, so errors and corner cases keep python-hcl2's behaviour exactly.
The test suite compares both readers' trees, node by node and position by position, on every
fixture and example, and on generated layouts.

How the tree is built: tree-sitter gives the structure and where each significant token
is; the text between two tokens (spaces, newlines, comments) is lexed again here with
python-hcl2's own terminal patterns, and each run of newlines and comments is placed in
the slot python-hcl2's grammar has for it, or in the innermost binary operation ending
just before it, as the LALR parser's shift preference does; a newline right before a
binary operator or ``?`` is merged into the operator token, as python-hcl2's post-lexer does.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from typing import Any

from lark import Token, Tree

from lpgen.terraform.compact import EMPTY, Span

# Trees are built with compact positions (lpgen.terraform.compact: what lpgen reads of lark's
# Meta), so that the reader's compaction passes over them, and over values not yet built.
_Span: Any = Span
_intern = sys.intern
_new = object.__new__

# python-hcl2's terminals (hcl2.lark), compiled as lark compiles them.
_NL = re.compile(r"(?:\/\*(.|\n)*?(\*\/)|\/\/.*\n|#.*\n|\n[ \t]*)")
_IGNORE = re.compile(r"[ \t\r]+")
_BLANK = _IGNORE
_INT = re.compile(r"(?:\-[0-9])?(?:[0-9])+")
_FLOAT = re.compile(
    r"(?:(?:(?:\-[0-9])+|(?:\-[0-9])?(?:[0-9])+)\.(?:[0-9])+(?:(?:e|E)(?:(?:\+|\-))?(?:[0-9])+)?"
    r"|(?:(?:\-[0-9])+|(?:\-[0-9])?(?:[0-9])+)(?:e|E)(?:(?:\+|\-))?(?:[0-9])+)"
)
_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_-]*")
_ESC_INTERP = re.compile(r"\$\$\{[^}]*\}")
_ESC_DIRECTIVE = re.compile(r"%%\{[^}]*\}")
_STRING_CHARS = re.compile(
    r"(?:(?!\$\$\{)(?!\$\{)(?!%%\{)(?!%\{)[^\"\\]|\\.|(?:\$(?!\$?\{))|(?:%(?!%?\{)))+"
)
_HEREDOC = re.compile(
    r"<<(?P<heredoc>[a-zA-Z][a-zA-Z0-9._-]*)\r?\n(?:(?:.|\n)*?\r?\n)??\s*(?P=heredoc)\r?\n"
)
_HEREDOC_TRIM = re.compile(
    r"<<-(?P<heredoc_trim>[a-zA-Z][a-zA-Z0-9._-]*)\r?\n(?:(?:.|\n)*?\r?\n)??\s*"
    r"(?P=heredoc_trim)\r?\n"
)

# What makes a block's body be built at once (see _Builder.deferrable): a carriage return
# alone, or a space tree-sitter's grammar skips (its \s: ASCII only) but python-hcl2 not.
_ODD_BYTES = re.compile(rb"\r(?!\n)|[\x0b\x0c]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_BLANK_BYTES = re.compile(rb"[ \t\r]*")
_NAME_BYTES = re.compile(rb"[a-zA-Z_][a-zA-Z0-9_-]*")
_PLAIN_LABEL = re.compile(rb'"[^"\\$%\r\n]*"')
_PLAIN_STRING = re.compile(r'[^"\\$%]*')

_KEYWORDS = {
    "in": "IN", "for": "FOR", "if": "IF", "for_each": "FOR_EACH", "else": "ELSE",
    "endif": "ENDIF", "endfor": "ENDFOR",
}
_LITERALS = {"true": "TRUE", "false": "FALSE", "null": "NULL"}
# Binary operators: lark token type and the level of python-hcl2's precedence ladder.
_BINARY = {
    "||": ("DOUBLE_PIPE", 1), "&&": ("DOUBLE_AMP", 2), "==": ("DOUBLE_EQ", 3),
    "!=": ("NEQ", 3), "<": ("LT", 4), ">": ("GT", 4), "<=": ("LEQ", 4), ">=": ("GEQ", 4),
    "+": ("PLUS", 5), "-": ("MINUS", 5), "*": ("ASTERISK", 6), "/": ("SLASH", 6),
    "%": ("PERCENT", 6),
}
# Token types before which python-hcl2's post-lexer merges the newline token.
_MERGED = frozenset(t for t, _ in _BINARY.values() if t != "MINUS") | {"QMARK"}
_TERM = 7  # level of an expr_term or unary_op


class _Fallback(Exception):
    """The text is not one this reader maps exactly: read it with python-hcl2."""


@lru_cache(maxsize=1)
def _ts_parser() -> Any:
    import tree_sitter_hcl
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_hcl.language()))


def available() -> bool:
    try:
        _ts_parser()
    except Exception:  # not installed, or a binary that does not load here
        return False
    return True


def _token(ttype: str, value: str, start: int, end: int) -> Token:
    tok = str.__new__(Token, value)
    tok.type = ttype
    tok.value = _intern(value)  # thousands of tokens read "name" or "\n  ": one string
    tok.start_pos = start
    tok.end_pos = end
    tok.line = tok.column = tok.end_line = tok.end_column = None
    return tok


def parse_fast(text: str) -> Tree[Any] | None:
    """The lark tree python-hcl2 gives for ``text``, or None where only python-hcl2 may say."""
    return _read(text, None)


def parse_lazy(text: str, rel: str) -> Tree[Any] | None:
    """Like :func:`parse_fast`, but the value of each attribute is built when it is first
    looked at (most are never evaluated: other resources' arguments, variables'
    descriptions...). Its rule name and position are known at once; should building it
    meet what only python-hcl2 may read, python-hcl2 reads the file and gives that value
    (or its error, naming ``rel``)."""
    return _read(text, rel)


def _read(text: str, lazy_rel: str | None) -> Tree[Any] | None:
    try:
        parser = _ts_parser()
    except Exception:  # not installed, or a binary that does not load here
        return None
    data = text.encode("utf-8")
    ts_tree = parser.parse(data)
    if ts_tree.root_node.has_error:
        return None
    builder = _Builder(text, data)
    if lazy_rel is not None:
        builder.lazy = _File(text, lazy_rel, ts_tree, builder.c)
    try:
        return builder.start(ts_tree.root_node)
    except (_Fallback, RecursionError):
        return None


class _File:
    """What a lazy value needs to be built later: the text, tree-sitter's tree, and the
    reference reader's tree of the file once it had to be read."""

    def __init__(self, text: str, rel: str, ts_tree: Any, c: Any) -> None:
        self.text = text
        self.rel = rel
        self.ts_tree = ts_tree  # keeps tree-sitter's nodes valid
        self.c = c
        self._reference: Tree[Any] | None = None

    def reference(self) -> Tree[Any]:
        """python-hcl2's tree of the file (read once, when first needed)."""
        from lpgen.terraform.parse import _parse_reference

        if self._reference is None:
            self._reference = _parse_reference(self.text, rel=self.rel, offset=0, line_of=None)
        return self._reference

    def reference_value(self, attr_start: int) -> Tree[Any]:
        """python-hcl2's tree of the value of the attribute that starts at ``attr_start``."""
        for node in self.reference().iter_subtrees():
            if node.data == "attribute" and not node.meta.empty \
                    and node.meta.start_pos == attr_start:
                value: Tree[Any] = node.children[-1]
                return value
        from lpgen.errors import ParseError

        raise ParseError("the fast reader and python-hcl2 disagree on this file "
                         "(LPGEN_PARSER=python-hcl2 reads it with python-hcl2 alone)",
                         file=self.rel)

    def reference_body(self, start: int, end: int) -> Tree[Any]:
        """python-hcl2's tree of the body of the block at ``start``-``end``."""
        ref = self.reference()
        for node in ref.children[0].children:
            if isinstance(node, Tree) and node.data == "block" and not node.meta.empty \
                    and (node.meta.start_pos, node.meta.end_pos) == (start, end):
                for child in node.children:
                    if isinstance(child, Tree) and child.data == "body":
                        return child
        from lpgen.errors import ParseError

        raise ParseError("the fast reader and python-hcl2 disagree on this file "
                         "(LPGEN_PARSER=python-hcl2 reads it with python-hcl2 alone)",
                         file=self.rel)


class _LazyValue(Tree):  # type: ignore[type-arg]
    """An attribute's value, built on first use of its children."""

    def __init__(self, data: str, start: int, end: int, node: Any, file: _File,
                 attr_start: int) -> None:
        self.data = data
        self._meta = _Span(start, end)
        # Where it is in the text it was read from: its tree is built there, even after its
        # position was moved (a piece of a file read on its own, then shifted into place).
        self._origin = (start, end)
        self._kids: list[Any] | None = None
        self._node = node
        self._file: _File | None = file
        self._attr_start = attr_start
        self.pending: list[Token] = []

    @property
    def children(self) -> list[Any]:
        if self._kids is None:
            self._kids = self._build()
        return self._kids

    @children.setter
    def children(self, value: list[Any]) -> None:
        self._kids = value

    def _build(self) -> list[Any]:
        file = self._file
        assert file is not None
        builder = _Builder.__new__(_Builder)
        builder.text = file.text
        builder.c = file.c
        start, end = self._origin
        span: Any = _Origin(start, end)
        builder.pos = start
        builder.absorber = None
        builder.spine = []
        builder.lazy = None
        try:
            tree = builder.expression(self._node)
            if self.pending:
                if builder.absorber is None:
                    raise _Fallback
                builder._absorb(self.pending)
            if not _same_place(tree, self.data, span):
                raise _Fallback
        except (_Fallback, RecursionError):
            tree = file.reference_value(self._attr_start)
            if not _same_place(tree, self.data, span):
                from lpgen.errors import ParseError

                raise ParseError("the fast reader and python-hcl2 disagree on this file "
                                 "(LPGEN_PARSER=python-hcl2 reads it with python-hcl2 "
                                 "alone)", file=file.rel) from None
        # Nothing of tree-sitter's is needed any more: its tree (about 90 bytes a character)
        # is freed once every value and body of the file read later has been built.
        self._node = self._file = None
        return list(tree.children)

    def __reduce__(self) -> Any:
        span: Any = self._meta
        return (Tree, (self.data, self.children, _Span(span.start_pos, span.end_pos)))

    def __deepcopy__(self, memo: Any) -> Any:
        import copy

        return Tree(self.data, copy.deepcopy(self.children, memo), meta=self._meta)

    def copy(self) -> Any:
        return Tree(self.data, self.children, meta=self._meta)


class _LazyBody(Tree):  # type: ignore[type-arg]
    """The body of a top-level block, built on first use of its children or position.

    Most blocks of a file are never looked at (other resources, in a file that also
    declares IAM): their bodies cost only the check that building them later gives what
    building them now would (:meth:`_Builder.deferrable`). Should building meet what only
    python-hcl2 may read all the same, python-hcl2 reads the file and gives that body (or
    its error, naming the file)."""

    def __init__(self, node: Any, file: _File, start: int, end: int,
                 block: tuple[int, int]) -> None:
        self.data = "body"
        self._kids: list[Any] | None = None
        self._span: Any = None
        self._node = node  # tree-sitter's body node (None: an empty body)
        self._file: _File | None = file
        self._at = (start, end)  # from after "{" to "}"
        self._block = block  # where the block is

    @property
    def built(self) -> bool:
        return self._kids is not None

    @property
    def children(self) -> list[Any]:
        if self._kids is None:
            self._build()
        assert self._kids is not None
        return self._kids

    @children.setter
    def children(self, value: list[Any]) -> None:
        if self._kids is None:
            self._build()
        self._kids = value

    @property
    def _meta(self) -> Any:
        if self._kids is None:
            self._build()
        return self._span

    @_meta.setter
    def _meta(self, value: Any) -> None:
        if self._kids is None:
            self._build()
        self._span = value

    def _build(self) -> None:
        file = self._file
        assert file is not None
        builder = _Builder.__new__(_Builder)
        builder.text = file.text
        builder.c = file.c
        start, end = self._at
        builder.pos = start
        builder.absorber = None
        builder.spine = []
        builder.lazy = file
        try:
            kids: list[Any] = []
            if self._node is not None:
                builder.body_elements(self._node, kids)
            builder.gap(end, kids)
            tree = builder.mk_body("body", kids)
        except (_Fallback, RecursionError):
            tree = file.reference_body(*self._block)
        self._span = tree._meta
        self._kids = list(tree.children)
        self._node = self._file = None

    def __reduce__(self) -> Any:
        span: Any = self._meta
        meta = EMPTY if span.empty else _Span(span.start_pos, span.end_pos)
        return (Tree, (self.data, self.children, meta))

    def __deepcopy__(self, memo: Any) -> Any:
        import copy

        return Tree(self.data, copy.deepcopy(self.children, memo), meta=self._meta)

    def copy(self) -> Any:
        return Tree(self.data, self.children, meta=self._meta)


def unbuilt(tree: Any) -> bool:
    """Whether ``tree`` is a block's body not built yet (see :class:`_LazyBody`)."""
    return type(tree) is _LazyBody and not tree.built


class _Origin:
    __slots__ = ("end_pos", "start_pos")

    def __init__(self, start: int, end: int) -> None:
        self.start_pos = start
        self.end_pos = end


def _same_place(tree: Any, data: str, span: Any) -> bool:
    meta = tree.meta
    return bool(tree.data == data and not meta.empty and meta.start_pos == span.start_pos
                and meta.end_pos == span.end_pos)


class _Builder:
    lazy: _File | None = None

    def __init__(self, text: str, data: bytes) -> None:
        self.text = text
        self.data = data
        self.pos = 0
        # The innermost binary operation ending at self.pos (it takes a newline that
        # follows), and the nodes built since that end at the same place.
        self.absorber: Tree[Any] | None = None
        self.spine: list[Tree[Any]] = []
        self.c: Any = int  # byte offset -> character offset
        if len(data) != len(text):
            self.c = _byte_to_char(text).__getitem__
        # Bytes that make a body be built at once (see deferrable), looked for in each
        # block only when the file has any.
        cr = data.count(b"\r")
        self.odd = b"\x0b" in data or b"\x0c" in data or cr != data.count(b"\r\n")

    # -- positions, tokens, trees ------------------------------------------------------

    def mk(self, data: str, kids: list[Any]) -> Tree[Any]:
        """A tree spanning its first and last child (never empty: see :meth:`mk_body`)."""
        first: Any = kids[0]
        last: Any = kids[-1]
        start = first.start_pos if type(first) is Token else first._meta.start_pos
        end = last.end_pos if type(last) is Token else last._meta.end_pos
        # Tree(data, kids, Span(start, end)), without the two constructors' frames (a
        # tenth of building a tree).
        span = _new(_Span)
        span.start_pos = start
        span.end_pos = end
        span.empty = False
        tree: Any = _new(Tree)
        tree.data = data
        tree.children = kids
        tree._meta = span
        absorber: Any = self.absorber
        if absorber is not None and end == absorber._meta.end_pos:
            self.spine.append(tree)
        built: Tree[Any] = tree
        return built

    def mk_body(self, data: str, kids: list[Any]) -> Tree[Any]:
        """A body (or the file), which may be empty: then its position is unknown, as in lark."""
        first: Any = kids[0] if kids else None
        if first is not None and not (type(first) is Tree and _is_empty(first)):
            return self.mk(data, kids)
        return Tree(data, kids, EMPTY)  # type: ignore[arg-type]

    def _lex_gap(self, q: int, ws: bool = False) -> tuple[list[Token], int]:
        """Newline/comment tokens in text[pos:q]; with ``ws``, where a token that takes
        the spaces and tabs before it (EQ, COLON) starts."""
        text = self.text
        i = self.pos
        toks: list[Token] = []
        while i < q:
            ch = text[i]
            if ch in " \t\r":
                if ws and ch != "\r":
                    j = i
                    while j < q and text[j] in " \t":
                        j += 1
                    if j == q:
                        return toks, i
                m = _IGNORE.match(text, i, q)
                assert m is not None
                i = m.end()
                continue
            m = _NL.match(text, i)
            if m is None or m.end() > q:
                raise _Fallback
            toks.append(_token("NL_OR_COMMENT", m.group(), i, m.end()))
            i = m.end()
        return toks, q

    def _absorb(self, toks: list[Token]) -> None:
        absorber = self.absorber
        assert absorber is not None
        if isinstance(absorber, _LazyValue):
            # Its innermost operation takes the newlines when it is built.
            absorber.pending = toks
            end: Any = toks[-1].end_pos
            span: Any = absorber._meta
            span.end_pos = end
            absorber._origin = (absorber._origin[0], end)
            for node in self.spine:
                node.meta.end_pos = end
            self.absorber = None
            self.spine = []
            return
        nl = self.mk("new_line_or_comment", toks)
        absorber.children.append(nl)
        end = nl.meta.end_pos
        absorber.meta.end_pos = end
        for node in self.spine:
            node.meta.end_pos = end
        self.absorber = None
        self.spine = []

    def gap(self, q: int, kids: list[Any] | None, ws: bool = False) -> int:
        """Lex the text up to the next token at ``q``: newlines go to the pending binary
        operation, else into ``kids`` (a slot of the grammar), else python-hcl2 rejects
        the text here. Returns where the next token starts."""
        i = self.pos
        if i == q or (not ws and _BLANK.fullmatch(self.text, i, q) is not None):
            self.pos = q
            return q
        toks, start = self._lex_gap(q, ws)
        if toks:
            if self.absorber is not None:
                self._absorb(toks)
            elif kids is None:
                raise _Fallback
            else:
                kids.append(self.mk("new_line_or_comment", toks))
        self.pos = start
        return start

    def tok(self, ttype: str, s: int, e: int, kids: list[Any] | None = None,
            ws: bool = False) -> Token:
        """The token text[s:e], after the gap before it (``kids``: the slot for newlines)."""
        start = s if s == self.pos else self.gap(s, kids, ws)
        t = _token(ttype, self.text[start:e], start, e)
        self.pos = e
        self.absorber = None
        self.spine = []
        return t

    def op(self, ttype: str, s: int, e: int) -> Token:
        """A binary operator or ``?``: a newline right before it is part of its value."""
        toks, _ = self._lex_gap(s)
        prefix = ""
        if toks and ttype in _MERGED:
            prefix = toks.pop()
        if toks:
            if self.absorber is None:
                raise _Fallback
            self._absorb(toks)
        t = _token(ttype, prefix + self.text[s:e], s, e)
        self.pos = e
        self.absorber = None
        self.spine = []
        return t

    def ntok(self, ttype: str, node: Any, kids: list[Any] | None = None,
             ws: bool = False) -> Token:
        return self.tok(ttype, self.c(node.start_byte), self.c(node.end_byte), kids, ws)

    # -- structure ----------------------------------------------------------------------

    def start(self, root: Any) -> Tree[Any]:
        body = None
        for child in root.children:
            if child.type == "body":
                body = child
            elif child.type != "comment":
                raise _Fallback
        kids: list[Any] = []
        if body is not None:
            if self.lazy is not None:
                self.top_elements(body, kids)
            else:
                self.body_elements(body, kids)
        self.gap(len(self.text), kids)
        return self.mk_body("start", [self.mk_body("body", kids)])

    def top_elements(self, body: Any, kids: list[Any]) -> None:
        """The file's attributes and blocks, each block's body to be built on first use
        when nothing in it can be other than the eager reading (see :class:`_LazyBody`)."""
        for child in body.children:
            t = child.type
            if t == "attribute":
                self.gap(self.c(child.start_byte), kids)
                kids.append(self.attribute(child))
            elif t == "block":
                self.gap(self.c(child.start_byte), kids)
                if self.deferrable(child):
                    kids.append(self.lazy_block(child))
                else:
                    kids.append(self.block(child))
            elif t != "comment":
                raise _Fallback

    def body_elements(self, body: Any, kids: list[Any]) -> None:
        for child in body.children:
            t = child.type
            if t == "attribute":
                self.gap(self.c(child.start_byte), kids)
                kids.append(self.attribute(child))
            elif t == "block":
                self.gap(self.c(child.start_byte), kids)
                kids.append(self.block(child))
            elif t != "comment":
                raise _Fallback

    def name(self, node: Any, kids: list[Any] | None = None) -> Tree[Any]:
        """An attribute name, block type or unquoted label (``_attribute_name``)."""
        word = self.text[self.c(node.start_byte) : self.c(node.end_byte)]
        if word in _KEYWORDS:
            return self.mk("keyword", [self.ntok(_KEYWORDS[word], node, kids)])
        if word in _LITERALS:
            return self.mk("literal_value", [self.ntok(_LITERALS[word], node, kids)])
        return self.identifier(node, kids)

    def identifier(self, node: Any, kids: list[Any] | None = None) -> Tree[Any]:
        tok = self.ntok("NAME", node, kids)
        if _NAME.fullmatch(tok) is None:
            raise _Fallback
        return self.mk("identifier", [tok])

    def attribute(self, node: Any) -> Tree[Any]:
        children = _significant(node)
        if len(children) != 3 or children[1].type != "=":
            raise _Fallback
        kids: list[Any] = [self.name(children[0])]
        kids.append(self.ntok("EQ", children[1], None, ws=True))
        if self.lazy is not None and children[2].type == "expression":
            kids.append(self.lazy_value(children[2], kids[0]))
        else:
            kids.append(self.expression(children[2]))
        return self.mk("attribute", kids)

    def lazy_value(self, node: Any, name: Any) -> Tree[Any]:
        """The value of an attribute, to be built on first use (see :func:`parse_lazy`)."""
        assert self.lazy is not None
        start = self.c(node.start_byte)
        self.gap(start, None)
        end = _lark_end(node, self.text, self.c)
        value = _LazyValue(_root_rule(node, self.text, self.c), start, end, node, self.lazy,
                           name.meta.start_pos)
        self.pos = end
        self.absorber = value if _takes_newlines(node) else None
        self.spine = []
        return value

    def block(self, node: Any) -> Tree[Any]:
        kids: list[Any] = []
        body_kids: list[Any] = []
        seen_type = False
        state = "head"
        for child in node.children:
            t = child.type
            if t == "comment":
                continue
            if state == "head":
                if t == "identifier":
                    kids.append(self.name(child))
                    seen_type = True
                elif t == "string_lit" and seen_type:
                    kids.append(self.string(child))
                elif t == "block_start":
                    kids.append(self.ntok("LBRACE", child, kids))
                    state = "body"
                else:
                    raise _Fallback
            elif state == "body":
                if t == "body":
                    self.body_elements(child, body_kids)
                elif t == "block_end":
                    self.gap(self.c(child.start_byte), body_kids)
                    kids.append(self.mk_body("body", body_kids))
                    kids.append(self.ntok("RBRACE", child))
                    state = "done"
                else:
                    raise _Fallback
            else:
                raise _Fallback
        if state != "done":
            raise _Fallback
        return self.mk("block", kids)

    def lazy_block(self, node: Any) -> Tree[Any]:
        """A top-level block whose head is built now and whose body when first used."""
        assert self.lazy is not None
        children = _significant(node)
        kids: list[Any] = []
        seen_type = False
        k = 0
        for k, child in enumerate(children):  # noqa: B007 - k is where the head ends
            t = child.type
            if t == "identifier":
                kids.append(self.name(child))
                seen_type = True
            elif t == "string_lit" and seen_type:
                kids.append(self.string(child))
            elif t == "block_start" and seen_type:
                kids.append(self.ntok("LBRACE", child, kids))
                break
            else:
                raise _Fallback
        else:
            raise _Fallback
        rest = children[k + 1 :]
        types = [c.type for c in rest]
        if types == ["block_end"]:
            body = None
        elif types == ["body", "block_end"]:
            body = rest[0]
        else:
            raise _Fallback
        end = self.c(rest[-1].start_byte)
        start: Any = kids[0]
        block_span = (start._meta.start_pos, self.c(rest[-1].end_byte))
        kids.append(_LazyBody(body, self.lazy, self.pos, end, block_span))
        self.pos = end
        self.absorber = None
        self.spine = []
        kids.append(self.ntok("RBRACE", rest[-1]))
        return self.mk("block", kids)

    def deferrable(self, node: Any) -> bool:
        """Whether the body of the top-level block ``node`` can be built later: building it
        cannot fail (tree-sitter's tree is one the eager reading maps whole: no newline or
        comment where python-hcl2's grammar has no place for one, names python-hcl2 lexes
        as names, plain labels...) and no body in it sets an attribute twice (the loader
        reports that when it reads the file). Anything else is built at once, as before,
        so that what the file gives (or the error it is) does not depend on what is used.
        Cheap: tree-sitter's nodes are looked at, nothing is built."""
        data = self.data
        if self.odd and _ODD_BYTES.search(data, node.start_byte, node.end_byte) is not None:
            return False
        for child in node.children:
            if child.type == "body":
                return self._plain_body(child)
        return True

    def _plain_body(self, body: Any) -> bool:
        data = self.data
        names: set[bytes] = set()
        add = names.add
        for child in body.children:
            t = child.type
            if t == "attribute":
                kids = child.children
                if len(kids) != 3:  # a comment inside
                    return False
                # tree-sitter-hcl's attribute is identifier "=" expression: between name
                # and value only blanks and "=" (python-hcl2 has no place for a newline);
                # an ASCII identifier of tree-sitter's is a NAME of python-hcl2's.
                name, _, value = kids
                e, vs = name.end_byte, value.start_byte
                word = data[name.start_byte : e]
                if data[e:vs].strip(b" \t\r") != b"=" or not word.isascii() or word in names:
                    return False
                add(word)
                if data.find(b"<<", vs, value.end_byte) >= 0:
                    try:
                        _lark_end(value, self.text, self.c)
                    except _Fallback:
                        return False
            elif t == "block":
                if not self._plain_block(child):
                    return False
            elif t != "comment":
                return False
        return True

    def _plain_block(self, node: Any) -> bool:
        data = self.data
        state = 0  # 0: before the type, 1: in the head, 2: in the body, 3: after it
        prev = -1
        for child in node.children:
            t = child.type
            if state < 2:
                s, e = child.start_byte, child.end_byte
                if t == "block_start" and state == 1:
                    state = 2
                    continue
                if prev >= 0 and _BLANK_BYTES.fullmatch(data, prev, s) is None:
                    return False
                if t == "identifier":
                    if _NAME_BYTES.fullmatch(data, s, e) is None:
                        return False
                elif t != "string_lit" or state == 0 \
                        or _PLAIN_LABEL.fullmatch(data, s, e) is None:
                    return False
                state = 1
                prev = e
            elif state == 2:
                if t == "body":
                    if not self._plain_body(child):
                        return False
                elif t == "block_end":
                    state = 3
                elif t != "comment":
                    return False
            else:
                return False
        return state == 3

    # -- expressions ----------------------------------------------------------------------

    def expression(self, node: Any) -> Tree[Any]:
        """An ``expression`` node: a primary, then its attribute/index/splat accessors."""
        return self.expression_of(_significant(node))

    def expression_of(self, children: list[Any]) -> Tree[Any]:
        if not children:
            raise _Fallback
        first = children[0]
        t = first.type
        rest = children[1:]
        if t == "(":
            if len(children) < 3 or children[2].type != ")":
                raise _Fallback
            kids: list[Any] = [self.ntok("LPAR", first)]
            self.gap(self.c(children[1].start_byte), kids)
            kids.append(self.expression(children[1]))
            kids.append(self.ntok("RPAR", children[2], kids))
            term = self.mk("expr_term", kids)
            rest = children[3:]
        elif t == "operation":
            if rest:
                raise _Fallback
            return self.operation(first)
        elif t == "conditional":
            if rest:
                raise _Fallback
            return self.conditional(first)
        else:
            term = self.mk("expr_term", [self.primary(first)])
        if rest:
            term = self.accessors(term, rest)
        return term

    def primary(self, node: Any) -> Any:
        t = node.type
        if t == "literal_value":
            return self.literal(node)
        if t == "variable_expr":
            only = _sole(node)
            word = self.text[self.c(only.start_byte) : self.c(only.end_byte)]
            if word in _LITERALS:
                return self.mk("literal_value", [self.ntok(_LITERALS[word], only)])
            return self.identifier(only)
        if t == "template_expr":
            only = _sole(node)
            if only.type == "quoted_template":
                return self.string(only)
            if only.type == "heredoc_template":
                return self.heredoc(only)
            raise _Fallback
        if t == "collection_value":
            only = _sole(node)
            if only.type == "tuple":
                return self.tuple_(only)
            if only.type == "object":
                return self.object_(only)
            raise _Fallback
        if t == "function_call":
            return self.function_call(node)
        if t == "for_expr":
            only = _sole(node)
            if only.type == "for_tuple_expr":
                return self.for_tuple(only)
            if only.type == "for_object_expr":
                return self.for_object(only)
        raise _Fallback

    def literal(self, node: Any) -> Tree[Any]:
        lit = _sole(node)
        t = lit.type
        if t == "numeric_lit":
            return self.number(lit)
        if t == "bool_lit":
            word = self.text[self.c(lit.start_byte) : self.c(lit.end_byte)]
            return self.mk("literal_value", [self.ntok(_LITERALS[word], lit)])
        if t == "null_lit":
            return self.mk("literal_value", [self.ntok("NULL", lit)])
        if t == "string_lit":
            return self.string(lit)
        raise _Fallback

    def number(self, node: Any, start: int | None = None) -> Tree[Any]:
        s = self.c(node.start_byte) if start is None else start
        e = self.c(node.end_byte)
        word = self.text[s:e]
        if _FLOAT.fullmatch(word):
            return self.mk("float_lit", [self.tok("FLOAT_LITERAL", s, e)])
        if _INT.fullmatch(word):
            return self.mk("int_lit", [self.tok("INT_LITERAL", s, e)])
        raise _Fallback

    def string(self, node: Any) -> Tree[Any]:
        """A quoted string or template: python-hcl2 lexes the literal runs itself."""
        parts = [c for c in node.children]
        if len(parts) < 2 or parts[0].type != "quoted_template_start" \
                or parts[-1].type != "quoted_template_end":
            raise _Fallback
        kids: list[Any] = [self.ntok("DBLQUOTE", parts[0])]
        text = self.text
        if len(parts) <= 3:
            # Plain text (no template, escape, "$" or "%"): one STRING_CHARS token, as
            # literal_run would lex it.
            end = parts[-1]
            e = self.c(end.start_byte)
            s = self.pos
            if (len(parts) == 2 or parts[1].type == "template_literal") \
                    and _PLAIN_STRING.fullmatch(text, s, e) is not None:
                if e > s:
                    kids.append(self.mk("string_part", [_token("STRING_CHARS", text[s:e], s, e)]))
                self.pos = e
                kids.append(self.ntok("DBLQUOTE", end))
                return self.mk("string", kids)
        for part in parts[1:-1]:
            t = part.type
            s = self.c(part.start_byte)
            if t == "template_literal" or t == "escape_sequence":
                continue  # literal text: lexed below, between the template parts
            if t == "template_interpolation":
                self.literal_run(s, kids)
                kids.append(self.mk("string_part", [self.interpolation(part)]))
            else:
                raise _Fallback
        end = parts[-1]
        self.literal_run(self.c(end.start_byte), kids)
        if text[self.pos] != '"':
            raise _Fallback
        kids.append(self.ntok("DBLQUOTE", end))
        return self.mk("string", kids)

    def literal_run(self, e: int, kids: list[Any]) -> None:
        """The literal text from ``pos`` to ``e``, in python-hcl2's tokens."""
        text = self.text
        i = self.pos
        while i < e:
            ttype, m = _string_token(text, i)
            j = m.end()
            if j > e:
                raise _Fallback
            kids.append(self.mk("string_part", [_token(ttype, m.group(), i, j)]))
            i = j
        self.pos = e

    def interpolation(self, node: Any) -> Tree[Any]:
        parts = _significant(node)
        if len(parts) != 3 or parts[0].type != "template_interpolation_start" \
                or parts[2].type != "template_interpolation_end" \
                or parts[1].type != "expression":
            raise _Fallback  # strip markers (~), which python-hcl2 does not read there
        kids: list[Any] = [self.ntok("INTERP_START", parts[0])]
        self.gap(self.c(parts[1].start_byte), None)
        kids.append(self.expression(parts[1]))
        kids.append(self.ntok("RBRACE", parts[2]))
        return self.mk("interpolation", kids)

    def heredoc(self, node: Any) -> Tree[Any]:
        s, e = self.c(node.start_byte), self.c(node.end_byte)
        text = self.text
        trim = text.startswith("<<-", s)
        m = (_HEREDOC_TRIM if trim else _HEREDOC).match(text, s)
        if m is None or text[e : m.end()] not in ("\n", "\r\n"):
            raise _Fallback
        tok = self.tok("HEREDOC_TEMPLATE_TRIM" if trim else "HEREDOC_TEMPLATE", s, m.end())
        return self.mk("heredoc_template_trim" if trim else "heredoc_template", [tok])

    def tuple_(self, node: Any) -> Tree[Any]:
        children = _significant(node)
        if len(children) < 2 or children[0].type != "tuple_start" \
                or children[-1].type != "tuple_end":
            raise _Fallback
        kids: list[Any] = [self.ntok("LSQB", children[0])]
        expect_expr = True
        for child in children[1:-1]:
            if child.type == "expression" and expect_expr:
                self.gap(self.c(child.start_byte), kids)
                kids.append(self.expression(child))
                expect_expr = False
            elif child.type == "," and not expect_expr:
                kids.append(self.ntok("COMMA", child, kids))
                expect_expr = True
            else:
                raise _Fallback
        kids.append(self.ntok("RSQB", children[-1], kids))
        return self.mk("tuple", kids)

    def object_(self, node: Any) -> Tree[Any]:
        children = _significant(node)
        if len(children) < 2 or children[0].type != "object_start" \
                or children[-1].type != "object_end":
            raise _Fallback
        kids: list[Any] = [self.ntok("LBRACE", children[0])]
        after_elem = False
        for child in children[1:-1]:
            if child.type == "object_elem":
                self.gap(self.c(child.start_byte), kids)
                kids.append(self.object_elem(child))
                after_elem = True
            elif child.type == "," and after_elem:
                kids.append(self.ntok("COMMA", child, kids))
                after_elem = False
            else:
                raise _Fallback
        kids.append(self.ntok("RBRACE", children[-1], kids))
        return self.mk("object", kids)

    def object_elem(self, node: Any) -> Tree[Any]:
        children = _significant(node)
        if len(children) != 3 or children[1].type not in ("=", ":"):
            raise _Fallback
        key = children[0]
        key_kids: list[Any]
        word = self.text[self.c(key.start_byte) : self.c(key.end_byte)]
        if word in _KEYWORDS:
            if word == "for":
                raise _Fallback
            key_kids = [self.mk("keyword", [self.ntok(_KEYWORDS[word], key)])]
        else:
            key_kids = [self.expression(key)]
        kids: list[Any] = [self.mk("object_elem_key", key_kids)]
        sep = "EQ" if children[1].type == "=" else "COLON"
        kids.append(self.ntok(sep, children[1], None, ws=True))
        kids.append(self.expression(children[2]))
        return self.mk("object_elem", kids)

    def function_call(self, node: Any) -> Tree[Any]:
        children = _significant(node)
        if len(children) < 3 or children[0].type != "identifier" \
                or children[1].type != "(" or children[-1].type != ")":
            raise _Fallback
        name = children[0]
        s, e = self.c(name.start_byte), self.c(name.end_byte)
        word = self.text[s:e]
        kids: list[Any] = []
        if "::" in word:
            pieces = word.split("::")
            if len(pieces) != 3:
                raise _Fallback
            at = s
            for k, piece in enumerate(pieces):
                if k:
                    kids.append(self.tok("COLONS", at, at + 2))
                    at += 2
                tok = self.tok("NAME", at, at + len(piece))
                if _NAME.fullmatch(tok) is None:
                    raise _Fallback
                kids.append(self.mk("identifier", [tok]))
                at += len(piece)
        else:
            kids.append(self.identifier(name))
        kids.append(self.ntok("LPAR", children[1]))
        if len(children) == 4:
            if children[2].type != "function_arguments":
                raise _Fallback
            kids.append(self.arguments(children[2], kids))
        elif len(children) != 3:
            raise _Fallback
        kids.append(self.ntok("RPAR", children[-1], kids))
        return self.mk("function_call", kids)

    def arguments(self, node: Any, call_kids: list[Any]) -> Tree[Any]:
        children = _significant(node)
        kids: list[Any] = []
        expect_expr = True
        ended = False
        for i, child in enumerate(children):
            t = child.type
            if ended:
                raise _Fallback
            if t == "expression" and expect_expr:
                self.gap(self.c(child.start_byte), call_kids if i == 0 else kids)
                kids.append(self.expression(child))
                expect_expr = False
            elif t == "," and not expect_expr:
                kids.append(self.ntok("COMMA", child, kids))
                expect_expr = True
            elif t == "ellipsis" and not expect_expr:
                kids.append(self.ntok("ELLIPSIS", child))
                ended = True
            else:
                raise _Fallback
        if not kids:
            raise _Fallback
        # The newlines before ")" belong to the arguments (python-hcl2 shifts them there).
        after = _next_significant(node)
        if after is None or after.type != ")":
            raise _Fallback
        self.gap(self.c(after.start_byte), kids)
        return self.mk("arguments", kids)

    def for_intro(self, node: Any) -> Tree[Any]:
        children = _significant(node)
        types = [c.type for c in children]
        if types not in (
            ["for", "identifier", "in", "expression", ":"],
            ["for", "identifier", ",", "identifier", "in", "expression", ":"],
        ):
            raise _Fallback
        kids: list[Any] = [self.ntok("FOR", children[0])]
        kids.append(self.identifier(children[1], kids))
        k = 2
        if types[2] == ",":
            kids.append(self.ntok("COMMA", children[2]))
            kids.append(self.identifier(children[3]))
            k = 4
        kids.append(self.ntok("IN", children[k], kids))
        self.gap(self.c(children[k + 1].start_byte), kids)
        kids.append(self.expression(children[k + 1]))
        kids.append(self.ntok("COLON", children[k + 2], kids, ws=True))
        # Newlines after the colon are the intro's own (python-hcl2 shifts them there).
        after = _next_significant(node)
        if after is None:
            raise _Fallback
        self.gap(self.c(after.start_byte), kids)
        return self.mk("for_intro", kids)

    def for_cond(self, node: Any) -> Tree[Any]:
        children = _significant(node)
        if [c.type for c in children] != ["if", "expression"]:
            raise _Fallback
        kids: list[Any] = [self.ntok("IF", children[0])]
        self.gap(self.c(children[1].start_byte), kids)
        kids.append(self.expression(children[1]))
        return self.mk("for_cond", kids)

    def for_tuple(self, node: Any) -> Tree[Any]:
        children = _significant(node)
        types = [c.type for c in children]
        if types[:2] != ["tuple_start", "for_intro"] or types[-1] != "tuple_end" \
                or types[2:-1] not in (["expression"], ["expression", "for_cond"]):
            raise _Fallback
        kids: list[Any] = [self.ntok("LSQB", children[0])]
        self.gap(self.c(children[1].start_byte), kids)
        kids.append(self.for_intro(children[1]))
        self.gap(self.c(children[2].start_byte), kids)
        kids.append(self.expression(children[2]))
        if types[3] == "for_cond":
            self.gap(self.c(children[3].start_byte), kids)
            kids.append(self.for_cond(children[3]))
        kids.append(self.ntok("RSQB", children[-1], kids))
        return self.mk("for_tuple_expr", kids)

    def for_object(self, node: Any) -> Tree[Any]:
        children = _significant(node)
        types = [c.type for c in children]
        if types[:5] != ["object_start", "for_intro", "expression", "=>", "expression"] \
                or types[-1] != "object_end" \
                or types[5:-1] not in ([], ["ellipsis"], ["for_cond"], ["ellipsis", "for_cond"]):
            raise _Fallback
        kids: list[Any] = [self.ntok("LBRACE", children[0])]
        self.gap(self.c(children[1].start_byte), kids)
        kids.append(self.for_intro(children[1]))
        self.gap(self.c(children[2].start_byte), kids)
        kids.append(self.expression(children[2]))
        kids.append(self.ntok("FOR_OBJECT_ARROW", children[3]))
        self.gap(self.c(children[4].start_byte), kids)
        kids.append(self.expression(children[4]))
        for child in children[5:-1]:
            if child.type == "ellipsis":
                kids.append(self.ntok("ELLIPSIS", child, kids))
            else:
                self.gap(self.c(child.start_byte), kids)
                kids.append(self.for_cond(child))
        kids.append(self.ntok("RBRACE", children[-1], kids))
        return self.mk("for_object_expr", kids)

    def accessors(self, term: Tree[Any], nodes: list[Any]) -> Tree[Any]:
        """Attribute access, indexes and splats after a primary, nested as python-hcl2 does:
        a splat takes every accessor after it up to the next splat."""
        flat: list[Any] = []
        for node in nodes:
            if node.type == "splat":
                inner = _significant(node)
                if len(inner) != 1 or inner[0].type not in ("attr_splat", "full_splat"):
                    raise _Fallback
                parts = _significant(inner[0])
                flat.append(parts[0])
                flat.extend(parts[1:])
            elif node.type in ("get_attr", "index"):
                flat.append(node)
            else:
                raise _Fallback
        splat: list[Any] | None = None
        splat_kind = ""
        for node in flat:
            t = node.type
            if t in (".*", "[*]"):
                if splat is not None:
                    term = self.close_splat(term, splat_kind, splat)
                s, e = self.c(node.start_byte), self.c(node.end_byte)
                if self.text[s:e] != t:
                    raise _Fallback
                ttype = "ATTR_SPLAT" if t == ".*" else "FULL_SPLAT_START"
                splat = [self.tok(ttype, s, e)]
                splat_kind = "attr_splat" if t == ".*" else "full_splat"
                continue
            if t == "get_attr":
                acc = self.get_attr(node)
                wrapper = "get_attr_expr_term"
            elif t == "index":
                acc = self.index(node)
                wrapper = "index_expr_term"
            else:
                raise _Fallback
            if splat is not None:
                splat.append(acc)
            else:
                term = self.mk("expr_term", [self.mk(wrapper, [term, acc])])
        if splat is not None:
            term = self.close_splat(term, splat_kind, splat)
        return term

    def close_splat(self, term: Tree[Any], kind: str, kids: list[Any]) -> Tree[Any]:
        return self.mk("expr_term", [self.mk(kind + "_expr_term", [term, self.mk(kind, kids)])])

    def get_attr(self, node: Any) -> Tree[Any]:
        children = _significant(node)
        if [c.type for c in children] != [".", "identifier"]:
            raise _Fallback
        kids: list[Any] = [self.ntok("DOT", children[0])]
        word = self.text[self.c(children[1].start_byte) : self.c(children[1].end_byte)]
        if word in _LITERALS:
            kids.append(self.mk("literal_value", [self.ntok(_LITERALS[word], children[1])]))
        else:
            kids.append(self.identifier(children[1]))
        return self.mk("get_attr", kids)

    def index(self, node: Any) -> Tree[Any]:
        idx = _sole(node)
        if idx.type == "new_index":
            parts = _significant(idx)
            if [c.type for c in parts] != ["[", "expression", "]"]:
                raise _Fallback
            kids: list[Any] = [self.ntok("LSQB", parts[0])]
            self.gap(self.c(parts[1].start_byte), kids)
            kids.append(self.expression(parts[1]))
            kids.append(self.ntok("RSQB", parts[2], kids))
            return self.mk("braces_index", kids)
        if idx.type == "legacy_index":
            s, e = self.c(idx.start_byte), self.c(idx.end_byte)
            text = self.text
            if text[s] != ".":
                raise _Fallback
            dot = self.tok("DOT", s, s + 1)
            m = _INT.match(text, s + 1)
            if m is None or m.end() != e:
                raise _Fallback
            return self.mk("short_index", [dot, self.tok("INT_LITERAL", s + 1, e)])
        raise _Fallback

    def operation(self, node: Any) -> Tree[Any]:
        op = _sole(node)
        parts = _significant(op)
        if op.type == "unary_operation":
            if len(parts) < 2 or parts[0].type not in ("-", "!"):
                raise _Fallback
            s = self.c(parts[0].start_byte)
            operand = parts[1]
            if parts[0].type == "-":
                m = _FLOAT.match(self.text, s) or _INT.match(self.text, s)
                if m is not None and m.end() > s + 1:
                    # python-hcl2 lexes "-12" as one negative literal.
                    lit = operand.children[0] if operand.type == "literal_value" else None
                    if lit is None or lit.type != "numeric_lit" or len(parts) != 2 \
                            or self.c(lit.end_byte) != m.end():
                        raise _Fallback
                    return self.mk("expr_term", [self.number(lit, start=s)])
            kids: list[Any] = [self.ntok("MINUS" if parts[0].type == "-" else "NOT", parts[0])]
            value = self.operand(parts[1:])
            if value.data != "expr_term":
                raise _Fallback
            kids.append(value)
            return self.mk("unary_op", kids)
        if op.type == "binary_operation":
            at = [i for i, c in enumerate(parts) if not c.is_named and c.type in _BINARY]
            if len(at) != 1:
                raise _Fallback
            k = at[0]
            sym = parts[k].type
            ttype, level = _BINARY[sym]
            left = self.operand(parts[:k])
            if _level(left) < level:
                raise _Fallback
            s, e = self.c(parts[k].start_byte), self.c(parts[k].end_byte)
            if ttype == "MINUS":
                m = _FLOAT.match(self.text, s) or _INT.match(self.text, s)
                if m is not None and m.end() > s + 1:
                    raise _Fallback  # python-hcl2 reads "-1" there as a literal, and fails
            optok = self.op(ttype, s, e)
            term_kids: list[Any] = [self.mk("binary_operator", [optok])]
            self.gap(self.c(parts[k + 1].start_byte), term_kids)
            right = self.operand(parts[k + 1 :])
            if _level(right) <= level:
                raise _Fallback
            term_kids.append(right)
            term = self.mk("binary_term", term_kids)
            tree = self.mk("binary_op", [left, term])
            if self.absorber is None:
                self.absorber = tree
                self.spine = []
            return tree
        raise _Fallback

    def operand(self, nodes: list[Any]) -> Tree[Any]:
        """An operand of an operation: tree-sitter inlines it (a primary and its accessors)."""
        if len(nodes) == 1 and nodes[0].type == "expression":
            return self.expression(nodes[0])
        return self.expression_of(nodes)

    def conditional(self, node: Any) -> Tree[Any]:
        """``c ? t : f``. tree-sitter-hcl nests ``a ? b : c ? d : e`` to the left; HCL, and
        python-hcl2, to the right: the chain is read in source order and nested rightwards."""
        chain: list[list[Any]] = []
        while True:
            parts = _significant(node)
            if [c.type for c in parts] != ["expression", "?", "expression", ":", "expression"]:
                raise _Fallback
            chain.append(parts)
            inner = _significant(parts[0])
            if len(inner) == 1 and inner[0].type == "conditional":
                node = inner[0]
                continue
            break
        chain.reverse()
        return self._conditional(chain, 0, self.expression(chain[0][0]))

    def _conditional(self, chain: list[list[Any]], k: int, cond: Tree[Any]) -> Tree[Any]:
        if cond.data == "conditional":
            raise _Fallback
        parts = chain[k]
        kids: list[Any] = [cond]
        kids.append(self.op("QMARK", self.c(parts[1].start_byte), self.c(parts[1].end_byte)))
        self.gap(self.c(parts[2].start_byte), kids)
        kids.append(self.expression(parts[2]))
        kids.append(self.ntok("COLON", parts[3], kids, ws=True))
        self.gap(self.c(parts[4].start_byte), kids)
        if k + 1 < len(chain):
            kids.append(self._conditional(chain, k + 1, self.expression(parts[4])))
        else:
            kids.append(self.expression(parts[4]))
        return self.mk("conditional", kids)


def _byte_to_char(text: str) -> list[int]:
    """For each UTF-8 byte offset of ``text`` (and its end), the character it is part of:
    ASCII runs are ranges, only the other characters are looked at one by one."""
    out: list[int] = []
    extend = out.extend
    at = 0  # characters before the current run
    for m in _NON_ASCII.finditer(text):
        s, e = m.span()
        extend(range(at, s))
        for i in range(s, e):
            extend([i] * len(text[i].encode("utf-8")))
        at = e
    extend(range(at, len(text) + 1))
    return out


def _sole(node: Any) -> Any:
    """A node's one significant child (tree-sitter wraps most expressions in a node of their
    kind); any other shape is not one the converter maps."""
    inner = _significant(node)
    if len(inner) != 1:
        raise _Fallback
    return inner[0]


def _significant(node: Any) -> list[Any]:
    """A node's children, tree-sitter's comment nodes left out (comments are lexed again
    from the text between tokens)."""
    return [c for c in node.children if c.type != "comment"]


def _next_significant(node: Any) -> Any:
    """The sibling after ``node``, comments skipped (None at the end)."""
    after = node.next_sibling
    while after is not None and after.type == "comment":
        after = after.next_sibling
    return after


def _root_rule(node: Any, text: str, c: Any) -> str:
    """The rule python-hcl2 gives the root of the ``expression`` node (without building it)."""
    kids = _significant(node)
    if len(kids) == 1:
        first = kids[0]
        if first.type == "conditional":
            return "conditional"
        if first.type == "operation":
            (op,) = _significant(first)
            if op.type == "binary_operation":
                return "binary_op"
            parts = _significant(op)
            if parts and parts[0].type == "-":
                s = c(parts[0].start_byte)
                m = _FLOAT.match(text, s) or _INT.match(text, s)
                if m is not None and m.end() > s + 1:
                    return "expr_term"  # a negative literal
            return "unary_op"
    return "expr_term"


def _takes_newlines(node: Any) -> bool:
    """Whether a newline right after the expression goes inside it (python-hcl2 gives it to
    the innermost binary operation that ends the expression)."""
    while True:
        kids = _significant(node)
        if len(kids) != 1:
            return False
        first = kids[0]
        if first.type == "operation":
            (op,) = _significant(first)
            return bool(op.type == "binary_operation")
        if first.type != "conditional":
            return False
        node = _significant(first)[-1]


def _lark_end(node: Any, text: str, c: Any) -> int:
    """Where python-hcl2's tree of the expression ends: a heredoc's token takes the newline
    after its end marker."""
    leaf = node
    while leaf.child_count:
        kids = _significant(leaf)
        if not kids:
            break
        leaf = kids[-1]
        if leaf.type == "heredoc_template":
            s = c(leaf.start_byte)
            m = (_HEREDOC_TRIM if text.startswith("<<-", s) else _HEREDOC).match(text, s)
            if m is None:
                raise _Fallback
            return m.end()
    return int(c(node.end_byte))


def _is_empty(tree: Any) -> bool:
    return bool(tree._meta.empty)


def _string_token(text: str, i: int) -> tuple[str, re.Match[str]]:
    """python-hcl2's token at ``i`` inside a quoted string (escaped templates first)."""
    for ttype, rx in (
        ("ESCAPED_INTERPOLATION", _ESC_INTERP),
        ("ESCAPED_DIRECTIVE", _ESC_DIRECTIVE),
        ("STRING_CHARS", _STRING_CHARS),
    ):
        m = rx.match(text, i)
        if m is not None:
            return ttype, m
    raise _Fallback


_LEVELS = {"binary_op": 0, "unary_op": _TERM, "expr_term": _TERM}


def _level(tree: Any) -> int:
    """Where an operand sits on python-hcl2's precedence ladder (1 = ||, 6 = *, 7 = term)."""
    if tree.data == "binary_op":
        op = tree.children[1].children[0].children[0]
        return _BINARY_LEVEL[op.type]
    return _LEVELS.get(tree.data, -1)


_BINARY_LEVEL = {t: lvl for t, lvl in _BINARY.values()}


def first_difference(a: Any, b: Any) -> int | None:
    """Where two lark trees first differ (a character offset), or None when they are the
    same: rule names, token types and values, and every position."""
    if isinstance(a, Token) or isinstance(b, Token):
        if not (isinstance(a, Token) and isinstance(b, Token)) or a.type != b.type \
                or str(a) != str(b) or a.start_pos != b.start_pos or a.end_pos != b.end_pos:
            return _where(a, b)
        return None
    if a.data != b.data or a.meta.empty != b.meta.empty or len(a.children) != len(b.children):
        return _where(a, b)
    if not a.meta.empty and (a.meta.start_pos, a.meta.end_pos) != (b.meta.start_pos,
                                                                   b.meta.end_pos):
        return _where(a, b)
    for x, y in zip(a.children, b.children, strict=True):
        found = first_difference(x, y)
        if found is not None:
            return found
    return None


def _where(a: Any, b: Any) -> int:
    for node in (a, b):
        if isinstance(node, Token) and node.start_pos is not None:
            return int(node.start_pos)
        if isinstance(node, Tree) and not node.meta.empty:
            return int(node.meta.start_pos)
    return 0
