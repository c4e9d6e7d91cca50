"""`lpgen trim`: modes, exit codes, formats, config, git history, keep comments, shared spans."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from lpgen.cli import main
from lpgen.gitinfo import LineHistory
from lpgen.rewrite import read_source
from lpgen.trim import TrimOptions, find_keep_directives, run_trim

CASES = Path(__file__).parent / "data" / "trim"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout_bytes.decode(), result.stderr


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the jsonencode golden case, outside any git repository."""
    dest = tmp_path / "tree"
    shutil.copytree(CASES / "jsonencode" / "input", dest)
    shutil.copy(CASES / "jsonencode" / "snapshot.json", tmp_path / "snapshot.json")
    return dest


def test_check_exits_1_when_edits_are_pending_and_writes_nothing(tree: Path) -> None:
    before = read_source(tree / "main.tf")
    code, out, err = invoke("trim", str(tree), "--snapshot", str(tree.parent / "snapshot.json"),
                            "--no-git", "--check")
    assert code == 1
    # One line per pending policy (a pre-commit hook's output); the summary on stderr.
    assert out == "main.tf:2: aws_iam_policy.developers: 196 actions and 1 service unused in 90 days\n"
    assert err == "1 policy trimmed, 0 unchanged, 0 skipped; 196 actions and 1 service removed.\n"
    assert read_source(tree / "main.tf") == before
    code, out, err = invoke("trim", str(tree), "--snapshot", str(tree.parent / "snapshot.json"),
                            "--no-git", "--check", "--quiet")
    assert (code, err) == (1, "") and out.count("\n") == 1
    # --format asks for the whole report.
    code, out, _ = invoke("trim", str(tree), "--snapshot", str(tree.parent / "snapshot.json"),
                          "--no-git", "--check", "--format", "text")
    assert code == 1 and out.startswith("STATUS   POLICY")


def test_report_only_by_default(tree: Path) -> None:
    before = read_source(tree / "main.tf")
    code, out, err = invoke("trim", str(tree), "--snapshot", str(tree.parent / "snapshot.json"),
                            "--no-git")
    assert (code, err) == (0, "")
    assert out.startswith("STATUS   POLICY                     WHERE      WHY\n"
                          "trimmed  aws_iam_policy.developers  main.tf:2  removed 196 actions")
    assert read_source(tree / "main.tf") == before


def test_write_then_check_is_clean(tree: Path) -> None:
    snap = str(tree.parent / "snapshot.json")
    code, _, err = invoke("trim", str(tree), "--snapshot", snap, "--no-git", "--write")
    assert code == 0
    assert err == "Wrote 1 file.\n"
    assert read_source(tree / "main.tf") == read_source(CASES / "jsonencode/expected/main.tf")
    code, out, err = invoke("trim", str(tree), "--snapshot", snap, "--no-git", "--check")
    assert (code, out) == (0, "")
    assert err == "0 policies trimmed, 1 unchanged, 0 skipped; 0 actions and 0 services removed.\n"


