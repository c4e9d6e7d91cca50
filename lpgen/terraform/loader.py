"""Load a Terraform tree: files, modules, variables, locals and expanded resource instances."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lark import Token, Tree

from lpgen.errors import InputError, LpgenError, ParseError
from lpgen.model import Location, Unresolved, iam_arn
from lpgen.terraform.compact import compact, stub
from lpgen.terraform.evaluate import PHANTOM, Evaluator, Scope, exprs, to_string
from lpgen.terraform.fastparse import unbuilt
from lpgen.terraform.parse import SourceFile, parse_hcl, read_text, span
from lpgen.terraform.relevance import is_relevant
from lpgen.terraform.values import (
    Invalid,
    SDict,
    SStr,
    TSet,
    Unknown,
    Unreadable,
    type_name,
)

META_ARGS = frozenset({"count", "for_each", "provider", "depends_on", "lifecycle"})
MODULE_META = frozenset({"source", "version", "count", "for_each", "providers", "depends_on"})
_EXPR_START = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


class Block:
    """A block with its attributes (expression nodes) and nested blocks, in one file.

    A block the fast reader left unbuilt (lpgen.terraform.fastparse: most blocks of a file
    are never looked at) is taken apart when its attributes or nested blocks are first
    asked for."""

    __slots__ = ("_attr_nodes", "_attrs", "_blocks", "_pending", "_reread", "labels", "node",
                 "source", "type")

    def __init__(self, type: str, labels: list[str], node: Tree[Any], source: SourceFile) -> None:
        self.type = type
        self.labels = labels
        self.node = node
        self.source = source
        self._attrs: dict[str, Tree[Any]] = {}
        self._attr_nodes: dict[str, Tree[Any]] = {}
        self._blocks: list[Block] = []
        # (body, delta, compacting) of a body not taken apart yet, or where to read it again
        # from the text (a block of a big file, see make_rereadable).
        self._pending: tuple[Tree[Any], int, bool] | _Reread | None = None
        self._reread: _Reread | None = None

    def __repr__(self) -> str:
        return f"Block({self.type!r}, {self.labels!r}, {self.source.rel!r})"

    def _fill(self) -> None:
        pending = self._pending
        assert pending is not None
        self._pending = None
        try:
            if isinstance(pending, _Reread):
                pending.read_into(self)
            else:
                _read_body(pending[0], self.source, self, pending[1], pending[2])
        except BaseException:
            # Asked again, it fails again (the same error), never half read.
            self._attrs, self._attr_nodes, self._blocks = {}, {}, []
            self._pending = pending
            raise

    def make_rereadable(self, start: int, end: int) -> None:
        """Let this top-level block, at ``start``-``end`` of its file's text, be taken apart
        from that text when first used, and again after :meth:`forget`. What was read of it
        so far is dropped (an error reading it was raised already)."""
        self._reread = _Reread(start, end)
        self._attrs, self._attr_nodes, self._blocks = {}, {}, []
        self._pending = self._reread

    def forget(self) -> None:
        """Drop the expressions of a block :meth:`make_rereadable` made so: one whose
        declaration has been accounted for holds most of a big file's memory otherwise (its
        expression trees, about 100 bytes a character), and is rarely looked at again (what
        was evaluated of it is remembered by its instances)."""
        if self._reread is not None and self._pending is None:
            self._attrs, self._attr_nodes, self._blocks = {}, {}, []
            self._pending = self._reread

    @property
    def attrs(self) -> dict[str, Tree[Any]]:
        if self._pending is not None:
            self._fill()
        return self._attrs

    @property
    def attr_nodes(self) -> dict[str, Tree[Any]]:
        if self._pending is not None:
            self._fill()
        return self._attr_nodes

    @property
    def blocks(self) -> list[Block]:
        if self._pending is not None:
            self._fill()
        return self._blocks

    @property
    def loc(self) -> Location:
        return self.source.node_loc(self.node, "hcl-block")

    def attr_loc(self, name: str) -> Location:
        node = self.attr_nodes.get(name)
        return self.source.node_loc(node) if node is not None else self.loc

    def sub(self, btype: str) -> list[Block]:
        return [b for b in self.blocks if b.type == btype]


class _Reread:
    """Where a top-level block is in its file's text, to take it apart from there."""

    __slots__ = ("end", "start")

    def __init__(self, start: int, end: int) -> None:
        self.start = start
        self.end = end

    def read_into(self, block: Block) -> None:
        # A top-level block parses on its own as it does in its file (lpgen.terraform.chunks
        # relies on the same); its positions are moved to the file's.
        source = block.source
        tree = parse_hcl(source.text[self.start : self.end], rel=source.rel, lazy=False)
        found = [c for c in tree.children[0].children if isinstance(c, Tree) and c.data == "block"]
        again = read_block(found[0], source, self.start) if len(found) == 1 else None
        if again is None or (again.type, again.labels) != (block.type, block.labels):
            raise ParseError("this block does not read again as it did", file=source.rel,
                             line=block.loc.line)  # fmt: skip
        block._attrs, block._attr_nodes = again._attrs, again._attr_nodes
        block._blocks = again.blocks


def read_block(
    node: Tree[Any], source: SourceFile, delta: int = 0, compacting: bool = True
) -> Block:
    """The block ``node`` of ``source``; ``delta`` is added to every position of ``node``
    (a piece of the file parsed on its own, see lpgen.terraform.chunks). With
    ``compacting``, the expressions kept are compacted (lpgen.terraform.compact). A body
    the fast reader has not built yet is taken apart when first used (:class:`Block`)."""
    head: list[Any] = []
    body: Tree[Any] | None = None
    for child in node.children:
        if isinstance(child, Tree) and child.data == "body":
            body = child
        elif isinstance(child, Tree) and child.data in ("identifier", "string", "keyword"):
            head.append(child)
    btype = _label_text(head[0])
    labels = [_label_text(h) for h in head[1:]]
    # The block keeps where it is and its attributes' expressions (compacted), not its parse
    # tree: the rest of the file's tree is freed once its declarations are taken apart.
    block = Block(btype, labels, stub(node, delta), source)
    if body is not None:
        if unbuilt(body):
            block._pending = (body, delta, compacting)
        else:
            _read_body(body, source, block, delta, compacting)
    return block


def _label_text(node: Tree[Any]) -> str:
    if node.data == "string":
        parts = [c for c in node.children if isinstance(c, Tree) and c.data == "string_part"]
        return "".join(str(p.children[0]) for p in parts if isinstance(p.children[0], Token))
    return str(node.children[0])


def _read_body(
    body: Tree[Any], source: SourceFile, block: Block, delta: int = 0, compacting: bool = True
) -> None:
    for child in body.children:
        if not isinstance(child, Tree):
            continue
        if child.data == "attribute":
            name_node = child.children[0]
            name = str(name_node.children[0]) if isinstance(name_node, Tree) else str(name_node)
            if name in block._attr_nodes:
                # HashiCorp's parser rejects the file ("Attribute redefined"). (The fast
                # reader builds a body with such a block at once: the error is the file's.)
                first = source.node_loc(block._attr_nodes[name])
                line = source.node_loc(child).line
                raise ParseError(
                    f'attribute redefined: the argument "{name}" was already set at '
                    f"{source.rel}:{first.line} (each argument may be set only once)",
                    file=source.rel,
                    line=line,
                )
            expr = exprs(child)[-1]
            block._attrs[name] = compact(expr, delta) if compacting or delta else expr
            block._attr_nodes[name] = stub(child, delta)
        elif child.data == "block":
            block._blocks.append(read_block(child, source, delta, compacting))


