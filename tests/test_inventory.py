"""The Terraform reader: every construct and policy style the inventory understands."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from lpgen.cli import main
from lpgen.inventory import InventoryOptions, build_inventory
from lpgen.model import Inventory, Location, Policy

DATA = Path(__file__).parent / "data" / "inventory"


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


def actions(p: Policy, index: int = 0) -> list[str]:
    assert p.document is not None
    st = p.document.statements[index]
    return [a.value for a in (st.actions or [])]


def span_text(root: Path, loc: Location | None) -> str:
    assert loc is not None
    text = (root / loc.file).read_text(encoding="utf-8")
    return text[loc.start : loc.end]


# --- names and values ---------------------------------------------------------------------


def test_templates_variables_tfvars_and_locals(tmp_path: Path) -> None:
    inv = inv_of(
        tmp_path,
        {
            "main.tf": """
variable "env" { default = "dev" }
variable "company" {}
locals {
  base   = "${var.company}-${var.env}"
  admins = "${local.base}-admins"
}
resource "aws_iam_group" "admins" {
  name = local.admins
  path = "/${var.env}/"
}
""",
            "terraform.tfvars": 'company = "acme"\n',
            "prod.auto.tfvars": 'env = "prod"\n',
        },
    )
    (g,) = inv.groups
    assert (g.name, g.path, g.address) == ("acme-prod-admins", "/prod/", "aws_iam_group.admins")
    assert (g.location.file, g.location.line) == ("main.tf", 8)


def test_cli_var_and_var_file_win_over_tfvars(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "main.tf": 'variable "env" {}\nvariable "n" {}\n'
            'resource "aws_iam_user" "u" {\n  name = "${var.env}-${var.n}"\n}\n',
            "terraform.tfvars": 'env = "dev"\nn = 1\n',
            "extra.tfvars": 'env = "stage"\n',
        },
    )
    opts = InventoryOptions(
        var_files=(str(tmp_path / "extra.tfvars"),), variables=(("n", "7"),)
    )
    inv = build_inventory(tmp_path, options=opts)
    assert inv.users[0].name == "stage-7"


def test_count_for_each_and_resource_references(tmp_path: Path) -> None:
    inv = inv_of(
        tmp_path,
        {
            "main.tf": """
variable "teams" {
  default = { ops = "/ops/", dev = "/dev/" }
}
resource "aws_iam_group" "team" {
  for_each = var.teams
  name     = "team-${each.key}"
  path     = each.value
}
resource "aws_iam_user" "bot" {
  count = 2
  name  = "bot-${count.index}"
}
resource "aws_iam_user" "people" {
  for_each = toset(["zed", "amy"])
  name     = each.key
}
resource "aws_iam_group_membership" "ops" {
  name  = "ops"
  group = aws_iam_group.team["ops"].name
  users = concat(aws_iam_user.bot[*].name, [for u in aws_iam_user.people : u.name])
}
""",
        },
    )
    assert sorted(g.address for g in inv.groups) == [
        'aws_iam_group.team["dev"]',
        'aws_iam_group.team["ops"]',
    ]
    assert {g.name: g.path for g in inv.groups} == {"team-dev": "/dev/", "team-ops": "/ops/"}
    assert [u.address for u in inv.users] == [
        "aws_iam_user.bot[0]",
        "aws_iam_user.bot[1]",
        'aws_iam_user.people["amy"]',
        'aws_iam_user.people["zed"]',
    ]
    assert [(m.user, m.group) for m in inv.memberships] == [
        ("bot-0", "team-ops"),
        ("bot-1", "team-ops"),
        ("amy", "team-ops"),
        ("zed", "team-ops"),
    ]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('lower("ABC")', "abc"),
        ('upper("abc")', "ABC"),
        ('format("%s-%03d", "x", 7)', "x-007"),
        ('join("-", ["a", "b"])', "a-b"),
        ('element(split(",", "a,b,c"), 1)', "b"),
        ('replace("a.b.c", ".", "-")', "a-b-c"),
        ('replace("team_ops", "/_(\\\\w+)$/", "-$1")', "team-ops"),
        ('lookup({ a = "x" }, "b", "dflt")', "dflt"),
        ('coalesce("", "second")', "second"),
        ('keys(merge({ b = 1 }, { a = 2 }))[0]', "a"),
        ('values(tomap({ k = "v" }))[0]', "v"),
        ('tolist(distinct(flatten([["a"], ["a", "b"]])))[1]', "b"),
        ('length(concat(["a"], ["b"])) == 2 ? "two" : "other"', "two"),
        ('jsondecode(jsonencode({ a = "j" })).a', "j"),
        ('"${title("hello")}-${trimprefix("x-y", "x-")}"', "Hello-y"),
    ],
)
def test_functions(tmp_path: Path, expr: str, expected: str) -> None:
    inv = inv_of(tmp_path, {"main.tf": f'resource "aws_iam_user" "u" {{\n  name = {expr}\n}}\n'})
    assert inv.users[0].name == expected


def test_unknown_values_are_reported_not_guessed(tmp_path: Path) -> None:
    inv = inv_of(
        tmp_path,
        {
            "main.tf": """
