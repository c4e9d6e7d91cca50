"""Reading keeps less of the parse trees alive, and reads big files piece by piece, without
changing what is read: same inventories, same errors, same locations."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from lark import Token, Tree

from lpgen.errors import LpgenError
from lpgen.inventory import InventoryOptions, build_inventory, render_json, render_text
from lpgen.terraform import cache as cache_mod
from lpgen.terraform import chunks
from lpgen.terraform import compact as compact_mod
from lpgen.terraform.compact import EMPTY, Span, compact
from lpgen.terraform.parse import SourceFile, parse_hcl, span

REPO = Path(__file__).resolve().parent.parent
FIXTURE_DIRS = sorted(
    {p.parent for base in ("tests/data", "terraform_examples") for p in (REPO / base).rglob("*.tf")}
)


def _read(root: Path, **opts: Any) -> str:
    try:
        inv = build_inventory(root, options=InventoryOptions(**opts))
    except LpgenError as exc:
        return f"error: {exc}"
    return render_json(inv) + render_text(inv)


def _pieces_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every file read in pieces, cut after every line that holds only "}", and compacted.
    monkeypatch.setattr(chunks, "CHUNK_MIN_CHARS", 1)
    monkeypatch.setattr(chunks, "CHUNK_CHARS", 1)
    monkeypatch.setattr(compact_mod, "COMPACT_AFTER", 0)


@dataclass
class _Reads:
    """The trees of the root reads of this process (weakly), and at each read, whether those
    before it were still alive."""

    trees: list[weakref.ref[Any]] = field(default_factory=list)
    alive_at_next: list[bool] = field(default_factory=list)


def _spy_on_reads(monkeypatch: pytest.MonkeyPatch) -> _Reads:
    import lpgen.terraform.loader as loader_mod

    seen = _Reads()
    real = loader_mod.load_tree

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.alive_at_next.extend(r() is not None for r in seen.trees)
        tree, roots = real(*args, **kwargs)
        seen.trees.append(weakref.ref(tree))
        return tree, roots

    monkeypatch.setattr(loader_mod, "load_tree", spy)  # imported by the reading when it runs
    return seen


@contextmanager
def _collector_paused() -> Iterator[None]:
    """As in a worker process: only lpgen's own freeing frees reference cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def test_fixture_dirs_are_found() -> None:
    assert len(FIXTURE_DIRS) > 50


@pytest.mark.parametrize(
    "root", FIXTURE_DIRS, ids=[d.relative_to(REPO).as_posix() for d in FIXTURE_DIRS]
)
def test_reading_in_pieces_gives_the_same_inventory(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compact_mod, "COMPACT_AFTER", 10**12)  # nothing compacted
    whole = _read(root, jobs=1)
    _pieces_everywhere(monkeypatch)
    assert _read(root, jobs=1) == whole


def _big_file(policies: int, users: int) -> str:
    parts = ['resource "aws_iam_group" "all" {\n  name = "all"\n}\n']
    for i in range(policies):
        parts.append(
            f'resource "aws_iam_policy" "p{i}" {{\n  name   = "policy-{i}"\n'
            f'  policy = jsonencode({{\n    Version = "2012-10-17"\n    Statement = [{{\n'
            f'      Effect   = "Allow"\n      Action   = ["s3:GetObject", "sqs:Send*"]\n'
            f'      Resource = "arn:aws:s3:::bucket-{i}/*"\n    }}]\n  }})\n}}\n'
        )
    for i in range(users):
        if i % 50 == 7:  # a line holding only "}" inside a heredoc: no place to cut
            policy = (
                '<<-EOF\n    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",\n'
                '     "Action": "s3:ListBucket", "Resource": "*"}]\n}\n  EOF\n'
            )
        else:
            policy = (
                'jsonencode({\n    Version   = "2012-10-17"\n'
                '    Statement = [{ Effect = "Allow", Action = "s3:ListBucket", Resource = "*" }]\n'
                "  })\n"
            )
        parts.append(
            f'resource "aws_iam_user" "u{i}" {{\n  name = "user-{i}"\n}}\n'
            f'resource "aws_iam_user_policy" "u{i}" {{\n  name   = "own"\n'
            f'  user   = "user-{i}"\n  policy = {policy}}}\n'
            f'resource "aws_iam_user_group_membership" "u{i}" {{\n'
            f"  user   = aws_iam_user.u{i}.name\n  groups = [aws_iam_group.all.name]\n}}\n"
        )
    return "".join(parts)


