"""Keep less of a parse tree alive while a tree of Terraform is read.

Reading a module keeps the expression trees of its attributes until they are evaluated, and
evaluation is lazy (an expression is evaluated when something refers to it), so the parse
trees of every file of a root module stay alive for the whole reading. lark builds them
generously: every node has a ``Meta`` object with a dictionary of seven positions, every
token its line and column numbers as well as its offsets. lpgen only ever uses a node's
offsets (``start_pos``, ``end_pos``, see :func:`lpgen.terraform.parse.span`) and a token's
text, type and offsets, so the trees that are kept are compacted in place:

- a node's ``Meta`` is replaced by a :class:`Span` holding only ``empty``, ``start_pos`` and
  ``end_pos`` (one shared :data:`EMPTY` for the nodes without positions);
- a token's line and column numbers are dropped (offsets stay), and its text is interned, so
  that the thousands of tokens reading ``name`` or ``"\\n  "`` share one string.

The shape of the tree (node types, children, tokens and their types, texts and offsets) is
unchanged; compacting a compacted tree does nothing.

Compacting costs a pass over what is kept (about 6% of a read), so a read compacts only once
it has parsed :data:`COMPACT_AFTER` characters (and always in a big file read in pieces):
below that, what is kept is small, and it is freed as soon as the read is done.
"""

from __future__ import annotations

import sys
from typing import Any

from lark import Token, Tree


class Span:
    """What lpgen reads of a lark ``Meta``: whether it has positions, and the two offsets."""

    __slots__ = ("empty", "end_pos", "start_pos")

    def __init__(self, start_pos: int, end_pos: int, empty: bool = False) -> None:
        self.start_pos = start_pos
        self.end_pos = end_pos
        self.empty = empty

    def __repr__(self) -> str:
        return "Span(empty)" if self.empty else f"Span({self.start_pos}, {self.end_pos})"


# A read compacts what it keeps once it has parsed this many characters of .tf text.
COMPACT_AFTER = 2_000_000

# Shared by every node without positions (nothing ever sets positions on those).
EMPTY = Span(-1, -1, empty=True)

_intern = sys.intern


def compact(node: Tree[Any], delta: int = 0) -> Tree[Any]:
    """Compact ``node`` and every node under it in place (see the module's docstring) and
    move every position in it by ``delta`` characters (a piece of a file parsed on its own).
    With no ``delta``, a subtree already compacted (its meta a :class:`Span`, as a reader may
    build it directly) is left as it is."""
    stack: list[Any] = [node]  # lark types ``_meta`` as a Meta: a Span stands in for one
    pop, push = stack.pop, stack.append
    while stack:
        tree = pop()
        meta = tree._meta
        if type(meta) is Span:
            if not delta:
                continue
            if not meta.empty:
                meta.start_pos += delta
                meta.end_pos += delta
        elif meta is None or meta.empty:
            tree._meta = EMPTY
        else:
            tree._meta = Span(meta.start_pos + delta, meta.end_pos + delta)
        for child in tree.children:
            if isinstance(child, Token):
                if child.line is not None:
                    child.line = child.column = child.end_line = child.end_column = None
                    if type(child.value) is str:
                        child.value = _intern(child.value)
                if delta and child.start_pos is not None:
                    child.start_pos += delta
                    if child.end_pos is not None:
                        child.end_pos += delta
            elif isinstance(child, Tree):
                push(child)
    return node


def stub(node: Tree[Any], delta: int = 0) -> Tree[Any]:
    """A childless node of the same type and span as ``node`` (moved by ``delta``): where a
    declaration is, kept once its contents have been taken apart (the rest of ``node`` can
    then be freed)."""
    meta: Any = node._meta
    if meta is None or getattr(meta, "empty", True):
        return Tree(node.data, [], EMPTY)  # type: ignore[arg-type]
    return Tree(node.data, [], Span(meta.start_pos + delta, meta.end_pos + delta))  # type: ignore[arg-type]


__all__ = ["COMPACT_AFTER", "EMPTY", "Span", "compact", "stub"]
