"""Identity Center declarations are linked within their own root module, and trim refuses
or skips what it cannot judge."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from lpgen.cli import main
from lpgen.graph import build_graph
from lpgen.inventory import build_inventory, inventory_to_json

DATA = Path(__file__).parent / "data" / "sso_roots"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [*args, "--no-cache"], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def sets_by_name(path: Path) -> dict[str, Any]:
    data = inventory_to_json(build_inventory(path))
    return {ps["name"]: ps for ps in data["permission_sets"]}


# --- the same address in two root modules ----------------------------------------------------


def test_each_root_keeps_its_own_permission_sets_policies() -> None:
    sets = sets_by_name(DATA / "plain")
    assert sets["Dev"]["inline_policy"]["file"] == "a/main.tf"
    assert sets["Dev"]["managed_policy_arns"] == []
    assert sets["Ops"]["inline_policy"] is None
    assert sets["Ops"]["managed_policy_arns"] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    _, out, _ = run("inventory", str(DATA / "plain"))
    assert "a/main.tf:1)\n    policies: inline\n" in out
    assert "b/main.tf:1)\n    policies: arn:aws:iam::aws:policy/ReadOnlyAccess\n" in out


def test_check_names_the_permission_set_of_the_same_root() -> None:
    _, out, _ = run("check", str(DATA / "plain"), "--no-git")
    assert "Inline policy of permission set 'Dev'" in out
    assert "'Ops'" not in out
    _, out, _ = run("check", str(DATA / "boundary"), "--no-git")
    assert "attached to permission set 'AdminA' [" in out
    assert "ReaderB" not in out and "limited by permissions boundary" not in out


def test_module_called_by_two_roots_keeps_policies_and_assignments_apart() -> None:
    sets = sets_by_name(DATA / "boundary")
    assert sets["AdminA"]["permissions_boundary"] is None
    assert sets["AdminA"]["managed_policy_arns"] == ["arn:aws:iam::aws:policy/AdministratorAccess"]
    assert sets["ReaderB"]["permissions_boundary"] == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    assert sets["ReaderB"]["managed_policy_arns"] == []
    data = inventory_to_json(build_inventory(DATA / "module"))
    assert sorted(
        (a["permission_set_name"], a["account"]) for a in data["account_assignments"]
    ) == [("Dev", "111122223333"), ("Ops", "222233334444")]
    g = build_graph(build_inventory(DATA / "module")).graph
    provisioned = sorted((u, v) for u, v, d in g.edges(data=True) if d["kind"] == "provisioned")
    assert provisioned == [
        ("permission_set:Dev", "account:111122223333"),
        ("permission_set:Ops", "account:222233334444"),
    ]


def test_trim_judges_a_permission_set_by_its_own_roots_roles() -> None:
    # Dev (root a, account 1111...) used sns and sqs; Ops (root b, 2222...) did not.
    code, out, _ = run(
        "trim", str(DATA / "module"), "--no-git", "--format", "json",
        "--snapshot", str(DATA / "module" / "snapshot-111122223333.json"),
        "--snapshot", str(DATA / "module" / "snapshot-222233334444.json"),
    )  # fmt: skip
    assert code == 0, out
    [policy] = json.loads(out)["policies"]
    assert (policy["status"], policy["permission_set"], policy["accounts"]) == (
        "unchanged", "Dev", ["111122223333"]
    )
    assert policy["removed"] == []


# --- trim refuses to write a tree with an inline policy that can never be read -------------

BAD_JSON = """
resource "aws_ssoadmin_permission_set" "ops" {
  name         = "Ops"
  instance_arn = "arn:aws:sso:::instance/ssoins-1"
}

resource "aws_ssoadmin_permission_set_inline_policy" "ops" {
  instance_arn       = aws_ssoadmin_permission_set.ops.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.ops.arn
  inline_policy      = <<-EOT
  {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",}]}
  EOT
}
"""


def test_trim_refuses_to_write_a_tree_with_an_unreadable_inline_policy(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(BAD_JSON, encoding="utf-8")
    shutil.copy(DATA / "module" / "snapshot-111122223333.json", tmp_path / "snapshot.json")
    before = (tmp_path / "main.tf").read_text(encoding="utf-8")
    for flag in ("--check", "--write"):
        code, out, err = run("trim", str(tmp_path), "--no-git", flag,
                             "--snapshot", str(tmp_path / "snapshot.json"))  # fmt: skip
        assert code == 2, out + err
        assert (
            "main.tf:10: aws_ssoadmin_permission_set_inline_policy.ops: the policy document "
            "cannot be read: policy is not valid JSON" in err
        )
    assert (tmp_path / "main.tf").read_text(encoding="utf-8") == before


# --- an account assignment whose permission set cannot be followed ----------------------------


def test_an_assignment_of_a_permission_set_not_followed_is_not_resolved() -> None:
    path = str(DATA / "remote_state")
    code, out, err = run("inventory", path, "--strict")
    assert code == 2
    assert (
        "main.tf:14: aws_ssoadmin_account_assignment.a: permission_set_arn: "
        "data.terraform_remote_state.ps is not a permission set read from this tree" in out
    )
    assert err.startswith("Error: 3 IAM declarations could not be fully evaluated")
    code, out, _ = run("inventory", path, "--format", "json")
    [assignment] = json.loads(out)["account_assignments"]
    assert assignment["permission_set"] == "data.terraform_remote_state.ps"
    assert (assignment["permission_set_name"], assignment["account"]) == (None, None)
    assert assignment["account_reference"] == "data.aws_ssm_parameter.acct"


def test_trim_keeps_every_permission_set_an_unknown_assignment_may_give() -> None:
    # Root "assign" gives a permission set read from remote state to account 2222...: it may
    # be Developer, of which there is no evidence from that account.
    case = DATA / "remote_assignment"
    code, out, _ = run("trim", str(case), "--no-git", "--format", "json",
                       "--snapshot", str(case / "snapshot-111122223333.json"))  # fmt: skip
    assert code == 0, out
    [policy] = json.loads(out)["policies"]
    assert policy["status"] == "skipped"
    assert policy["removed"] == []
    assert (
        "an account assignment's permission set is not known statically, so it may assign "
        "this one to an account with no usage data: aws_ssoadmin_account_assignment.b "
        "(assign/main.tf:10, permission_set_arn data.terraform_remote_state.sso)"
    ) in policy["reason"]


def test_an_aws_managed_attachment_is_judged_by_its_own_roots_permission_set(
    tmp_path: Path,
) -> None:
    """Root a is the permission_set test case (Developer, assigned, with AmazonS3ReadOnlyAccess
    attached); root b declares another permission set at the same address, assigned nowhere.
    What was used of the AWS-managed policy is Developer's, not b's."""
    case = Path(__file__).parent / "data" / "trim" / "permission_set"
    tree = tmp_path / "tree"
    shutil.copytree(case / "input", tree / "a")
    (tree / "b").mkdir()
    (tree / "b" / "main.tf").write_text(
        'resource "aws_ssoadmin_permission_set" "developer" {\n  name         = "Other"\n'
        '  instance_arn = "arn:aws:sso:::instance/ssoins-1234567890abcdef"\n}\n'
    )
    code, out, _ = run("trim", str(tree), "--no-git",
                       "--snapshot", str(case / "snapshot-111122223333.json"),
                       "--snapshot", str(case / "snapshot-222233334444.json"))  # fmt: skip
    assert code == 0
    [line] = [ln for ln in out.splitlines() if "developer_s3" in ln]
    assert "permission set Developer used 1 of its services in the 90-day window (s3)" in line
