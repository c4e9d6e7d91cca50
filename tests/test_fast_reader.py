"""The fast reader (tree-sitter) gives python-hcl2's own trees, or leaves the text to it.

python-hcl2 is the reference: for every text, the fast reader's tree must equal python-hcl2's
node by node (rule names, token types and values, every position), or the fast reader must
decline (``None``) so that python-hcl2 reads the text, errors included. Checked here on every
fixture and example, on constructs where the two grammars differ, on generated layouts
(newlines and comments at every place HCL allows them), and on whole inventories.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark.exceptions import LarkError

from lpgen.cli import main
from lpgen.errors import ParseError
from lpgen.terraform import fastparse, parse
from lpgen.terraform.fastparse import first_difference, parse_fast, parse_lazy
from lpgen.terraform.parse import _parser, for_parser

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"

pytestmark = pytest.mark.skipif(not fastparse.available(), reason="tree-sitter not installed")


def reference(text: str) -> object | None:
    try:
        return _parser().parse(for_parser(text))
    except LarkError:
        return None


def agree(text: str) -> str:
    """'same', 'declined' (the fast reader leaves it to python-hcl2) or raise. The lazy
    reading (values built on first use) must give the same tree once every value is built."""
    ref = reference(text)
    fast = parse_fast(for_parser(text))
    if ref is not None:
        lazy = parse_lazy(for_parser(text), "x.tf")
        if lazy is not None:
            where = first_difference(lazy, ref)
            assert where is None, f"lazy trees differ at {where}"
    if ref is None:
        assert fast is None, "the fast reader read a text python-hcl2 rejects"
        return "declined"
    if fast is None:
        return "declined"
    where = first_difference(fast, ref)
    assert where is None, f"trees differ at {where}: {text[max(0, where - 40) : where + 40]!r}"
    return "same"


def _files() -> list[Path]:
    return sorted(
        p for base in (DATA, ROOT / "terraform_examples") for p in base.rglob("*.tf")
        if p.is_file()
    )  # fmt: skip


def _text(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return None


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_fixture_reads_the_same(path: Path) -> None:
    text = _text(path)
    if text is not None:
        agree(text)


def test_the_fast_reader_reads_nearly_every_fixture() -> None:
    """Declining is allowed, but it must stay the exception, or the speed is gone silently."""
    verdicts = [agree(t) for t in map(_text, _files()) if t is not None and reference(t)]
    assert len(verdicts) > 100
    assert verdicts.count("same") >= 0.95 * len(verdicts), verdicts.count("declined")


SAME = {
    "nested conditionals nest to the right": 'x = a ? 2 : b ? 3 : c == "z" ? 4 : 5\n',
    "conditional in the true branch": "x = a ? b ? 1 : 2 : 3\n",
    "parenthesised conditional as a condition": "x = (b ? c : d) ? e : f\n",
    "newline before an operator joins the operator": "x = a\n  + b\n  && c\n",
    "comment before an operator": "x = a # why\n  * b\n",
    "newline before ? and after : ": "x = (\n  a\n  ? b\n  :\n  c\n)\n",
    "trailing newline taken by the innermost operation": "x = 1 + 2 * 3\n# c\n\ny = [a + b\n]\n",
    "negative literals": "a = -33\nb = -1.5\nc = - 22\nd = [-10, 5]\ne = -3\nf = -1.5e3\n",
    "keywords as names": "for_each = x\nin = 1\nif { a = 1 }\nb = { in = 1, for_each = 2 }\n",
    "true/false/null as attribute names and accessors": "true = 1\nx = a.null\n",
    "provider function": "x = provider::aws::arn_parse(var.a).region\n",
    "splats": "a = x.*.name[0]\nb = x[*].b[*]\nc = x[*].y.z[1].w\nd = x.0.y\n",
    "for expressions everywhere newlines": (
        "a = [\n  for k, v in var.m :\n  upper(v)\n  if k != \"x\"\n]\n"
        "b = {\n  for k, v in var.m :\n  k => v...\n  if v\n}\n"
        "c = { for s in x : s.a => s\n}\n"
    ),
    "function arguments and ellipsis": "a = f(\n  1,\n  2 # two\n)\nb = f(x...)\nc = f()\nd = f(\n)\n",
    "objects with commas, colons and comments": (
        'o = {\n  a = 1, # one\n  "b" : 2\n  c = {\n  }\n  /* x */ d = [] }\n'
    ),
    "strings": (
        'a = "$${x} %%{y} 50% $5 \\"q\\" \\u00e9 ${var.a}-${b[0]}"\n'
        'b = ""\nc = "été ${var.x} 日本"\n'
    ),
    "heredocs": (
        "a = <<EOF\n${x}\nEOF\nb = <<-EOT\n    {\"k\": \"v\"}\n    EOT\n"
        "c = <<EOF\r\nwin\r\nEOF\r\nd = 1\r\n"
    ),
    "comments of every kind": (
        "# a\n// b\n/* c\n d */\nresource \"x\" \"y\" { # e\n  /* f */ a = 1 // g\n}\n"
    ),
    "blocks": 'a "b" c {\n}\nd {}\ne "f" {\n  g {\n    h = 1\n  }\n}\n',
    "block brace on its own line": 'a "b"\n{\n  c = 1\n}\n',
    "unary and parentheses": "a = !(b && c)\nb = -(x)\nc = !a.b[0]\nd = ((1))\n",
    "crlf everywhere": 'a = [\r\n  "x", # c\r\n  "y",\r\n]\r\nb = 1 +\r\n  2\r\n',
    "tabs before = and :": "a\t= 1\nb = { c\t: 2 }\n",
    "empty file": "",
    "only comments": "\n\n# c\n",
    "bom": "\ufeffa = 1\n",
    # A text not ending with a newline gets one, as python-hcl2's own API gives it: a last
    # line that is a comment reads (HashiCorp's parser and hcl2.loads read it).
    "comment at the end without a newline": "a = 1 # c",
    "a last line that is a # comment": 'resource "x" "y" {\n  a = 1\n}\n# c',
    "a last line that is a // comment": "a = 1\n// c",
    "a last line that is a /* */ comment": "a = 1\n/* c */",
    "no newline at the end": "a = 1",
}


@pytest.mark.parametrize("text", SAME.values(), ids=SAME.keys())
def test_constructs_read_the_same(text: str) -> None:
    assert agree(text) == "same"


DECLINED = {
    "python-hcl2 reads x -10 as x then -10": "a = x -10\n",
    "strip markers in an interpolation": 'a = "${~ x ~}"\n',
    "a syntax error": "a = [\n",
    "an interpolation over several lines": 'a = "${\n  x\n}"\n',
    "two newlines before an operator": "a = b\n\n  + c\n",
    "tree-sitter-hcl does not read an exponent without a dot": "a = 1e3\n",
    "the grammars split $$${ differently (terragoat)": 'a = { "k/$$${local.x}" = 1 }\n',
}


@pytest.mark.parametrize("text", DECLINED.values(), ids=DECLINED.keys())
def test_what_python_hcl2_reads_its_own_way_is_left_to_it(text: str) -> None:
    assert parse_fast(for_parser(text)) is None
    agree(text)


# --- generated layouts: newlines and comments wherever HCL takes them ----------------------

_names = st.sampled_from(["a", "b", "var.x", "local.y", "each.value", "count.index"])
_leaves = st.one_of(
    _names,
    st.sampled_from(['"s"', '"${var.a}-b"', "1", "-12", "2.5", "true", "null", "x[0]", "x.*.id"]),
)


def _exprs() -> st.SearchStrategy[str]:
    return st.recursive(
        _leaves,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "*", "==", "&&", "||", "<", "%"]), inner).map(
                lambda t: f"{t[0]} {t[1]} {t[2]}"
            ),
            st.tuples(inner, inner, inner).map(lambda t: f"{t[0]} ? {t[1]} : {t[2]}"),
            inner.map(lambda e: f"({e})"),
            inner.map(lambda e: f"!{e}" if e[0].isalpha() or e[0] == "(" else e),
            st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
            st.lists(inner, max_size=3).map(
                lambda xs: "{" + ", ".join(f"k{i} = {x}" for i, x in enumerate(xs)) + "}"
            ),
            st.lists(inner, min_size=1, max_size=3).map(lambda xs: "f(" + ", ".join(xs) + ")"),
            inner.map(lambda e: f"[for k, v in var.m : {e} if k != \"\"]"),
            inner.map(lambda e: f"{{for k, v in var.m : k => {e}}}"),
        ),
        max_leaves=8,
    )


_breaks = st.sampled_from([" ", " ", " ", "\n  ", " # c\n  ", " /* c */ ", "\n\n  ", "\t"])


@st.composite
def _layouts(draw: st.DrawFn) -> str:
    """An expression whose spaces are replaced, one by one, by newlines or comments."""
    expr = draw(_exprs())
    out = []
    for ch in expr:
        out.append(draw(_breaks) if ch == " " else ch)
    return "x = " + "".join(out) + "\ny = 1\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_layouts())
def test_generated_layouts_read_the_same(text: str) -> None:
    agree(text)


# --- the readers in lpgen ------------------------------------------------------------------


def test_rewritten_files_are_checked_by_python_hcl2(monkeypatch: pytest.MonkeyPatch) -> None:
    """trim's "the edited file still parses" is python-hcl2's verdict, never the fast one."""
    from lpgen.terraform.cache import check_parses

    def refuse(text: str) -> None:
        raise AssertionError("the fast reader was asked")

    monkeypatch.setattr(fastparse, "parse_fast", refuse)
    assert check_parses([("a = 1\n", "ok.tf"), ("a = [\n", "bad.tf")], jobs=1)[0] is None
    assert check_parses([("a = [\n", "bad.tf")], jobs=1)[0] is not None


def test_rewritten_files_checked_in_parallel_keep_their_verdicts_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Checked biggest first in two workers, each verdict still belongs to its file."""
    from lpgen.terraform import cache as cache_mod

    monkeypatch.setattr(cache_mod, "VERIFY_PARALLEL_MIN_CHARS", 0)
    items = [("a = 1\n", "small.tf"), ("b = [\n" + "x" * 50, "bad-big.tf"),
             ('c = "' + "y" * 200 + '"\n', "big.tf"), ("d = {\n", "bad-small.tf")]
    verdicts = cache_mod.check_parses(items, jobs=2)
    assert [v is None for v in verdicts] == [True, False, True, False]
    assert [v.file for v in verdicts if v is not None] == ["bad-big.tf", "bad-small.tf"]
    shown = [(v.file, v.line, v.message) if v else None for v in verdicts]
    alone = cache_mod.check_parses(items, jobs=1)
    assert shown == [(v.file, v.line, v.message) if v else None for v in alone]


