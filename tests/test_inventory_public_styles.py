"""Styles seen in public Terraform IAM code that the reader must understand.

Every input here is small and written for the test; each one reproduces a construct that
real repositories use and that was once misread.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from click.testing import CliRunner

from lpgen.cli import main
from lpgen.inventory import InventoryOptions, build_inventory
from lpgen.model import Inventory, Policy

ACCOUNT = "111122223333"


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8", newline="")
    return root


def inv_of(tmp_path: Path, files: dict[str, str], **opts: object) -> Inventory:
    return build_inventory(write_tree(tmp_path, files), options=InventoryOptions(**opts))  # type: ignore[arg-type]


def policy(inv: Inventory, address: str) -> Policy:
    p = inv.policy_at(address)
    assert p is not None, [q.address for q in inv.policies]
    return p


def pairs(inv: Inventory) -> list[tuple[str | None, str | None]]:
    return sorted((m.user, m.group) for m in inv.memberships)


def messages(inv: Inventory) -> list[str]:
    return [f"{u.address}: {u.message}" for u in inv.unresolved]


# --- resources and modules used as whole values ----------------------------------------


def test_for_each_over_a_resource_and_for_expressions_over_its_instances(
    tmp_path: Path,
) -> None:
    inv = inv_of(
        tmp_path,
        {
            "main.tf": """
locals {
  people = { ann = "Ann A", bob = "Bob B" }
}
resource "aws_iam_group" "team" { name = "team" }
resource "aws_iam_user" "person" {
  for_each = local.people
  name     = each.key
}
resource "aws_iam_user" "robot" { name = "robot" }
resource "aws_iam_group_membership" "team" {
  name  = "team"
  group = aws_iam_group.team.name
  users = concat([for u in aws_iam_user.person : u.name], [aws_iam_user.robot.name])
}
resource "aws_iam_user_login_profile" "person" {
  for_each = aws_iam_user.person
  user     = each.value.name
}
resource "aws_iam_access_key" "person" {
  for_each = { for key, u in aws_iam_user.person : key => u.name if key != "bob" }
  user     = each.value
}
""",
        },
    )
    assert pairs(inv) == [("ann", "team"), ("bob", "team"), ("robot", "team")]
    assert sorted(lp.address for lp in inv.login_profiles) == [
        'aws_iam_user_login_profile.person["ann"]',
        'aws_iam_user_login_profile.person["bob"]',
    ]
    assert sorted(lp.user or "" for lp in inv.login_profiles) == ["ann", "bob"]
    assert [(k.address, k.user) for k in inv.access_keys] == [
        ('aws_iam_access_key.person["ann"]', "ann")
    ]
    assert inv.unresolved == []


def test_a_counted_resource_and_a_module_with_for_each_used_as_values(tmp_path: Path) -> None:
    inv = inv_of(
        tmp_path,
        {
            "main.tf": """
variable "names" { default = ["x", "y"] }
resource "aws_iam_user" "u" {
  count = length(var.names)
  name  = var.names[count.index]
}
module "team" {
  source   = "./team"
  for_each = toset(["red", "blue"])
  name     = each.key
}
resource "aws_iam_user_group_membership" "all" {
  count  = length(aws_iam_user.u)
  user   = aws_iam_user.u[count.index].name
  groups = [for k, m in module.team : m.group_name]
}
""",
            "team/main.tf": """
variable "name" {}
resource "aws_iam_group" "g" { name = "team-${var.name}" }
output "group_name" { value = aws_iam_group.g.name }
""",
        },
    )
    assert pairs(inv) == [
        ("x", "team-blue"),
        ("x", "team-red"),
        ("y", "team-blue"),
        ("y", "team-red"),
    ]
    assert inv.unresolved == []


# --- functions --------------------------------------------------------------------------


def test_names_built_with_hash_and_encoding_functions(tmp_path: Path) -> None:
    inv = inv_of(
        tmp_path,
        {
            "main.tf": """
resource "aws_iam_role" "task" {
  name = "app-${substr(sha512("web-nightly"), 0, 6)}"
  assume_role_policy = jsonencode({ Statement = [] })
}
resource "aws_iam_user" "a" { name = "u-${substr(md5("ann"), 0, 8)}" }
resource "aws_iam_user" "b" { name = "u-${substr(sha256("bob"), 0, 8)}" }
resource "aws_iam_user" "c" { name = base64decode(base64encode("carl")) }
resource "aws_iam_user" "d" { name = sensitive("dora") }
resource "aws_iam_role_policy_attachment" "task" {
  role       = aws_iam_role.task.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}
""",
        },
    )
    (role,) = inv.roles
    assert role.name == "app-" + hashlib.sha512(b"web-nightly").hexdigest()[:6]
    assert sorted(u.name or "" for u in inv.users) == sorted(
        [
            "u-" + hashlib.md5(b"ann").hexdigest()[:8],
            "u-" + hashlib.sha256(b"bob").hexdigest()[:8],
            "carl",
            "dora",
        ]
    )
    (att,) = inv.attachments
    assert att.target == role.name
    assert inv.unresolved == []


def test_memberships_from_setproduct_and_transpose(tmp_path: Path) -> None:
    inv = inv_of(
        tmp_path,
        {
            "main.tf": """