@dataclass
class ModuleDir:
    """The parsed contents of one directory of .tf files."""

    path: Path
    rel: str
    files: list[SourceFile] = field(default_factory=list)
    variables: dict[str, Block] = field(default_factory=dict)
    locals: dict[str, tuple[Tree[Any], Block]] = field(default_factory=dict)
    resources: dict[tuple[str, str], Block] = field(default_factory=dict)
    data: dict[tuple[str, str], Block] = field(default_factory=dict)
    modules: dict[str, Block] = field(default_factory=dict)
    outputs: dict[str, Block] = field(default_factory=dict)
    # Files that declare nothing IAM-related and no variables, locals, outputs or modules:
    # parsed only if an expression refers to something not found in the parsed files.
    deferred: list[SourceFile] = field(default_factory=list)
    # The provider blocks of the parsed files, in file order.
    providers: list[Block] = field(default_factory=list)

    def add(self, block: Block) -> None:
        if block.type == "variable" and block.labels:
            self.variables[block.labels[0]] = block
        elif block.type == "locals":
            for name, expr in block.attrs.items():
                self.locals[name] = (expr, block)
        elif block.type == "resource" and len(block.labels) == 2:
            self.resources[(block.labels[0], block.labels[1])] = block
        elif block.type == "data" and len(block.labels) == 2:
            self.data[(block.labels[0], block.labels[1])] = block
        elif block.type == "module" and block.labels:
            self.modules[block.labels[0]] = block
        elif block.type == "output" and block.labels:
            self.outputs[block.labels[0]] = block
        elif block.type == "provider":
            self.providers.append(block)


@dataclass
class LoadOptions:
    var_files: tuple[str, ...] = ()
    variables: tuple[tuple[str, str], ...] = ()
    account_id: str | None = None
    partition: str = "aws"
    strict: bool = False
    cache_dir: Path | None = None
    jobs: int | None = None
    exclude: tuple[str, ...] = ()
    # Read only these root module directories (and what they call); None: every root.
    only_roots: tuple[Path, ...] | None = None
    # The selected workspace (TF_WORKSPACE / --workspace); None: terraform.workspace unknown.
    workspace: str | None = None
    # TF_VAR_<name> environment variables, the lowest-precedence variable source.
    env_variables: tuple[tuple[str, str], ...] = ()
    # The order var_files and variables were given in; () for files first.
    var_order: tuple[str, ...] = ()


def is_local_source(source: str) -> bool:
    return source.startswith("./") or source.startswith("../") or source in (".", "..")


class Tree_:
    """A whole Terraform tree: parsed directories, root module instances, diagnostics."""

    def __init__(self, root: Path, options: LoadOptions) -> None:
        self.root = root
        self.options = options
        self.evaluator = Evaluator()
        self.dirs: dict[Path, ModuleDir] = {}
        self.unresolved: list[Unresolved] = []
        self.warnings: list[Unresolved] = []
        self.not_followed: list[Unresolved] = []
        self.files_read: dict[Path, SourceFile] = {}
        # Files whose contents were used: parsed .tf, tfvars, file()/templatefile() sources.
        self.used_files: set[str] = set()
        self._reported: set[tuple[str, str]] = set()
        self._resolved: dict[Path, Path] = {}
        self._rels: dict[Path, str] = {}
        # Characters of .tf text parsed by this read (lpgen.terraform.compact.COMPACT_AFTER).
        self.parsed_chars = 0

    def resolved(self, path: Path) -> Path:
        """``path.resolve()``, once per path and run (the same files are asked for often)."""
        done = self._resolved.get(path)
        if done is None:
            done = self._resolved[path] = path.resolve()
        return done

    def rel(self, path: Path) -> str:
        done = self._rels.get(path)
        if done is not None:
            return done
        real = self.resolved(path)
        try:
            done = real.relative_to(self.root).as_posix()
        except ValueError:
            done = Path(os.path.relpath(real, self.root)).as_posix()
        self._rels[path] = done
        return done

    def know_real(self, path: Path, rel: str) -> None:
        """Record that ``path`` is a real path (no symbolic link in it: ``resolved`` gives
        it back) at ``rel`` under the root, as a walk of the tree found it."""
        self._resolved[path] = path
        self._rels[path] = rel

    def report(self, address: str, message: str, loc: Location | None = None) -> None:
        key = (address, message)
        if key in self._reported:
            return
        self._reported.add(key)
        self.unresolved.append(Unresolved(address, message, loc))

    def source_file(self, path: Path) -> SourceFile:
        path = self.resolved(path)
        cached = self.files_read.get(path)
        if cached is None:
            rel = self.rel(path)
            cached = SourceFile(path, rel, read_text(path, rel))
            self.files_read[path] = cached
        return cached


def discover(
    root: Path, exclude: tuple[str, ...] = (), skipped: list[tuple[str, str]] | None = None
) -> dict[Path, list[Path]]:
    """Directories under ``root`` holding .tf files.

    Skips ``.terraform``, hidden directories and ``node_modules``, and every file or directory
    whose path relative to ``root`` matches one of the ``exclude`` glob patterns
    (``fnmatch`` style: ``examples/*``, ``*/test/*``, ``legacy.tf``). A ``.tf`` that is not a
    regular file (a FIFO, a socket, a device) is never opened: it is added to ``skipped`` as
    ``(path under root, what it is)``. A symbolic link that loops is an InputError.
    """

    from lpgen.terraform.treescan import scan_tree

    found: dict[Path, list[Path]] = {}
    for d in scan_tree(root, exclude, skipped):
        real = Path(d.real)
        found[real] = [real / name for name, _ in d.tf]
    return found


def _file_kind(path: Path, rel: str) -> str | None:
    """None for a regular file (or a link to one); else what it is, to say why it is skipped."""
    import errno

    from lpgen.fsutil import special_kind

    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"{rel}: symbolic link loop (it never reaches a file)") from None
        if exc.errno == errno.ENOENT:
            return "a broken symbolic link"
        raise InputError(f"{rel}: cannot read: {exc.strerror}") from None
    return special_kind(mode)


_DEFS = re.compile(r"^[ \t]*(?:variable|locals|output|module)\b", re.M)
_LOCAL_SOURCE = re.compile(r"^[ \t]*source[ \t]*=[ \t]*\"(\.\.?(?:/[^\"]*)?)\"", re.M)


# The same, from "source" on: a search that starts with a literal skips ahead quickly, where
# one starting at every line's start tries each position of the text.
_SOURCE_ON = re.compile(r"source[ \t]*=[ \t]*\"(\.\.?(?:/[^\"]*)?)\"")


def local_sources(text: str) -> list[str]:
    """``_LOCAL_SOURCE.findall(text)``: the local module sources the text sets at the start
    of a line, found from each ``source`` with only blanks before it on its line."""
    out: list[str] = []
    pos = 0
    search, rfind = _SOURCE_ON.search, text.rfind
    while (m := search(text, pos)) is not None:
        start = m.start()
        if not text[rfind("\n", 0, start) + 1 : start].strip(" \t"):
            out.append(m.group(1))
            pos = m.end()
        else:
            pos = start + 1
    return out


@dataclass
class _FileInfo:
    source: SourceFile
    relevant: bool
    defines: bool
    calls: list[str]


def _scan(tree: Tree_, path: Path) -> _FileInfo:
    source = tree.source_file(path)
    text = source.text
    return _FileInfo(
        source,
        relevant=is_relevant(text),
        defines=_DEFS.search(text) is not None,
        calls=local_sources(text),
    )


