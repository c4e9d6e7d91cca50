"""Variables as Terraform reads them: TF_VAR_*, tfvars files, --var-file, --var, in order."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from lpgen.cli import main

READER = Path(__file__).parent / "data" / "reader"
TREE = READER / "precedence"


def users(*args: str, env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(main, ["inventory", *args, "--no-cache"], env=env)
    assert result.exit_code == 0, result.stderr
    users = result.stdout.split("Users\n", 1)[1]
    # The inventory text closes with the accounts per root module, tested elsewhere.
    return users.split("\nAccounts per root module\n", 1)[0]


def test_tfvars_files_in_terraforms_order() -> None:
    # terraform.tfvars, then terraform.tfvars.json, then *.auto.tfvars(.json) by file name.
    assert users(str(TREE)) == "  default-tfvars-tfvars.json-a.auto.json-b.auto-b.auto: (no group)\n"


def test_tf_var_environment_is_the_lowest_precedence() -> None:
    env = {"TF_VAR_a": "env", "TF_VAR_b": "env"}
    out = users(str(TREE), "--var-file", str(TREE / "extra.tfvars"), env=env)
    assert out == "  env-tfvars-tfvars.json-a.auto.json-b.auto-var-file: (no group)\n"


def test_var_wins_over_everything() -> None:
    out = users(
        str(TREE), "--var-file", str(TREE / "extra.tfvars"), "--var", "f=cli", "--var", "a=cli",
        env={"TF_VAR_a": "env"},
    )  # fmt: skip
    assert out == "  cli-tfvars-tfvars.json-a.auto.json-b.auto-cli: (no group)\n"


def test_tf_var_as_the_only_source_of_a_list() -> None:
    names = [f"user{i:02}" for i in range(12)]
    value = "[" + ", ".join(f'"{n}"' for n in names) + "]"
    result = CliRunner().invoke(
        main, ["inventory", str(READER / "tf_var"), "--no-cache"], env={"TF_VAR_users": value}
    )
    assert result.exit_code == 0
    assert result.stdout.startswith("0 groups, 12 users, 0 roles")
    assert "".join(f"  {n}: (no group)\n" for n in names) in result.stdout


def test_var_file_and_var_apply_in_command_line_order() -> None:
    extra = str(TREE / "extra.tfvars")  # sets f = "var-file"
    assert users(str(TREE), "--var", "f=cli", "--var-file", extra).endswith(
        "-var-file: (no group)\n"
    )
    assert users(str(TREE), f"--var-file={extra}", "--var=f=cli").endswith("-cli: (no group)\n")


def test_values_are_read_by_the_declared_type(tmp_path: Path) -> None:
    """As Terraform: no type or ``string`` takes the text literally; a list type parses it."""
    (tmp_path / "main.tf").write_text(
        'variable "s" {\n  type = string\n}\nvariable "plain" {}\n'
        'variable "names" {\n  type = list(string)\n}\n'
        'resource "aws_iam_user" "a" {\n  name = var.s\n}\n'
        'resource "aws_iam_user" "b" {\n  name = var.plain\n}\n'
        'resource "aws_iam_user" "c" {\n  for_each = toset(var.names)\n  name     = each.key\n}\n'
    )
    out = users(str(tmp_path), "--var", "s={x=1}", "--var", "plain=[1]",
                env={"TF_VAR_names": '["x", "y"]'})  # fmt: skip
    assert out == "  [1]: (no group)\n  x: (no group)\n  y: (no group)\n  {x=1}: (no group)\n"
