"""The account map reads the values of provider and variable blocks and of tfvars files from
the fast reader's tree itself (lpgen.account_map._read_values), and hands python-hcl2's
transformer only what it does not read. python-hcl2's transformer over the same tree
(lpgen.account_map._loads) is the reference: the same values, the same accounts, the same
reasons a root is not mapped, on every fixture and example, on provider, variable and tfvars
files of public repositories (tests/data/account_map/real) and on edge cases written here."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import lpgen.account_map as am
from lpgen.account_map import account_map_to_json, map_roots, render_account_map

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "data" / "account_map" / "real"
FIXTURES = (ROOT / "tests" / "data", ROOT / "terraform_examples", ROOT / "benchmarks")
# What python-hcl2 adds to a body's values and the map never reads.
MARKERS = {"__comments__", "__inline_comments__", "__is_block__"}
_ALL_VARIABLES = re.compile(r'^[ \t]*variable[ \t]+"[^"\n]*"', re.M)
# How the map found provider and variable lines before (a regex anchored at each line).
_PROVIDER_LINE = re.compile(r'^[ \t]*provider[ \t]+"?aws"?[ \t]*\{', re.M)
_VARIABLE_LINE = re.compile(r'^[ \t]*variable[ \t]+"([^"\n]*)"', re.M)


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in MARKERS}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _reference(text: str, blocks_only: bool = False) -> Any:
    return am._loads(text, blocks_only)


def _outcome(read: Any, text: str, blocks_only: bool) -> tuple[str, Any]:
    try:
        return "values", _strip(read(text, blocks_only))
    except Exception:  # the map reads such a text as unreadable, whichever way it failed
        return "error", None


def _blocks(text: str) -> str | None:
    """What the map cuts out of a .tf file: its aws provider blocks and variable blocks."""
    starts = [m.start() for m in _PROVIDER_LINE.finditer(text)]
    starts += [m.start() for m in _ALL_VARIABLES.finditer(text)]
    pieces = []
    for start in starts:
        brace = text.find("{", start)
        end = am._block_end(text, brace) if brace >= 0 else -1
        if end < 0:
            return None
        pieces.append(text[start:end])
    return "\n".join(pieces) + "\n"


def assert_same_values(text: str, where: str) -> None:
    """Whole (as a tfvars file is read) and cut to provider and variable blocks."""
    assert _outcome(am._read_values, text, False) == _outcome(_reference, text, False), where
    blocks = _blocks(text)
    if blocks is not None:
        assert _outcome(am._read_values, blocks, True) == _outcome(_reference, blocks, True), \
            where


def _files(*bases: Path) -> list[Path]:
    return sorted(
        p for base in bases for p in base.rglob("*")
        if p.is_file() and p.suffix in (".tf", ".tfvars")
    )  # fmt: skip


def _text(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return None


def test_every_fixture_and_example_gives_python_hcl2s_values() -> None:
    compared = 0
    for path in _files(*FIXTURES):
        text = _text(path)
        if text is not None:
            assert_same_values(text, str(path))
            compared += 1
    assert compared > 100


@pytest.mark.parametrize("path", _files(REAL), ids=lambda p: p.relative_to(REAL).as_posix())
def test_real_provider_variable_and_tfvars_files_give_python_hcl2s_values(path: Path) -> None:
    text = _text(path)
    assert text is not None
    assert_same_values(text, str(path))


EDGE_CASES = {
    "heredoc default": 'variable "a" {\n  default = <<EOF\n111122223333\nEOF\n}\n',
    "indented heredoc": 'variable "a" {\n  default = <<-EOT\n    arn:aws:iam::1:role/x\n  EOT\n}\n',
    "interpolations": (
        'provider "aws" {\n  assume_role {\n'
        '    role_arn = "arn:aws:iam::${var.a}:role/${local.m["k"].x}-${var.l[0]}-$${no}"\n'
        '  }\n}\n'
    ),
    "interpolated call and condition": (
        'provider "aws" {\n  assume_role {\n    role_arn = "arn:aws:iam::${lookup(var.m, "k", '
        '"1")}:role/${var.x == "" ? "a" : var.x}"\n  }\n}\n'
    ),
    "nested blocks": (
        'provider "aws" {\n  assume_role {\n    role_arn = var.r\n    session_name = "s"\n'
        '    tags = { a = "b" }\n    inner {\n      x = 1\n    }\n  }\n  assume_role {\n'
        '    role_arn = "arn:aws:iam::111122223333:role/two"\n  }\n  default_tags {\n'
        '    tags = { team = "x" }\n  }\n}\n'
    ),
    "comments everywhere": (
        '# top\nprovider "aws" { # after brace\n  /* block */ allowed_account_ids = [ # in\n'
        '    "111122223333", // one\n    var.b, # two\n  ] # after\n  // end\n}\n'
        'variable "b" {\n  # c\n  default = "222233334444" # d\n}\n'
    ),
    "aliases": (
        'provider "aws" {\n  alias = "eu"\n  allowed_account_ids = ["111122223333"]\n}\n'
        'provider aws {\n  alias = "us"\n  allowed_account_ids = var.ids\n}\n'
    ),
    "for expressions": (
        'provider "aws" {\n  allowed_account_ids = [for a in var.accounts : a.id if a.on]\n}\n'
        'variable "m" {\n  default = { for k, v in var.x : k => v... }\n}\n'
    ),
    "conditionals and operators": (
        'provider "aws" {\n  assume_role {\n    role_arn = !var.ci ? null : var.x != null '
        '&& var.y ? "arn:aws:iam::${var.a}:role/r" : local.arn\n  }\n'
        '  allowed_account_ids = [var.a == "" ? "111122223333" : var.a, 1 + 2 * -3]\n}\n'
    ),
    "multi-line operators": (
        'variable "a" {\n  default = (var.x\n    + 1)\n}\nvariable "b" {\n  default = var.y ?\n'
        '    "1" :\n    "2"\n}\n'
    ),
    "function calls": (
        'provider "aws" {\n  allowed_account_ids = concat(var.a, [data.x.y.account_id], '
        'split(",", var.c)...)\n  assume_role {\n    role_arn = coalesce(var.a, '
        'module.m.arn, provider::aws::arn_build("aws", "iam", "", "1", "role/x"))\n  }\n}\n'
    ),
    "splats and indexes": (
        'provider "aws" {\n  allowed_account_ids = [var.a[*].id, var.b.*.id, var.c[0].d, '
        'var.e.0, var.f[var.g], data.x[each.key]["k"]]\n}\n'
    ),
    "parentheses": (
        'provider "aws" {\n  allowed_account_ids = [(var.a), ("111122223333"), (1), ((var.b))]\n'
        '  assume_role {\n    role_arn = (var.r)\n  }\n}\n'
    ),
    "numbers and literals": (
        'provider "aws" {\n  allowed_account_ids = [111122223333, -1, 1.5, 1e3, -2.5e-3, true, '
        'null, false]\n}\nvariable "n" {\n  default = 111122223333\n}\n'
        'variable "t" {\n  default = true\n}\nvariable "z" {\n  default = null\n}\n'
    ),
    "objects": (
        'variable "o" {\n  default = {\n    a = "1"\n    "b" = [1, "2"]\n    3 = { c = var.x }\n'
        '    true = false\n    (var.k) = 1\n    "${var.p}-q" : "r",\n  }\n}\n'
        'provider "aws" {\n  allowed_account_ids = [{ a = 1 }]\n}\n'
    ),
    "tuples and objects in calls": (
        'provider "aws" {\n  allowed_account_ids = flatten([["1"], { a = [var.x] }, [for x in '
        'y : x]])\n}\n'
    ),
    "escapes and unicode": (
        'variable "s" {\n  default = "a\\"b\\\\c\\n\\u00e9 é ${var.x} %%{no} $ % \\t"\n}\n'
        'variable "e" {\n  default = ""\n}\n'
    ),
    "template directives": (
        'variable "d" {\n  default = "%{ if var.x }111122223333%{ else }2%{ endif }"\n}\n'
    ),
    "duplicate arguments": (
        'provider "aws" {\n  allowed_account_ids = ["1"]\n  allowed_account_ids = ["2"]\n}\n'
    ),
    "block after an argument of its name": (
        'provider "aws" {\n  assume_role = { role_arn = "x" }\n  assume_role {\n'
        '    role_arn = "y"\n  }\n}\n'
    ),
    "argument after a block of its name": (
        'provider "aws" {\n  assume_role {\n    role_arn = "y"\n  }\n'
        '  assume_role = [{ role_arn = "arn:aws:iam::111122223333:role/x" }]\n}\n'
    ),
    "marker names as arguments": (
        '__comments__ = "111122223333"\n__is_block__ = "1"\naccount_id = "111122223333"\n'
    ),
    "labels": (
        'provider "aws" "extra" {\n  allowed_account_ids = ["1"]\n}\n'
        'variable x {\n  default = "1"\n}\n'
    ),
    "tfvars": (
        'account_id = "111122223333"\nregion = "eu-west-1" # r\nsizes = [1, 2]\n'
        'tags = {\n  Team = "x"\n  "Cost Centre" = 12\n}\nflag = true\nname = null\n'
        'arn = "arn:aws:iam::${var.a}:role/x"\nnum = 1.0\n'
    ),
    "tfvars with a block": 'account_id = "111122223333"\nblock {\n  x = 1\n}\n',
    "crlf and bom": '\ufeffaccount_id = "111122223333"\r\nregion = "eu"\r\n',
    "empty": "",
    "not hcl": 'provider "aws" {\n  allowed_account_ids = [\n}\n',
}


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_cases_give_python_hcl2s_values(name: str) -> None:
    text = EDGE_CASES[name]
    assert _outcome(am._read_values, text, False) == _outcome(_reference, text, False)
    assert _outcome(am._read_values, text, True) == _outcome(_reference, text, True)


# --- the map itself: the new reading against python-hcl2's -------------------------------------


def _block_end_reference(text: str, start: int) -> int:
    """The map's block cutter as it was, one character at a time."""
    depth, i, n = 0, start, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c == "#" or text.startswith("//", i):
            i = text.find("\n", i)
            if i < 0:
                return -1
        elif text.startswith("/*", i):
            i = text.find("*/", i)
            if i < 0:
                return -1
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


