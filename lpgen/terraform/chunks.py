"""Read a big file's top-level blocks a few hundred kilobytes at a time.

lark's parse tree of a file takes about 180 bytes of memory per character of text: a 10 MB
file of IAM would need close to 2 GB while it is parsed, even though lpgen keeps only a
fraction of it (see :mod:`lpgen.terraform.compact`). A big file is therefore parsed in
pieces: the text is cut just after a line holding only ``}`` (where a top-level block
conventionally ends), each piece is parsed on its own with its positions shifted to the
file's offsets, and its blocks are taken apart before the next piece is parsed.

A cut in the wrong place (inside a heredoc, a ``/* */`` comment or a multi-line expression)
leaves a piece that does not parse; then the file is parsed whole as before, so errors (and
everything else) are those of a whole-file parse. Pieces that all parse hold exactly the
top-level blocks of the whole file, in order, with the same trees and offsets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lark import Tree

from lpgen.errors import ParseError
from lpgen.terraform.fastparse import bodies_at_once
from lpgen.terraform.parse import SourceFile, parse_hcl

# Files at least this long are read in pieces of about CHUNK_CHARS characters.
CHUNK_MIN_CHARS = 512_000
CHUNK_CHARS = 256_000

_BLOCK_END = re.compile(r"^\}[ \t]*\r?\n", re.M)


def cuts(text: str, size: int = CHUNK_CHARS) -> list[tuple[int, int]]:
    """``(start, end)`` of pieces of ``text`` of at least ``size`` characters (the last one
    may be shorter), each ending just after a line that holds only ``}``."""
    out: list[tuple[int, int]] = []
    start = 0
    while start < len(text) or not out:
        end = _next_cut(text, start + size)
        out.append((start, end))
        start = end
    return out


def top_level_blocks(
    source: SourceFile, size: int = CHUNK_CHARS
) -> Iterator[tuple[Tree[Any], int]]:
    """The top-level block nodes of ``source``, parsed piece by piece (see the module's
    docstring), each with what must be added to its positions to make them offsets in the
    file (they are offsets in their piece: shifting only what is kept costs less than
    shifting every node). A piece that does not parse is extended to the next place to cut
    (a heredoc holding a line ``}``), a few times; then ParseError is raised and the caller
    parses the file whole."""
    text = source.text
    start = 0
    while start < len(text):
        end = _next_cut(text, start + size)
        for attempt in range(_EXTEND_TRIES + 1):
            try:
                # Bodies built at once: each piece's blocks are taken apart before the next
                # piece is read, so that what tree-sitter read of it is freed meanwhile.
                with bodies_at_once():
                    tree = parse_hcl(text[start:end], rel=source.rel)
                break
            except ParseError:
                if end == len(text) or attempt == _EXTEND_TRIES:
                    raise
                end = _next_cut(text, end)
        body = tree.children[0]
        children = body.children
        del tree, body
        for child in children:
            if isinstance(child, Tree) and child.data == "block":
                yield child, start
        del children
        start = end


# How many times a piece that does not parse is extended before the file is parsed whole.
_EXTEND_TRIES = 4


def _next_cut(text: str, at: int) -> int:
    """Where the first piece of ``text[at:]`` ends (the end of the text if nowhere)."""
    if at >= len(text):
        return len(text)
    m = _BLOCK_END.search(text, at)
    return len(text) if m is None else m.end()


__all__ = ["CHUNK_CHARS", "CHUNK_MIN_CHARS", "ParseError", "cuts", "top_level_blocks"]