def test_a_big_file_read_in_pieces_gives_the_same_inventory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = _big_file(300, 600)
    (tmp_path / "main.tf").write_text(text, encoding="utf-8")
    monkeypatch.setattr(chunks, "CHUNK_MIN_CHARS", 10**12)
    whole = _read(tmp_path, jobs=1)
    monkeypatch.setattr(chunks, "CHUNK_MIN_CHARS", 10_000)
    monkeypatch.setattr(chunks, "CHUNK_CHARS", 5_000)
    assert len(chunks.cuts(text, 5_000)) > 20
    source = SourceFile(tmp_path / "main.tf", "main.tf", text)
    assert sum(1 for _ in chunks.top_level_blocks(source, 5_000)) == 1 + 300 + 3 * 600
    assert _read(tmp_path, jobs=1) == whole
    inv = build_inventory(tmp_path, options=InventoryOptions(jobs=1))
    assert len(inv.users) == 600 and len(inv.policies) == 300 + 600
    assert len(inv.memberships) == 600


def test_a_big_file_read_in_pieces_keeps_no_piece_s_parse_alive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bodies and values built on first use keep the fast reader's tree of their whole piece
    alive (about 90 bytes a character): a big file's blocks keep none of it, and are read
    again from their text when used."""
    import lpgen.terraform.fastparse as fastparse_mod

    text = _big_file(300, 600)
    (tmp_path / "main.tf").write_text(text, encoding="utf-8")
    monkeypatch.setattr(chunks, "CHUNK_MIN_CHARS", 10_000)
    monkeypatch.setattr(chunks, "CHUNK_CHARS", 5_000)
    files: list[weakref.ref[Any]] = []
    real_file = fastparse_mod._File.__init__

    def spy(self: Any, *args: Any) -> None:
        real_file(self, *args)
        files.append(weakref.ref(self))

    monkeypatch.setattr(fastparse_mod._File, "__init__", spy)
    from lpgen.terraform.loader import _blocks_of

    source = SourceFile(tmp_path / "main.tf", "main.tf", text)
    blocks = _blocks_of(source, True)
    assert isinstance(blocks, list) and len(blocks) == 1 + 300 + 3 * 600
    assert files and all(f() is None for f in files)
    # Read again from the text: the same expressions at the same places as a whole read.
    monkeypatch.setattr(chunks, "CHUNK_MIN_CHARS", 10**12)
    whole = _blocks_of(source, True)
    assert isinstance(whole, list)
    for a, b in zip(blocks, whole, strict=True):
        assert (a.type, a.labels, a.loc) == (b.type, b.labels, b.loc)
        assert {k: v.meta.start_pos for k, v in a.attrs.items()} == \
            {k: v.meta.start_pos for k, v in b.attrs.items()}
        assert {k: a.attr_loc(k) for k in a.attrs} == {k: b.attr_loc(k) for k in b.attrs}
        for name, node in a.attrs.items():
            assert fastparse_mod.first_difference(node, b.attrs[name]) is None


def test_blocks_of_a_big_file_are_forgotten_once_accounted_and_read_again_when_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lpgen.terraform.loader as loader_mod

    text = _big_file(40, 80)
    (tmp_path / "main.tf").write_text(text, encoding="utf-8")
    monkeypatch.setattr(chunks, "CHUNK_MIN_CHARS", 10**12)
    whole = _read(tmp_path, jobs=1)
    monkeypatch.setattr(chunks, "CHUNK_MIN_CHARS", 1_000)
    monkeypatch.setattr(chunks, "CHUNK_CHARS", 500)
    reads: list[tuple[str, ...]] = []
    real = loader_mod._Reread.read_into

    def spy(self: Any, block: Any) -> None:
        reads.append((block.type, *block.labels))
        real(self, block)

    monkeypatch.setattr(loader_mod._Reread, "read_into", spy)
    assert _read(tmp_path, jobs=1) == whole
    # Every block was read once, when accounted; none had to be read a second time.
    assert len(reads) == len(set(reads)) == 1 + 40 + 3 * 80
    from lpgen.terraform.loader import _blocks_of

    source = SourceFile(tmp_path / "main.tf", "main.tf", text)
    [block, *_] = [b for b in _blocks_of(source, True) if b.labels == ["aws_iam_policy", "p0"]]
    first = {k: v.meta.start_pos for k, v in block.attrs.items()}
    block.forget()
    assert block._attrs == {}  # nothing kept
    assert {k: v.meta.start_pos for k, v in block.attrs.items()} == first  # read again


@pytest.mark.parametrize("closing_lines", [1, 8])
def test_a_piece_that_does_not_parse_is_extended_or_the_file_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, closing_lines: int
) -> None:
    # Cut after a "}" inside the heredoc, a piece does not parse: it is extended to the next
    # place to cut, and after a few tries the file is read whole.
    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_user_policy" "u" {\n  name = "own"\n  user = "u"\n'
        '  policy = <<EOF\n{"Statement": [],\n"Version": "2012-10-17"\n'
        + "}\n" * closing_lines
        + 'EOF\n}\nresource "aws_iam_user" "u" {\n  name = "u"\n}\n',
        encoding="utf-8",
    )
    whole = _read(tmp_path, jobs=1)
    _pieces_everywhere(monkeypatch)
    assert _read(tmp_path, jobs=1) == whole
    assert '"name": "u"' in whole
    text = (tmp_path / "main.tf").read_text()
    source = SourceFile(tmp_path / "main.tf", "main.tf", text)
    if closing_lines == 1:
        assert [b.children[1] for b, _ in chunks.top_level_blocks(source, 1)]
    else:
        with pytest.raises(LpgenError):
            list(chunks.top_level_blocks(source, 1))


@pytest.mark.parametrize("strict", [False, True])
def test_a_syntax_error_in_a_big_file_is_reported_as_for_a_whole_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, strict: bool
) -> None:
    text = _big_file(20, 40)
    assert '  name   = "policy-10"\n' in text
    text = text.replace('  name   = "policy-10"\n', '  name   = = "policy-10"\n')
    (tmp_path / "main.tf").write_text(text, encoding="utf-8")
    whole = _read(tmp_path, jobs=1, strict=strict)
    _pieces_everywhere(monkeypatch)
    assert _read(tmp_path, jobs=1, strict=strict) == whole
    assert "cannot parse HCL" in whole


def test_cuts_cover_the_text_and_end_after_a_closing_line() -> None:
    text = _big_file(30, 30)
    pieces = chunks.cuts(text, 1_000)
    assert "".join(text[a:b] for a, b in pieces) == text
    assert all(a == prev_b for (a, _), (_, prev_b) in zip(pieces[1:], pieces, strict=False))
    assert all(text[a:b].endswith("}\n") for a, b in pieces)
    assert chunks.cuts("x = 1\n", 1_000) == [(0, 6)]


def test_parse_trees_are_freed_once_the_files_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lpgen.terraform.loader import LoadOptions, load_tree

    for i in range(3):
        (tmp_path / f"f{i}.tf").write_text(_big_file(5, 5), encoding="utf-8")
    refs: list[weakref.ref[Any]] = []
    real = cache_mod._parse_one

    def spy(args: tuple[str, str]) -> Any:
        result = real(args)
        refs.append(weakref.ref(result))
        return result

    monkeypatch.setattr(cache_mod, "_parse_one", spy)
    enabled = gc.isenabled()
    gc.disable()  # freed by reference counting, not by a collection
    try:
        tree, roots = load_tree(tmp_path, LoadOptions())
        assert len(refs) == 3
        assert [r() for r in refs] == [None, None, None]
        # What is kept still reads: every user, policy and membership is there.
        mdir = tree.dirs[tmp_path.resolve()]
        assert len(mdir.resources) == 1 + 5 + 3 * 5
        assert all(type(b.node.meta) is Span for b in mdir.resources.values())
        assert all(b.node.children == [] for b in mdir.resources.values())
    finally:
        if enabled:
            gc.enable()
    assert roots


def _spans(node: Tree[Any]) -> list[Any]:
    out: list[Any] = []
    stack: list[Any] = [node]
    while stack:
        n = stack.pop()
        out.append((n.data, span(n)) if isinstance(n, Tree) else (n.type, str(n), span(n)))
        if isinstance(n, Tree):
            stack.extend(reversed(n.children))
    return out


def test_compacting_keeps_the_tree_texts_types_and_offsets() -> None:
    text = _big_file(3, 3)
    original = parse_hcl(text, rel="main.tf")
    again = parse_hcl(text, rel="main.tf")
    before = _spans(again)
    compact(again)
    assert again == original  # same node types, children and token texts
    assert _spans(again) == before
    assert compact(again) is again and _spans(again) == before  # compacting twice: the same
    tokens = [t for t in again.scan_values(lambda v: isinstance(v, Token))]
    assert tokens and all(t.line is None and t.value == str(t) for t in tokens)
    metas = {type(n.meta) for n in again.iter_subtrees()}
    assert metas == {Span}
    # Positions moved by a delta, as for a piece of a file.
    piece = parse_hcl(text, rel="main.tf")
    compact(piece, 100)
    assert [s if s[-1] == (-1, -1) else (*s[:-1], (s[-1][0] + 100, s[-1][1] + 100))
            for s in before] == _spans(piece)
    assert EMPTY.empty and span(Tree("x", [], EMPTY)) == (-1, -1)  # type: ignore[arg-type]


def test_only_files_several_roots_read_are_kept_between_roots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_root_cache import write_tree

    kept: list[str] = []
    real = cache_mod.shared_reads

    def spy(path: Path | None = None) -> Any:
        found = real(path)
        if found is not None and path is not None:
            kept.append(path.relative_to(root.resolve()).as_posix())
        return found

    monkeypatch.setattr(cache_mod, "shared_reads", spy)
    root = write_tree(tmp_path / "tree")
    opts = InventoryOptions(cache_dir=tmp_path / "cache", jobs=1)
    shared = render_json(build_inventory(root, options=opts))
    # The module both roots call is kept (and read once); each root's own file is not.
    assert sorted(set(kept)) == ["modules/team/main.tf"]
    assert shared == render_json(build_inventory(root, options=InventoryOptions(jobs=1)))


@pytest.mark.parametrize("workers", [1, 2])
def test_a_root_read_is_freed_before_the_next_root_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    import lpgen.inventory as inventory_mod
    from tests.test_root_cache import write_tree

    monkeypatch.setattr(inventory_mod, "PARALLEL_MIN_CHARS", 10**12)  # all in this process
    monkeypatch.setattr(inventory_mod, "FREE_AFTER_OBJECTS", 0)  # however small the read
    root = write_tree(tmp_path / "tree")
    reads = _spy_on_reads(monkeypatch)
    with _collector_paused():  # as in a worker process: only lpgen frees cycles
        inv = build_inventory(root, options=InventoryOptions(cache_dir=tmp_path / "cache",
                                                            jobs=workers))
    assert len(reads.trees) == 2 and reads.alive_at_next == [False]  # the first one freed
    assert render_json(inv) == render_json(build_inventory(root, options=InventoryOptions(jobs=1)))


def _several_roots(root: Path) -> bool:
    from lpgen.terraform.loader import LoadOptions, Tree_, discover, plan_dirs

    try:
        return len(plan_dirs(Tree_(root, LoadOptions()), discover(root)).roots()) > 1
    except LpgenError:
        return False


MULTI_ROOT_DIRS = sorted(
    {d for base in FIXTURE_DIRS for d in (base, base.parent) if _several_roots(d)}
)


def test_multi_root_fixtures_are_found() -> None:
    assert len(MULTI_ROOT_DIRS) >= 5


def test_parallel_reads_root_by_root_give_the_whole_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lpgen.inventory as inventory_mod

    monkeypatch.setattr(inventory_mod, "PARALLEL_MIN_CHARS", 0)
    for root in MULTI_ROOT_DIRS:
        whole = _read(root, jobs=1)  # one process, one read of the whole tree
        assert _read(root, jobs=2) == whole, root


def test_a_root_read_is_freed_by_breaking_its_cycles_without_the_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past RELEASE_AFTER_CHARS, a root's read is freed by reference counting alone: the
    collector never runs (paused, and lpgen's own collection never due), yet the first
    root's read is gone before the second is read, and the inventory is the same."""
    import lpgen.inventory as inventory_mod
    from tests.test_root_cache import write_tree

    root = write_tree(tmp_path / "tree")
    expected = render_json(build_inventory(root, options=InventoryOptions(jobs=1)))
    monkeypatch.setattr(inventory_mod, "PARALLEL_MIN_CHARS", 10**12)
    monkeypatch.setattr(inventory_mod, "FREE_AFTER_OBJECTS", 10**12)  # never collects
    monkeypatch.setattr(inventory_mod, "RELEASE_AFTER_CHARS", 0)
    reads = _spy_on_reads(monkeypatch)
    with _collector_paused():
        inv = build_inventory(root, options=InventoryOptions(cache_dir=tmp_path / "c", jobs=1))
    assert len(reads.trees) == 2 and reads.alive_at_next == [False]
    assert render_json(inv) == expected