def test_block_ends_are_found_where_a_character_by_character_scan_finds_them() -> None:
    rng = random.Random(7)
    alphabet = ['"', "\\", "#", "/", "*", "{", "}", "\n", "a", " "]
    for _ in range(20000):
        text = "{" + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert am._block_end(text, 0) == _block_end_reference(text, 0), repr(text)
    for path in _files(*FIXTURES, REAL):
        text = _text(path) or ""
        for brace in [m.start() for m in re.finditer(r"\{", text)][:50]:
            assert am._block_end(text, brace) == _block_end_reference(text, brace), path


def test_provider_and_variable_lines_are_found_where_a_line_anchored_regex_finds_them() -> None:
    rng = random.Random(11)
    words = ["provider", "variable", " ", "\t", "\n", '"', "aws", "{", "x", '"a"', "#", "\r"]
    texts = ["".join(rng.choice(words) for _ in range(rng.randint(0, 30))) for _ in range(20000)]
    texts += [_text(p) or "" for p in _files(*FIXTURES, REAL)]
    for text in texts:
        for new, old in ((am._PROVIDER_LINE, _PROVIDER_LINE), (am._VARIABLE_LINE, _VARIABLE_LINE)):
            found = [(line, m.groups()) for line, m in am._line_starts(new, text)]
            assert found == [(m.start(), m.groups()) for m in old.finditer(text)], repr(text)


