"""Policy documents that cannot be read are LP029 findings, and trim refuses to write."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from lpgen.cli import main
from tests.shown import shown

DATA = Path(__file__).parent / "data"
TREE = DATA / "reader" / "unreadable_documents"
SNAPSHOT = DATA / "trim" / "jsonencode" / "snapshot.json"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [*args, "--no-cache"])
    return result.exit_code, result.stdout, result.stderr


def test_check_reports_each_unreadable_document_at_its_line() -> None:
    code, out, _ = run("check", str(TREE), "--strict", "--fail-on", "critical")
    at = f"{shown(TREE)}/main.tf"
    assert out == (
        f"{at}:3: LP029 high The policy of aws_iam_policy.from_file cannot be read: "
        "broken.json:6: invalid JSON: expected ',' or '}' [aws_iam_policy.from_file]\n"
        f"{at}:8: LP029 high The policy of aws_iam_policy.missing cannot be read: file(): "
        "file not found: gone.json [aws_iam_policy.missing]\n"
        f"{at}:13: LP029 high The policy of aws_iam_policy.template cannot be read: "
        "broken.json.tpl: policy is not valid JSON: Expecting ',' delimiter (line 5) "
        "[aws_iam_policy.template]\n"
        f"{at}:19: LP029 high The policy of aws_iam_role_policy.heredoc cannot be read: policy "
        "is not valid JSON: Expecting property name enclosed in double quotes (line 3) "
        "[aws_iam_role_policy.heredoc]\n"
        "4 findings (4 high).\n"
    )
    assert code == 2  # --strict: the documents could not be evaluated either


def test_check_fails_the_gate_on_them() -> None:
    code, _, _ = run("check", str(TREE), "--select", "LP029")
    assert code == 1


def test_unreadable_policy_string_in_a_plan() -> None:
    code, out, _ = run("check", "--plan", str(DATA / "reader" / "unreadable_plan.json"))
    assert code == 1
    assert out.endswith(
        "LP029 high The policy of aws_iam_policy.broken cannot be read: policy is not valid "
        "JSON: Expecting ',' delimiter (line 1) [aws_iam_policy.broken]\n1 finding (1 high).\n"
    )


@pytest.mark.parametrize("mode", [["--write"], ["--check"], ["--out", "OUT"]])
def test_trim_refuses_to_write_and_names_file_and_line(tmp_path: Path, mode: list[str]) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(TREE, tree)
    before = {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()}
    args = [str(tmp_path / "out") if m == "OUT" else m for m in mode]
    code, out, err = run("trim", str(tree), "--snapshot", str(SNAPSHOT), "--no-git", *args)
    assert code == 2
    assert out == ""
    assert err.splitlines()[-1] == (
        "Error: main.tf:3: aws_iam_policy.from_file: the policy document cannot be read: "
        "broken.json:6: invalid JSON: expected ',' or '}'"
    )
    assert {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()} == before
    assert not (tmp_path / "out").exists()
