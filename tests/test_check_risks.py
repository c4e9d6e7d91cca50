"""LP014-LP018 (risk classes on unconstrained resources, "*" on a name) and LP035 (password
policy strength): a bad and a good case each."""

from __future__ import annotations

from pathlib import Path

import pytest

from lpgen.checks.credentials import password_policy_gaps
from lpgen.findings import Severity
from tests.test_check_rules import found, policy, run


@pytest.mark.parametrize(
    ("code", "bad", "good"),
    [
        ("LP014",
         '{ Effect = "Allow", Action = "*", Resource = "arn:aws:s3:::reports" }',
         '{ Effect = "Allow", Action = ["s3:GetObject"], Resource = "arn:aws:s3:::reports/*" }'),
        ("LP015",
         '{ Effect = "Allow", Action = ["s3:GetObject", "ssm:GetParameter*"], Resource = "*" }',
         '{ Effect = "Allow", Action = ["ssm:GetParameter*"], '
         'Resource = "arn:aws:ssm:*:111122223333:parameter/app/*" }'),
        ("LP016",
         '{ Effect = "Allow", Action = ["redshift:GetClusterCredentials"], Resource = "*" }',
         # ecr:GetAuthorizationToken takes only "*": nothing to scope, nothing reported.
         '{ Effect = "Allow", Action = ["ecr:GetAuthorizationToken", "sts:GetSessionToken"], '
         'Resource = "*" }'),
        ("LP017",
         '{ Effect = "Allow", Action = ["s3:PutBucketPolicy", "kms:CreateGrant"], Resource = "*" }',
         '{ Effect = "Allow", Action = ["s3:PutBucketPolicy"], Resource = "arn:aws:s3:::site" }'),
        ("LP018",
         '{ Effect = "Allow", Action = ["ec2:StopInstances", "ec2:Describe*"], Resource = "*" }',
         '{ Effect = "Allow", Action = ["ec2:StopInstances"], Resource = "*", '
         'Condition = { StringEquals = { "aws:ResourceTag/team" = "web" } } }'),
    ],
)  # fmt: skip
def test_risk_classes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: str, bad: str, good: str
) -> None:
    result = run(tmp_path, monkeypatch, {"bad.tf": policy("bad", bad), "good.tf": policy("good", good)})
    assert found(result) == [(code, "bad.tf", 6)], result.findings


def test_risk_messages_name_the_actions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(tmp_path, monkeypatch, {"p.tf": policy("ops", """{
        Sid = "Ops", Effect = "Allow", Resource = "*",
        Action = ["s3:GetObject", "s3:PutBucketPolicy", "ec2:StartInstances", "iam:PassRole"] }""")})
    got = [(f.code, f.severity, f.message) for f in result.findings]
    assert got == [
        ("LP013", Severity.HIGH, "Policy 'ops' allows iam:PassRole on every resource (statement 'Ops')"),
        ("LP015", Severity.MEDIUM,
         "Policy 'ops' allows reading data on every resource: s3:GetObject (statement 'Ops')"),
        ("LP017", Severity.HIGH,
         "Policy 'ops' allows changing permissions of every resource: s3:PutBucketPolicy "
         "(statement 'Ops')"),
        ("LP018", Severity.LOW,
         "Policy 'ops' allows write actions on every resource: ec2:StartInstances "
         "(statement 'Ops')"),
    ]  # fmt: skip


def test_a_deny_in_the_same_policy_cancels_a_risk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(tmp_path, monkeypatch, {"p.tf": policy("p", """
        { Effect = "Allow", Action = ["s3:GetObject"], Resource = "*" },
        { Effect = "Deny", Action = ["s3:GetObject"], Resource = "*" }""")})
    assert found(result) == []


PASSWORD = """
resource "aws_iam_account_password_policy" "this" {{
{body}
}}
"""
CIS = """  minimum_password_length      = 14
  password_reuse_prevention    = 24
  require_uppercase_characters = true
  require_lowercase_characters = true
  require_numbers              = true
  require_symbols              = true
  max_password_age             = 90"""


