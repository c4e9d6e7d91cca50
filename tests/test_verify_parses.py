"""trim's check that every rewritten file still parses is python-hcl2's verdict.

The check runs python-hcl2's own grammar and lark parser, loaded from python-hcl2's grammar
cache but building no tree (:func:`lpgen.terraform.parse.recognised`); a file it does not
accept is parsed again by python-hcl2 proper, whose error (message and line) is the one
shown. Checked here against ``hcl2.parses`` / ``hcl2.loads`` on every fixture and example
(real files and trim's golden rewrites among them), on broken versions of each, and with
python-hcl2's grammar cache missing, stale or unusable (python-hcl2's parser then decides).
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import hcl2
import hcl2.parser
import pytest
from lark.exceptions import UnexpectedInput

from lpgen.errors import ParseError
from lpgen.rewrite import EditError, FileChange, verify_parses
from lpgen.terraform import cache as cache_mod
from lpgen.terraform import parse
from lpgen.terraform.parse import for_parser, join_multiline_interpolations, recognised

ROOT = Path(__file__).resolve().parent.parent


def _texts() -> list[tuple[str, str]]:
    out = []
    for base in (ROOT / "tests" / "data", ROOT / "terraform_examples"):
        for path in sorted(base.rglob("*.tf")):
            try:
                out.append((path.relative_to(ROOT).as_posix(), path.read_bytes().decode("utf-8")))
            except UnicodeDecodeError:
                continue  # not read at all (tested elsewhere)
    return out


TEXTS = _texts()


def _broken(text: str, seed: int) -> list[str]:
    """Versions of ``text`` with one edit: cut short, a character dropped or one inserted."""
    rnd = random.Random(seed)
    out = [text[: len(text) // 3], text[: 2 * len(text) // 3]]
    for _ in range(4):
        i = rnd.randrange(len(text))
        out.append(text[:i] + text[i + 1 :])
        out.append(text[:i] + rnd.choice('{}[]()"=,\n<$%') + text[i:])
    return out


def _hcl2_parses(text: str) -> None:
    if text.endswith("\n"):
        hcl2.parses(text[:-1])  # which gives python-hcl2's parser the text with "\n" added
    else:
        hcl2.parser.parser().parse(text)  # lpgen adds no newline


def hcl2_reads(text: str) -> bool:
    """python-hcl2's own verdict (``hcl2.parses``) on the text as lpgen gives it to it: the
    same fixes, and a second try with multi-line interpolations joined."""
    fixed = for_parser(text)
    try:
        _hcl2_parses(fixed)
        return True
    except UnexpectedInput:
        joined = join_multiline_interpolations(fixed)
        if joined == fixed:
            return False
    try:
        _hcl2_parses(joined)
        return True
    except UnexpectedInput:
        return False


def reference_error(text: str, rel: str) -> tuple[str, int | None] | None:
    """What lpgen reported before: python-hcl2's parser proper, its error as lpgen shows it."""
    try:
        parse.parse_hcl(text, rel=rel, reference=True)
    except ParseError as exc:
        return exc.message, exc.line
    return None


def shown(error: ParseError | None) -> tuple[str, int | None] | None:
    return None if error is None else (error.message, error.line)


@pytest.fixture(autouse=True, scope="module")
def _python_hcl2s_cache_written() -> None:
    """python-hcl2 writes its grammar cache the first time its parser is loaded (in a new
    environment, maybe after this process looked for it): load it, look again."""
    hcl2.parser.parser()
    parse._recogniser.cache_clear()


@pytest.fixture
def fresh_recogniser() -> Iterator[None]:
    recogniser = parse._recogniser
    recogniser.cache_clear()
    try:
        yield
    finally:
        recogniser.cache_clear()


def test_the_recogniser_is_python_hcl2s_grammar_and_parser() -> None:
    """Loaded from python-hcl2's own cache, with its rules, terminals and parse table."""
    reference = hcl2.parser.parser()  # writes python-hcl2's grammar cache when missing
    parse._recogniser.cache_clear()
    recogniser = parse._recogniser()
    assert recogniser is not None
    assert [str(r) for r in recogniser.rules] == [str(r) for r in reference.rules]
    assert sorted((t.name, t.pattern.value) for t in recogniser.terminals) == sorted(
        (t.name, t.pattern.value) for t in reference.terminals
    )
    assert recogniser.parser.parser.parser.parse_table.states.keys() == (
        reference.parser.parser.parser.parse_table.states.keys()
    )
    assert not recogniser.options.propagate_positions
    assert recogniser.parse("a = [1, 2]\n") is not None  # and no tree comes out of it
    assert not hasattr(recogniser.parse("a = [1, 2]\n"), "data")