def _parse_into(tree: Tree_, mdir: ModuleDir, sources: list[SourceFile]) -> None:
    for source in sources:
        _read_file(tree, mdir, source)


def _read_file(tree: Tree_, mdir: ModuleDir, source: SourceFile) -> None:
    """Parse one file and add its blocks to ``mdir``.

    Files are read one at a time, and a big one piece by piece (lpgen.terraform.chunks), so
    that only one parse tree is whole in memory at a time: what the blocks keep of it is
    compacted (lpgen.terraform.compact) and the rest freed as soon as the file is read.
    Within :func:`lpgen.terraform.cache.shared_parses`, a file read again (same path, same
    text) reuses the blocks of the first reading.
    """
    from lpgen.terraform.cache import shared_reads

    shared = shared_reads(source.path)
    key = (source.text, source.rel)
    result = shared.get(key) if shared is not None else None
    if result is None:
        from lpgen.terraform.compact import COMPACT_AFTER

        result = _blocks_of(source, tree.parsed_chars >= COMPACT_AFTER)
        tree.parsed_chars += len(source.text)
        if shared is not None:
            shared[key] = result
    _add_parsed(tree, mdir, source, result)


def _blocks_of(source: SourceFile, compacting: bool) -> list[Block] | ParseError:
    """The top-level blocks of a file, or why it cannot be read. A big file is read in pieces
    and compacted; another one compacted when ``compacting``."""
    from lpgen.terraform.cache import parse_many
    from lpgen.terraform.chunks import CHUNK_MIN_CHARS, top_level_blocks

    if len(source.text) >= CHUNK_MIN_CHARS:
        try:
            return [_rereadable(node, source, at) for node, at in top_level_blocks(source)]
        except ParseError:
            pass  # read whole below: its error is the file's
    [result] = parse_many([(source.text, source.rel)])
    if isinstance(result, ParseError):
        return result
    body = result.children[0]
    del result
    try:
        return [
            read_block(child, source, compacting=compacting)
            for child in body.children
            if isinstance(child, Tree) and child.data == "block"
        ]
    except ParseError as exc:
        return exc


def _rereadable(node: Tree[Any], source: SourceFile, at: int) -> Block:
    """A top-level block of a big file (read in pieces), taken apart again from the text when
    used: nothing of its piece's reading is kept (see :meth:`Block.make_rereadable`)."""
    block = read_block(node, source, at)  # errors in the block are raised now, as for others
    meta = node.meta
    block.make_rereadable(meta.start_pos + at, meta.end_pos + at)
    return block


def _add_parsed(
    tree: Tree_, mdir: ModuleDir, source: SourceFile, result: list[Block] | ParseError
) -> None:
    if isinstance(result, ParseError):
        if tree.options.strict:
            raise result
        tree.warnings.append(
            Unresolved(source.rel, result.message, Location(source.rel, result.line or 1))
        )
        return
    mdir.files.append(source)
    tree.used_files.add(source.rel)
    for block in result:
        mdir.add(block)


@dataclass
class DirPlan:
    """Which directories matter (from a text scan, before any parsing) and how they call
    each other: ``roots`` are those no other directory calls, with the bytes each one
    needs parsed (its own and its modules')."""

    infos: dict[Path, list[_FileInfo]]
    calls: dict[Path, set[Path]]
    matter: set[Path]

    def reachable(self, starts: Iterable[Path]) -> set[Path]:
        seen: set[Path] = set()
        stack = [d for d in starts if d in self.infos]
        while stack:
            d = stack.pop()
            if d in seen:
                continue
            seen.add(d)
            stack.extend(c for c in self.calls.get(d, ()) if c in self.infos)
        return seen

    def roots(self) -> list[tuple[Path, int]]:
        called = {c for d in self.matter for c in self.calls.get(d, ())}
        out = []
        for d in sorted(self.matter - called):
            weight = sum(
                len(i.source.text)
                for r in self.reachable([d])
                for i in self.infos[r]
                if i.relevant or i.defines
            )
            out.append((d, weight))
        return out


def plan_dirs(tree: Tree_, found: dict[Path, list[Path]]) -> DirPlan:
    """Scan the text of every file (no parsing) and decide which directories matter.

    A directory matters when one of its files may declare IAM, when it calls a local module
    outside the scan (which may), when it calls (directly or through other modules) a
    directory that matters, or when a directory that matters calls it.
    """
    infos = {d: [_scan(tree, f) for f in files] for d, files in found.items()}
    # The directories of ``found`` are real paths (a walk that follows no directory link
    # found them): a call that goes up from one of them and then down to another names it
    # without a link in between, which is what resolving it would give.
    real = {str(d): d for d in found}
    calls: dict[Path, set[Path]] = {
        d: {_called(d, c, real) for info in fs for c in info.calls} for d, fs in infos.items()
    }
    callers: dict[Path, set[Path]] = {}
    for d, callees in calls.items():
        for c in callees:
            callers.setdefault(c, set()).add(d)
    matter = {d for d, fs in infos.items() if any(i.relevant for i in fs)}
    # A call to a local module this scan did not see (outside the tree, or missing) may
    # reach IAM: its caller is read, and the call followed (or reported) from there.
    matter |= {d for d, callees in calls.items() if any(c not in infos for c in callees)}
    stack = list(matter)
    while stack:  # callers of what matters
        for caller in callers.get(stack.pop(), ()):
            if caller not in matter:
                matter.add(caller)
                stack.append(caller)
    stack = list(matter)
    while stack:  # and what they call
        for callee in calls.get(stack.pop(), ()):
            if callee in infos and callee not in matter:
                matter.add(callee)
                stack.append(callee)
    return DirPlan(infos, calls, matter)


def _called(directory: Path, source: str, real: dict[str, Path]) -> Path:
    """``(directory / source).resolve()`` for a local module source, ``directory`` one of
    the real directories ``real`` (by their path): without a call to the file system when
    the source names another of them by going up (``..``) and then down through plain
    names, resolved otherwise."""
    parts = source.split("/")
    i = 0
    while i < len(parts) and parts[i] in ("..", ".", ""):
        i += 1
    if all(p not in ("..", ".", "") for p in parts[i:]):
        found = real.get(os.path.normpath(os.path.join(directory, source)))
        if found is not None:
            return found
    return (directory / source).resolve()


Scan = tuple[dict[Path, list[Path]], list[tuple[str, str]], DirPlan]

def scan_tree(root: Path, exclude: tuple[str, ...] = ()) -> Scan:
    """:func:`discover` and :func:`plan_dirs` of the tree at ``root`` (a resolved directory):
    ``(found, skipped, plan)``, what :func:`load_tree` takes as ``scanned``. Within
    :func:`lpgen.terraform.scans.shared_scans`, the first scan of a tree is given again."""
    from lpgen.terraform import scans

    found_before: Scan | None = scans.kept((root, exclude))
    if found_before is not None:
        before, seen, plan = found_before
        return before, list(seen), plan
    from lpgen.terraform.treescan import scan_tree as walk

    skipped: list[tuple[str, str]] = []
    tree = Tree_(root, LoadOptions(exclude=exclude))
    found: dict[Path, list[Path]] = {}
    top = str(root)
    for d in walk(root, exclude, skipped):
        real = Path(d.real)
        files = found[real] = [real / name for name, _ in d.tf]
        if d.real == (os.path.join(top, d.rel) if d.rel else top):
            # The walk's paths are real (it follows no directory link) and the root is
            # resolved: a file that is not itself a link needs no resolving.
            prefix = d.rel + "/" if d.rel else ""
            for f, (name, _) in zip(files, d.tf, strict=True):
                if name not in d.links:
                    tree.know_real(f, prefix + name)
    plan = plan_dirs(tree, found)
    scans.keep((root, exclude), (found, list(skipped), plan))
    return found, skipped, plan


