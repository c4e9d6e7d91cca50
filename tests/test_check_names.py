"""check's messages quote names as the Terraform declares them (IAM names keep their case)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from lpgen.cli import main

TREE = """
resource "aws_iam_role" "r" {
  name               = "MyRole"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })
}

resource "aws_iam_role_policy" "p" {
  name   = "MyInline"
  role   = aws_iam_role.r.id
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })
}

resource "aws_iam_policy" "m" {
  name   = "S3Access"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })
}
"""


def test_policy_and_owner_names_keep_their_case(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(TREE)
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--no-git", "--format", "json",
                                       "--fail-on", "never"])  # fmt: skip
    assert result.exit_code == 0, result.output
    messages = [f["message"] for f in json.loads(result.stdout)["findings"]]
    about = [m for m in messages if "MyInline" in m]
    assert about, messages
    assert all("of role 'MyRole'" in m for m in about), about
    assert any(m.startswith("Inline policy 'MyInline'") for m in about), about
    assert any(m.startswith("Policy 'S3Access'") for m in messages), messages
    text = " ".join(messages)
    for lowered in ("'myinline'", "'myrole'", "'s3access'"):
        assert lowered not in text


def test_a_block_instantiated_by_one_root_and_not_another_is_one_instance(
    tmp_path: Path,
) -> None:
    """Root a creates the policy, root b (count 0) does not: one finding, on root a's
    instance, not "in 2 instances: [0], module.x.aws_iam_policy.p"."""
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "main.tf").write_text(
        'variable "create" {}\n'
        'resource "aws_iam_policy" "p" {\n  count  = var.create ? 1 : 0\n  name   = "p"\n'
        '  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", '
        'Action = "*", Resource = "*" }] })\n}\n'
    )
    for root, create in (("a", "true"), ("b", "false")):
        (tmp_path / root).mkdir()
        (tmp_path / root / "main.tf").write_text(
            f'module "x" {{\n  source = "../m"\n  create = {create}\n}}\n'
        )
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--no-git", "--format", "json",
                                       "--fail-on", "never"])  # fmt: skip
    assert result.exit_code == 0, result.output
    [finding] = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "LP010"]
    assert finding["address"] == "module.x.aws_iam_policy.p[0]"
    assert "instances" not in finding["message"]