@pytest.fixture
def reference_reading(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Within ``with reference_reading():`` the map reads every value with python-hcl2's
    transformer and cuts blocks one character at a time, as before."""
    import contextlib

    @contextlib.contextmanager
    def use() -> Any:
        with monkeypatch.context() as m:
            m.setattr(am, "_read_values", _reference)
            m.setattr(am, "_block_end", _block_end_reference)
            yield

    return use


def _said(directory: Path, rel: str) -> Any:
    """What the map says of ``directory`` as a root, and what it read there."""
    root = am._Root(directory, sorted(directory.glob("*.tf")))
    providers = [
        (_strip(body.get("allowed_account_ids")), _strip(body.get("assume_role")), file.name,
         root.lines[file])
        for body, file in root.providers
    ]
    return (am._from_code(root, rel), root.values, root.value_files, root.variants, providers)


def _directories(base: Path) -> list[Path]:
    return sorted({p.parent for p in base.rglob("*") if p.suffix in (".tf", ".tfvars")})


def test_every_real_directory_read_as_a_root_is_mapped_the_same(reference_reading: Any) -> None:
    directories = _directories(REAL)
    assert len(directories) >= 10
    for directory in directories:
        rel = directory.relative_to(REAL).as_posix()
        new = _said(directory, rel)
        with reference_reading():
            assert _said(directory, rel) == new, rel


def test_every_fixture_directory_read_as_a_root_is_mapped_the_same(reference_reading: Any) -> None:
    compared = 0
    for base in FIXTURES:
        for directory in _directories(base):
            rel = directory.relative_to(ROOT).as_posix()
            new = _said(directory, rel)
            with reference_reading():
                assert _said(directory, rel) == new, rel
            compared += 1
    assert compared > 50


CASES = {
    "tfvars/main.tf": 'variable "account_id" {}\nprovider "aws" {\n  region = var.region\n'
    "  allowed_account_ids = [var.account_id] # prod\n}\n",
    "tfvars/terraform.tfvars": 'account_id = "111111111111"\nregion = "eu-west-1"\n',
    "variants/main.tf": 'variable "acct" {\n  type = string\n}\nprovider "aws" {\n'
    '  assume_role {\n    role_arn = "arn:aws:iam::${var.acct}:role/ci"\n'
    '    session_name = "ci-${var.run}"\n  }\n}\n',
    "variants/env/prod.tfvars": 'acct = "222222222222"\nsizes = [1, 2]\n',
    "variants/env/dev.tfvars": 'acct = "333333333333" // dev\n',
    "heredoc/main.tf": 'variable "account_id" {\n  default = <<EOF\n444444444444\nEOF\n}\n',
    "conditional/main.tf": 'provider "aws" {\n  alias = "x"\n  assume_role {\n'
    '    role_arn = !can(regex("Plan", data.aws_caller_identity.current.arn)) ? '
    '"arn:aws:iam::${var.a}:role/ReadOnly" : "arn:aws:iam::${var.a}:role/Admin"\n  }\n}\n',
    "calls/main.tf": 'provider "aws" {\n  allowed_account_ids = [coalesce(var.a, local.b), '
    '"12345"]\n}\n',
    "forexpr/main.tf": 'provider "aws" {\n  allowed_account_ids = [for a in local.accounts : '
    "a.id]\n}\n",
    "numbers/main.tf": 'provider "aws" {\n  allowed_account_ids = [555555555555]\n}\n'
    'variable "aws_account_id" {\n  default = 666666666666\n}\n',
    "local_index/main.tf": 'provider "aws" {\n  assume_role {\n    role_arn = "arn:aws:iam::'
    '${local.environment_management.account_ids[terraform.workspace]}:role/Access"\n  }\n}\n',
}
IAM = 'resource "aws_iam_user" "u" {\n  name = "u"\n}\n'


def _tree(tmp_path: Path) -> Path:
    for rel, text in CASES.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if rel.endswith("/main.tf"):
            (path.parent / "iam.tf").write_text(IAM, encoding="utf-8")
    return tmp_path


def test_hand_written_roots_are_mapped_as_before(tmp_path: Path, reference_reading: Any) -> None:
    top = _tree(tmp_path)
    new = map_roots(top)
    with reference_reading():
        assert map_roots(top) == new
    assert render_account_map(new) == (
        "\nAccounts per root module\n"
        "  tfvars: 111111111111 (allowed_account_ids, tfvars/main.tf:2)\n"
        "  variants: 222222222222, 333333333333 (assume_role, variants/main.tf:4 with "
        "variants/env/dev.tfvars, variants/env/prod.tfvars)\n"
        "  calls: not mapped (allowed_account_ids in main.tf:1 is not known statically "
        "(coalesce(var.a, local.b)); allowed_account_ids in main.tf:1: '12345' is not an "
        "account)\n"
        "  conditional: not mapped (assume_role in main.tf:1 is not known statically "
        '(!can(regex("Plan", data.aws_caller_identity.current.arn)) ? "arn:aw...))\n'
        "  forexpr: not mapped (allowed_account_ids in main.tf:1 is not known statically "
        "([for a in local.accounts : a.id]))\n"
        "  heredoc: not mapped (no provider aws account, role ARN or account_id variable, and "
        "no entry in the config's accounts table)\n"
        "  local_index: not mapped (assume_role in main.tf:1 is not known statically "
        "(arn:aws:iam::${local.environment_management.account_ids[terraform.w...))\n"
        "  numbers: not mapped (allowed_account_ids in main.tf:1 is not known statically "
        "(555555555555))\n"
    )


def _map_of(top: Path) -> Any:
    try:
        return account_map_to_json(map_roots(top))
    except Exception as exc:  # a tree the reader refuses: refused the same way
        return str(exc)


def test_fixture_and_example_trees_are_mapped_as_before(reference_reading: Any) -> None:
    """The examples, the vendored files, and each directory of tests/data as one tree."""
    data = ROOT / "tests" / "data"
    tops = [ROOT / "terraform_examples", REAL, *sorted(p for p in data.glob("*/*") if p.is_dir())]
    mapped = 0
    for top in tops:
        new = _map_of(top)
        with reference_reading():
            assert _map_of(top) == new, top
        mapped += isinstance(new, dict) and bool(new["mapped"] or new["unmapped"])
    assert mapped > 10


def _imports_hcl2(top: Path) -> bool:
    code = textwrap.dedent(f"""
        import sys
        from lpgen.account_map import map_roots
        map_roots({str(top)!r})
        print("hcl2" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    return out.stdout.strip() == "True"


def test_python_hcl2_is_loaded_only_for_what_the_map_does_not_read_itself(
    tmp_path: Path,
) -> None:
    top = _tree(tmp_path)
    shutil.rmtree(top / "forexpr")
    assert not _imports_hcl2(top)  # templates, calls, conditionals, heredocs, numbers
    (top / "calls" / "more.tf").write_text(
        'variable "account_id" {\n  default = [for a in local.b : a]\n}\n', encoding="utf-8")
    assert _imports_hcl2(top)  # a for expression: python-hcl2 reads it


def test_with_python_hcl2_as_the_only_reader_the_map_is_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    top = _tree(tmp_path)
    tops = [top, REAL, ROOT / "terraform_examples"]
    fast = [_map_of(t) for t in tops]
    monkeypatch.setenv("LPGEN_PARSER", "python-hcl2")
    assert [_map_of(t) for t in tops] == fast