def test_reader_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = fastparse.parse_lazy

    def spy(text: str, rel: str) -> object:
        calls.append(text)
        return real(text, rel)

    monkeypatch.setattr(fastparse, "parse_lazy", spy)
    monkeypatch.setenv("LPGEN_PARSER", "python-hcl2")
    parse.parse_hcl("a = 1\n", rel="x.tf")
    assert calls == []
    monkeypatch.setenv("LPGEN_PARSER", "auto")
    parse.parse_hcl("a = 1\n", rel="x.tf")
    assert calls == ["a = 1\n"]


def test_verify_names_the_file_where_the_readers_differ(monkeypatch: pytest.MonkeyPatch) -> None:
    real = fastparse.parse_fast

    def wrong(text: str) -> object:
        tree = real(text)
        assert tree is not None
        tree.children[0].children[0].children[0].data = "block"  # type: ignore[union-attr]
        return tree

    monkeypatch.setattr(fastparse, "parse_fast", wrong)
    monkeypatch.setenv("LPGEN_PARSER", "verify")
    with pytest.raises(ParseError) as err:
        parse.parse_hcl("a = 1\n", rel="mod/x.tf")
    assert err.value.file == "mod/x.tf"
    assert "readers differ" in str(err.value)


def test_positions_in_a_snippet_are_shifted() -> None:
    """Heredoc templates are read piece by piece at an offset: both readers agree there too."""
    monkey = pytest.MonkeyPatch()
    try:
        monkey.setenv("LPGEN_PARSER", "python-hcl2")
        ref = parse.parse_hcl("a = b.c\n", rel="x.tf", offset=100)
        monkey.setenv("LPGEN_PARSER", "auto")
        fast = parse.parse_hcl("a = b.c\n", rel="x.tf", offset=100)
    finally:
        monkey.undo()
    assert first_difference(fast, ref) is None
    assert fast.meta.start_pos == 100