def test_out_writes_a_changed_copy(tree: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "trimmed"
    code, _, err = invoke("trim", str(tree), "--snapshot", str(tree.parent / "snapshot.json"),
                          "--no-git", "--out", str(out_dir))
    assert code == 0, err
    assert err == f"Wrote a copy of the tree to {out_dir} (1 file changed).\n"
    assert read_source(out_dir / "main.tf") == read_source(CASES / "jsonencode/expected/main.tf")
    assert read_source(tree / "main.tf") == read_source(CASES / "jsonencode/input/main.tf")


def test_modes_are_exclusive(tree: Path, tmp_path: Path) -> None:
    code, _, err = invoke("trim", str(tree), "--snapshot", str(tree.parent / "snapshot.json"),
                          "--write", "--out", str(tmp_path / "x"))
    assert code == 2
    assert "mutually exclusive" in err
    code, _, err = invoke("trim", str(tree), "--snapshot", str(tree.parent / "snapshot.json"),
                          "--write", "--diff")
    assert code == 2
    assert "mutually exclusive" in err


def test_diff_goes_to_stdout_and_the_summary_to_stderr(tree: Path) -> None:
    code, out, err = invoke("trim", str(tree), "--snapshot", str(tree.parent / "snapshot.json"),
                            "--no-git", "--diff")
    assert code == 0
    assert out.startswith("diff --git a/main.tf b/main.tf\n--- a/main.tf\n+++ b/main.tf\n@@ ")
    assert err == "1 policy trimmed, 0 unchanged, 0 skipped; 196 actions and 1 service removed.\n"


def test_json_report(tree: Path) -> None:
    code, out, _ = invoke("trim", str(tree), "--snapshot", str(tree.parent / "snapshot.json"),
                          "--no-git", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["format"] == "lpgen.trim/1"
    assert doc["summary"]["actions_removed"] == 196
    [policy] = doc["policies"]
    assert policy["address"] == "aws_iam_policy.developers"
    assert policy["arn"] == "arn:aws:iam::111122223333:policy/teams/developers"
    assert (policy["file"], policy["line"], policy["status"]) == ("main.tf", 2, "trimmed")
    first = policy["removed"][0]
    assert first["entry"] == "s3:CreateBucket"
    assert first["evidence"] == [
        {
            "subject": "s3:CreateBucket",
            "code": "action-unused",
            "snapshot": "snapshot.json",
            "account_id": "111122223333",
            "report_arn": "arn:aws:iam::111122223333:policy/teams/developers",
            "collected_at": "2026-11-20T00:00:00+00:00",
            "window_start": "2026-08-22T00:00:00+00:00",
            "last_used": "2026-01-12T08:00:00+00:00",
            "last_used_by": "arn:aws:iam::111122223333:user/bob",
            "region": "eu-west-1",
        }
    ]
    describe = policy["removed"][2]
    assert describe["entry"] == "ec2:Describe*"
    assert describe["statement_removed"] is True
    assert len(describe["actions"]) == 194
    assert doc["files_changed"] == ["main.tf"]


def test_markdown_report_is_a_pull_request_body(tree: Path) -> None:
    code, out, _ = invoke("trim", str(tree), "--snapshot", str(tree.parent / "snapshot.json"),
                          "--no-git", "--format", "markdown")
    assert code == 0
    assert out.startswith("## Remove unused IAM permissions\n")
    assert "| Trimmed | 1 |" in out
    assert "### `aws_iam_policy.developers`: trimmed" in out
    assert "<details><summary>Evidence (3 entries)</summary>" in out
    assert "| `ec2:Describe*` (194 actions) | statement removed | ec2 last used 2025-06-03" in out


def test_days_window(tree: Path) -> None:
    # With a window reaching back past January, s3:CreateBucket counts as used.
    code, out, _ = invoke("trim", str(tree), "--snapshot", str(tree.parent / "snapshot.json"),
                          "--no-git", "--days", "365", "--format", "json")
    assert code == 0
    removed = [r["entry"] for r in json.loads(out)["policies"][0]["removed"]]
    assert removed == ["S3:deletebucket", "ec2:Describe*"]


def test_config_days_and_keep(tree: Path) -> None:
    (tree / ".lpgen.toml").write_text('days = 365\nkeep = ["ec2:Describe*"]\n')
    code, out, _ = invoke("trim", str(tree), "--snapshot", str(tree.parent / "snapshot.json"),
                          "--no-git", "--format", "json", "--keep", "s3:DeleteBucket")
    assert code == 0
    policy = json.loads(out)["policies"][0]
    assert policy["status"] == "unchanged"
    kept = {(k["subject"], k["reason"]) for k in policy["kept"]}
    assert ("ec2:Describe* (194 actions)", "on the keep list (--keep or config)") in kept
    assert ("s3:DeleteBucket", "on the keep list (--keep or config)") in kept


def test_unparseable_file_stops_the_run_before_anything_is_written(tree: Path) -> None:
    (tree / "broken.tf").write_text('resource "aws_iam_policy" "x" {\n  name = \n}\n')
    before = read_source(tree / "main.tf")
    code, out, err = invoke("trim", str(tree), "--snapshot", str(tree.parent / "snapshot.json"),
                            "--no-git", "--write")
    assert code == 2
    assert out == ""
    assert err.startswith("Error: broken.tf:")
    assert read_source(tree / "main.tf") == before


def test_missing_snapshot_is_an_input_error(tree: Path) -> None:
    code, _, err = invoke("trim", str(tree), "--snapshot", str(tree / "nope.json"))
    assert code == 2
    assert err == f"Error: {tree / 'nope.json'}: snapshot file not found\n"


def test_shared_span_with_a_policy_without_data_is_kept(tmp_path: Path) -> None:
    """Two instances of one resource: the one without data keeps the shared text whole."""
    tree = tmp_path / "t"
    tree.mkdir()
    (tree / "main.tf").write_text(
        'resource "aws_iam_policy" "p" {\n'
        '  for_each = toset(["developers", "other"])\n'
        "  name     = each.key\n"
        '  path     = "/teams/"\n'
        "  policy = jsonencode({\n"
        '    Version   = "2012-10-17"\n'
        '    Statement = [{ Effect = "Allow", Action = ["s3:CreateBucket", "s3:GetObject"], '
        'Resource = "*" }]\n'
        "  })\n"
        "}\n"
    )
    snapshot = CASES / "jsonencode" / "snapshot.json"
    result = run_trim(tree, [snapshot], options=TrimOptions(use_git=False))
    assert result.changes == ()
    by_address = {p.address: p for p in result.plan.policies}
    other = by_address['aws_iam_policy.p["other"]']
    assert other.status == "skipped"
    assert other.reason == "no Access Advisor data for this policy in the snapshots"
    dev = by_address['aws_iam_policy.p["developers"]']
    assert dev.status == "unchanged"
    assert [(k.subject, k.code) for k in dev.kept if k.code == "shared"] == [
        ("s3:CreateBucket", "shared")
    ]
    assert "also used by aws_iam_policy.p[\"other\"]" in next(
        k.reason for k in dev.kept if k.code == "shared"
    )


def test_keep_directives_are_parsed() -> None:
    text = (
        "# lpgen:keep s3:DeleteBucket until=2027-03-01 yearly teardown\n"
        "x = 1 // lpgen:keep ec2:Run*, ec2:StopInstances\n"
        "/* lpgen:keep */\n"
    )
    first, second, third = find_keep_directives("m.tf", text)
    assert (first.line, first.actions, first.until, first.reason) == (
        1, ("s3:DeleteBucket",), date(2027, 3, 1), "yearly teardown"
    )
    assert first.covers("S3:deletebucket") and not first.covers("s3:CreateBucket")
    assert second.actions == ("ec2:Run*", "ec2:StopInstances")
    assert second.covers("ec2:RunInstances")
    assert third.actions == () and third.covers("anything:AtAll")


# --- git history ----------------------------------------------------------------------------


def _git(repo: Path, *args: str, when: str | None = None) -> None:
    env = dict(os.environ)
    env.update(
        GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com",
    )  # fmt: skip
    if when:
        env.update(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_actions_added_less_than_the_window_ago_are_kept(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(CASES / "jsonencode" / "input", repo)
    text = read_source(repo / "main.tf")
    # The repository's first commit, long before the window, without the S3:deletebucket line.
    line = '          "S3:deletebucket",\n'
    (repo / "main.tf").write_text(text.replace(line, ""), newline="")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "initial", when="2026-01-15T00:00:00+00:00")
    # The line arrives inside the 90-day window before the snapshot (2026-11-20).
    (repo / "main.tf").write_text(text, newline="")
    _git(repo, "commit", "-q", "-am", "delete buckets", when="2026-10-01T00:00:00+00:00")
    snapshot = CASES / "jsonencode" / "snapshot.json"

    result = run_trim(repo, [snapshot], options=TrimOptions())
    [policy] = result.plan.policies
    assert [r.entry for r in policy.removals] == ["s3:CreateBucket", "ec2:Describe*"]
    [recent] = [k for k in policy.kept if k.code == "recently-added"]
    assert recent.subject == "S3:deletebucket"
    assert recent.reason.startswith("added 2026-10-01 in ")
    assert recent.reason.endswith(", less than 90 days before the snapshot")

    # An uncommitted line counts as new as well.
    (repo / "main.tf").write_text(text.replace('"s3:ListAllMyBuckets",', '"s3:ListAllMyBuckets",'
                                               '\n          "s3:PutBucketPolicy",'), newline="")
    result = run_trim(repo, [snapshot], options=TrimOptions())
    kept = {k.subject: k.reason for k in result.plan.policies[0].kept}
    assert kept["s3:PutBucketPolicy"] == "not committed yet, less than 90 days before the snapshot"

    # --no-git ignores the history.
    result = run_trim(repo, [snapshot], options=TrimOptions(use_git=False))
    assert "S3:deletebucket" in [r.entry for r in result.plan.policies[0].removals]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_first_commit_inside_the_window_is_recent_too(tmp_path: Path) -> None:
    # A repository created inside the window may hold brand-new actions: git history is the
    # only evidence of their age, so trim keeps them (use --no-git for an imported tree).
    repo = tmp_path / "repo"
    shutil.copytree(CASES / "jsonencode" / "input", repo)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "initial", when="2026-10-01T00:00:00+00:00")
    snapshot = CASES / "jsonencode" / "snapshot.json"
    result = run_trim(repo, [snapshot], options=TrimOptions())
    assert result.plan.policies[0].removals == ()
    assert {k.code for k in result.plan.policies[0].kept} >= {"recently-added"}
    result = run_trim(repo, [snapshot], options=TrimOptions(use_git=False))
    assert result.plan.policies[0].removals != ()


def test_line_history_outside_git(tmp_path: Path) -> None:
    (tmp_path / "a.tf").write_text("x\n")
    history = LineHistory(tmp_path)
    if history.available:  # pragma: no cover - only when /tmp itself is inside a repository
        pytest.skip("the temporary directory is inside a git repository")
    assert history.origin("a.tf", 1) is None


def test_line_history_starts_no_git_for_a_tree_no_repository_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    from lpgen.fsutil import outside_git

    if not outside_git(tmp_path):  # pragma: no cover - /tmp itself inside a repository
        pytest.skip("the temporary directory is inside a git repository")
    started: list[object] = []

    def run(*args: object, **_kw: object) -> subprocess.CompletedProcess[str]:
        started.append(args)
        return subprocess.CompletedProcess(args, 128, "", "not a git repository")

    monkeypatch.setattr(subprocess, "run", run)
    (tmp_path / "a.tf").write_text("x\n")
    history = LineHistory(tmp_path)
    assert not history.available and history.origin("a.tf", 1) is None
    assert started == []
    (tmp_path / ".git").mkdir()  # now git may find one: it is asked
    LineHistory(tmp_path)
    assert len(started) == 1


# --- memberships ----------------------------------------------------------------------------

MEMBERSHIP_CASES = Path(__file__).parent / "data" / "graph" / "memberships"


@pytest.mark.parametrize("case", ["group_membership", "user_group_membership", "locals_map"])
def test_trim_memberships_diff_removes_unused_members(tmp_path: Path, case: str) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(MEMBERSHIP_CASES / case / "input", tree)
    snapshot = str(MEMBERSHIP_CASES / "snapshot.json")
    result = CliRunner().invoke(
        main, ["trim", str(tree), "--snapshot", snapshot, "--memberships", "--no-git", "--diff"]
    )
    assert result.exit_code == 0, result.output
    expected = (MEMBERSHIP_CASES / case / "expected.diff").read_text(encoding="utf-8")
    assert result.stdout == expected
    removed = expected.count("\n-") - expected.count("\n--- ")
    assert result.stderr.rstrip().endswith(
        f"group membership{'s' if removed != 1 else ''} removed."
    )
    # Applied, a second run has nothing left to do.
    CliRunner().invoke(main, ["trim", str(tree), "--snapshot", snapshot, "--memberships",
                              "--no-git", "--write"])
    again = CliRunner().invoke(
        main, ["trim", str(tree), "--snapshot", snapshot, "--memberships", "--no-git", "--check"]
    )
    assert again.exit_code == 0, again.output


def test_trim_memberships_json_reports_every_membership(tmp_path: Path) -> None:
    tree = MEMBERSHIP_CASES / "user_group_membership" / "input"
    snapshot = str(MEMBERSHIP_CASES / "snapshot.json")
    result = CliRunner().invoke(
        main, ["trim", str(tree), "--snapshot", snapshot, "--memberships", "--no-git",
               "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)["memberships"]
    assert sorted((r["user"], r["group"], r["status"]) for r in records) == [
        ("bob", "dev", "skipped"), ("bob", "ops", "skipped"),
        ("carol", "dev", "removed"), ("carol", "ops", "kept"),
        ("dave", "dev", "skipped"), ("dave", "ops", "skipped"),
    ]
