"""Golden cases of `lpgen trim`: real Terraform in, exact files and report out, then a no-op.

Each directory under tests/data/trim/ holds ``input/`` (a Terraform tree), one or more
``snapshot*.json``, optionally ``options.json`` (``{"days": 90, "keep": ["..."]}``),
``expected/`` (the tree after ``--write``) and ``report.txt`` (the text report). Set
LPGEN_UPDATE_GOLDEN=1 to rewrite ``expected/`` and ``report.txt`` from the current output
(then review the diff by eye).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import hcl2
import pytest
from click.testing import CliRunner

from lpgen.cli import main
from lpgen.rewrite import read_source

CASES = Path(__file__).parent / "data" / "trim"
UPDATE = bool(os.environ.get("LPGEN_UPDATE_GOLDEN"))


def case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "input").is_dir())


def tree_files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): read_source(p)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def trim_args(case: Path, tree: Path, *extra: str) -> list[str]:
    args = ["trim", str(tree), "--no-git"]
    for snap in sorted(case.glob("snapshot*.json")):
        args += ["--snapshot", str(snap)]
    options_file = case / "options.json"
    if options_file.exists():
        options = json.loads(options_file.read_text(encoding="utf-8"))
        if "days" in options:
            args += ["--days", str(options["days"])]
        for keep in options.get("keep", []):
            args += ["--keep", keep]
        args += options.get("args", [])
    return [*args, *extra]


def run(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    # stdout_bytes: `.stdout` would turn the CRLF of a diff's lines into LF.
    return result.exit_code, result.stdout_bytes.decode("utf-8"), result.stderr


@pytest.mark.parametrize("name", case_names())
def test_golden(name: str, tmp_path: Path) -> None:
    case = CASES / name
    tree = tmp_path / "tree"
    shutil.copytree(case / "input", tree)

    code, report, stderr = run(trim_args(case, tree, "--write"))
    assert code == 0, stderr
    got = tree_files(tree)
    expected_dir = case / "expected"
    if UPDATE:
        shutil.rmtree(expected_dir, ignore_errors=True)
        shutil.copytree(tree, expected_dir)
        (case / "report.txt").write_text(report, encoding="utf-8", newline="")
    assert got == tree_files(expected_dir)
    assert report == read_source(case / "report.txt")

    # Every rewritten .tf still parses, and unchanged files are byte-identical.
    original = tree_files(case / "input")
    for rel, text in got.items():
        if rel.endswith(".tf") and text != original[rel]:
            hcl2.loads(text)
    assert set(got) == set(original)

    # A second run changes nothing.
    code, _report, stderr = run(trim_args(case, tree, "--check"))
    assert code == 0, f"second run not a no-op:\n{_report}"
    code, diff, _ = run(trim_args(case, tree, "--diff"))
    assert diff == ""


@pytest.mark.parametrize("name", case_names())
def test_golden_diff_applies(name: str, tmp_path: Path) -> None:
    """The --diff output turns the input into the expected tree under `git apply`."""
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    import subprocess

    case = CASES / name
    tree = tmp_path / "tree"
    shutil.copytree(case / "input", tree)
    code, diff, stderr = run(trim_args(case, tree, "--diff"))
    assert code == 0, stderr
    if not diff:
        assert tree_files(case / "expected") == tree_files(case / "input")
        return
    patch = tmp_path / "trim.patch"
    patch.write_text(diff, encoding="utf-8", newline="")
    subprocess.run(
        [git, "apply", "--whitespace=nowarn", str(patch)],
        cwd=tree,
        check=True,
        capture_output=True,
    )
    assert tree_files(tree) == tree_files(case / "expected")


@pytest.mark.parametrize("name", case_names())
def test_a_plan_without_edits_decides_the_same(name: str) -> None:
    """LP001 (check --snapshot) asks for the decisions only: they are the ones trim makes."""
    from lpgen.inventory import build_inventory
    from lpgen.snapshot import load_snapshot
    from lpgen.trim import TrimOptions, plan_trim
    from lpgen.usage import UsageIndex

    case = CASES / name
    options_file = case / "options.json"
    extra = json.loads(options_file.read_text()) if options_file.is_file() else {}
    options = TrimOptions(use_git=False, **{k: v for k, v in extra.items()
                                            if k in ("days",)})  # fmt: skip
    snaps = [load_snapshot(p) for p in sorted(case.glob("snapshot*.json"))]
    inventory = build_inventory(case / "input")
    index = UsageIndex.from_snapshots(snaps)
    full = plan_trim(inventory, index, options=options)
    bare = plan_trim(inventory, index, options=options, with_edits=False)
    assert bare.edits == {}
    assert (bare.policies, bare.detach, bare.aws_managed) == (
        full.policies, full.detach, full.aws_managed)
    if any(d.status == "trimmed" for d in full.policies):
        assert full.edits
