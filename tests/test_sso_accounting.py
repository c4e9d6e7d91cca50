"""IAM Identity Center declarations are accounted for like IAM ones: never silently.

Each aws_ssoadmin_* declaration is in the inventory (text and JSON), or under "Not resolved"
with a reason; one that could not be fully evaluated counts in the one line on stderr, and
``--strict`` makes that an error.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lpgen.cli import main

INSTANCE = 'instance_arn = "arn:aws:sso:::instance/ssoins-1"'
PS_ARN = "arn:aws:sso:::permissionSet/ssoins-1/ps-1234"
NO_VALUE = "var.n has no value"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [*args, "--no-cache"])
    return result.exit_code, result.stdout, result.stderr


def tree(tmp_path: Path, text: str) -> str:
    (tmp_path / "main.tf").write_text(text, encoding="utf-8")
    return str(tmp_path)


PERMISSION_SET = f"""
resource "aws_ssoadmin_permission_set" "ps" {{
  name = "Dev"
  {INSTANCE}
}}
"""

# --- unknown count / for_each / document counts towards the stderr line and --strict ---------

UNKNOWN_COUNT = {
    "managed attachment, count": f"""
resource "aws_ssoadmin_managed_policy_attachment" "a" {{
  count              = var.n
  {INSTANCE}
  managed_policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
  permission_set_arn = aws_ssoadmin_permission_set.ps.arn
}}
""",
    "account assignment, for_each": f"""
resource "aws_ssoadmin_account_assignment" "a" {{
  for_each           = var.n
  {INSTANCE}
  permission_set_arn = aws_ssoadmin_permission_set.ps.arn
  principal_id       = each.value
  principal_type     = "GROUP"
  target_id          = "111122223333"
  target_type        = "AWS_ACCOUNT"
}}
""",
    "inline policy, whole document": f"""
resource "aws_ssoadmin_permission_set_inline_policy" "a" {{
  {INSTANCE}
  permission_set_arn = aws_ssoadmin_permission_set.ps.arn
  inline_policy      = var.n
}}
""",
    "permission set, count": f"""
resource "aws_ssoadmin_permission_set" "a" {{
  count = var.n
  name  = "Other"
  {INSTANCE}
}}
""",
}


@pytest.mark.parametrize("case", sorted(UNKNOWN_COUNT))
@pytest.mark.parametrize("command", ["inventory", "check"])
def test_unknown_identity_center_declaration_counts(
    tmp_path: Path, case: str, command: str
) -> None:
    path = tree(tmp_path, 'variable "n" {}\n' + PERMISSION_SET + UNKNOWN_COUNT[case])
    if command == "check":
        path = f"{path} --no-git --fail-on never"
    line = f"1 IAM declaration could not be fully evaluated: {NO_VALUE}; see `lpgen inventory`"
    code, out, err = run(command, *path.split())
    assert code == 0, out
    # check may add a note naming the documents it could not judge.
    assert err.startswith(f"Warning: {line}\n")
    code, out, err = run(command, *path.split(), "--strict")
    assert code == 2, out
    assert err.startswith(f"Error: {line}\n")


# --- an unknown statement of a permission set's inline policy is named --------------------------

UNKNOWN_ACTION = (
    'variable "n" {}\n'
    + PERMISSION_SET
    + f"""
resource "aws_ssoadmin_permission_set_inline_policy" "x" {{
  {INSTANCE}
  permission_set_arn = aws_ssoadmin_permission_set.ps.arn
  inline_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = var.n, Resource = "*" }}]
  }})
}}
"""
)


def test_unknown_action_of_an_inline_policy_is_not_resolved(tmp_path: Path) -> None:
    path = tree(tmp_path, UNKNOWN_ACTION)
    code, out, err = run("inventory", path)
    assert code == 0
    reason = f"{NO_VALUE} (no default, and not set by TF_VAR_n, a tfvars file, --var-file or --var)"
    assert (
        f"  main.tf:13: aws_ssoadmin_permission_set_inline_policy.x: inline_policy, "
        f"statement 1: Action is not known: {reason}\n"
    ) in out
    summary = (
        "1 IAM declaration could not be fully evaluated: inline_policy, statement 1: Action "
        f"is not known: {reason}; see `lpgen inventory`"
    )
    assert err == f"Warning: {summary}\n"
    data = json.loads(run("inventory", path, "--format", "json")[1])
    assert {
        "address": "aws_ssoadmin_permission_set_inline_policy.x",
        "message": f"inline_policy, statement 1: Action is not known: {reason}",
        "file": "main.tf",
        "line": 13,
    } in data["unresolved"]
    code, out, err = run("check", path, "--no-git", "--strict")
    assert (code, out, err) == (2, "No findings.\n", f"Error: {summary}\n")


def test_unknown_actions_from_a_policy_document_data_source(tmp_path: Path) -> None:
    path = tree(
        tmp_path,
        'variable "n" {}\n'
        + PERMISSION_SET
        + f"""
data "aws_iam_policy_document" "d" {{
  statement {{
    actions   = var.n
    resources = ["*"]
  }}
}}
resource "aws_ssoadmin_permission_set_inline_policy" "x" {{
  {INSTANCE}
  permission_set_arn = aws_ssoadmin_permission_set.ps.arn
  inline_policy      = data.aws_iam_policy_document.d.json
}}
""",
    )
    code, out, _ = run("inventory", path, "--strict")
    assert code == 2
    assert "aws_ssoadmin_permission_set_inline_policy.x: inline_policy, statement 1: " in out