def test_password_policy_strength(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    weak = ("  minimum_password_length = 8\n  require_symbols = false\n  max_password_age = 180\n"
            "  allow_users_to_change_password = false")
    result = run(tmp_path, monkeypatch, {"weak/main.tf": PASSWORD.format(body=weak)})
    assert [(f.code, f.file, f.line, f.message) for f in result.findings] == [
        ("LP035", "weak/main.tf", 2,
         "Account password policy is weaker than CIS: minimum_password_length 8 (CIS: >= 14), "
         "password_reuse_prevention not set (CIS: >= 24), require_uppercase_characters not set, "
         "require_lowercase_characters not set, require_numbers not set, require_symbols false, "
         "max_password_age 180 (CIS: <= 90), allow_users_to_change_password false"),
    ]  # fmt: skip


def test_a_cis_password_policy_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(tmp_path, monkeypatch, {"main.tf": PASSWORD.format(body=CIS)})
    assert found(result) == []


def test_unknown_password_settings_are_not_judged() -> None:
    settings = {"minimum_password_length": 14, "require_uppercase_characters": True,
                "require_lowercase_characters": True, "require_numbers": True,
                "require_symbols": True, "max_password_age": 90}  # fmt: skip
    assert password_policy_gaps(settings, ["password_reuse_prevention"]) == []
    assert password_policy_gaps(settings) == ["password_reuse_prevention not set (CIS: >= 24)"]


def test_one_finding_per_block_and_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A for_each policy with two service wildcards: one LP011, naming services and instances."""
    result = run(tmp_path, monkeypatch, {"teams.tf": """
    resource "aws_iam_policy" "team" {
      for_each = toset(["api", "web", "jobs"])
      name     = "team-${each.key}"
      policy = jsonencode({
        Statement = [
          { Sid = "Run", Effect = "Allow", Action = ["ec2:*", "autoscaling:*"], Resource = "*" },
          { Sid = "Queue", Effect = "Allow", Action = "sqs:*", Resource = "*" },
        ]
      })
    }
    """}, select=("LP011",))  # fmt: skip
    assert [(f.code, f.address, f.line) for f in result.findings] == [
        ("LP011", "aws_iam_policy.team", 7)
    ]
    assert result.findings[0].message == (
        "Policy 'team-api' allows every action of ec2, autoscaling, sqs (ec2:*, autoscaling:*, "
        "sqs:*) on every resource (statement 'Run', statement 'Queue'); in 3 instances: "
        '["api"], ["jobs"], ["web"]'
    )


def test_an_empty_not_action_from_a_null_module_input_is_no_not_action(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """terraform-aws-modules' iam-user passes not_actions = null through an optional object
    attribute: the statement is an Action statement, not "every action except nothing"."""
    result = run(tmp_path, monkeypatch, {"p.tf": """
    variable "perms" {
      type = map(object({
        actions     = optional(list(string))
        not_actions = optional(list(string), [])
        resources   = optional(list(string))
      }))
      default = { Logs = { actions = ["logs:PutLogEvents"], resources = ["*"] } }
    }
    data "aws_iam_policy_document" "p" {
      dynamic "statement" {
        for_each = var.perms
        content {
          sid         = statement.key
          actions     = statement.value.actions
          not_actions = statement.value.not_actions
          resources   = statement.value.resources
        }
      }
    }
    resource "aws_iam_policy" "p" {
      name   = "p"
      policy = data.aws_iam_policy_document.p.json
    }
    """}, select=("LP012",))  # fmt: skip
    assert found(result) == []


def test_one_instance_reached_from_several_roots_is_one_finding() -> None:
    from lpgen.check import merge_instances
    from lpgen.findings import Finding

    same = Finding.create("LP010", "Policy 'x' allows every action on every resource",
                          file="modules/p/main.tf", line=3, address="module.p.aws_iam_policy.x")  # fmt: skip
    assert merge_instances([same, same]) == [same]


def test_one_finding_for_a_module_block_called_several_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(tmp_path, monkeypatch, {
        "main.tf": 'module "eu" {\n  source = "./m"\n}\nmodule "us" {\n  source = "./m"\n}\n',
        "m/main.tf": policy("p", '{ Effect = "Allow", Action = "*", Resource = "*" }'),
    }, select=("LP010",))  # fmt: skip
    assert [(f.address, f.file, f.line) for f in result.findings] == [
        ("module.eu.aws_iam_policy.p", "m/main.tf", 6)
    ]
    assert result.findings[0].message.endswith(
        "; in 2 instances: module.eu.aws_iam_policy.p, module.us.aws_iam_policy.p"
    )


def test_a_console_user_whose_every_permission_needs_mfa_is_not_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """KICS' authentication_without_mfa negative case: the only policy allows under MFA."""
    users = """
    resource "aws_iam_user" "u" { name = "u" }
    resource "aws_iam_user_login_profile" "u" { user = aws_iam_user.u.name }
    resource "aws_iam_user_policy" "u" {
      name = "u"
      user = aws_iam_user.u.name
      policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "sts:AssumeRole",
        Resource = "arn:aws:iam::111122223333:role/ops",
        Condition = { %s = { "aws:MultiFactorAuthPresent" = "true" } } }] })
    }
    """
    gated = run(tmp_path / "a", monkeypatch, {"main.tf": users % "BoolIfExists"}, select=("LP033",))
    assert found(gated) == []
    open_ = run(tmp_path / "b", monkeypatch, {"main.tf": users % "Null"}, select=("LP033",))
    assert [f.code for f in open_.findings] == ["LP033"]