@pytest.mark.parametrize("rel,text", TEXTS, ids=[rel for rel, _ in TEXTS])
def test_every_fixture_and_example_is_accepted_as_python_hcl2_reads_it(rel: str, text: str) -> None:
    assert hcl2_reads(text)
    hcl2.loads(for_parser(text))  # python-hcl2 reads it whole, too
    assert recognised(text)
    assert cache_mod.check_parses([(text, rel)], jobs=1) == [None]


BROKEN = [(rel, n, text) for n, (rel, text) in enumerate(TEXTS) if text.strip()]


@pytest.mark.parametrize("rel,n,text", BROKEN, ids=[rel for rel, _, _ in BROKEN])
def test_broken_versions_get_python_hcl2s_verdict_and_error(rel: str, n: int, text: str) -> None:
    """Broken real files: the same verdict as hcl2.parses, the same error (message and line)
    as python-hcl2's parser proper gave before."""
    for broken in _broken(text, n):
        expected = hcl2_reads(broken)
        assert recognised(broken) == expected, broken
        (verdict,) = cache_mod.check_parses([(broken, rel)], jobs=1)
        assert (verdict is None) == expected
        assert shown(verdict) == reference_error(broken, rel)
        if verdict is not None:
            assert verdict.file == rel


def test_the_broken_versions_are_of_both_kinds() -> None:
    verdicts = [recognised(b) for rel, n, text in BROKEN for b in _broken(text, n)]
    assert verdicts.count(False) > 300 and verdicts.count(True) > 100


def test_multiline_interpolation_is_accepted_as_python_hcl2_reads_it() -> None:
    """python-hcl2 rejects newlines inside an interpolation of a quoted string; lpgen gives it
    the text with them joined, here as everywhere."""
    text = 'a = "${max(\n1, 2)}"\n'
    assert not recognised(text.replace("${max(\n1, 2)}", "${max(\n1, 2)"))
    assert recognised(text)
    assert cache_mod.check_parses([(text, "m.tf")], jobs=1) == [None]