variable "suffix" {}
resource "random_id" "r" { byte_length = 4 }
resource "aws_iam_user" "a" { name = "svc-${random_id.r.hex}" }
resource "aws_iam_user" "b" { name = "svc-${var.suffix}" }
resource "aws_iam_user" "c" { name = aws_iam_group.missing.name }
""",
        },
    )
    assert [u.name for u in inv.users] == [None, None, None]
    messages = [u.message for u in inv.unresolved]
    assert any("random_id.r.hex is known only after apply" in m for m in messages)
    assert any("var.suffix has no value" in m for m in messages)
    assert any("reference to undeclared aws_iam_group.missing" in m for m in messages)


def test_cyclic_locals_are_reported(tmp_path: Path) -> None:
    inv = inv_of(
        tmp_path,
        {
            "main.tf": """
locals {
  a = "${local.b}-x"
  b = "${local.a}-y"
}
resource "aws_iam_group" "g" { name = local.a }
""",
        },
    )
    assert inv.groups[0].name is None
    cycle = [u for u in inv.unresolved if "cycle between locals" in u.message]
    assert cycle and "local.a -> local.b -> local.a" in cycle[0].message


def test_multiline_interpolation_in_quoted_string(tmp_path: Path) -> None:
    inv = inv_of(
        tmp_path,
        {
            "main.tf": 'locals { env = "prod" }\n'
            'resource "aws_iam_group" "g" {\n'
            '  name = "team-${\n    local.env\n  }"\n}\n'
            'resource "aws_iam_group" "h" {\n  name = "after"\n}\n',
        },
    )
    assert [(g.name, g.location.line) for g in inv.groups] == [("team-prod", 2), ("after", 7)]


# --- modules ------------------------------------------------------------------------------


def test_local_modules_bind_inputs_and_prefix_addresses(tmp_path: Path) -> None:
    inv = inv_of(
        tmp_path,
        {
            "main.tf": """
module "team" {
  source   = "./modules/team"
  for_each = toset(["ops", "dev"])
  name     = each.key
}
module "single" {
  source = "./modules/team"
  name   = "solo"
}
module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.0.0"
}
resource "aws_iam_group_policy_attachment" "a" {
  group      = module.single.group_name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}
""",
            "modules/team/main.tf": """
variable "name" {}
resource "aws_iam_group" "g" { name = "team-${var.name}" }
output "group_name" { value = aws_iam_group.g.name }
""",
        },
    )
    assert sorted((g.address, g.name) for g in inv.groups) == [
        ('module.single.aws_iam_group.g', "team-solo"),
        ('module.team["dev"].aws_iam_group.g', "team-dev"),
        ('module.team["ops"].aws_iam_group.g', "team-ops"),
    ]
    assert inv.groups[0].location.file == "modules/team/main.tf"
    assert inv.attachments[0].target == "team-solo"
    assert [m.address for m in inv.modules_not_followed] == ["module.vpc"]
    assert "not a local path" in inv.modules_not_followed[0].message


def test_uncalled_module_directory_is_read_as_root(tmp_path: Path) -> None:
    inv = inv_of(
        tmp_path,
        {
            "library/iam-team/main.tf": """