def _trees() -> list[Path]:
    from tests.test_reader_accounting import _trees as trees

    return trees()


def _inventory(tree: Path, reader: str) -> tuple[int, object]:
    env = {**os.environ, "LPGEN_PARSER": reader}
    res = CliRunner().invoke(
        main, ["inventory", str(tree), "--format", "json", "--no-cache"], env=env
    )
    try:
        return res.exit_code, json.loads(res.stdout)
    except ValueError:
        return res.exit_code, res.stdout + res.stderr


@pytest.mark.parametrize("tree", _trees(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_both_readers_give_the_same_inventory(tree: Path) -> None:
    assert _inventory(tree, "auto") == _inventory(tree, "python-hcl2")


def test_the_readers_benchmark_runs(tmp_path: Path) -> None:
    """benchmarks/readers.py compares the readers on a tree and fails on any difference."""
    import subprocess
    import sys

    out = tmp_path / "r.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "readers.py"),
         str(ROOT / "terraform_examples" / "acme"), "--out", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    (row,) = json.loads(out.read_text())
    assert row["mismatch"] == 0 and row["same"] == row["files"] > 5


# --- values built on first use -------------------------------------------------------------


def _values(tree: object) -> list[object]:
    from lark import Tree

    assert isinstance(tree, Tree)
    out = []
    for child in tree.children[0].children:
        if isinstance(child, Tree) and child.data == "block":
            body = next(c for c in child.children if isinstance(c, Tree) and c.data == "body")
            out += [a.children[-1] for a in body.children
                    if isinstance(a, Tree) and a.data == "attribute"]  # fmt: skip
    return out


def test_values_are_built_when_first_used() -> None:
    text = 'resource "a" "b" {\n  x = 1 + 2\n  # c\n  y = <<EOF\nz\nEOF\n}\n'
    tree = parse_lazy(text, "m.tf")
    x, y = _values(tree)
    assert type(x).__name__ == "_LazyValue" and x._kids is None  # type: ignore[attr-defined]
    # Rule name and position are known before: the newline and comment after "1 + 2" are
    # part of the operation, as python-hcl2 has it; the heredoc takes the newline after EOF.
    assert (x.data, x.meta.start_pos, x.meta.end_pos) == ("binary_op", 25, 37)  # type: ignore[attr-defined]
    assert y.meta.end_pos == text.index("}")  # type: ignore[attr-defined]
    assert y._kids is None  # type: ignore[attr-defined]
    assert first_difference(tree, reference(text)) is None  # builds both
    assert x._kids is not None  # type: ignore[attr-defined]


def test_a_value_only_python_hcl2_reads_is_read_by_it() -> None:
    """A ${ } over several lines: tree-sitter reads it, the fast tree declines, python-hcl2
    reads it (lpgen joins the lines first): the value is python-hcl2's."""
    text = 'resource "a" "b" {\n  x = "${\n  var.y\n}"\n  z = 1\n}\n'
    tree = parse_lazy(text, "m.tf")
    assert tree is not None
    ref = parse.parse_hcl(text, rel="m.tf", reference=True)
    assert first_difference(tree, ref) is None


def test_a_value_python_hcl2_rejects_is_an_error_naming_the_file_when_used() -> None:
    text = 'resource "a" "b" {\n  ok = 1\n  bad = x -10\n}\n'
    tree = parse_lazy(text, "mod/m.tf")
    ok, bad = _values(tree)
    assert ok.children  # type: ignore[attr-defined]
    with pytest.raises(ParseError) as err:
        bad.children  # type: ignore[attr-defined]  # noqa: B018
    assert err.value.file == "mod/m.tf" and err.value.line == 3


def test_a_lazy_value_pickles_as_a_plain_tree() -> None:
    import pickle

    from lark import Tree

    (value,) = _values(parse_lazy('a "b" {\n  c = [1, 2]\n}\n', "m.tf"))
    back = pickle.loads(pickle.dumps(value))
    assert type(back) is Tree and back == value and back.meta.start_pos == value.meta.start_pos  # type: ignore[attr-defined]


def test_what_is_never_evaluated_is_not_judged(tmp_path: Path) -> None:
    """``x -10`` is valid HCL that python-hcl2 cannot read. In an argument lpgen never
    evaluates, the file's IAM is read all the same (python-hcl2 alone skips the file)."""
    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_user" "u" {\n  name = "ana"\n}\n'
        'resource "aws_instance" "i" {\n  cpu_core_count = var.n -10\n}\n'
    )
    runner = CliRunner()
    res = runner.invoke(main, ["inventory", str(tmp_path), "--format", "json", "--no-cache"])
    assert res.exit_code == 0, res.output
    assert [u["name"] for u in json.loads(res.stdout)["users"]] == ["ana"]


def test_a_lazy_value_moved_into_place_is_built_where_it_was_read() -> None:
    """A piece of a file read on its own has its positions shifted afterwards: a value built
    after that is built from the piece's text and shifted like the rest."""
    piece = 'a "b" {\n  c = x + y\n  d = 2\n}\n'
    c, _ = _values(parse_lazy(piece, "m.tf"))
    c.meta.start_pos += 100  # type: ignore[attr-defined]
    c.meta.end_pos += 100  # type: ignore[attr-defined]
    kids = c.children  # type: ignore[attr-defined]  # built, not refused for its new place
    assert kids[0].meta.start_pos == piece.index("x")
    assert c.meta.start_pos == piece.index("x") + 100  # type: ignore[attr-defined]


def test_python_hcl2_values_from_the_fast_tree_are_its_own() -> None:
    """The account map takes python-hcl2's values (hcl2.loads) from the fast reader's tree:
    the same dictionaries, file for file."""
    import hcl2

    from lpgen.account_map import _loads

    compared = 0
    for path in _files():
        text = _text(path)
        if text is None:
            continue
        try:
            expected = hcl2.loads(text)
        except Exception:
            continue
        assert _loads(text) == expected, path
        compared += 1
    assert compared > 100


# --- block bodies built on first use --------------------------------------------------------


def _top_bodies(tree: object) -> list[object]:
    from lark import Tree

    assert isinstance(tree, Tree)
    return [
        next(c for c in child.children if isinstance(c, Tree) and c.data == "body")
        for child in tree.children[0].children
        if isinstance(child, Tree) and child.data == "block"
    ]


def test_block_bodies_are_built_when_first_used() -> None:
    text = (
        'resource "aws_iam_user" "u" {\n  name = "ana" # who\n  tags = { a = 1 }\n}\n\n'
        'resource "aws_instance" "i" {\n  ami = var.a\n    + 1\n  ebs_block_device {\n'
        '    size = 8\n  }\n  lifecycle {\n  }\n}\nlocals {}\n'
    )
    tree = parse_lazy(text, "m.tf")
    bodies = _top_bodies(tree)
    assert [fastparse.unbuilt(b) for b in bodies] == [True, True, True]
    # The blocks' own positions are known before their bodies are built.
    block = tree.children[0].children[2]  # type: ignore[union-attr]
    assert (block.meta.start_pos, block.meta.end_pos) == (text.index('resource "aws_in'),
                                                          text.index("}\nlocals") + 1)
    assert fastparse.unbuilt(bodies[1])
    assert first_difference(tree, reference(text)) is None  # builds every body
    assert not any(fastparse.unbuilt(b) for b in bodies)


def test_lazy_bodies_built_one_by_one_equal_the_eager_ones() -> None:
    """Every fixture: each body built on its own (in any order) is the eager reading's."""
    compared = 0
    for path in _files():
        text = _text(path)
        if text is None:
            continue
        text = for_parser(text)
        lazy, eager = parse_lazy(text, "x.tf"), parse_fast(text)
        if lazy is None or eager is None:
            continue
        for a, b in reversed(list(zip(_top_bodies(lazy), _top_bodies(eager), strict=True))):
            assert first_difference(a, b) is None, path
            compared += 1
    assert compared > 300


def test_most_fixture_bodies_are_left_for_later() -> None:
    """The check that a body may wait must accept ordinary Terraform, or the speed is gone
    silently."""
    bodies = lazy = 0
    for path in _files():
        text = _text(path)
        tree = parse_lazy(for_parser(text), "x.tf") if text is not None else None
        if tree is None:
            continue
        found = _top_bodies(tree)
        bodies += len(found)
        lazy += sum(fastparse.unbuilt(b) for b in found)
    assert bodies > 300 and lazy >= 0.9 * bodies, (lazy, bodies)


# Bodies that the eager reading leaves to python-hcl2 (which rejects them or reads them its
# own way): the whole file still is, at once, whatever block they are in.
STRUCTURAL = {
    "newline before =": 'resource "a" "b" {\n  x\n  = 1\n}\n',
    "newline after =": 'resource "a" "b" {\n  x =\n  1\n}\n',
    "comment before =": 'resource "a" "b" {\n  x /* c */ = 1\n}\n',
    "a name python-hcl2 does not lex as one": 'resource "a" "b" {\n  n\u00e9 = 1\n}\n',
    "newline in a nested block's head": 'resource "a" "b" {\n  dynamic\n  "c" {\n  }\n}\n',
    "comment in a nested block's head": 'resource "a" "b" {\n  c /* x */ "d" {\n  }\n}\n',
    "a name in a nested block": 'resource "a" "b" {\n  c {\n    \u00e9 = 1\n  }\n}\n',
    "a no-break space": 'resource "a" "b" {\n  x = 1\u00a0\n}\n',
}


@pytest.mark.parametrize("text", STRUCTURAL.values(), ids=STRUCTURAL.keys())
def test_a_body_the_eager_reading_declines_declines_the_file(text: str) -> None:
    assert parse_fast(for_parser(text)) is None
    assert parse_lazy(for_parser(text), "m.tf") is None
    agree(text)


def test_a_body_set_twice_is_read_at_once() -> None:
    """An argument set twice is the file's error (the loader says so): its body is built at
    once, in whichever block, so that the error never depends on what is used."""
    text = 'resource "a" "b" {\n  x = 1\n}\nresource "c" "d" {\n  e {\n    y = 1\n    y = 2\n  }\n}\n'
    bodies = _top_bodies(parse_lazy(text, "m.tf"))
    assert [fastparse.unbuilt(b) for b in bodies] == [True, False]


def test_a_lazy_body_the_fast_reader_cannot_build_is_python_hcl2s(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Should building a body later meet what only python-hcl2 may read, python-hcl2 reads
    the file and gives that body; if it rejects the file, the error names the file."""
    text = 'resource "a" "b" {\n  x = [1, 2] # c\n  y {\n    z = "s"\n  }\n}\nw = 1\n'
    tree = parse_lazy(text, "mod/m.tf")
    (body,) = _top_bodies(tree)
    assert fastparse.unbuilt(body)

    def refuse(self: object, node: object, kids: object) -> None:
        raise fastparse._Fallback

    monkeypatch.setattr(fastparse._Builder, "body_elements", refuse)
    assert first_difference(tree, reference(text)) is None
    assert type(body.children[0].children[-1]) is not fastparse._LazyValue  # type: ignore[attr-defined]

    tree = parse_lazy(text, "mod/m.tf")
    (body,) = _top_bodies(tree)

    def rejects(text: str, **kwargs: object) -> object:
        raise ParseError("cannot parse HCL: unexpected 'x'", file="mod/m.tf", line=2)

    monkeypatch.setattr(parse, "_parse_reference", rejects)
    for _ in range(2):  # asked again, the same error
        with pytest.raises(ParseError) as err:
            body.children  # type: ignore[attr-defined]  # noqa: B018
        assert err.value.file == "mod/m.tf"


def test_a_lazy_body_pickles_and_copies_as_a_plain_tree() -> None:
    import copy
    import pickle

    from lark import Tree

    text = 'a "b" {\n  c = [1, 2]\n}\nd {}\n'
    for body in _top_bodies(parse_lazy(text, "m.tf")):
        back = pickle.loads(pickle.dumps(body))
        assert type(back) is Tree and back == body  # (lark's tokens pickle without end_pos)
        assert (back.meta.empty, back.meta.start_pos, back.meta.end_pos) == (
            body.meta.empty, body.meta.start_pos, body.meta.end_pos)  # type: ignore[attr-defined]
    for body in _top_bodies(parse_lazy(text, "m.tf")):
        deep = copy.deepcopy(body)
        assert type(deep) is Tree and deep == body and deep.meta is body.meta  # type: ignore[attr-defined]
        assert first_difference(body.copy(), body) is None  # type: ignore[attr-defined]


def _blocks(text: str) -> list[object]:
    from lpgen.terraform.loader import _blocks_of
    from lpgen.terraform.parse import SourceFile

    found = _blocks_of(SourceFile(Path("m.tf"), "m.tf", text), False)
    assert isinstance(found, list)
    return list(found)


def _shape(block: object) -> object:
    """What the loader keeps of a block: type, labels, where it and each argument are,
    every expression, nested blocks."""
    from lpgen.terraform.loader import Block
    from lpgen.terraform.parse import span

    assert isinstance(block, Block)
    return (
        block.type, block.labels, span(block.node),
        {k: (span(v), span(block.attr_nodes[k]), v) for k, v in block.attrs.items()},
        [_shape(b) for b in block.blocks],
    )


def test_blocks_taken_apart_when_used_equal_those_of_python_hcl2(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lpgen.terraform.loader import Block

    compared = lazy = 0
    for path in _files():
        text = _text(path)
        if text is None or len(text) > 200_000:
            continue
        monkeypatch.setenv("LPGEN_PARSER", "python-hcl2")
        try:
            ref = _blocks(text)
        except AssertionError:
            continue  # a file python-hcl2 rejects
        monkeypatch.setenv("LPGEN_PARSER", "auto")
        fast = _blocks(text)
        lazy += sum(isinstance(b, Block) and b._pending is not None for b in fast)
        assert [_shape(b) for b in fast] == [_shape(b) for b in ref], path
        compared += len(fast)
    assert compared > 300 and lazy > 0.9 * compared


def _run(tree: Path, reader: str, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "LPGEN_PARSER": reader}
    res = CliRunner().invoke(main, ["inventory", str(tree), "--no-cache", *args], env=env)
    return res.exit_code, res.stdout, res.stderr


def test_an_argument_set_twice_in_an_unrelated_resource_is_still_the_files_error(
    tmp_path: Path,
) -> None:
    (tmp_path / "iam.tf").write_text(
        'resource "aws_iam_user" "u" {\n  name = "ana"\n}\n'
        'resource "aws_instance" "i" {\n  ami = "x"\n  root_block_device {\n'
        '    volume_size = 8\n    volume_size = 9\n  }\n}\n'
    )
    (tmp_path / "ok.tf").write_text('resource "aws_iam_user" "b" {\n  name = "bo"\n}\n')
    for args in ((), ("--strict",)):
        fast = _run(tmp_path, "auto", *args)
        assert fast == _run(tmp_path, "python-hcl2", *args)
        assert 'iam.tf:8: attribute redefined: the argument "volume_size" was already set at' \
            " iam.tf:7 (each argument may be set only once)" in fast[2]
    users = json.loads(_run(tmp_path, "auto", "--format", "json")[1])["users"]
    assert [u["name"] for u in users] == ["bo"]


def test_what_is_never_used_in_a_nested_block_is_not_judged(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_user" "u" {\n  name = "ana"\n}\n'
        'resource "aws_instance" "i" {\n  ebs_block_device {\n    volume_size = var.n -10\n'
        '  }\n}\n'
    )
    code, out, err = _run(tmp_path, "auto", "--format", "json")
    assert code == 0, err
    assert [u["name"] for u in json.loads(out)["users"]] == ["ana"]


def test_what_tree_sitter_read_is_let_go_once_built() -> None:
    """tree-sitter's tree takes about 90 bytes a character: a value or body built later
    keeps it only until it is built."""
    text = 'resource "a" "b" {\n  x = [1]\n}\n'
    (body,) = _top_bodies(parse_lazy(text, "m.tf"))
    assert body._file is not None  # type: ignore[attr-defined]
    value = body.children[1].children[-1]  # type: ignore[attr-defined]
    assert body._file is None and value._file is not None  # type: ignore[attr-defined]
    assert value.children and value._file is None


def test_a_big_file_read_in_pieces_is_read_again_block_by_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A big file is read piece by piece so that only one piece's trees are whole at a
    time: nothing of a piece's reading is kept, each block is taken apart from its own text
    when used, and gives what python-hcl2's reading of the file gives."""
    from lpgen.terraform import chunks
    from lpgen.terraform.loader import _Reread

    text = "".join(
        f'resource "aws_instance" "i{i}" {{\n  ami = "a-{i}"\n  tags = {{ n = {i} }}\n}}\n'
        for i in range(200)
    )
    monkeypatch.setattr(chunks, "CHUNK_MIN_CHARS", 1000)
    fast = _blocks(text)
    assert len(fast) == 200
    assert all(isinstance(b._pending, _Reread) for b in fast)  # type: ignore[attr-defined]
    monkeypatch.setenv("LPGEN_PARSER", "python-hcl2")
    assert [_shape(b) for b in fast] == [_shape(b) for b in _blocks(text)]


_gaps = st.sampled_from(["\n", "\n  ", "\n\n  ", " # c\n  ", "\n  /* c */ ", " ", "\n// c\n"])


@st.composite
def _block_layouts(draw: st.DrawFn) -> str:
    """Blocks with arguments and nested blocks, newlines and comments between (and, now and
    then, where python-hcl2's grammar has no place for them)."""
    def body(depth: int) -> str:
        out = []
        for i in range(draw(st.integers(0, 3))):
            out.append(draw(_gaps))
            if depth < 2 and draw(st.booleans()):
                head = draw(st.sampled_from(["n", 'dynamic "d"', 'n "x" "y"', "n\n", "n /* c */"]))
                out.append(f"{head} {{{body(depth + 1)}}}")
            else:
                sep = draw(st.sampled_from([" = ", " =", "= ", " = ", "\n = ", " =\n "]))
                name = draw(st.sampled_from(["a", "b", "for_each", "true"]))
                value = draw(st.one_of(_leaves, _leaves.map(lambda e: f"{e} +\n  1")))
                out.append(f"{name}{i}{sep}{value}")
        out.append(draw(_gaps))
        return "".join(out)

    blocks = [f'resource "t" "n{i}" {{{body(0)}}}\n' for i in range(draw(st.integers(1, 3)))]
    return "".join(blocks)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_block_layouts())
def test_generated_blocks_read_the_same_built_now_or_later(text: str) -> None:
    agree(text)
    lazy, eager = parse_lazy(for_parser(text), "m.tf"), parse_fast(for_parser(text))
    if lazy is not None and eager is not None:
        for a, b in reversed(list(zip(_top_bodies(lazy), _top_bodies(eager), strict=True))):
            assert first_difference(a, b) is None