def shared_scan(root: Path, exclude: tuple[str, ...] = ()) -> Scan | None:
    """The scan of ``root`` made earlier in this command (see :func:`scan_tree`), if any."""
    from lpgen.terraform import scans

    found: Scan | None = scans.kept((root, exclude))
    return found


def load_dirs(
    tree: Tree_, found: dict[Path, list[Path]], plan: DirPlan | None = None
) -> None:
    """Parse the directories that can matter for IAM (see :func:`plan_dirs`).

    Directories that do not matter are never parsed. In a directory that matters, files
    holding only other resources are deferred until an expression needs them. With
    ``options.only_roots``, only those root directories and the modules they call are read.
    """
    if plan is None:  # a plan made by the caller for this tree's files (one scan, many reads)
        plan = plan_dirs(tree, found)
    infos, matter = plan.infos, plan.matter
    if tree.options.only_roots is not None:
        matter = matter & plan.reachable(tree.options.only_roots)
    eager: list[tuple[Path, SourceFile]] = []
    for d in sorted(matter):
        mdir = ModuleDir(d, tree.rel(d))
        tree.dirs[d] = mdir
        for info in infos[d]:
            if info.relevant or info.defines:
                eager.append((d, info.source))
            else:
                mdir.deferred.append(info.source)
    # Parse trees are not cached per file: loading a pickled lark tree costs as much as
    # parsing the text again. Whole results are cached instead (lpgen.terraform.cache).
    for d, source in eager:
        _read_file(tree, tree.dirs[d], source)


def load_deferred(tree: Tree_, mdir: ModuleDir, keyword: str | None = None) -> bool:
    """Parse a directory's deferred files; True when there were any. With ``keyword`` (the
    type of the block looked for: ``variable``, ``locals``, ``module``), only when one of them
    holds that word: a block's type is a plain name, so a file without the word cannot
    declare one, and reading the directory's other resources for it would be for nothing."""
    if not mdir.deferred:
        return False
    if keyword is not None and not any(keyword in s.text for s in mdir.deferred):
        return False
    pending, mdir.deferred = mdir.deferred, []
    _parse_into(tree, mdir, pending)
    return True


def ensure_dir(tree: Tree_, directory: Path) -> ModuleDir | None:
    directory = directory.resolve()
    if directory in tree.dirs:
        return tree.dirs[directory]
    if not directory.is_dir():
        return None
    files = sorted(p for p in directory.iterdir() if p.suffix == ".tf" and p.is_file())
    mdir = ModuleDir(directory, tree.rel(directory))
    tree.dirs[directory] = mdir
    _parse_into(tree, mdir, [tree.source_file(f) for f in files])
    return mdir


def called_dirs(tree: Tree_) -> set[Path]:
    called: set[Path] = set()
    for mdir in list(tree.dirs.values()):
        for block in mdir.modules.values():
            src = _literal_string(block, "source")
            # A directory that calls itself is still a root: the call is a module cycle,
            # reported when it is expanded, not a reason to read nothing.
            if src and is_local_source(src) and (mdir.path / src).resolve() != mdir.path:
                called.add((mdir.path / src).resolve())
    return called


def _literal_string(block: Block, name: str) -> str | None:
    node = block.attrs.get(name)
    if node is None:
        return None
    scope = Scope(_NullContext(), block.source)
    value = Evaluator().eval(node, scope)
    return str(value) if isinstance(value, str) else None


class _NullContext:
    """A context with nothing in it: tfvars and literals only."""

    def variable(self, name: str) -> Any:
        return Unknown(f"var.{name} cannot be used here")

    def local(self, name: str) -> Any:
        return Unknown(f"local.{name} cannot be used here")

    def resource(self, rtype: str, name: str) -> Any:
        return Unknown(f"{rtype}.{name} cannot be used here")

    def data(self, rtype: str, name: str) -> Any:
        return Unknown(f"data.{rtype}.{name} cannot be used here")

    def module_call(self, name: str) -> Any:
        return Unknown(f"module.{name} cannot be used here")

    def path(self, which: str) -> Any:
        return Unknown(f"path.{which} cannot be used here")

    def read_file(self, path: str, *, how: str) -> SourceFile | Unknown:
        return Unknown(f"{how}() cannot be used here")

    def workspace(self) -> Any:
        return Unknown("terraform.workspace cannot be used here")


def read_tfvars(tree: Tree_, path: Path) -> dict[str, Any]:
    source = tree.source_file(path)
    tree.used_files.add(source.rel)
    if path.suffix == ".json":
        from lpgen.terraform.jsonpos import parse_json_span

        value = parse_json_span(source, 0, len(source.text))
        if not isinstance(value, dict):
            raise InputError("a .tfvars.json file must hold an object", file=source.rel, line=1)
        return dict(value)
    parsed = parse_hcl(source.text, rel=source.rel, line_of=source.line_of)
    out: dict[str, Any] = {}
    scope = Scope(_NullContext(), source)
    for child in parsed.children[0].children:
        if isinstance(child, Tree) and child.data == "attribute":
            name = str(child.children[0].children[0])
            out[name] = tree.evaluator.eval(exprs(child)[-1], scope)
    return out


def parse_cli_var(raw: str) -> tuple[str, str]:
    if "=" not in raw:
        raise InputError(f"--var {raw!r}: expected NAME=VALUE")
    name, value = raw.split("=", 1)
    return name.strip(), value


def cli_var_value(tree: Tree_, name: str, raw: str, declared: Block | None = None) -> Any:
    """A -var / TF_VAR_ value as Terraform reads it.

    A variable declared with no type or ``type = string`` takes the text literally
    (Terraform's VariableParseLiteral); any other type parses it as HCL. An undeclared name,
    or a number or bool, is parsed when it looks like an expression, else kept as a string.
    """
    if declared is not None and _type_text(declared) in (None, "string"):
        return raw
    text = raw.strip()
    if (
        text[:1] in ("[", "{", '"')
        or text in ("true", "false", "null")
        or re.fullmatch(r"-?\d+(\.\d+)?", text)
    ):
        try:
            src = SourceFile(Path("--var"), "--var", f"v = {text}\n")
            parsed = parse_hcl(src.text, rel=f"--var {name}")
            attr = next(
                c
                for c in parsed.children[0].children
                if isinstance(c, Tree) and c.data == "attribute"
            )
            return tree.evaluator.eval(exprs(attr)[-1], Scope(_NullContext(), src))
        except LpgenError:
            pass
    return raw


def _type_text(block: Block) -> str | None:
    """The text of a variable block's ``type`` (None when it has none)."""
    node = block.attrs.get("type")
    if node is None:
        return None
    start, end = span(node)
    return block.source.text[start:end].strip()


