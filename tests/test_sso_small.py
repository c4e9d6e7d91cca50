"""Identity Center details that must never be silent: a permission set given two inline
policies (AWS allows one); identity store and permission set lookups whose count / for_each
is not known or is empty; a lookup's name not known."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from lpgen.cli import main

SNAPSHOT = Path(__file__).parent / "data" / "trim" / "permission_set" / "snapshot-111122223333.json"
INSTANCE = 'instance_arn = "arn:aws:sso:::instance/ssoins-1"'


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [*args, "--no-cache"], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def tree(tmp_path: Path, text: str) -> Path:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "main.tf").write_text(text, encoding="utf-8")
    return root


def inventory_json(root: Path, *args: str) -> Any:
    code, out, _ = run("inventory", str(root), "--format", "json", *args)
    assert code == 0
    return json.loads(out)


# --- two inline policies on one permission set ------------------------------------------------

TWO_INLINE = f"""
resource "aws_ssoadmin_permission_set" "dev" {{
  name = "Developer"
  {INSTANCE}
}}

resource "aws_ssoadmin_permission_set_inline_policy" "dev" {{
  {INSTANCE}
  permission_set_arn = aws_ssoadmin_permission_set.dev.arn
  inline_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = ["s3:GetObject", "sns:Publish"], Resource = "*" }}]
  }})
}}

resource "aws_ssoadmin_permission_set_inline_policy" "dev2" {{
  {INSTANCE}
  permission_set_arn = aws_ssoadmin_permission_set.dev.arn
  inline_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = ["sqs:SendMessage"], Resource = "*" }}]
  }})
}}

resource "aws_ssoadmin_account_assignment" "a" {{
  {INSTANCE}
  permission_set_arn = aws_ssoadmin_permission_set.dev.arn
  principal_id       = "g-1"
  principal_type     = "GROUP"
  target_id          = "111122223333"
  target_type        = "AWS_ACCOUNT"
}}
"""
FIRST = "aws_ssoadmin_permission_set_inline_policy.dev"
SECOND = "aws_ssoadmin_permission_set_inline_policy.dev2"
CONFLICT = (
    f"permission set Developer has 2 inline policies: {FIRST} (main.tf:7), "
    f"{SECOND} (main.tf:16); AWS allows one"
)


def test_two_inline_policies_are_both_listed_and_reported(tmp_path: Path) -> None:
    root = tree(tmp_path, TWO_INLINE)
    doc = inventory_json(root)
    [ps] = doc["permission_sets"]
    assert [p["address"] for p in ps["inline_policies"]] == [FIRST, SECOND]
    assert [(p["file"], p["line"]) for p in ps["inline_policies"]] == [
        ("main.tf", 7), ("main.tf", 16),
    ]  # fmt: skip
    assert {"address": FIRST, "file": "main.tf", "line": 7, "message": CONFLICT} in [
        {k: u[k] for k in ("address", "file", "line", "message")} for u in doc["unresolved"]
    ]
    code, out, err = run("inventory", str(root), "--strict")
    assert code == 2
    assert CONFLICT in out
    assert f"Error: 1 IAM declaration could not be fully evaluated: {CONFLICT}" in err


def test_one_inline_policy_is_no_problem(tmp_path: Path) -> None:
    text = TWO_INLINE.split('resource "aws_ssoadmin_permission_set_inline_policy" "dev2"')[0]
    root = tree(tmp_path, text)
    doc = inventory_json(root, "--strict")
    [ps] = doc["permission_sets"]
    assert [p["address"] for p in ps["inline_policies"]] == [FIRST]
    assert ps["inline_policy"]["address"] == FIRST
    assert doc["unresolved"] == []


def test_trim_leaves_both_inline_policies_as_they_are(tmp_path: Path) -> None:
    root = tree(tmp_path, TWO_INLINE)
    snap = tmp_path / "snapshot.json"
    shutil.copy(SNAPSHOT, snap)
    code, out, err = run(
        "trim", str(root), "--snapshot", str(snap), "--no-git", "--format", "json"
    )
    assert code == 0
    records = {p["address"]: p for p in json.loads(out)["policies"]}
    for address in (FIRST, SECOND):
        assert records[address]["status"] == "skipped"
        assert records[address]["reason"] == f"not evaluated: {CONFLICT}"
        assert records[address]["removed"] == []
    assert CONFLICT in err


# --- identity store and permission set lookups are accounted for ------------------------------


def lookups(expand: str) -> str:
    """The three Identity Center lookups, each with ``expand`` (a count or for_each line)."""
    return f"""
