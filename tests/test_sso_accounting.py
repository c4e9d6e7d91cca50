"""IAM Identity Center declarations are accounted for like IAM ones: never silently.

Each aws_ssoadmin_* declaration is in the inventory (text and JSON), or under "Not resolved"
with a reason; one that could not be fully evaluated counts in the one line on stderr, and
``--strict`` makes that an error.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lpgen.cli import main
from lpgen.graph import build_graph
from lpgen.inventory import build_inventory

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


# --- a permission set managed elsewhere: what the tree gives it is listed ---------------------

LOOKED_UP = f"""
data "aws_ssoadmin_permission_set" "admin" {{
  {INSTANCE}
  name = "Admin"
}}

resource "aws_ssoadmin_permission_set_inline_policy" "admin" {{
  {INSTANCE}
  permission_set_arn = data.aws_ssoadmin_permission_set.admin.arn
  inline_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "*", Resource = "*" }}]
  }})
}}
"""

BY_ARN = f"""
variable "ps_arn" {{
  default = "{PS_ARN}"
}}

resource "aws_ssoadmin_managed_policy_attachment" "a" {{
  {INSTANCE}
  managed_policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
  permission_set_arn = "{PS_ARN}"
}}

resource "aws_ssoadmin_customer_managed_policy_attachment" "c" {{
  {INSTANCE}
  permission_set_arn = var.ps_arn
  customer_managed_policy_reference {{
    name = "Foo"
  }}
}}

resource "aws_ssoadmin_permissions_boundary_attachment" "b" {{
  {INSTANCE}
  permission_set_arn = "{PS_ARN}"
  permissions_boundary {{
    managed_policy_arn = "arn:aws:iam::aws:policy/PowerUserAccess"
  }}
}}

resource "aws_ssoadmin_account_assignment" "x" {{
  {INSTANCE}
  permission_set_arn = "{PS_ARN}"
  principal_id       = "g-1"
  principal_type     = "GROUP"
  target_id          = "111122223333"
  target_type        = "AWS_ACCOUNT"
}}

