"""Which files a run reads and keys its cache on: one walk, the same for the reader and the
cache, with hidden directories, node_modules, excludes, links and special files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def linked_tree(root: Path) -> Path:
    """Module calls and files through links, up and down, with odd spellings."""
    user = 'resource "aws_iam_user" "{0}" {{ name = "{0}" }}\n'

    def calls(*sources: str) -> str:
        return "".join(f'module "m{i}" {{\n  source = "{s}"\n}}\n' for i, s in enumerate(sources))

    files = {
        "modules/team/main.tf": user.format("t"),
        "modules/team/sub/main.tf": user.format("s"),
        "shared/provider.tf": 'provider "aws" {}\n',
        "live/a/main.tf": calls("../../modules/team", "../../modules/team/", "../../via/team",
                                "./down/../../../modules/team/sub", "./", ".")
        + user.format("a"),
        "live/b/main.tf": calls("../../modules//team/./sub", "../../../outside",
                                "../../modules/missing", "../a") + user.format("b"),
        "live/c/main.tf": calls("../../modules/team/sub"),
    }  # fmt: skip
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / "via").symlink_to(root / "modules", target_is_directory=True)
    (root / "live" / "a" / "down").symlink_to(root / "shared", target_is_directory=True)
    (root / "live" / "a" / "provider.tf").symlink_to(root / "shared" / "provider.tf")
    # A relative link, as a repository holds one.
    b = root / "live" / "b"
    (b / "provider.tf").symlink_to(os.path.relpath(root / "shared" / "provider.tf", b))
    (root / "live" / "c" / "up.tf").symlink_to(root / "live" / "a" / "main.tf")
    return root


@pytest.mark.parametrize("make", [tricky_tree, linked_tree], ids=["tricky", "linked"])
def test_the_scan_resolves_every_path_as_resolving_each_one_would(
    tmp_path: Path, make: object
) -> None:
    from lpgen.terraform.loader import scan_tree

    for where in ("plain", "behind-a-link"):
        base = tmp_path / where
        root = make(base / "tree")  # type: ignore[operator]
        if where == "behind-a-link":  # the root itself reached through a link, resolved
            (base / "alias").symlink_to(root, target_is_directory=True)
            root = base / "alias"
        root = root.resolve()
        found, _, plan = scan_tree(root, ("excl/*",))
        assert found == discover(root, ("excl/*",))
        for d, infos in plan.infos.items():
            for f, info in zip(found[d], infos, strict=True):
                real = f.resolve()
                assert info.source.path == real
                assert info.source.rel == (
                    real.relative_to(root).as_posix()
                    if real.is_relative_to(root)
                    else Path(os.path.relpath(real, root)).as_posix()
                )
                assert info.source.text == real.read_text()
            expected = {(d / c).resolve() for i in infos for c in i.calls}
            assert plan.calls[d] == expected, d
        if make is linked_tree:
            live_a = root / "live" / "a"
            assert {root / "modules" / "team", live_a} <= plan.calls[live_a]
            assert root / "via" / "team" not in plan.calls[live_a]
            assert plan.calls[root / "live" / "b"] >= {root / "modules" / "team" / "sub", live_a}
            rels = {i.source.rel for i in plan.infos[live_a]}
            assert rels == {"live/a/main.tf", "shared/provider.tf"}
            assert {i.source.rel for i in plan.infos[root / "live" / "c"]} == {
                "live/c/main.tf", "live/a/main.tf"}  # fmt: skip


TOKENS = ["source", "source = ", 'source = "', "s", " ", "\t", "\n", "\r\n", "=", '"', ".", "..",
          "./", "../", "/", "a", "x", "#", "module {"]  # fmt: skip


@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
@settings(max_examples=400, deadline=None)
def test_local_sources_are_found_as_the_line_pattern_finds_them(text: str) -> None:
    from lpgen.terraform.loader import _LOCAL_SOURCE, local_sources

    assert local_sources(text) == _LOCAL_SOURCE.findall(text)


def test_local_sources_of_real_spellings() -> None:
    from lpgen.terraform.loader import local_sources

    text = ('module "a" {\n  source = "../m"\n}\nmodule "b" {\n\tsource="./n/o"\n}\n'
            '  xsource = "./no"\nsource = "./p"\n  source = "registry/x"\n  source = "."\n'
            '# source = "./commented"\n')  # fmt: skip
    assert local_sources(text) == ["../m", "./n/o", "./p", "."]


@given(st.lists(st.sampled_from(["aws_iam_", "aws_ia", "userIdentity", "aws_ssoadmin_",
                                 "aws_identitystore_", "aws_accessanalyzer_analyzer", "aws_",
                                 "x", " ", "\n", "resource "]), max_size=12).map("".join))
@settings(max_examples=300, deadline=None)
def test_the_iam_markers_are_found_as_the_pattern_finds_them(text: str) -> None:
    from lpgen.terraform.relevance import _IAM, _RESOURCE_POLICY, is_relevant

    if not _RESOURCE_POLICY.search(text):
        assert is_relevant(text) is (_IAM.search(text) is not None)