variable "name" { default = "example" }
resource "aws_iam_group" "g" { name = var.name }
""",
        },
    )
    assert [(g.name, g.location.file) for g in inv.groups] == [
        ("example", "library/iam-team/main.tf")
    ]


def test_hidden_and_terraform_dirs_are_skipped(tmp_path: Path) -> None:
    inv = inv_of(
        tmp_path,
        {
            "main.tf": 'resource "aws_iam_group" "g" { name = "kept" }\n',
            ".terraform/modules/x/main.tf": 'resource "aws_iam_group" "g" { name = "cached" }\n',
            ".hidden/main.tf": 'resource "aws_iam_group" "g" { name = "hidden" }\n',
        },
    )
    assert [g.name for g in inv.groups] == ["kept"]


# --- policy styles ------------------------------------------------------------------------


def test_jsonencode_policy_keeps_action_spans(tmp_path: Path) -> None:
    inv = inv_of(
        tmp_path,
        {
            "main.tf": """
resource "aws_iam_policy" "p" {
  name = "p"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["S3:GetObject", "s3:List*"] # comment
        Resource = "*"
      },
      { Effect = "Deny", NotAction = "iam:*", Resource = "*" },
    ]
  })
}
""",
        },
    )
    p = policy(inv, "aws_iam_policy.p")
    assert p.document is not None and p.document.style == "jsonencode"
    allow, deny = p.document.statements
    assert [a.value for a in allow.actions or []] == ["S3:GetObject", "s3:List*"]
    assert [span_text(tmp_path, a.location) for a in allow.actions or []] == [
        '"S3:GetObject"',
        '"s3:List*"',
    ]
    assert span_text(tmp_path, allow.actions_location) == '["S3:GetObject", "s3:List*"]'
    assert span_text(tmp_path, allow.location).startswith("{\n        Effect")
    assert allow.not_editable is None
    assert deny.effect == "Deny" and [a.value for a in deny.not_actions or []] == ["iam:*"]
    assert deny.actions is None and not deny.actions_is_list
    assert p.document.statements_location is not None


def test_heredoc_policies_with_interpolation(tmp_path: Path) -> None:
    inv = inv_of(
        tmp_path,
        {
            "main.tf": """
variable "bucket" { default = "logs" }
resource "aws_iam_user_policy" "plain" {
  name = "plain"
  user = "u"
  policy = <<EOF
{"Version": "2012-10-17",
 "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::${var.bucket}/*"}]}
EOF
}
resource "aws_iam_group_policy" "indented" {
  name  = "indented"
  group = "g"
  policy = <<-JSON
    {
      "Statement": [
        {
          "Effect": "Allow",
          "Action": ["ec2:DescribeInstances", "ec2:StartInstances"],
          "Resource": "*"
        }
      ]
    }
  JSON
}
""",
        },
    )
    plain = policy(inv, "aws_iam_user_policy.plain")
    assert plain.document is not None and plain.document.style == "heredoc"
    st = plain.document.statements[0]
    assert st.resources == ["arn:aws:s3:::logs/*"]
    assert [a.value for a in st.actions or []] == ["s3:PutObject"]
    assert not st.actions_is_list
    assert st.actions is not None and st.actions[0].location is not None
    assert st.actions[0].location.syntax == "json"
    assert span_text(tmp_path, st.actions[0].location) == '"s3:PutObject"'
    indented = policy(inv, "aws_iam_group_policy.indented")
    assert (indented.owner_type, indented.owner) == ("group", "g")
    assert actions(indented) == ["ec2:DescribeInstances", "ec2:StartInstances"]
    loc = indented.document.statements[0].actions[1].location  # type: ignore[union-attr,index]
    assert span_text(tmp_path, loc) == '"ec2:StartInstances"'


def test_file_and_templatefile_policies(tmp_path: Path) -> None:
    inv = inv_of(
        tmp_path,
        {
            "main.tf": """
