"""The pre-commit hooks, run as a user would: `pre-commit try-repo` on a Terraform repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from lpgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
ACME = ROOT / "terraform_examples" / "acme"
HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def terraform_repo(tmp_path: Path) -> Path:
    """A team's repository: the example tree at the top, its snapshot named in the config."""
    repo = tmp_path / "infra"
    shutil.copytree(ACME, repo)
    (repo / ".lpgen.toml").write_text('git = false\n\n[trim]\nsnapshot = "snapshot.json"\n')
    git("init", "-q", cwd=repo)
    git("add", ".", cwd=repo)
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "infra",
        cwd=repo)  # fmt: skip
    return repo


def run_entry(hook_id: str, repo: Path) -> tuple[int, str]:
    """The hook's entry and default args, run through the CLI in ``repo``."""
    hook = next(h for h in HOOKS if h["id"] == hook_id)
    argv = [*hook["entry"].split()[1:], *hook.get("args", [])]
    cwd = Path.cwd()
    os.chdir(repo)
    try:
        result = CliRunner().invoke(main, argv)
    finally:
        os.chdir(cwd)
    return result.exit_code, result.stdout


def test_check_hook_prints_one_line_per_finding(terraform_repo: Path) -> None:
    code, out = run_entry("lpgen-check", terraform_repo)
    assert code == 1
    lines = out.splitlines()
    assert lines and all(" LP0" in line and line.split(":")[0].endswith((".tf", ".json", ".tpl"))
                         for line in lines)  # fmt: skip
    assert not any("finding" in line and line.endswith(".") for line in lines)


def test_trim_check_hook_prints_one_line_per_pending_policy(terraform_repo: Path) -> None:
    code, out = run_entry("lpgen-trim-check", terraform_repo)
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 5  # the example has five policies to trim
    assert all(": aws_iam_" in line and "unused in 90 days" in line for line in lines)


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_pre_commit_try_repo_runs_both_hooks(terraform_repo: Path, tmp_path: Path) -> None:
    """What a user types to try the hooks; pre-commit installs lpgen from this checkout."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env.pop("LPGEN_CACHE_DIR", None)
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "--all-files"],
        cwd=terraform_repo,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert "lpgen check (IAM)" in out and "lpgen trim --check (unused permissions)" in out
    assert out.count("- exit code: 1") == 2, out
    assert "policies.tf:71: LP013 high" in out
    assert "unused in 90 days" in out
    assert "give the Terraform PATH" not in out and "findings (" not in out
