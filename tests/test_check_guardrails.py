"""Account guardrails (LP050-LP053), and that the module `lpgen baseline` writes provides them."""

from __future__ import annotations

from pathlib import Path

import pytest

from lpgen.baseline import BaselineOptions, write_module
from lpgen.check import CheckOptions, run_check

PEOPLE = """
resource "aws_iam_group" "dev" { name = "dev" }
resource "aws_iam_user" "ann" { name = "ann" }
resource "aws_iam_user_group_membership" "ann" {
  user   = aws_iam_user.ann.name
  groups = [aws_iam_group.dev.name]
}
"""


def guardrail_codes(root: Path) -> list[str]:
    result = run_check(str(root), options=CheckOptions(use_git=False, select=("LP05",)))
    return sorted(f.code for f in result.findings)


def test_a_tree_managing_people_without_guardrails(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(PEOPLE)
    assert guardrail_codes(tmp_path) == ["LP050", "LP051", "LP052", "LP053"]
    result = run_check(str(tmp_path), options=CheckOptions(use_git=False, select=("LP051",)))
    (finding,) = result.findings
    assert (finding.file, finding.line, finding.severity.label) == (str(tmp_path / "main.tf"), 2, "info")
    assert finding.message == (
        "No EventBridge rule alerts on root user activity "
        "(this tree manages 1 IAM user(s) and 1 group(s))"
    )


def test_the_generated_baseline_module_provides_every_guardrail(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        PEOPLE + 'module "guardrails" {\n  source = "./guardrails"\n'
        "  console_groups = [aws_iam_group.dev.name]\n}\n"
    )
    write_module(tmp_path / "guardrails", BaselineOptions(console_groups=("dev",)))
    assert guardrail_codes(tmp_path) == []
    # And the whole check is clean on it: the module follows its own advice.
    result = run_check(str(tmp_path), options=CheckOptions(use_git=False))
    assert [f.code for f in result.findings] == []


@pytest.mark.parametrize(
    ("skip", "expected"),
    [
        ("root-alert", ["LP051"]),
        ("access-analyzer", ["LP052"]),
        ("password-policy", ["LP050"]),
        ("mfa", ["LP053"]),
    ],
)
def test_each_missing_part_is_named(tmp_path: Path, skip: str, expected: list[str]) -> None:
    (tmp_path / "main.tf").write_text(PEOPLE + 'module "g" {\n  source = "./g"\n}\n')
    parts = tuple(p for p in BaselineOptions().parts if p != skip)
    write_module(tmp_path / "g", BaselineOptions(parts=parts, console_groups=("dev",)))
    assert guardrail_codes(tmp_path) == expected


def test_roles_only_trees_and_unused_access_analyzers(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_role" "app" {\n  name = "app"\n'
        '  assume_role_policy = jsonencode({ Statement = [] })\n}\n'
    )
    assert guardrail_codes(tmp_path) == []
    (tmp_path / "main.tf").write_text(
        PEOPLE + 'resource "aws_accessanalyzer_analyzer" "u" {\n'
        '  analyzer_name = "u"\n  type = "ACCOUNT_UNUSED_ACCESS"\n}\n'
    )
    assert "LP052" in guardrail_codes(tmp_path)
