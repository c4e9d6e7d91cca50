"""IAM Identity Center declarations are accounted for like IAM ones: never silently.

Each aws_ssoadmin_* declaration is in the inventory (text and JSON), or under "Not resolved"
with a reason; one that could not be fully evaluated counts in the one line on stderr, and
``--strict`` makes that an error.
"""

from __future__ import annotations

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