resource "aws_ssoadmin_permission_set_inline_policy" "i" {{
  {INSTANCE}
  permission_set_arn = var.ps_arn
  inline_policy = jsonencode({{
    Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = "*", Resource = "*" }}]
  }})
}}
"""


def inventory_json(path: str) -> dict[str, object]:
    code, out, err = run("inventory", path, "--format", "json", "--strict")
    assert (code, err) == (0, "")
    data: dict[str, object] = json.loads(out)
    return data


def listed_addresses(data: dict[str, Any]) -> set[str]:
    """Every address the inventory JSON names, in any list."""
    out: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("address"), str):
                out.add(value["address"])
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(data)
    return out


def test_a_looked_up_permission_set_is_listed_with_its_inline_policy(tmp_path: Path) -> None:
    path = tree(tmp_path, LOOKED_UP)
    code, out, err = run("inventory", path, "--strict")
    assert (code, err) == (0, "")
    assert out.startswith(
        "0 groups, 0 users, 0 roles, 0 managed and 0 inline policies, 0 memberships, "
        "0 attachments, 1 permission set (1 managed elsewhere), 0 account assignments in 1 files\n"
        "\nPermission sets\n"
        "  Admin  (data.aws_ssoadmin_permission_set.admin, main.tf:2; looked up, not declared "
        "in this tree)\n"
        "    policies: inline\n"
    )
    [ps] = inventory_json(path)["permission_sets"]  # type: ignore[misc]
    assert ps["address"] == "data.aws_ssoadmin_permission_set.admin"
    assert (ps["name"], ps["managed_elsewhere"], ps["file"], ps["line"]) == (
        "Admin", True, "main.tf", 2
    )
    assert ps["inline_policy"] == {
        "address": "aws_ssoadmin_permission_set_inline_policy.admin",
        "file": "main.tf",
        "line": 7,
        "style": "jsonencode",
        "statements": 1,
    }
    code, out, _ = run("check", path, "--no-git")
    assert out == (
        "main.tf:12: LP010 critical Inline policy of permission set 'Admin' allows every action "
        "on every resource (statement 1) [aws_ssoadmin_permission_set_inline_policy.admin]\n"
        "1 finding (1 critical).\n"
    )


def test_a_permission_set_known_by_its_arn_carries_what_the_tree_gives_it(
    tmp_path: Path,
) -> None:
    path = tree(tmp_path, BY_ARN)
    data: Any = inventory_json(path)
    [ps] = data["permission_sets"]
    assert (ps["address"], ps["arn"], ps["name"], ps["managed_elsewhere"]) == (
        PS_ARN, PS_ARN, None, True
    )
    assert (ps["file"], ps["line"]) == ("main.tf", 6)  # where it is first referred to
    assert ps["managed_policy_arns"] == ["arn:aws:iam::aws:policy/AdministratorAccess"]
    assert ps["managed_policies"] == [{
        "arn": "arn:aws:iam::aws:policy/AdministratorAccess",
        "address": "aws_ssoadmin_managed_policy_attachment.a", "file": "main.tf", "line": 6,
    }]  # fmt: skip
    assert ps["customer_managed_policies"] == [{
        "name": "Foo", "path": "/", "address": "aws_ssoadmin_customer_managed_policy_attachment.c",
        "file": "main.tf", "line": 12,
    }]  # fmt: skip
    assert ps["permissions_boundary"] == "arn:aws:iam::aws:policy/PowerUserAccess"
    assert ps["permissions_boundary_attachment"] == {
        "address": "aws_ssoadmin_permissions_boundary_attachment.b", "file": "main.tf", "line": 20,
    }  # fmt: skip
    assert ps["inline_policy"]["address"] == "aws_ssoadmin_permission_set_inline_policy.i"
    [assignment] = data["account_assignments"]
    assert assignment["permission_set"] == PS_ARN
    _, out, _ = run("inventory", path)
    assert (
        "\nPermission sets\n"
        f"  {PS_ARN}  (referred to at main.tf:6; known by its ARN only, not declared in this "
        "tree)\n"
        "    policies: arn:aws:iam::aws:policy/AdministratorAccess, Foo, "
        "arn:aws:iam::aws:policy/PowerUserAccess (boundary), inline\n"
        "    assigned: group g-1 in 111122223333\n"
    ) in out
    # check judges the same permission set, its boundary included.
    _, out, _ = run("check", path, "--no-git")
    assert f"is attached to permission set '{PS_ARN}'; limited by permissions boundary" in out


@pytest.mark.parametrize("case", ["looked up", "by ARN"])
def test_every_identity_center_declaration_is_in_the_inventory(tmp_path: Path, case: str) -> None:
    text = LOOKED_UP if case == "looked up" else BY_ARN
    path = tree(tmp_path, text)
    declared = {
        f"{m.group(1)}.{m.group(2)}"
        for m in re.finditer(r'^resource "(aws_ssoadmin_\w+)" "(\w+)"', text, re.M)
    }
    assert declared
    assert declared <= listed_addresses(inventory_json(path))


def test_the_graph_shows_a_permission_set_managed_elsewhere(tmp_path: Path) -> None:
    ag = build_graph(build_inventory(tree(tmp_path, LOOKED_UP)))
    assert ag.nodes_of("permission_set") == ["permission_set:Admin"]
    node = ag.graph.nodes["permission_set:Admin"]
    assert (node["external"], node["address"]) == (True, "data.aws_ssoadmin_permission_set.admin")
    policy = "policy:aws_ssoadmin_permission_set_inline_policy.admin"
    assert ag.graph.edges["permission_set:Admin", policy]["kind"] == "attached"


def test_a_policy_given_to_a_permission_set_not_read_is_not_resolved(tmp_path: Path) -> None:
    path = tree(
        tmp_path,
        'variable "n" {}\n'
        + f"""