class ModuleInstance:
    """One instance of a module: its variables bound, its locals and resources evaluable."""

    def __init__(
        self,
        tree: Tree_,
        mdir: ModuleDir,
        prefix: str,
        inputs: dict[str, Any],
        *,
        root_dir: Path,
        call_address: str = "",
        condition: tuple[str, str] | None = None,
        callers: tuple[Path, ...] = (),
    ) -> None:
        self.tree = tree
        # The module directories of this instance and of every call above it: a call into
        # one of them again is a module cycle (Terraform refuses it; it would never end).
        self.chain = (*callers, mdir.path)
        # ("unknown" | "none", reason) for an instance that stands for a module call whose
        # instances are not known, or that has none under the values given: it is evaluated
        # once with what is known, so that what it declares is still accounted for.
        self.condition = condition
        self.mdir = mdir
        self.prefix = prefix
        self.inputs = inputs  # name -> value or a zero-argument callable
        self.root_dir = root_dir
        self.call_address = call_address
        self._vars: dict[str, Any] = {}
        self._locals: dict[str, Any] = {}
        self._in_progress: list[str] = []
        self._resources: dict[tuple[str, str, str], ResourceObj] = {}
        self._children: dict[str, ModuleCall] = {}

    @property
    def ev(self) -> Evaluator:
        return self.tree.evaluator

    # --- Context -----------------------------------------------------------------------

    def variable(self, name: str) -> Any:
        if name in self._vars:
            return self._vars[name]
        block = self.mdir.variables.get(name)
        if block is None and load_deferred(self.tree, self.mdir, "variable"):
            block = self.mdir.variables.get(name)
        where = self.prefix.rstrip(".") or self.mdir.rel
        if block is None:
            value: Any = Unknown(f"var.{name} is not declared in {self.mdir.rel or '.'}")
            self.tree.report(f"{where} var.{name}", value.reason)
        elif name in self.inputs:
            raw = self.inputs[name]
            value = raw() if callable(raw) else raw
        elif "default" in block.attrs:
            value = self.ev.eval(block.attrs["default"], Scope(_NullContext(), block.source))
        else:
            by = (
                f"the call {self.call_address}"
                if self.call_address
                else f"TF_VAR_{name}, a tfvars file, --var-file or --var"
            )
            value = Unknown(f"var.{name} has no value (no default, and not set by {by})")
            self.tree.report(f"var.{name}", value.reason, block.loc)
        if block is not None and not isinstance(value, Unknown):
            value = _convert_to_type(block, value, self.ev)
        self._vars[name] = value
        return value

    def local(self, name: str) -> Any:
        if name in self._locals:
            return self._locals[name]
        entry = self.mdir.locals.get(name)
        if entry is None and load_deferred(self.tree, self.mdir, "locals"):
            entry = self.mdir.locals.get(name)
        if entry is None:
            value: Any = Unknown(f"local.{name} is not declared in {self.mdir.rel or '.'}")
            self.tree.report(f"local.{name}", value.reason)
            return value
        if name in self._in_progress:
            cycle = " -> ".join(
                f"local.{n}" for n in self._in_progress[self._in_progress.index(name) :]
            )
            expr, block = entry
            value = Unknown(f"cycle between locals: {cycle} -> local.{name}")
            _CYCLES[0] += 1
            self.tree.report(
                f"{self.prefix}local.{name}", value.reason, block.source.node_loc(expr)
            )
            return value
        self._in_progress.append(name)
        try:
            expr, block = entry
            value = self.ev.eval(expr, Scope(self, block.source))
        finally:
            self._in_progress.pop()
        self._locals[name] = value
        return value

    def resource(self, rtype: str, name: str) -> Any:
        return self._resource("managed", rtype, name)

    def data(self, rtype: str, name: str) -> Any:
        return self._resource("data", rtype, name)

    def _resource(self, mode: str, rtype: str, name: str) -> Any:
        key = (mode, rtype, name)
        obj = self._resources.get(key)
        if obj is None:
            table = self.mdir.resources if mode == "managed" else self.mdir.data
            block = table.get((rtype, name))
            if block is None and load_deferred(self.tree, self.mdir):
                block = table.get((rtype, name))
            if block is None:
                what = f"{'data.' if mode == 'data' else ''}{rtype}.{name}"
                u = Unknown(f"reference to undeclared {what}")
                self.tree.report(f"{self.prefix}{what}", u.reason)
                return u
            obj = ResourceObj(self, mode, block)
            self._resources[key] = obj
        return obj

    def module_call(self, name: str) -> Any:
        call = self._children.get(name)
        if call is None:
            block = self.mdir.modules.get(name)
            if block is None and load_deferred(self.tree, self.mdir, "module"):
                block = self.mdir.modules.get(name)
            if block is None:
                u = Unknown(f"reference to undeclared module.{name}")
                self.tree.report(f"{self.prefix}module.{name}", u.reason)
                return u
            call = ModuleCall(self, name, block)
            self._children[name] = call
        return call

    def workspace(self) -> Any:
        name = self.tree.options.workspace
        if name is None:
            return Unknown("terraform.workspace is not set (TF_WORKSPACE or --workspace)")
        return SStr(name)

    def path(self, which: str) -> Any:
        if which == "module":
            return str(self.mdir.path)
        if which in ("root", "cwd"):
            return str(self.root_dir)
        return Unknown(f"path.{which} is not known")

    def read_file(self, path: str, *, how: str) -> SourceFile | Unknown:
        p = Path(path)
        if not p.is_absolute():
            p = self.root_dir / p
        if not p.is_file():
            return Unreadable(f"{how}(): file not found: {self.tree.rel(p)}")
        try:
            source = self.tree.source_file(p)
            self.tree.used_files.add(source.rel)
            return source
        except LpgenError as exc:
            return Unreadable(str(exc))

    # --- walking -----------------------------------------------------------------------

    def resource_objs(self, mode: str = "managed") -> Iterator[ResourceObj]:
        table = self.mdir.resources if mode == "managed" else self.mdir.data
        for rtype, name in list(table):
            obj = self._resource(mode, rtype, name)
            if isinstance(obj, ResourceObj):
                yield obj

    def children(self, *, with_phantoms: bool = False) -> Iterator[ModuleInstance]:
        for name in list(self.mdir.modules):
            call = self.module_call(name)
            if isinstance(call, ModuleCall):
                yield from call.all_instances() if with_phantoms else call.instances()


def _convert_to_type(block: Block, value: Any, ev: Evaluator) -> Any:
    node = block.attrs.get("type")
    if node is None:
        return value
    from lpgen.terraform.types import convert

    return convert(node, value, ev, Scope(_NullContext(), block.source))