resource "aws_iam_policy" "f" {
  name   = "f"
  policy = file("${path.module}/policies/f.json")
}
resource "aws_iam_policy" "t" {
  name   = "t"
  policy = templatefile("${path.module}/t.json.tpl", { table = "orders" })
}
""",
            "policies/f.json": '{\n  "Statement": {"Effect": "Allow", "Action": ["sqs:SendMessage"], '
            '"Resource": "*"}\n}\n',
            "t.json.tpl": '{"Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", '
            '"Resource": "arn:aws:dynamodb:*:*:table/${table}"}]}\n',
        },
    )
    f = policy(inv, "aws_iam_policy.f")
    assert f.document is not None
    assert (f.document.style, f.document.source_file) == ("file", "policies/f.json")
    a = f.document.statements[0].actions[0]  # type: ignore[index]
    assert a.location is not None and a.location.file == "policies/f.json"
    assert span_text(tmp_path, a.location) == '"sqs:SendMessage"'
    t = policy(inv, "aws_iam_policy.t")
    assert t.document is not None and t.document.style == "templatefile"
    assert t.document.statements[0].resources == ["arn:aws:dynamodb:*:*:table/orders"]


def test_policy_document_data_source(tmp_path: Path) -> None:
    inv = inv_of(
        tmp_path,
        {
            "main.tf": """
locals {
  extra = { logs = ["logs:GetLogEvents"], sqs = ["sqs:SendMessage"] }
}
data "aws_iam_policy_document" "base" {
  statement {
    sid     = "Shared"
    actions = ["s3:GetObject"]
    resources = ["*"]
  }
  statement {
    sid     = "Replaced"
    actions = ["s3:DeleteObject"]
    resources = ["*"]
  }
}
data "aws_iam_policy_document" "doc" {
  source_policy_documents = [data.aws_iam_policy_document.base.json]
  statement {
    sid       = "Replaced"
    effect    = "Allow"
    actions   = ["S3:PutObject"]
    resources = ["*"]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["true"]
    }
  }
  statement {
    not_actions   = ["iam:*"]
    effect        = "Deny"
    not_resources = ["arn:aws:s3:::x"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::123456789012:root"]
    }
  }
  dynamic "statement" {
    for_each = local.extra
    content {
      sid       = statement.key
      actions   = statement.value
      resources = ["*"]
    }
  }
}
resource "aws_iam_role_policy" "r" {
  name   = "r"
  role   = "app"
  policy = data.aws_iam_policy_document.doc.json
}
""",
        },
    )
    p = policy(inv, "aws_iam_role_policy.r")
    assert p.document is not None and p.document.style == "policy_document"
    sts = p.document.statements
    assert [s.sid for s in sts] == ["Shared", "Replaced", None, "logs", "sqs"]
    assert [a.value for a in sts[1].actions or []] == ["S3:PutObject"]
    assert sts[1].conditions == {"Bool": {"aws:SecureTransport": ["true"]}}
    assert sts[1].location is not None and sts[1].location.syntax == "hcl-block"
    assert span_text(tmp_path, sts[1].location).startswith("statement {\n    sid       = \"Replaced\"")
    assert sts[2].effect == "Deny" and sts[2].not_resources == ["arn:aws:s3:::x"]
    assert sts[2].principals == {"AWS": ["arn:aws:iam::123456789012:root"]}
    assert [a.value for a in sts[3].actions or []] == ["logs:GetLogEvents"]
    assert sts[3].not_editable is not None and "dynamic" in sts[3].not_editable
    assert sts[0].not_editable is None
    assert any(d.address == "data.aws_iam_policy_document.doc" for d in inv.documents)


def test_policy_through_variables_and_plain_json_string(tmp_path: Path) -> None:
    inv = inv_of(
        tmp_path,
        {
            "main.tf": """