locals {
  group_members = { admins = ["ann"], devs = ["ann", "bob"] }
  by_user       = transpose(local.group_members)
  pairs         = setproduct(["ops"], ["carl", "dora"])
}
resource "aws_iam_user_group_membership" "m" {
  for_each = local.by_user
  user     = each.key
  groups   = each.value
}
resource "aws_iam_group_membership" "ops" {
  name  = "ops"
  group = "ops"
  users = [for p in local.pairs : p[1]]
}
""",
        },
    )
    assert pairs(inv) == [
        ("ann", "admins"),
        ("ann", "devs"),
        ("bob", "devs"),
        ("carl", "ops"),
        ("dora", "ops"),
    ]


def test_users_and_groups_read_from_a_yaml_file(tmp_path: Path) -> None:
    inv = inv_of(
        tmp_path,
        {
            "main.tf": """
locals {
  users = yamldecode(file("${path.module}/users.yaml")).users
}
resource "aws_iam_user" "u" {
  for_each = local.users
  name     = each.key
}
resource "aws_iam_user_group_membership" "u" {
  for_each = local.users
  user     = aws_iam_user.u[each.key].name
  groups   = each.value.groups
}
""",
            # "no" is a string in YAML 1.2, as Terraform reads it (PyYAML's default says false).
            "users.yaml": "users:\n  ann:\n    groups: [dev, ops]\n  no:\n    groups:\n      - dev\n",
        },
    )
    assert sorted(u.name or "" for u in inv.users) == ["ann", "no"]
    assert pairs(inv) == [("ann", "dev"), ("ann", "ops"), ("no", "dev")]


# --- JSON templates -------------------------------------------------------------------


def test_a_bare_interpolation_in_a_json_template_is_spliced_as_json(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "main.tf": """
resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = templatefile("${path.module}/trust.json.tpl", {
    services = jsonencode(["events.amazonaws.com", "ecs-tasks.amazonaws.com"])
  })
}
resource "aws_iam_policy" "p" {
  name   = "p"
  policy = templatefile("${path.module}/pass.json.tpl", { roles = jsonencode([aws_iam_role.r.arn]) })
}
""",
            "trust.json.tpl": """{
  "Statement": [
    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": ${services}}}
  ]
}
""",
            "pass.json.tpl": """{
  "Statement": [{"Effect": "Allow", "Action": ["iam:PassRole"], "Resource": ${roles}}]
}
""",
        },
    )
    inv = build_inventory(root, options=InventoryOptions(account_id=ACCOUNT))
    (role,) = inv.roles
    assert role.assume_role_policy is not None
    trust = role.assume_role_policy.statements[0]
    assert trust.principals == {"Service": ["events.amazonaws.com", "ecs-tasks.amazonaws.com"]}
    doc = policy(inv, "aws_iam_policy.p").document
    assert doc is not None
    st = doc.statements[0]
    assert st.resources == [f"arn:aws:iam::{ACCOUNT}:role/r"]
    # The action list is still a literal in the template: trim can edit it there.
    assert st.not_editable is None
    assert st.actions_location is not None and st.actions_location.file == "pass.json.tpl"


def test_a_template_that_writes_json_syntax_is_read_as_rendered(tmp_path: Path) -> None:
    inv = inv_of(
        tmp_path,
        {
            "main.tf": """
resource "aws_iam_policy" "p" {
  name   = "p"
  policy = templatefile("${path.module}/sqs.tpl", {
    action = join("\\",\\"", ["sqs:ReceiveMessage", "sqs:DeleteMessage"])
  })
}
""",
            "sqs.tpl": '{"Statement": [{"Effect": "Allow", "Action": ["${action}"], '
            '"Resource": "*"}]}\n',
        },
    )
    doc = policy(inv, "aws_iam_policy.p").document
    assert doc is not None and doc.style == "templatefile"
    st = doc.statements[0]
    assert [a.value for a in st.actions or []] == ["sqs:ReceiveMessage", "sqs:DeleteMessage"]
    assert st.not_editable is not None and "interpolated values" in st.not_editable


def test_escaped_dollar_in_a_heredoc_policy_is_rendered_and_stays_editable(
    tmp_path: Path,
) -> None:
    inv = inv_of(
        tmp_path,
        {
            "main.tf": """
resource "aws_iam_policy" "self" {
  name   = "self"
  policy = <<EOF
{
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["iam:ChangePassword"],
      "Resource": "arn:aws:iam::*:user/$${aws:username}"
    }
  ]
}
EOF
}
""",
        },
    )
    doc = policy(inv, "aws_iam_policy.self").document
    assert doc is not None and doc.style == "heredoc"
    st = doc.statements[0]
    assert st.resources == ["arn:aws:iam::*:user/${aws:username}"]
    assert st.not_editable is None and st.actions_location is not None


def test_a_heredoc_holding_only_a_policy_document_keeps_the_document(tmp_path: Path) -> None:
    inv = inv_of(
        tmp_path,
        {
            "main.tf": """