class ModuleCall:
    """A `module` block: its instances and outputs."""

    def __init__(self, parent: ModuleInstance, name: str, block: Block) -> None:
        self.parent = parent
        self.name = name
        self.block = block
        self._instances: dict[str, ModuleInstance] | Unknown | None = None
        self._keys: list[Any] = []
        self.mode = "single"
        # Stands for the call when it has no instance (count 0, empty for_each).
        self.phantom: ModuleInstance | None = None

    def _expand(self) -> dict[str, ModuleInstance] | Unknown:
        if self._instances is not None:
            return self._instances
        tree = self.parent.tree
        address = f"{self.parent.prefix}module.{self.name}"
        src = _literal_string(self.block, "source")
        if src is None or not is_local_source(src):
            shown = src if src else "(computed source)"
            tree.not_followed.append(
                Unresolved(
                    address,
                    f"module source {shown} is not a local path: not followed",
                    self.block.loc,
                )
            )
            self._instances = Unknown(f"module {address} ({shown}) is not followed")
            return self._instances
        child_dir = ensure_dir(tree, self.parent.mdir.path / src)
        if child_dir is None:
            tree.report(address, f"module source {src} does not exist", self.block.loc)
            self._instances = Unknown(f"module {address}: source {src} does not exist")
            return self._instances
        if child_dir.path in self.parent.chain:
            what = tree.rel(child_dir.path) or "."
            tree.report(
                address,
                f"module cycle: {src} is {what}, which is already a caller of this module",
                self.block.loc,
            )
            self._instances = Unknown(f"module {address} is a module cycle")
            return self._instances
        expansion = expand(self.parent, self.block, address)
        condition = self.parent.condition
        if isinstance(expansion, Unknown):
            tree.report(address, f"cannot expand module: {expansion.reason}", self.block.loc)
            condition = condition or ("unknown", f"{address} {expansion.reason}")
            expansion = [(Unknown("instance key unknown"), "[*]", _UNKNOWN_KEYS)]
        elif not expansion:
            from lpgen.terraform.explain import why_empty

            reason = why_empty(self.parent, self.block)
            self.phantom = ModuleInstance(
                tree,
                child_dir,
                f"{address}.",
                self._inputs(_UNKNOWN_KEYS),
                root_dir=self.parent.root_dir,
                call_address=address,
                condition=condition or ("none", f"{address} has {reason}"),
                callers=self.parent.chain,
            )
        out: dict[str, ModuleInstance] = {}
        for key, suffix, bindings in expansion:
            out[suffix] = ModuleInstance(
                tree,
                child_dir,
                f"{address}{suffix}.",
                self._inputs(bindings),
                root_dir=self.parent.root_dir,
                call_address=f"{address}{suffix}",
                condition=condition,
                callers=self.parent.chain,
            )
            self._keys.append(key)
        self.mode = (
            "count"
            if "count" in self.block.attrs
            else ("for_each" if "for_each" in self.block.attrs else "single")
        )
        self._instances = out
        return out

    def _inputs(self, bindings: dict[str, Any]) -> dict[str, Any]:
        scope = Scope(self.parent, self.block.source, bindings)
        return {
            arg: _lazy(self.parent.ev, node, scope)
            for arg, node in self.block.attrs.items()
            if arg not in MODULE_META
        }

    def instances(self) -> list[ModuleInstance]:
        inst = self._expand()
        return [] if isinstance(inst, Unknown) else list(inst.values())

    def phantom_view(self) -> Any:
        """The outputs of the instance that stands for a call with none (or None)."""
        self._expand()
        return _OutputView(self, self.phantom) if self.phantom is not None else None

    def all_instances(self) -> list[ModuleInstance]:
        """Its instances, or the one that stands for it when it has none."""
        found = self.instances()
        return found if found or self.phantom is None else [self.phantom]

    def _output(self, mi: ModuleInstance, name: str, *, phantom: bool = False) -> Any:
        block = mi.mdir.outputs.get(name)
        if block is None or "value" not in block.attrs:
            return Unknown(f"module output {name} is not declared")
        # Read for (or from) a declaration evaluated once with what is known: so is what the
        # output refers to by instance.
        bindings = {PHANTOM: True} if phantom or mi.condition is not None else {}
        return mi.ev.eval(block.attrs["value"], Scope(mi, block.source, bindings))

    def phantom_attr(self, name: str) -> Any:
        inst = self._expand()
        if isinstance(inst, Unknown) or self.mode != "single":
            return self.get_attr(name)
        return self._output(next(iter(inst.values())), name, phantom=True)

    def get_attr(self, name: str) -> Any:
        inst = self._expand()
        if isinstance(inst, Unknown):
            return inst
        if self.mode != "single":
            return Unknown(f"module.{self.name} has several instances: index it first")
        return self._output(next(iter(inst.values())), name)

    def index(self, key: Any) -> Any:
        inst = self._expand()
        if isinstance(inst, Unknown):
            return inst
        suffix = _suffix(key, self.mode)
        mi = inst.get(suffix)
        if mi is None:
            return Invalid(f"module.{self.name}{suffix} does not exist")
        return _OutputView(self, mi)

    def splat(self) -> Any:
        inst = self._expand()
        if isinstance(inst, Unknown):
            return inst
        return [_OutputView(self, mi) for mi in inst.values()]

    def as_value(self) -> Any:
        """The module used as a whole value: its outputs, a list (count) or a map (for_each)."""
        inst = self._expand()
        if isinstance(inst, Unknown):
            return inst
        if "[*]" in inst:
            return Unknown(f"the instances of module.{self.name} are not known")
        views = [_OutputView(self, mi) for mi in inst.values()]
        if self.mode == "single":
            return views[0]
        if self.mode == "count":
            return views
        return SDict({str(k): v for k, v in zip(self._keys, views, strict=True)})


class _OutputView:
    def __init__(self, call: ModuleCall, mi: ModuleInstance) -> None:
        self.call = call
        self.mi = mi

    def get_attr(self, name: str) -> Any:
        return self.call._output(self.mi, name)

    def phantom_attr(self, name: str) -> Any:
        return self.call._output(self.mi, name, phantom=True)

    def index(self, key: Any) -> Any:
        return Unknown("cannot index a module instance")

    def splat(self) -> Any:
        return [self]


_UNKNOWN_KEY = Unknown("the instance key is not known")
_UNKNOWN_KEYS: dict[str, Any] = {
    "count.index": _UNKNOWN_KEY,
    "each.key": _UNKNOWN_KEY,
    "each.value": Unknown("each.value is not known"),
}
# A declaration evaluated once with what is known: what it refers to by instance
# (data.x[0].json) is, when that instance does not exist, also evaluated once (PHANTOM).
_PHANTOM_KEYS: dict[str, Any] = {**_UNKNOWN_KEYS, PHANTOM: True}


def _lazy(ev: Evaluator, node: Tree[Any], scope: Scope) -> Any:
    cache: list[Any] = []

    def get() -> Any:
        if not cache:
            cache.append(ev.eval(node, scope))
        return cache[0]

    return get


def _suffix(key: Any, mode: str) -> str:
    if mode == "count":
        return f"[{int(key)}]"
    if mode == "for_each":
        return '["' + str(key).replace('"', '\\"') + '"]'
    return ""


def expand(
    mi: ModuleInstance, block: Block, address: str
) -> list[tuple[Any, str, dict[str, Any]]] | Unknown:
    """Instances of a resource or module block: (key, address suffix, scope bindings)."""
    scope = Scope(mi, block.source)
    if "count" in block.attrs:
        n = mi.ev.eval(block.attrs["count"], scope)
        if isinstance(n, Unknown):
            return Unknown(f"count is not known: {n.reason}")
        if isinstance(n, bool) or not isinstance(n, (int, float)):
            return Unknown(f"count must be a number, got a {type_name(n)}")
        return [(i, f"[{i}]", {"count.index": i}) for i in range(int(n))]
    if "for_each" in block.attrs:
        coll = mi.ev.eval(block.attrs["for_each"], scope)
        if isinstance(coll, Unknown):
            return Unknown(f"for_each is not known: {coll.reason}")
        out: list[tuple[Any, str, dict[str, Any]]] = []
        if isinstance(coll, dict):
            for k in sorted(coll):
                key = k if isinstance(k, SStr) else SStr(k)
                out.append(
                    (key, _suffix(key, "for_each"), {"each.key": key, "each.value": coll[k]})
                )
            return out
        if isinstance(coll, list):
            if not isinstance(coll, TSet):
                # Terraform requires a set or map; a list of strings is a common mistake
                # that `terraform validate` rejects, but we still read what it names.
                mi.tree.report(
                    address,
                    "for_each over a list (Terraform needs toset())",
                    block.attr_loc("for_each"),
                )
            for v in coll:
                s = to_string(v)
                if isinstance(s, Unknown):
                    return Unknown(f"for_each element is not known: {s.reason}")
                key = v if isinstance(v, SStr) else SStr(s)
                out.append((key, _suffix(key, "for_each"), {"each.key": key, "each.value": v}))
            return out
        return Unknown(f"for_each must be a map or set, got a {type_name(coll)}")
    return [(None, "", {})]