def test_below_the_release_threshold_a_read_is_left_to_the_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lpgen.inventory as inventory_mod
    import lpgen.terraform.loader as loader_mod
    from tests.test_root_cache import write_tree

    released: list[int] = []
    real = loader_mod.release
    monkeypatch.setattr(loader_mod, "release", lambda mis: released.append(1) or real(mis))
    monkeypatch.setattr(inventory_mod, "PARALLEL_MIN_CHARS", 10**12)
    monkeypatch.setattr(inventory_mod, "_read_chars", 0)
    root = write_tree(tmp_path / "tree")
    build_inventory(root, options=InventoryOptions(cache_dir=tmp_path / "c", jobs=1))
    assert released == []  # a small tree: freeing it is not worth its cost


@pytest.mark.parametrize(
    "root", FIXTURE_DIRS, ids=[d.relative_to(REPO).as_posix() for d in FIXTURE_DIRS]
)
def test_releasing_each_read_gives_the_same_inventory(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lpgen.inventory as inventory_mod

    monkeypatch.setattr(inventory_mod, "RELEASE_AFTER_CHARS", 10**12)
    kept = _read(root, jobs=1)
    monkeypatch.setattr(inventory_mod, "RELEASE_AFTER_CHARS", 0)
    assert _read(root, jobs=1) == kept


def test_this_process_frees_its_own_group_s_reads_in_a_parallel_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a parallel read this process reads one group itself; what it kept of those reads
    would be copied into every process forked later (trim's checks of rewritten files), so
    each is freed once done, however small the tree."""
    import lpgen.inventory as inventory_mod
    from tests.test_root_cache import write_tree

    root = write_tree(tmp_path / "tree")  # two roots calling one module
    expected = render_json(build_inventory(root, options=InventoryOptions(jobs=1)))
    monkeypatch.setattr(inventory_mod, "PARALLEL_MIN_CHARS", 0)
    monkeypatch.setattr(inventory_mod, "FREE_AFTER_OBJECTS", 10**12)
    monkeypatch.setattr(inventory_mod, "RELEASE_AFTER_CHARS", 10**12)
    reads = _spy_on_reads(monkeypatch)
    with _collector_paused():  # judged before the collector may run again
        inv = build_inventory(root, options=InventoryOptions(cache_dir=tmp_path / "c", jobs=2))
        # This process read one of the two roots, or both when it was done with its own
        # before the worker took the other (see inventory._Claims), and freed each.
        assert len(reads.trees) in (1, 2) and all(t() is None for t in reads.trees)
    assert render_json(inv) == expected