module "m" {
  source = "./m"
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "kms:Decrypt", Resource = "*" }] })
}
resource "aws_iam_user_policy" "s" {
  name   = "s"
  user   = "u"
  policy = "{\\"Statement\\": [{\\"Effect\\": \\"Allow\\", \\"Action\\": \\"sns:Publish\\", \\"Resource\\": \\"*\\"}]}"
}
""",
            "m/main.tf": """
variable "policy" {}
resource "aws_iam_policy" "p" {
  name   = "from-var"
  policy = var.policy
}
""",
        },
    )
    via_var = policy(inv, "module.m.aws_iam_policy.p")
    assert actions(via_var) == ["kms:Decrypt"]
    assert via_var.document is not None
    assert via_var.document.statements[0].actions[0].location.file == "main.tf"  # type: ignore[index,union-attr]
    s = policy(inv, "aws_iam_user_policy.s")
    assert s.document is not None and s.document.style == "json_string"
    assert actions(s) == ["sns:Publish"]
    assert "JSON string inside HCL quotes" in (s.document.statements[0].not_editable or "")


def test_computed_action_lists_are_not_editable(tmp_path: Path) -> None:
    inv = inv_of(
        tmp_path,
        {
            "main.tf": """
locals { base = ["s3:GetObject"] }
resource "aws_iam_policy" "p" {
  name = "p"
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = concat(local.base, ["s3:PutObject"]), Resource = "*" }]
  })
}
""",
        },
    )
    st = policy(inv, "aws_iam_policy.p").document.statements[0]  # type: ignore[union-attr]
    assert [a.value for a in st.actions or []] == ["s3:GetObject", "s3:PutObject"]
    assert st.not_editable is not None and "built by an expression" in st.not_editable


# --- the rest of the IAM resources ---------------------------------------------------------


def test_attachments_credentials_and_password_policy(tmp_path: Path) -> None:
    inv = inv_of(
        tmp_path,
        {
            "main.tf": """
