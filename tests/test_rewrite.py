"""The span rewriter: list and block edits that keep every other byte, diffs, writes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import hcl2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpgen.errors import EditError, InputError
from lpgen.model import Location, Syntax
from lpgen.rewrite import (
    Edit,
    FileChange,
    apply_edits,
    edit_file,
    list_items,
    read_source,
    render_diff,
    write_copy,
    write_in_place,
)


def _list_edits(
    text: str,
    remove: set[int] = frozenset(),  # type: ignore[assignment]
    replace: dict[int, tuple[str, ...]] | None = None,
    syntax: Syntax = "hcl",
    path: str = "main.tf",
    nth: int = 0,
) -> list[Edit]:
    """Edits for the ``nth`` list of ``text``, found the way the scanner finds elements."""
    open_pos = -1
    for _ in range(nth + 1):
        open_pos = text.index("[", open_pos + 1)
    depth, close = 0, open_pos
    for i in range(open_pos, len(text)):
        depth += {"[": 1, "]": -1}.get(text[i], 0)
        if depth == 0:
            close = i + 1
            break
    container = Location(path, 1, start=open_pos, end=close, syntax=syntax)
    from lpgen.rewrite import _scan_items, _View

    view = _View(text, open_pos, close, syntax)
    items = _scan_items(view.text, view.from_file(open_pos), view.from_file(close), view.mode)
    edits = []
    for k, it in enumerate(items):
        loc = Location(
            path, 1, start=view.to_file(it.start), end=view.to_file(it.end), syntax=syntax
        )
        if k in remove:
            edits.append(Edit("remove", loc, container))
        if replace and k in replace:
            edits.append(Edit("replace", loc, container, replace[k]))
    return edits


def edit(text: str, **kwargs: object) -> str:
    path = str(kwargs.get("path", "main.tf"))
    return apply_edits(path, text, _list_edits(text, **kwargs))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("before", "remove", "after"),
    [
        ('x = ["a", "b", "c"]\n', {1}, 'x = ["a", "c"]\n'),
        ('x = ["a", "b", "c"]\n', {2}, 'x = ["a", "b"]\n'),
        ('x = ["a", "b", "c"]\n', {0}, 'x = ["b", "c"]\n'),
        ('x = ["a", "b", "c"]\n', {1, 2}, 'x = ["a"]\n'),
        ('x = ["a", "b", "c"]\n', {0, 1}, 'x = ["c"]\n'),
        ('x = ["a", "b", "c",]\n', {2}, 'x = ["a", "b",]\n'),
        # One element per line, trailing commas: whole lines go.
        ('x = [\n  "a",\n  "b",\n  "c",\n]\n', {1}, 'x = [\n  "a",\n  "c",\n]\n'),
        ('x = [\n  "a",\n  "b",\n  "c",\n]\n', {2}, 'x = [\n  "a",\n  "b",\n]\n'),
        # No trailing comma: the new last element loses its comma, its comment stays (in
        # its column: a space takes the comma's place).
        ('x = [\n  "a",\n  "b", # c\n  "c"\n]\n', {2}, 'x = [\n  "a",\n  "b"  # c\n]\n'),
        (
            'x = [\n  "a",    # keep me\n  "b",    # c\n  "c"\n]\n',
            {1, 2},
            'x = [\n  "a"     # keep me\n]\n',
        ),
        # A comment line right above a removed element goes with it.
        ('x = [\n  "a",\n  # why b\n  "b",\n]\n', {1}, 'x = [\n  "a",\n]\n'),
        ('x = [\n  "a",\n  "b"]\n', {1}, 'x = [\n  "a"]\n'),
        ('x = [\n  "a", # k\n  "b"]\n', {1}, 'x = [\n  "a"  # k\n]\n'),
        ('x = [ "a", "b",\n  "c" ]\n', {1}, 'x = [ "a",\n  "c" ]\n'),
        ('x = ["a", "b", # note\n  "c"]\n', {1}, 'x = ["a", # note\n  "c"]\n'),
        # A /* */ comment after a removed element is about it: it goes with its line
        # instead of being left orphaned on a line of its own.
        (
            'x = [\n  "a",\n  "b", /* queue */\n  "c",\n  "d" /* last */\n]\n',
            {1, 3},
            'x = [\n  "a",\n  "c"\n]\n',
        ),
        ('x = [\n  "a", /* k */\n  "b"\n]\n', {1}, 'x = [\n  "a"  /* k */\n]\n'),
        # CRLF survives.
        ('x = [\r\n  "a",\r\n  "b",\r\n  "c"\r\n]\r\n', {2}, 'x = [\r\n  "a",\r\n  "b"\r\n]\r\n'),
        # Elements that are objects (statements), spanning lines.
        (
            "x = [\n  {\n    a = 1\n  },\n  {\n    b = 2\n  }\n]\n",
            {1},
            "x = [\n  {\n    a = 1\n  }\n]\n",
        ),
        (
            'x = ["${var.a}-x", "b", "c${"}"}"]\n',
            {1},
            'x = ["${var.a}-x", "c${"}"}"]\n',
        ),
    ],
)
def test_remove_from_hcl_list(before: str, remove: set[int], after: str) -> None:
    assert edit(before, remove=remove) == after


@pytest.mark.parametrize(
    ("before", "remove", "after"),
    [
        ('{"A": ["a","b","c"]}', {0}, '{"A": ["b","c"]}'),
        ('{"A": ["a", "b"]}', {1}, '{"A": ["a"]}'),
        ('{\n  "A": [\n    "a",\n    "b"\n  ]\n}\n', {1}, '{\n  "A": [\n    "a"\n  ]\n}\n'),
        ('{\n  "A": [\n    "a",\n    "b"\n  ]\n}\n', {0}, '{\n  "A": [\n    "b"\n  ]\n}\n'),
    ],
)
def test_remove_from_json_list(before: str, remove: set[int], after: str) -> None:
    out = edit(before, remove=remove, syntax="json", path="p.json")
    assert out == after
    json.loads(out)


def test_replace_keeps_the_list_style() -> None:
    assert edit('x = ["a", "b", "c"]\n', replace={1: ("b1", "b2")}) == (
        'x = ["a", "b1", "b2", "c"]\n'
    )
    assert edit('x = [\n  "a",\n  "b", # c\n]\n', replace={1: ("b1", "b2")}) == (
        'x = [\n  "a",\n  "b1",\n  "b2", # c\n]\n'
    )
    assert edit('x = ["a","b"]', replace={0: ("p", "q")}, syntax="json", path="p.json") == (
        'x = ["p","q","b"]'
    )


def test_a_one_line_list_that_grows_too_long_gets_one_pattern_per_line() -> None:
    many = tuple(f"s3:Pattern{i:02d}*" for i in range(8))
    out = edit('    Action = ["s3:*", "sqs:SendMessage"]\n', replace={0: many})
    lines = out.splitlines()
    assert lines[0] == "    Action = ["
    assert lines[1:9] == [f'      "{p}",' for p in many]
    assert lines[9:] == ['      "sqs:SendMessage",', "    ]"]
    assert hcl2.loads(out.replace("    Action", "Action"))["Action"] == [
        f'"{p}"' for p in (*many, "sqs:SendMessage")
    ]


def test_lone_string_becomes_a_list_only_when_needed() -> None:
    text = 'a = "s3:*"\n'
    loc = Location("main.tf", 1, start=4, end=10)
    assert apply_edits("main.tf", text, [Edit("replace", loc, None, ("s3:Get*",))]) == (
        'a = "s3:Get*"\n'
    )
    assert apply_edits("main.tf", text, [Edit("replace", loc, None, ("s3:Get*", "s3:List*"))]) == (
        'a = ["s3:Get*", "s3:List*"]\n'
    )


def test_json_inside_an_hcl_string() -> None:
    text = 'p = "{\\"Action\\": [\\"a\\", \\"b\\", \\"c\\"]}"\n'
    out = edit(text, remove={0}, replace={2: ("c1*", "c2*")}, syntax="json-in-hcl")
    assert out == 'p = "{\\"Action\\": [\\"b\\", \\"c1*\\", \\"c2*\\"]}"\n'
    assert json.loads(hcl2.loads(out)["p"][1:-1].encode().decode("unicode_escape")) == {
        "Action": ["b", "c1*", "c2*"]
    }


BLOCKS = """data "aws_iam_policy_document" "d" {
  statement {
    actions = ["a:B"]
  }

  # About the second statement.
  statement {
    actions = ["c:D"]
  }

  statement {
    actions = ["e:F"]
  }
}
"""


def _block(text: str, nth: int) -> Location:
    start = -1
    for _ in range(nth + 1):
        start = text.index("statement {", start + 1)
    end = text.index("\n  }", start) + 4
    return Location("main.tf", 1, start=start, end=end, syntax="hcl-block")


def test_remove_block_takes_its_lines_comment_and_one_blank_line() -> None:
    out = apply_edits("main.tf", BLOCKS, [Edit("remove_block", _block(BLOCKS, 1))])
    assert out == BLOCKS.replace(
        '\n  # About the second statement.\n  statement {\n    actions = ["c:D"]\n  }\n', ""
    )
    out = apply_edits("main.tf", BLOCKS, [Edit("remove_block", _block(BLOCKS, 2))])
    assert out.endswith('    actions = ["c:D"]\n  }\n}\n')
    out = apply_edits("main.tf", BLOCKS, [Edit("remove_block", _block(BLOCKS, 0))])
    assert out.startswith('data "aws_iam_policy_document" "d" {\n  # About the second')


def test_edits_inside_a_removed_statement_are_dropped() -> None:
    text = "x = [\n  {\n    A = [\"a\", \"b\"]\n  },\n  {\n    A = [\"c\"]\n  },\n]\n"
    stmts = _list_edits(text, remove={0})
    inner = _list_edits(text, remove={0}, nth=1)
    out = apply_edits("main.tf", text, [*stmts, *inner])
    assert out == "x = [\n  {\n    A = [\"c\"]\n  },\n]\n"


def test_unsafe_edits_are_refused() -> None:
    text = 'x = ["a", "b"]\n'
    container = Location("main.tf", 1, start=4, end=14)
    with pytest.raises(EditError, match=r"every element"):
        apply_edits("main.tf", text, _list_edits(text, remove={0, 1}))
    # A span that is not an element of the list (here: half of one).
    bad = Location("main.tf", 1, start=5, end=7)
    with pytest.raises(EditError, match=r"main.tf:1: cannot edit this list safely"):
        apply_edits("main.tf", text, [Edit("remove", bad, container)])


def test_list_items() -> None:
    text = 'x = [\n  "a", # one, two\n  {b = [1, 2]},\n  "${x}",\n]'
    assert list_items(text, Location("m.tf", 1, start=4, end=len(text))) == [
        '"a"',
        "{b = [1, 2]}",
        '"${x}"',
    ]


# --- diffs and writes ---------------------------------------------------------------------


def _git_apply(tmp_path: Path, files: dict[str, str], diff: str) -> dict[str, str]:
    tree = tmp_path / "apply"
    tree.mkdir()
    for name, text in files.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text(text, encoding="utf-8", newline="")
    patch = tmp_path / "p.diff"
    patch.write_text(diff, encoding="utf-8", newline="")
    subprocess.run(["git", "apply", str(patch)], cwd=tree, check=True, capture_output=True)
    return {n: read_source(tree / n) for n in files}


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_diff_applies_with_git(tmp_path: Path) -> None:
    old = "".join(f"line {i}\n" for i in range(30)) + 'x = ["a", "b"]'  # no final newline
    text = old
    change = edit_file("d/main.tf", text, _list_edits(text, remove={1}, path="d/main.tf"))
    crlf_old = "a = [\r\n  \"x\",\r\n  \"y\",\r\n]\r\n"
    crlf = edit_file("c.tf", crlf_old, _list_edits(crlf_old, remove={0}, path="c.tf"))
    diff = render_diff([change, crlf])
    assert diff.startswith("diff --git a/c.tf b/c.tf\n--- a/c.tf\n+++ b/c.tf\n@@ -1,4 +1,3 @@\n")
    assert "\\ No newline at end of file\n" in diff
    assert "line 3\n" not in diff  # three lines of context only
    applied = _git_apply(tmp_path, {"d/main.tf": old, "c.tf": crlf_old}, diff)
    assert applied == {"d/main.tf": change.new, "c.tf": crlf.new}


def test_diff_of_nothing_is_empty() -> None:
    assert render_diff([FileChange("a.tf", "x\n", "x\n")]) == ""


def test_diff_without_spans_falls_back_to_a_line_matcher() -> None:
    diff = render_diff([FileChange("a.tf", "a\nb\nc\n", "a\nc\n")])
    assert diff == "diff --git a/a.tf b/a.tf\n--- a/a.tf\n+++ b/a.tf\n@@ -1,3 +1,2 @@\n a\n-b\n c\n"


def test_write_in_place_is_atomic_and_leaves_other_files_alone(tmp_path: Path) -> None:
    (tmp_path / "a.tf").write_text("old\r\n", newline="")
    (tmp_path / "b.tf").write_text("same\n")
    os.chmod(tmp_path / "a.tf", 0o640)
    before = (tmp_path / "b.tf").stat().st_mtime_ns
    written = write_in_place(
        tmp_path, [FileChange("a.tf", "old\r\n", "new\r\n"), FileChange("b.tf", "same\n", "same\n")]
    )
    assert written == ["a.tf"]
    assert (tmp_path / "a.tf").read_bytes() == b"new\r\n"
    assert (tmp_path / "a.tf").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "b.tf").stat().st_mtime_ns == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tf", "b.tf"]


def test_write_in_place_refuses_a_file_changed_meanwhile(tmp_path: Path) -> None:
    (tmp_path / "a.tf").write_text("edited by someone\n")
    (tmp_path / "b.tf").write_text("b\n")
    with pytest.raises(EditError, match=r"a\.tf: the file changed"):
        write_in_place(
            tmp_path,
            [FileChange("b.tf", "b\n", "B\n"), FileChange("a.tf", "old\n", "new\n")],
        )
    assert (tmp_path / "b.tf").read_text() == "b\n"  # nothing written


def test_write_copy(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "mod").mkdir(parents=True)
    (src / "mod" / "a.tf").write_text("old\n")
    (src / "b.tf").write_text("b\n")
    (src / ".terraform").mkdir()
    (src / ".terraform" / "junk").write_text("x")
    out = tmp_path / "out"
    assert write_copy(src, out, [FileChange("mod/a.tf", "old\n", "new\n")]) == ["mod/a.tf"]
    assert (out / "mod" / "a.tf").read_text() == "new\n"
    assert (src / "mod" / "a.tf").read_text() == "old\n"
    assert (out / "b.tf").read_text() == "b\n"
    assert not (out / ".terraform").exists()
    with pytest.raises(InputError, match="new or empty directory"):
        write_copy(src, out, [])
    with pytest.raises(InputError, match="outside the tree"):
        write_copy(src, src / "inside", [])


# --- property: any layout, any removal ----------------------------------------------------

ACTIONS = [f"svc:Action{i}" for i in range(8)]


@st.composite
def hcl_lists(draw: st.DrawFn) -> tuple[str, list[str], list[bool]]:
    n = draw(st.integers(min_value=1, max_value=6))
    values = ACTIONS[:n]
    multiline = draw(st.booleans())
    trailing = draw(st.booleans())
    comments = [draw(st.booleans()) for _ in values]
    parts = []
    for i, v in enumerate(values):
        last = i == n - 1
        comma = "," if (not last or trailing) else ""
        if multiline:
            note = f" # note {i}" if comments[i] else ""
            parts.append(f'  "{v}"{comma}{note}\n')
        else:
            parts.append(f'"{v}"{comma}' + ("" if last else " "))
    body = "[\n" + "".join(parts) + "]" if multiline else "[" + "".join(parts) + "]"
    return f"x = {body}\n", values, [c and multiline for c in comments]


@settings(max_examples=150, deadline=None)
@given(hcl_lists(), st.data())
def test_any_removal_keeps_exactly_the_rest(
    case: tuple[str, list[str], list[bool]], data: st.DataObject
) -> None:
    text, values, comments = case
    n = len(values)
    keep = data.draw(st.sets(st.integers(0, n - 1), min_size=1))
    replace_at = data.draw(st.sampled_from(sorted(keep)))
    replacement = ("new:A*", "new:B*") if data.draw(st.booleans()) else None
    remove = set(range(n)) - keep
    out = edit(text, remove=remove, replace={replace_at: replacement} if replacement else None)
    expected: list[str] = []
    for i in range(n):
        if i in keep:
            expected.extend(replacement if (replacement and i == replace_at) else [values[i]])
    assert hcl2.loads(out)["x"] == [f'"{v}"' for v in expected]
    for i in keep:
        if comments[i]:
            assert f"# note {i}" in out  # a comment on a surviving line survives
    # Removing nothing more is a no-op.
    assert apply_edits("main.tf", out, []) == out


def test_neighbouring_blocks_go_together_without_leaving_blank_lines() -> None:
    first_two = [Edit("remove_block", _block(BLOCKS, 0)), Edit("remove_block", _block(BLOCKS, 1))]
    assert apply_edits("main.tf", BLOCKS, first_two) == (
        'data "aws_iam_policy_document" "d" {\n  statement {\n    actions = ["e:F"]\n  }\n}\n'
    )
    last_two = [Edit("remove_block", _block(BLOCKS, 2)), Edit("remove_block", _block(BLOCKS, 1))]
    assert apply_edits("main.tf", BLOCKS, last_two) == (
        'data "aws_iam_policy_document" "d" {\n  statement {\n    actions = ["a:B"]\n  }\n}\n'
    )