resource "aws_ssoadmin_permission_set" "ps" {{
  count = var.n
  name  = "Dev"
  {INSTANCE}
}}
resource "aws_ssoadmin_managed_policy_attachment" "a" {{
  {INSTANCE}
  managed_policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
  permission_set_arn = aws_ssoadmin_permission_set.ps[0].arn
}}
""",
    )
    code, out, err = run("inventory", path, "--strict")
    assert code == 2
    assert err == (
        "Error: 2 IAM declarations could not be fully evaluated: var.n has no value; "
        "see `lpgen inventory`\n"
    )
    assert (
        "main.tf:8: aws_ssoadmin_managed_policy_attachment.a: permission_set_arn is not known: "
        "aws_ssoadmin_permission_set.ps[*] count is not known: var.n has no value"
    ) in out


# --- trim: an inline policy of a permission set managed elsewhere ------------------------------

TRIM_CASE = Path(__file__).parent / "data" / "trim" / "permission_set"


def trim_json(root: str, *snapshots: Path) -> Any:
    args = ["trim", root, "--no-git", "--no-cache", "--format", "json"]
    for s in snapshots:
        args += ["--snapshot", str(s)]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_trim_judges_a_looked_up_permission_set_like_a_declared_one(tmp_path: Path) -> None:
    # The Operator permission set of the trim example, looked up instead of declared.
    root = tmp_path / "tree"
    shutil.copytree(TRIM_CASE / "input", root)
    sso = root / "sso.tf"
    text = sso.read_text(encoding="utf-8")
    text = text.replace(
        'resource "aws_ssoadmin_permission_set" "operator"',
        'data "aws_ssoadmin_permission_set" "operator"',
    ).replace("= aws_ssoadmin_permission_set.operator.arn", "= data.aws_ssoadmin_permission_set.operator.arn")  # fmt: skip
    sso.write_text(text, encoding="utf-8")
    doc = trim_json(
        str(root), *(TRIM_CASE / f"snapshot-{a}.json" for a in ("111122223333", "222233334444"))
    )
    [op] = [p for p in doc["policies"] if p["address"].endswith("inline_policy.operator")]
    assert (op["status"], op["permission_set"], op["accounts"]) == (
        "trimmed", "Operator", ["111122223333"]
    )
    assert [r["entry"] for r in op["removed"]] == ["sns:Publish"]


@pytest.mark.parametrize(
    ("case", "why"),
    [
        ("looked up", "not assigned to any account in the Terraform"),
        ("by ARN", "the permission set is known by its ARN only (not declared in this tree)"),
    ],
)
def test_trim_skips_with_a_reason(tmp_path: Path, case: str, why: str) -> None:
    path = tree(tmp_path, LOOKED_UP if case == "looked up" else BY_ARN)
    doc = trim_json(path, TRIM_CASE / "snapshot-111122223333.json")
    [policy] = doc["policies"]
    assert policy["status"] == "skipped"
    assert why in policy["reason"]


def test_the_text_inventory_lists_the_identity_store(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_identitystore_group" "g" {\n  identity_store_id = "d-1"\n'
        '  display_name      = "Admins"\n}\n'
        'resource "aws_identitystore_user" "u" {\n  identity_store_id = "d-1"\n'
        '  display_name = "Ann"\n  user_name    = "ann"\n'
        '  name {\n    given_name  = "Ann"\n    family_name = "Lee"\n  }\n}\n'
        'resource "aws_identitystore_group_membership" "m" {\n  identity_store_id = "d-1"\n'
        "  group_id  = aws_identitystore_group.g.group_id\n"
        "  member_id = aws_identitystore_user.u.user_id\n}\n"
    )
    result = CliRunner().invoke(main, ["inventory", str(tmp_path), "--no-cache"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert ", 1 identity store group and 1 user in 1 files" in lines[0]
    start = lines.index("Identity store")
    assert lines[start + 1 : start + 4] == [
        "  group Admins  (aws_identitystore_group.g, main.tf:1)",
        "    members: ann",
        "  user ann  (aws_identitystore_user.u, main.tf:5)",
    ]