data "aws_identitystore_user" "u" {{
  {expand}
  identity_store_id = "d-1"
  alternate_identifier {{
    unique_attribute {{
      attribute_path  = "UserName"
      attribute_value = "alice"
    }}
  }}
}}

data "aws_identitystore_group" "g" {{
  {expand}
  identity_store_id = "d-1"
  alternate_identifier {{
    unique_attribute {{
      attribute_path  = "DisplayName"
      attribute_value = "x"
    }}
  }}
}}

data "aws_ssoadmin_permission_set" "p" {{
  {expand}
  {INSTANCE}
  name = "Admin"
}}
"""


LOOKUPS = ["data.aws_identitystore_user.u", "data.aws_identitystore_group.g",
           "data.aws_ssoadmin_permission_set.p"]  # fmt: skip


def test_lookups_with_an_unknown_count_count_and_fail_strict(tmp_path: Path) -> None:
    root = tree(tmp_path, 'variable "n" {}\n' + lookups("count = var.n"))
    code, out, err = run("inventory", str(root), "--strict")
    assert code == 2
    assert (
        "Error: 3 IAM declarations could not be fully evaluated: var.n has no value; "
        "see `lpgen inventory`"
    ) in err
    for address in LOOKUPS:
        assert f"{address}: count is not known: var.n has no value" in out
    code, _, err = run("inventory", str(root))
    assert code == 0
    assert "Warning: 3 IAM declarations could not be fully evaluated" in err


def test_lookups_with_count_zero_are_not_instantiated(tmp_path: Path) -> None:
    root = tree(tmp_path, lookups("count = 0"))
    doc = inventory_json(root, "--strict")
    assert {u["address"]: u["reason"] for u in doc["not_instantiated"]} == {
        address: "count is 0" for address in LOOKUPS
    }
    assert doc["identity_store"] == [] and doc["permission_sets"] == []
    code, out, err = run("inventory", str(root))
    assert code == 0 and err == ""
    assert "main.tf:2: data.aws_identitystore_user.u: count is 0" in out


def test_lookups_with_an_empty_for_each_are_not_instantiated(tmp_path: Path) -> None:
    root = tree(tmp_path, lookups("for_each = toset([])"))
    doc = inventory_json(root)
    assert {u["address"]: u["reason"] for u in doc["not_instantiated"]} == {
        address: "for_each is empty" for address in LOOKUPS
    }


def test_lookups_with_instances_are_listed(tmp_path: Path) -> None:
    root = tree(tmp_path, lookups("count = 1"))
    doc = inventory_json(root, "--strict")
    assert doc["not_instantiated"] == [] and doc["unresolved"] == []
    assert [(e["kind"], e["name"]) for e in doc["identity_store"]] == [
        ("user", "alice"), ("group", "x"),
    ]  # fmt: skip
    assert [(p["address"], p["name"]) for p in doc["permission_sets"]] == [
        ("data.aws_ssoadmin_permission_set.p[0]", "Admin"),
    ]  # fmt: skip


# --- a lookup's name is what it is looked up by, or null --------------------------------------

NAMED_BY = """
variable "group_name" {}

data "aws_identitystore_group" "g" {
  identity_store_id = "d-1"
  alternate_identifier {
    unique_attribute {
      attribute_path  = "DisplayName"
      attribute_value = var.group_name
    }
  }
  filter {
    attribute_path  = ""
    attribute_value = ""
  }
}

data "aws_identitystore_user" "by_filter" {
  identity_store_id = "d-1"
  filter {
    attribute_path  = "UserName"
    attribute_value = "bob"
  }
}

data "aws_identitystore_group" "by_id" {
  identity_store_id = "d-1"
  group_id          = "g-42"
}
"""


def test_a_lookup_by_an_unknown_value_has_no_name(tmp_path: Path) -> None:
    doc = inventory_json(tree(tmp_path, NAMED_BY))
    assert {e["address"]: e["name"] for e in doc["identity_store"]} == {
        "data.aws_identitystore_group.g": None,
        "data.aws_identitystore_user.by_filter": "bob",
        "data.aws_identitystore_group.by_id": "g-42",
    }
