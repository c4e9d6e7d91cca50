"""Which files a run reads and keys its cache on: one walk, the same for the reader and the
cache, with hidden directories, node_modules, excludes, links and special files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from lpgen.terraform.cache import ResultCache
from lpgen.terraform.loader import discover

TF = 'resource "aws_iam_user" "u" {\n  name = "u"\n}\n'


def tricky_tree(root: Path) -> Path:
    """A tree with every kind of entry the walk has to tell apart."""
    for rel in ("main.tf", "a/main.tf", "a/b/x.tf", "a/.hidden/h.tf", "a/node_modules/n.tf",
                ".terraform/modules/t.tf", "excl/e.tf", "excl/keep.txt", "c/only.tfvars",
                "a/.dot.tf", "z/y/deep.tf"):  # fmt: skip
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(TF)
    (root / "a" / "terraform.tfvars").write_text('x = "1"\n')
    (root / "a" / "x.tfvars.json").write_text('{"x": "1"}\n')
    (root / "a" / ".h.tfvars").write_text('x = "1"\n')
    (root / "a" / "dir.tfvars").mkdir()
    (root / "a" / "dir.tf").mkdir()  # a directory named like a file: walked, not read
    (root / "a" / "dir.tf" / "in.tf").write_text(TF)
    (root / "linked").symlink_to(root / "a", target_is_directory=True)  # not followed
    (root / "a" / "link.tf").symlink_to(root / "a" / "main.tf")  # a link to a file: read
    (root / "a" / "broken.tf").symlink_to(root / "nowhere.tf")
    os.mkfifo(root / "a" / "fifo.tf")
    os.mkfifo(root / "a" / "fifo.tfvars")
    return root


def test_discover_finds_exactly_the_regular_tf_files(tmp_path: Path) -> None:
    root = tricky_tree(tmp_path / "t").resolve()
    skipped: list[tuple[str, str]] = []
    found = discover(root, ("excl/*",), skipped)
    assert {d.relative_to(root).as_posix(): [f.name for f in fs] for d, fs in found.items()} == {
        ".": ["main.tf"],
        "a": ["link.tf", "main.tf"],
        "a/b": ["x.tf"],
        "a/dir.tf": ["in.tf"],
        "z/y": ["deep.tf"],
    }
    assert list(found) == sorted(found)  # top-down, sorted: the order roots are read in
    assert skipped == [("a/broken.tf", "a broken symbolic link"), ("a/fifo.tf", "a FIFO")]


def test_a_symlink_loop_is_an_input_error(tmp_path: Path) -> None:
    from lpgen.errors import InputError

    (tmp_path / "loop.tf").symlink_to(tmp_path / "loop.tf")
    with pytest.raises(InputError, match=r"loop.tf: symbolic link loop"):
        discover(tmp_path)


def _key(root: Path) -> str:
    return ResultCache(root / ".cache").tree_key(root, "opts", exclude=("excl/*",))


@pytest.mark.parametrize(
    ("change", "changes_key"),
    [
        (lambda r: (r / "a" / "b" / "x.tf").write_text(TF + "# edited\n"), True),
        (lambda r: (r / "a" / "terraform.tfvars").write_text('x = "2"\n'), True),
        (lambda r: (r / "a" / "x.tfvars.json").write_text('{"x": "2"}\n'), True),
        (lambda r: (r / "a" / ".h.tfvars").write_text('x = "2"\n'), True),
        (lambda r: (r / "a" / "new.tf").write_text(TF), True),
        (lambda r: (r / "new" / "n.tf").parent.mkdir() or (r / "new" / "n.tf").write_text(TF),
         True),
        (lambda r: (r / "a" / "b" / "x.tf").unlink(), True),
        (lambda r: os.mkfifo(r / "z" / "y" / "f.tf"), True),
        (lambda r: (r / "a" / "broken.tf").unlink(), True),
        (lambda r: (r / "main.tf").rename(r / "renamed.tf"), True),
        (lambda r: (r / "a" / ".hidden" / "h.tf").write_text("# edited\n"), False),
        (lambda r: (r / "a" / "node_modules" / "n.tf").write_text("# edited\n"), False),
        (lambda r: (r / "excl" / "e.tf").write_text("# edited\n"), False),
        (lambda r: (r / "c" / "only.tfvars").write_text('x = "2"\n'), False),
        (lambda r: (r / "a" / "notes.md").write_text("text\n"), False),
        (lambda r: shutil.rmtree(r / ".terraform"), False),
    ],
)
def test_the_tree_key_changes_exactly_when_an_input_does(
    tmp_path: Path, change: object, changes_key: bool
) -> None:
    root = tricky_tree(tmp_path / "t").resolve()
    before = _key(root)
    assert _key(root) == before  # stable
    change(root)  # type: ignore[operator]
    assert (_key(root) != before) is changes_key


def test_the_sarif_anchor_walk_visits_files_in_sorted_path_order(tmp_path: Path) -> None:
    from lpgen.paths import _SKIP_DIRS, _tf_files_in_order

    root = tricky_tree(tmp_path / "t").resolve()
    (root / "a" / "b.tf").write_text(TF)  # a file sorted before the directory a/b
    (root / "a" / "b0.tf").write_text(TF)  # and one after it
    (root / ".git").mkdir()
    (root / ".git" / "g.tf").write_text(TF)
    expected = [
        f for f in sorted(root.rglob("*.tf")) if not _SKIP_DIRS.intersection(f.relative_to(root).parts)
    ]
    assert list(_tf_files_in_order(root)) == expected


def test_git_is_not_asked_about_a_tree_with_no_repository_above(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lpgen.fsutil import outside_git

    tree = tmp_path / "outer" / "tree"
    tree.mkdir(parents=True)
    monkeypatch.delenv("GIT_DIR", raising=False)
    assert outside_git(tree)
    (tmp_path / "outer" / ".git").mkdir()  # a work tree above: git is asked
    assert not outside_git(tree)
    (tmp_path / "outer" / ".git").rmdir()
    (tmp_path / "outer" / "HEAD").write_text("ref: refs/heads/main\n")  # a bare repository
    (tmp_path / "outer" / "objects").mkdir()
    assert not outside_git(tree)
    (tmp_path / "outer" / "HEAD").unlink()
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))
    assert not outside_git(tree)


def test_the_cache_key_names_the_installed_python_hcl2() -> None:
    """A result computed with another python-hcl2 is never reused: its version is in every
    key, read from its .dist-info directory without importing importlib.metadata."""
    from importlib.metadata import version

    from lpgen.terraform.cache import _dist_version, _salt

    assert _dist_version("python-hcl2", "hcl2") == version("python-hcl2")
    assert _dist_version("click", "click") == version("click")
    assert _dist_version("no-such-dist", "no_such_module_here") == "not installed"
    assert f"hcl2={version('python-hcl2')};".encode() in _salt()


def test_the_readers_are_in_the_cache_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Another tree-sitter grammar, or another reader setting, never reuses a result."""
    from importlib.metadata import version

    from lpgen.terraform.cache import _salt

    _salt.cache_clear()
    salt = _salt()
    assert f"ts={version('tree-sitter')};ts-hcl={version('tree-sitter-hcl')};".encode() in salt
    monkeypatch.setenv("LPGEN_PARSER", "python-hcl2")
    _salt.cache_clear()
    try:
        assert _salt() != salt
    finally:
        monkeypatch.undo()
        _salt.cache_clear()