class ResourceObj:
    """A resource or data block in a module instance, with its expanded instances."""

    def __init__(self, mi: ModuleInstance, mode: str, block: Block) -> None:
        self.mi = mi
        self.mode = mode
        self.block = block
        self.rtype, self.name = block.labels[0], block.labels[1]
        pre = "data." if mode == "data" else ""
        self.address = f"{mi.prefix}{pre}{self.rtype}.{self.name}"
        self._instances: dict[str, Instance] | None = None
        self.expand_error: str | None = None
        self._phantom: Instance | None = None
        self._kind: str | None = None

    @property
    def kind(self) -> str:
        kind = self._kind
        if kind is None:  # remembered: a forgotten block is not read again for it
            attrs = self.block.attrs
            kind = self._kind = (
                "count" if "count" in attrs else "for_each" if "for_each" in attrs else "single"
            )
        return kind

    def instances(self) -> dict[str, Instance]:
        if self._instances is None:
            self.kind  # noqa: B018 - known from now on, even once the block is forgotten
            expansion = expand(self.mi, self.block, self.address)
            if isinstance(expansion, Unknown):
                self.expand_error = expansion.reason
                self.mi.tree.report(self.address, expansion.reason, self.block.loc)
                expansion = [(_UNKNOWN_KEY, "[*]", _UNKNOWN_KEYS)]
            self._instances = {
                suffix: Instance(self, key, suffix, bindings) for key, suffix, bindings in expansion
            }
        return self._instances

    def phantom(self) -> Instance:
        """The declaration evaluated once with what is known (instance keys unknown)."""
        if self._phantom is None:
            self._phantom = Instance(self, _UNKNOWN_KEY, "", _PHANTOM_KEYS)
        return self._phantom

    def phantom_view(self) -> Any:
        return self.phantom()

    def get_attr(self, name: str) -> Any:
        inst = self.instances()
        if self.kind != "single":
            if "[*]" in inst:
                return inst["[*]"].get_attr(name)
            return Unknown(f"{self.address} has several instances: index it first")
        return inst[""].get_attr(name)

    def index(self, key: Any) -> Any:
        inst = self.instances()
        if "[*]" in inst:
            return inst["[*]"]
        if self.kind == "single":
            return Unknown(f"{self.address} has no count or for_each: it cannot be indexed")
        suffix = _suffix(key, self.kind)
        found = inst.get(suffix)
        if found is None:
            return Invalid(f"{self.address}{suffix} does not exist")
        return found

    def splat(self) -> Any:
        return list(self.instances().values())

    def as_value(self) -> Any:
        """The resource used as a whole value: its instance, a list (count) or a map (for_each)."""
        inst = self.instances()
        if "[*]" in inst:
            return Unknown(f"the instances of {self.address} are not known: {self.expand_error}")
        if self.kind == "single":
            return inst[""]
        if self.kind == "count":
            return list(inst.values())
        return SDict({str(i.key): i for i in inst.values()})


class Instance:
    """One instance of a resource or data block."""

    def __init__(self, obj: ResourceObj, key: Any, suffix: str, bindings: dict[str, Any]) -> None:
        self.obj = obj
        self.key = key
        self.address = obj.address + suffix
        self.scope = Scope(obj.mi, obj.block.source, bindings)
        self._attrs: dict[str, Any] = {}
        self._computing: set[str] = set()
        self._document: Any = None

    @property
    def block(self) -> Block:
        return self.obj.block

    @property
    def tree(self) -> Tree_:
        return self.obj.mi.tree

    def attr(self, name: str, block: Block | None = None, scope: Scope | None = None) -> Any:
        """The evaluated value of an attribute set in the block (None when absent)."""
        blk = block or self.block
        if block is None and name in self._attrs:
            return self._attrs[name]
        node = blk.attrs.get(name)
        if node is None:
            return None
        if block is None:
            if name in self._computing:
                _CYCLES[0] += 1
                return Unknown(f"{self.address}.{name} refers to itself")
            self._computing.add(name)
        try:
            value = self.obj.mi.ev.eval(node, scope or self.scope)
        finally:
            if block is None:
                self._computing.discard(name)
        if block is None:
            self._attrs[name] = value
        return value

    def policy_document(self) -> Any:
        """The document of a ``data "aws_iam_policy_document"`` (its ``json`` and
        ``minified_json``), built once: every policy, role and module output that refers to
        it reads the same one."""
        if self._document is not None:
            return self._document
        from lpgen.policydoc import build_policy_document

        cycles = _CYCLES[0]
        document = build_policy_document(self)
        if _CYCLES[0] == cycles:
            # (A document built while a cycle was cut short is built again when read again,
            # as any value read in the middle of a cycle is.)
            self._document = document
        return document

    def get_attr(self, name: str) -> Any:
        computed = computed_attribute(self, name)
        if computed is not _NOT_COMPUTED:
            return computed
        if name in self.block.attrs:
            return self.attr(name)
        return Unknown(f"{self.address}.{name} is known only after apply", ref=self.address)

    def index(self, key: Any) -> Any:
        return Unknown(f"cannot index {self.address}")

    def splat(self) -> Any:
        return [self]


_NOT_COMPUTED = object()
# How many cycles evaluation has cut short (a local that needs itself, an attribute that
# refers to itself): what is built while one is, is not kept.
_CYCLES = [0]
_IAM_KIND = {
    "aws_iam_group": "group",
    "aws_iam_user": "user",
    "aws_iam_role": "role",
    "aws_iam_policy": "policy",
}


def computed_attribute(inst: Instance, name: str) -> Any:
    """Attributes Terraform computes that lpgen can still know (ARNs, ids, JSON docs)."""
    obj = inst.obj
    opts = inst.tree.options
    if obj.mode == "managed" and obj.rtype in _IAM_KIND:
        kind = _IAM_KIND[obj.rtype]
        if name in ("arn", "id", "name", "path", "unique_id"):
            ent_name = inst.attr("name")
            if ent_name is None:
                prefix = inst.attr("name_prefix")
                ent_name = Unknown(
                    f"{inst.address}.name is generated by AWS"
                    + (" from name_prefix" if prefix is not None else ""),
                    ref=inst.address,
                )
            if isinstance(ent_name, Unknown) and ent_name.ref is None:
                # Remember whose name it is, so what refers to it can still be matched.
                ent_name = Unknown(ent_name.reason, ref=inst.address)
            if name == "name" or (name == "id" and kind != "policy"):
                return ent_name
            path = inst.attr("path")
            if name == "path":
                return path if path is not None else "/"
            if name == "unique_id":
                return Unknown(
                    f"{inst.address}.unique_id is known only after apply", ref=inst.address
                )
            if isinstance(ent_name, Unknown) or isinstance(path, Unknown):
                return Unknown(f"{inst.address}.{name}: name is not known", ref=inst.address)
            if not opts.account_id:
                return Unknown(
                    f"{inst.address}.{name} needs the account id (--account-id or a snapshot)",
                    ref=inst.address,
                )
            arn = iam_arn(opts.partition, opts.account_id, kind, str(ent_name), path or "/")
            return SStr(arn, None)
    if obj.mode == "data":
        if obj.rtype == "aws_iam_policy_document" and name in ("json", "minified_json"):
            return inst.policy_document()
        if obj.rtype == "template_file" and name == "rendered":
            return _template_file_rendered(inst)
        if obj.rtype == "aws_caller_identity" and name == "account_id":
            if opts.account_id:
                return SStr(opts.account_id)
            return Unknown("data.aws_caller_identity.account_id needs --account-id or a snapshot")
        if obj.rtype == "aws_partition" and name == "partition":
            return SStr(opts.partition)
        if obj.rtype == "aws_partition" and name == "dns_suffix":
            return SStr("amazonaws.com.cn" if opts.partition == "aws-cn" else "amazonaws.com")
        if obj.rtype == "aws_iam_policy" and name == "arn" and "arn" not in inst.block.attrs:
            pname = inst.attr("name")
            if isinstance(pname, str):
                return Unknown(f"data.aws_iam_policy {pname} is looked up in the account")
    return _NOT_COMPUTED