def _cache_variants(tmp_path: Path) -> dict[str, Path]:
    real = Path(hcl2.parser.PARSER_FILE)
    hcl2.parser.parser()  # make sure python-hcl2 wrote it
    stale = tmp_path / "stale.bin"
    data = real.read_bytes()
    stale.write_bytes(b"0" * 64 + data[data.index(b"\n") :])
    truncated = tmp_path / "truncated.bin"
    truncated.write_bytes(data[: len(data) // 2])
    return {"missing": tmp_path / "missing.bin", "stale": stale, "truncated": truncated}


@pytest.mark.parametrize("variant", ["missing", "stale", "truncated"])
def test_without_python_hcl2s_grammar_cache_python_hcl2_decides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_recogniser: None, variant: str
) -> None:
    """A missing, stale (another grammar, lark or Python) or unreadable cache is not used:
    python-hcl2's parser gives the verdicts and errors, the same ones."""
    items = [(text, rel) for rel, text in TEXTS[:40]]
    items += [(b, rel) for n, (rel, text) in enumerate(TEXTS[:40]) for b in _broken(text, n)[:3]]
    before = [shown(v) for v in cache_mod.check_parses(items, jobs=1)]
    monkeypatch.setattr(hcl2.parser, "PARSER_FILE", _cache_variants(tmp_path)[variant])
    parse._recogniser.cache_clear()
    assert parse._recogniser() is None
    asked: list[str] = []
    real = parse._parse_reference

    def spy(text: str, **kwargs: object) -> object:
        asked.append(text)
        return real(text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(parse, "_parse_reference", spy)
    assert [shown(v) for v in cache_mod.check_parses(items, jobs=1)] == before
    assert len(asked) >= len(items)  # python-hcl2's parser read every one


def test_a_recogniser_failure_leaves_the_verdict_to_python_hcl2(
    monkeypatch: pytest.MonkeyPatch, fresh_recogniser: None
) -> None:
    class Broken:
        def parse(self, text: str) -> object:
            raise RuntimeError("not this way")

    monkeypatch.setattr(parse, "_recogniser", lambda: Broken())
    assert not recognised("a = 1\n")
    verdicts = cache_mod.check_parses([("a = 1\n", "ok.tf"), ("a = [\n", "bad.tf")], jobs=1)
    assert [shown(v) for v in verdicts] == [None, reference_error("a = [\n", "bad.tf")]


def test_trim_refuses_an_edit_python_hcl2_rejects_naming_file_and_line(tmp_path: Path) -> None:
    """What a user sees: the rewritten file that does not parse, named with python-hcl2's line;
    a file whose original did not parse either is not judged."""
    rel, good = next((r, t) for r, t in TEXTS if "aws_iam_policy" in t)
    bad = good + "\nresource \"x\" \"y\" {\n  a = [\n}\n"
    with pytest.raises(EditError) as caught:
        verify_parses([FileChange(path=rel, old=good, new=bad)], cache_dir=tmp_path)
    expected = reference_error(bad, rel)
    assert expected is not None
    assert str(caught.value) == f"{rel}:{expected[1]}: the edited file does not parse: {expected[0]}"
    verify_parses([FileChange(path=rel, old="a = [\n", new=bad)], cache_dir=tmp_path)
    verify_parses([FileChange(path=rel, old=good, new=good + "\n")], cache_dir=tmp_path)


def test_verdicts_of_parallel_checks_are_the_serial_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_mod, "VERIFY_PARALLEL_MIN_CHARS", 0)
    items = [(text, rel) for rel, text in TEXTS[:30]]
    items += [(b, rel) for n, (rel, text) in enumerate(TEXTS[:30]) for b in _broken(text, n)[:2]]
    parallel = [shown(v) for v in cache_mod.check_parses(items, jobs=2)]
    assert parallel == [shown(v) for v in cache_mod.check_parses(items, jobs=1)]
    assert parallel == [reference_error(text, rel) for text, rel in items]


def test_copying_python_hcl2s_cache_elsewhere_is_not_python_hcl2s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_recogniser: None
) -> None:
    """The key lark checks covers the cache file's own path (python-hcl2's option): the same
    bytes under another name are not used (as python-hcl2 would not use them)."""
    hcl2.parser.parser()
    copy = tmp_path / ".lark_cache.bin"
    shutil.copyfile(hcl2.parser.PARSER_FILE, copy)
    monkeypatch.setattr(hcl2.parser, "PARSER_FILE", copy)
    assert parse._recogniser() is None


_WITHOUT_HCL2_IMPORTED = """
import json, sys
from lpgen.terraform import parse
from lpgen.terraform.cache import check_parses
items = json.loads(sys.stdin.read())
good = [item for item in items if item[2]]
ok = check_parses([(t, r) for t, r, _ in good], jobs=1)
imported = "hcl2" in sys.modules
cache_file, post_lexer = parse._hcl2_parts()
out = check_parses([(t, r) for t, r, _ in items], jobs=1)
print(json.dumps({
    "imported_for_good": imported, "good": [v is None for v in ok],
    "all": [None if v is None else [v.message, v.line] for v in out],
    "cache_file": str(cache_file), "post_lexer": post_lexer.process.__code__.co_filename,
}))
"""


def test_the_check_does_not_import_python_hcl2s_package(tmp_path: Path) -> None:
    """Where nothing else imported python-hcl2, files that parse are checked without importing
    its package (its grammar cache and postlexer, from its own files); a file that does not
    parse then gets python-hcl2's error, the same one."""
    import json
    import subprocess
    import sys

    hcl2.parser.parser()
    items = [(text, rel, True) for rel, text in TEXTS[:20]]
    items += [(b, rel, hcl2_reads(b)) for n, (rel, text) in enumerate(TEXTS[:20])
              for b in _broken(text, n)[:2]]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_HCL2_IMPORTED], input=json.dumps(items),
        capture_output=True, text=True, check=True, cwd=tmp_path,
    )  # fmt: skip
    got = json.loads(done.stdout)
    assert got["imported_for_good"] is False
    assert all(got["good"])
    expected = [reference_error(text, rel) for text, rel, _ in items]
    assert [None if v is None else (v[0], v[1]) for v in got["all"]] == expected
    assert got["cache_file"] == str(hcl2.parser.PARSER_FILE)
    assert got["post_lexer"] == str(Path(hcl2.parser.__file__).parent / "postlexer.py")