data "aws_iam_policy_document" "d" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["*"]
  }
}
resource "aws_iam_policy" "p" {
  name   = "p"
  policy = <<-EOT
    ${data.aws_iam_policy_document.d.json}
  EOT
}
""",
        },
    )
    doc = policy(inv, "aws_iam_policy.p").document
    assert doc is not None and doc.style == "policy_document"
    st = doc.statements[0]
    assert [a.value for a in st.actions or []] == ["s3:GetObject"]
    assert st.not_editable is None


def test_the_template_file_data_source(tmp_path: Path) -> None:
    inv = inv_of(
        tmp_path,
        {
            "main.tf": """
data "template_file" "group" {
  template = file("${path.module}/group.json.tpl")
  vars = {
    bucket = "logs"
  }
}
data "template_file" "inline" {
  template = "{\\"Statement\\": [{\\"Effect\\": \\"Allow\\", \\"Action\\": \\"$${action}\\", \\"Resource\\": \\"*\\"}]}"
  vars = {
    action = "sqs:SendMessage"
  }
}
resource "aws_iam_group" "g" { name = "g" }
resource "aws_iam_group_policy" "file" {
  name   = "file"
  group  = aws_iam_group.g.name
  policy = data.template_file.group.rendered
}
resource "aws_iam_group_policy" "inline" {
  name   = "inline"
  group  = aws_iam_group.g.name
  policy = data.template_file.inline.rendered
}
""",
            "group.json.tpl": """{
  "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::${bucket}/*"}
  ]
}
""",
        },
    )
    file_doc = policy(inv, "aws_iam_group_policy.file").document
    assert file_doc is not None and file_doc.style == "templatefile"
    assert file_doc.statements[0].resources == ["arn:aws:s3:::logs/*"]
    assert file_doc.source_file == "group.json.tpl"
    inline_doc = policy(inv, "aws_iam_group_policy.inline").document
    assert inline_doc is not None and inline_doc.unknown_reason is None
    assert [a.value for a in inline_doc.statements[0].actions or []] == ["sqs:SendMessage"]
    assert inv.unresolved == []


# --- reporting what is not known -----------------------------------------------------------


def test_an_unknown_policy_document_is_listed_under_not_resolved(tmp_path: Path) -> None:
    inv = inv_of(
        tmp_path,
        {
            "main.tf": """
resource "aws_iam_policy" "p" {
  name   = "p"
  policy = data.external.doc.result
}
resource "aws_iam_policy" "q" {
  name = "q"
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = [aws_ssm_parameter.a.value], Resource = "*" }]
  })
}
""",
        },
    )
    found = messages(inv)
    assert any(
        m.startswith("aws_iam_policy.p: policy is not known: ") and "data.external.doc" in m
        for m in found
    ), found
    assert any(
        m.startswith("aws_iam_policy.q: policy, statement 1: an entry of Action is not known")
        for m in found
    ), found


def test_entities_with_unknown_names_are_not_mixed_up_in_the_text_output(
    tmp_path: Path,
) -> None:
    write_tree(
        tmp_path,
        {
            "main.tf": """
variable "env" {}
resource "aws_iam_role" "a" {
  name = "a-${var.env}"
  assume_role_policy = jsonencode({ Statement = [] })
}
resource "aws_iam_role" "b" {
  name = "b-${var.env}"
  assume_role_policy = jsonencode({ Statement = [] })
}
resource "aws_iam_role_policy_attachment" "a" {
  role       = aws_iam_role.a.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}
resource "aws_iam_group" "g" { name = "g-${var.env}" }
resource "aws_iam_user" "u" { name = "u-${var.env}" }
resource "aws_iam_group_membership" "g" {
  name  = "g"
  group = aws_iam_group.g.name
  users = [aws_iam_user.u.name, "known"]
}
""",
        },
    )
    result = CliRunner().invoke(main, ["inventory", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    roles = lines[lines.index("Roles") + 1 : lines.index("Roles") + 3]
    assert roles == [
        "  (unknown)  (aws_iam_role.a): arn:aws:iam::aws:policy/ReadOnlyAccess",
        "  (unknown)  (aws_iam_role.b): (no policies)",
    ]
    assert "    members:  (unknown: aws_iam_user.u), known" in lines
    assert "  (unknown: aws_iam_user.u): (unknown: aws_iam_group.g)" in lines
    assert "  arn:aws:iam::aws:policy/ReadOnlyAccess: role (unknown: aws_iam_role.a)" in lines

    json_result = CliRunner().invoke(main, ["inventory", str(tmp_path), "--format", "json"])
    assert '"target_address": "aws_iam_role.a"' in json_result.output
    assert '"user_address": "aws_iam_user.u"' in json_result.output