def _template_file_rendered(inst: Instance) -> Any:
    """``data "template_file"`` (the old template provider): render ``template`` with ``vars``.

    ``template = file(PATH)`` is read like ``templatefile(PATH, vars)``, so spans point into
    the template file; an inline template string is rendered and read without spans.
    """
    from lpgen.terraform.functions import _file_functions
    from lpgen.terraform.jsonpos import reconcile_rendered

    tvars = inst.attr("vars")
    if tvars is None:
        tvars = SDict()
    if isinstance(tvars, Unknown):
        return Unknown(f"{inst.address} vars are not known: {tvars.reason}")
    node = inst.block.attrs.get("template")
    if node is None:
        return Unknown(f"{inst.address} has no template")
    call = node
    while isinstance(call, Tree) and call.data == "expr_term" and len(exprs(call)) == 1:
        call = exprs(call)[0]
    if isinstance(call, Tree) and call.data == "function_call":
        idents = [c for c in call.children if isinstance(c, Tree) and c.data == "identifier"]
        args = next(
            (c for c in call.children if isinstance(c, Tree) and c.data == "arguments"), None
        )
        if len(idents) == 1 and str(idents[0].children[0]) == "file" and args is not None:
            path = inst.obj.mi.ev.eval(exprs(args)[0], inst.scope)
            return _file_functions(inst.obj.mi.ev, "templatefile", [path, tvars], inst.scope)
    template = inst.attr("template")
    if isinstance(template, Unknown):
        return Unknown(f"{inst.address} template is not known: {template.reason}")
    if not isinstance(template, str):
        return Unknown(f"{inst.address} template must be a string")
    text = str(template)
    virtual = SourceFile(Path(f"<{inst.address}.template>"), f"{inst.address}.template", text)
    scope = Scope(inst.obj.mi, virtual, {str(k): v for k, v in tvars.items()})
    rendered = inst.obj.mi.ev.template_text(virtual, 0, len(text), scope)
    if isinstance(rendered, Unknown):
        return rendered
    value = reconcile_rendered(None, rendered)
    if value is None:
        return SStr(rendered)
    from lpgen.terraform.values import Encoded

    return Encoded(rendered, value, "templatefile")


def walk_instances(tree: Tree_, roots: list[ModuleInstance]) -> Iterator[ModuleInstance]:
    seen: set[int] = set()
    stack = list(reversed(roots))
    while stack:
        mi = stack.pop()
        if id(mi) in seen:
            continue
        seen.add(id(mi))
        yield mi
        stack.extend(reversed(list(mi.children(with_phantoms=True))))


def load_tree(
    path: Path,
    options: LoadOptions,
    scanned: tuple[dict[Path, list[Path]], list[tuple[str, str]], DirPlan] | None = None,
) -> tuple[Tree_, list[ModuleInstance]]:
    """Read every .tf under ``path`` and instantiate each root module.

    ``scanned`` is what :func:`discover` and :func:`plan_dirs` gave for the same tree and
    options (found, skipped, plan), so that reading root modules one by one scans it once.
    """
    root = path.resolve()
    if not root.exists():
        raise InputError(f"{path}: no such file or directory")
    if root.is_file():
        raise InputError(f"{path}: expected a directory of Terraform files")
    tree = Tree_(root, options)
    skipped: list[tuple[str, str]] = []
    plan: DirPlan | None = None
    if scanned is None:
        found = discover(root, options.exclude, skipped)
    else:
        found, skipped, plan = scanned
    for rel, kind in skipped:
        tree.warnings.append(
            Unresolved(rel, f"{kind}, not a regular file: not read", Location(rel, 1))
        )
    load_dirs(tree, found, plan)
    called = called_dirs(tree)
    roots: list[ModuleInstance] = []
    for directory in sorted(tree.dirs):
        if directory in called:
            continue
        mdir = tree.dirs[directory]
        # Terraform's order, each source overriding the ones before it: TF_VAR_* variables,
        # terraform.tfvars, terraform.tfvars.json, *.auto.tfvars(.json) in file name order,
        # then -var-file and -var.
        declared = mdir.variables
        inputs: dict[str, Any] = {
            name: cli_var_value(tree, name, raw, declared[name])
            for name, raw in options.env_variables
            if name in declared
        }
        auto = (".auto.tfvars", ".auto.tfvars.json")
        var_files = sorted(
            (p for p in directory.iterdir() if p.name.endswith(auto)), key=lambda p: p.name
        )
        default_tfvars = [directory / "terraform.tfvars", directory / "terraform.tfvars.json"]
        present = [p for p in [*default_tfvars, *var_files] if os.path.lexists(p)]
        ordered = [p for p in present if p.is_file()]
        for p in present:
            if not p.is_file():  # a FIFO or a device named like a tfvars file: never opened
                rel = tree.rel(p)
                kind = _file_kind(p, rel) or "not a regular file"
                tree.warnings.append(
                    Unresolved(rel, f"{kind}, not a regular file: not read", Location(rel, 1))
                )
        for vf in ordered:
            inputs.update(read_tfvars(tree, vf))
        # -var-file and -var in the order they were given (else all files, then variables).
        order = options.var_order or (
            ("file",) * len(options.var_files) + ("var",) * len(options.variables)
        )
        files, values = iter(options.var_files), iter(options.variables)
        for kind in order:
            if kind == "file":
                vf = Path(next(files)).resolve()
                if not vf.is_file():
                    raise InputError(f"--var-file {vf}: no such file")
                inputs.update(read_tfvars(tree, vf))
            else:
                name, raw = next(values)
                inputs[name] = cli_var_value(tree, name, raw, declared.get(name))
        roots.append(ModuleInstance(tree, mdir, "", inputs, root_dir=directory))
    return tree, roots


__all__ = [
    "Block",
    "Instance",
    "LoadOptions",
    "ModuleInstance",
    "ResourceObj",
    "SDict",
    "load_tree",
    "parse_cli_var",
    "walk_instances",
]


def release(instances: Iterable[ModuleInstance]) -> None:
    """Break the reference cycles of a finished read, so that reference counting frees it.

    Module instances, their module calls, resources and resource instances refer to each
    other (and, through their scopes and memoised values, to the parse trees), so a root's
    read would stay alive until the cyclic garbage collector walks it: a pass over everything
    the read allocated. Emptying these objects' attributes instead frees the read at once, for
    the cost of visiting the objects themselves. Nothing may use them afterwards: call this
    only once the inventory has been taken out of the read (its values hold no instances).
    """
    for mi in instances:
        for call in mi._children.values():
            if isinstance(call, ModuleCall):
                vars(call).clear()
        for obj in mi._resources.values():
            inst = obj._instances
            if isinstance(inst, dict):
                for one in inst.values():
                    vars(one).clear()
            if obj._phantom is not None:
                vars(obj._phantom).clear()
            vars(obj).clear()
        vars(mi).clear()