resource "aws_iam_policy" "p" {
  name   = "p"
  path   = "/x/"
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "s3:*", Resource = "*" }] })
}
resource "aws_iam_user" "u" { name = "u" }
resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "*" } }] })
  inline_policy {
    name   = "inline"
    policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "ec2:*", Resource = "*" }] })
  }
}
resource "aws_iam_user_policy_attachment" "u" {
  user       = aws_iam_user.u.name
  policy_arn = aws_iam_policy.p.arn
}
resource "aws_iam_policy_attachment" "multi" {
  name       = "multi"
  policy_arn = aws_iam_policy.p.arn
  roles      = [aws_iam_role.r.name]
  groups     = ["g1"]
}
resource "aws_iam_role_policy_attachments_exclusive" "r" {
  role_name   = aws_iam_role.r.name
  policy_arns = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
}
resource "aws_iam_access_key" "k" {
  user    = aws_iam_user.u.name
  pgp_key = "keybase:someone"
}
resource "aws_iam_user_login_profile" "u" { user = aws_iam_user.u.name }
resource "aws_iam_account_password_policy" "p" { minimum_password_length = 14 }
""",
        },
        account_id="111122223333",
    )
    p = policy(inv, "aws_iam_policy.p")
    assert p.arn == "arn:aws:iam::111122223333:policy/x/p"
    assert [(a.target_type, a.target, a.policy) for a in inv.attachments] == [
        ("user", "u", "aws_iam_policy.p"),
        ("group", "g1", "aws_iam_policy.p"),
        ("role", "r", "aws_iam_policy.p"),
        ("role", "r", None),
    ]
    assert inv.attachments[-1].policy_arn == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    inline = policy(inv, "aws_iam_role.r.inline_policy[0]")
    assert (inline.kind, inline.owner_type, inline.owner) == ("inline", "role", "r")
    assert inline.owner_arn == "arn:aws:iam::111122223333:role/r"
    (role,) = inv.roles
    assert role.assume_role_policy is not None
    assert role.assume_role_policy.statements[0].principals == {"AWS": "*"}
    assert [(k.user, k.has_pgp_key) for k in inv.access_keys] == [("u", True)]
    assert [lp.user for lp in inv.login_profiles] == ["u"]
    assert inv.password_policies[0].settings == {"minimum_password_length": 14}


# --- the CLI ------------------------------------------------------------------------------


def test_cli_warns_on_unparseable_file_and_goes_on(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "good.tf": 'resource "aws_iam_group" "g" { name = "g" }\n',
            "bad.tf": 'resource "aws_iam_user" "u" {\n  name = "u"\n  oops = = 1\n}\n',
        },
    )
    result = CliRunner().invoke(main, ["inventory", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "Warning: bad.tf:3: cannot parse HCL: unexpected '=' (file skipped)\n"
    )
    data = json.loads(result.stdout)
    assert [g["name"] for g in data["groups"]] == ["g"]
    assert data["warnings"] == [
        {"file": "bad.tf", "message": "cannot parse HCL: unexpected '='", "line": 3}
    ]


def test_cli_strict_fails_on_unparseable_file(tmp_path: Path) -> None:
    write_tree(tmp_path, {"bad.tf": 'resource "aws_iam_user" "u" {\n  name = "u"\n'})
    result = CliRunner().invoke(main, ["inventory", str(tmp_path), "--strict"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "Error: bad.tf:2: cannot parse HCL: unexpected end of file\n"


def test_cli_bad_var_is_a_usage_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": ""})
    result = CliRunner().invoke(main, ["inventory", str(tmp_path), "--var", "novalue"])
    assert result.exit_code == 2
    assert result.stderr == "Error: --var 'novalue': expected NAME=VALUE\n"


def test_example_inventory_matches_golden(examples: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["inventory", str(examples / "acme"), "--format", "json", "--account-id", "111122223333"],
    )
    assert result.exit_code == 0, result.output
    golden = DATA / "acme.json"
    if os.environ.get("LPGEN_UPDATE_GOLDEN"):  # pragma: no cover - regenerate on purpose
        golden.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == golden.read_text(encoding="utf-8")


def test_example_inventory_text_summary(examples: Path) -> None:
    result = CliRunner().invoke(main, ["inventory", str(examples / "acme")])
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first == (
        "6 groups, 12 users, 2 roles, 8 managed and 1 inline policies, "
        "17 memberships, 15 attachments, 1 permission set, 2 account assignments, "
        "1 identity store group and 0 users in 19 files"
    )
    assert "  acme-developers  (aws_iam_group.team[\"developers\"], terraform_examples/acme/groups.tf:14)" in result.stdout
    assert "    members:  alice.nguyen, bob.martin, carol.smith, dave.okafor, mallory.jones" in (
        result.stdout
    )


def test_exclude_globs_from_flag_and_config(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "live/main.tf": 'resource "aws_iam_group" "g" { name = "live" }\n',
            "examples/demo/main.tf": 'resource "aws_iam_group" "g" { name = "demo" }\n',
            "live/legacy.tf": 'resource "aws_iam_group" "old" { name = "legacy" }\n',
        },
    )

    def names(*args: str) -> list[str]:
        result = CliRunner().invoke(main, ["inventory", str(tmp_path), "--format", "json", *args])
        assert result.exit_code == 0, result.output
        return sorted(g["name"] for g in json.loads(result.stdout)["groups"])

    assert names() == ["demo", "legacy", "live"]
    assert names("--exclude", "examples") == ["legacy", "live"]
    assert names("--exclude", "examples/*", "--exclude", "*/legacy.tf") == ["live"]
    (tmp_path / ".lpgen.toml").write_text('exclude = ["examples"]\n')
    assert names() == ["legacy", "live"]
    (tmp_path / ".lpgen.toml").write_text('exclud = ["examples"]\n')
    result = CliRunner().invoke(main, ["inventory", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr == f"Error: {tmp_path / '.lpgen.toml'}: unknown config key 'exclud'\n"


def test_python_dash_m_runs_the_cli() -> None:
    import subprocess
    import sys

    from lpgen import __version__

    proc = subprocess.run(
        [sys.executable, "-m", "lpgen", "--version"], capture_output=True, text=True, check=False
    )
    assert (proc.returncode, proc.stdout) == (0, f"lpgen, version {__version__}\n")
