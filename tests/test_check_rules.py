"""`lpgen check` rules: one positive and one negative Terraform case (at least) per code."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lpgen.check import CheckOptions, CheckResult, check_rules, run_check
from lpgen.checks.credentials import document_enforces_mfa
from lpgen.checks.secrets import scan_text
from lpgen.findings import Severity
from lpgen.inventory import InventoryOptions
from lpgen.policydoc import document_from_value

EXAMPLES = Path(__file__).resolve().parent.parent / "terraform_examples"
ACME = EXAMPLES / "acme"

Found = list[tuple[str, str, int]]


def run(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, str],
    *,
    account_id: str | None = None,
    **options: object,
) -> CheckResult:
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    # The account guardrail rules (LP05x) have their own tests; here they would only add noise.
    options.setdefault("ignore", ("LP05",))
    return run_check(
        ".",
        options=CheckOptions(use_git=False, **options),  # type: ignore[arg-type]
        inventory_options=InventoryOptions(account_id=account_id),
    )


def found(result: CheckResult, *codes: str) -> Found:
    """(code, file, line) of the findings of these codes (all codes when none given)."""
    return [
        (f.code, f.file or "", f.line or 0) for f in result.findings if not codes or f.code in codes
    ]


def policy(name: str, statements: str) -> str:
    return f"""
    resource "aws_iam_policy" "{name}" {{
      name = "{name}"
      policy = jsonencode({{
        Version   = "2012-10-17"
        Statement = [{statements}]
      }})
    }}
    """


# --- the bundled example -------------------------------------------------------------------


def test_acme_raises_no_false_alarm_on_its_good_practice(monkeypatch: pytest.MonkeyPatch) -> None:
    """MFA guard on every console group, OIDC role with conditions, partner role with an
    external id, a password policy, no keys: only the deliberate problems are reported."""
    monkeypatch.chdir(ACME)
    result = run_check(".", options=CheckOptions(use_git=False))
    assert found(result) == [
        ("LP018", "policies.tf", 66),  # ec2:StartInstances ... on "*" (low)
        ("LP013", "policies.tf", 71),  # lambda:UpdateFunctionCode on "*"
        ("LP018", "policies.tf", 96),  # kinesis:PutRecord on "*"
        ("LP018", "policies.tf", 108),  # athena:StartQueryExecution ... on "*"
        ("LP016", "policies.tf", 141),  # redshift:GetClusterCredentials on "*"
        ("LP018", "policies.tf", 141),  # redshift-data:ExecuteStatement on "*"
        ("LP018", "policies.tf", 168),  # budgets:ModifyBudget on "*"
        ("LP011", "policies/platform.json", 20),  # ec2:* and autoscaling:*, one finding
        ("LP018", "policies/platform.json", 23),  # route53:ChangeResourceRecordSets on "*"
        ("LP018", "roles.tf", 65),  # ecr:PutImage ... on "*"
        ("LP018", "templates/oncall.json.tpl", 13),  # ssm:StartSession ... on "*"
    ]
    # No finding on its trusts (OIDC pinned to repository and branch, partner with an
    # external id), its MFA guard, its password policy or its guardrail module.
    assert not [f for f in result.findings if f.code[:4] in ("LP03", "LP04", "LP05")]


def test_acme_with_snapshot_names_what_trim_removes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ACME)
    result = run_check(".", snapshots=["snapshot.json"], options=CheckOptions(use_git=False))
    unused = {f.address: f.message for f in result.findings if f.code == "LP001"}
    assert sorted(unused) == [
        "aws_iam_policy.data",
        "aws_iam_policy.developers",
        "aws_iam_policy.finance",
        "aws_iam_policy.platform",
        "aws_iam_role_policy.deploy",
    ]
    assert unused["aws_iam_policy.platform"] == (
        "Policy 'acme-platform' grants 93 actions unused in the 90-day window; lpgen trim "
        "would remove config:Describe* (25 actions), autoscaling:* (68 actions) (no longer "
        "granting autoscaling, config)"
    )
    assert unused["aws_iam_role_policy.deploy"] == (
        "Inline policy 'deploy' grants 1 action unused in the 90-day window; lpgen trim "
        "would remove lambda:UpdateAlias"
    )
    # The account comes from the snapshot, so the partner's account is judged: it has an
    # external id, so no LP041.
    assert not found(result, "LP041")
    assert result.notes == ()


def test_unused_rule_follows_the_trim_keep_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ACME)
    result = run_check(
        ".",
        snapshots=["snapshot.json"],
        options=CheckOptions(use_git=False, keep=("lambda:UpdateAlias",), select=("LP001",)),
    )
    assert "aws_iam_role_policy.deploy" not in {f.address for f in result.findings}


def test_usage_rules_do_not_run_without_a_snapshot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ACME)
    result = run_check(".", options=CheckOptions(use_git=False, select=("LP001",)))
    assert result.findings == ()
    assert "LP001" in result.skipped_checks
    assert result.notes == ("Note: LP001 not run: needs --snapshot.",)
    assert [r.code for r in result.rules] == []


# --- LP010-LP013 ------------------------------------------------------------------------------


def test_full_admin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(tmp_path, monkeypatch, {
        "iam.tf": policy("admin", '{ Effect = "Allow", Action = "*", Resource = "*" }')
        + policy("guarded", """{
              Effect = "Allow", Action = "*", Resource = "*"
              Condition = { Bool = { "aws:MultiFactorAuthPresent" = "true" } }
            }""")
        + policy("deny", '{ Effect = "Deny", Action = "*", Resource = "*" }')
        + """
        resource "aws_iam_role_policy_attachment" "break_glass" {
          role       = "break-glass"
          policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
        }
        """,
    })  # fmt: skip
    # Under a condition "*" on "*" is still admin for whoever meets it (high, not critical).
    assert found(result, "LP010", "LP011", "LP013") == [
        ("LP010", "iam.tf", 6),
        ("LP010", "iam.tf", 14),
        ("LP010", "iam.tf", 29),
    ]
    assert result.findings[0].severity is Severity.CRITICAL
    assert result.findings[1].severity is Severity.HIGH
    assert result.findings[2].message == (
        "AWS-managed policy AdministratorAccess (every action on every resource) is attached "
        "to role 'break-glass'"
    )


def test_service_wildcard_points_at_the_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(tmp_path, monkeypatch, {
        "doc.tf": """
        data "aws_iam_policy_document" "ops" {
          statement {
            actions   = ["s3:GetObject",
                         "s3:*"]
            resources = ["*"]
          }
          statement {
            actions   = ["sqs:*"]
            resources = ["arn:aws:sqs:*:*:jobs"]
          }
          statement {
            actions   = ["logs:Get*"]
            resources = ["*"]
          }
        }

        resource "aws_iam_policy" "ops" {
          name   = "ops"
          policy = data.aws_iam_policy_document.ops.json
        }
        """,
    })  # fmt: skip
    assert found(result, "LP011") == [("LP011", "doc.tf", 5)]
    lp011 = next(f for f in result.findings if f.code == "LP011")
    assert "every s3 action (s3:*)" in lp011.message


def test_allow_not_action(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(tmp_path, monkeypatch, {
        "iam.tf": policy("power", '{ Effect = "Allow", NotAction = ["iam:*"], Resource = "*" }')
        + policy("scoped", '{ Effect = "Allow", NotAction = "s3:Delete*", Resource = "arn:aws:s3:::b/*" }')
        + policy("mfa", '{ Effect = "Deny", NotAction = "iam:ChangePassword", Resource = "*" }'),
    })  # fmt: skip
    got = [(f.code, f.line, f.severity) for f in result.findings if f.code == "LP012"]
    assert got == [("LP012", 6, Severity.HIGH), ("LP012", 14, Severity.MEDIUM)]


def test_privilege_escalation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(tmp_path, monkeypatch, {
        "heredoc.tf": """
        resource "aws_iam_policy" "ci" {
          name   = "ci"
          policy = <<-EOF
            {
              "Version": "2012-10-17",
              "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObject", "iam:PassRole"], "Resource": "*"},
                {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::*:role/app-*"}
              ]
            }
          EOF
        }
        """,
        "wild.tf": policy("iam_admin", '{ Effect = "Allow", Action = "iam:Put*", Resource = "*" }'),
        "denied.tf": policy("denied", """
            { Effect = "Allow", Action = ["sts:AssumeRole"], Resource = "*" },
            { Effect = "Deny", Action = ["sts:AssumeRole"], Resource = "*" }"""),
    })  # fmt: skip
    got = {(f.file, f.line): f.message for f in result.findings if f.code == "LP013"}
    assert got == {
        ("heredoc.tf", 8): "Policy 'ci' allows iam:PassRole on every resource (statement 1)",
        ("wild.tf", 6): (
            "Policy 'iam_admin' allows iam:PutGroupPolicy, iam:PutRolePolicy, iam:PutUserPolicy "
            "on every resource (statement 1)"
        ),
    }


def test_privilege_escalation_in_a_module_with_for_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(tmp_path, monkeypatch, {
        "main.tf": """
        module "team" {
          source   = "./modules/team"
          for_each = toset(["a", "b"])
          name     = each.key
        }
        """,
        "modules/team/main.tf": """
        variable "name" { type = string }
        locals { actions = ["iam:CreateAccessKey", "iam:ListUsers"] }
        resource "aws_iam_policy" "this" {
          name   = "team-${var.name}"
          policy = jsonencode({
            Statement = [{ Effect = "Allow", Action = local.actions, Resource = "*" }]
          })
        }
        """,
    })  # fmt: skip
    # One finding for the block, naming the module instances it covers.
    assert [(f.address, f.file) for f in result.findings if f.code == "LP013"] == [
        ("module.team.aws_iam_policy.this", "modules/team/main.tf"),
    ]
    assert result.findings[0].message == (
        "Policy 'team-a' allows iam:CreateAccessKey on every resource (statement 1); "
        'in 2 instances: ["a"], ["b"]'
    )


def test_iam_full_access_attachment_is_privilege_escalation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(tmp_path, monkeypatch, {
        "a.tf": """
        resource "aws_iam_group_policy_attachment" "iam" {
          group      = "identity"
          policy_arn = "arn:aws:iam::aws:policy/IAMFullAccess"
        }
        resource "aws_iam_group_policy_attachment" "read" {
          group      = "identity"
          policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
        }
        """,
    })  # fmt: skip
    assert found(result, "LP010", "LP013") == [("LP013", "a.tf", 2)]


# --- LP020-LP023 ------------------------------------------------------------------------------


def test_inline_policies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = 'jsonencode({ Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }] })'
    result = run(tmp_path, monkeypatch, {
        "iam.tf": f"""
        resource "aws_iam_group_policy" "g" {{
          name   = "g"
          group  = "analysts"
          policy = {doc}
        }}
        resource "aws_iam_role_policy" "own" {{
          name   = "own"
          role   = "unique"
          policy = jsonencode({{ Statement = [{{ Effect = "Allow", Action = "sqs:*", Resource = "arn:aws:sqs:*:*:q" }}] }})
        }}
        resource "aws_iam_role_policy" "copy" {{
          for_each = toset(["r1", "r2"])
          name     = "copy"
          role     = each.key
          policy   = {doc}
        }}
        resource "aws_iam_user_policy" "u" {{
          name   = "u"
          user   = "alice"
          policy = {doc}
        }}
        """,
    })  # fmt: skip
    lp020 = [(f.address, f.message) for f in result.findings if f.code == "LP020"]
    # One finding per block, naming its instances.
    assert [a for a, _ in lp020] == ["aws_iam_group_policy.g", "aws_iam_role_policy.copy"]
    assert lp020[1][1] == (
        "Inline policy 'copy' of role 'r1' repeats the document of 3 other inline policies "
        "(group 'analysts', role 'r2', user 'alice'); make it one customer-managed policy; "
        'in 2 instances: ["r1"], ["r2"]'
    )
    lp021 = [(f.address, f.message) for f in result.findings if f.code == "LP021"]
    # The user is named once.
    assert lp021 == [("aws_iam_user_policy.u", "User 'alice' has its own inline policy 'u'")]


def test_users_groups_and_memberships(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(tmp_path, monkeypatch, {
        "users.tf": """
        resource "aws_iam_user" "alice" { name = "alice" }
        resource "aws_iam_user" "bob" { name = "bob" }
        resource "aws_iam_user" "carol" { name = "carol" }
        resource "aws_iam_group" "dev" { name = "dev" }
        resource "aws_iam_group" "ops" { name = "ops" }
        resource "aws_iam_group" "empty" { name = "empty" }
        resource "aws_iam_user_group_membership" "alice" {
          user   = aws_iam_user.alice.name
          groups = [aws_iam_group.dev.name]
        }
        resource "aws_iam_group_membership" "ops" {
          name  = "ops"
          group = aws_iam_group.ops.name
          users = [aws_iam_user.bob.name]
        }
        resource "aws_iam_user_policy_attachment" "carol" {
          user       = aws_iam_user.carol.name
          policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
        }
        """,
    })  # fmt: skip
    assert found(result, "LP021", "LP022", "LP023") == [
        ("LP022", "users.tf", 4),
        ("LP023", "users.tf", 7),
        ("LP021", "users.tf", 17),
    ]


def test_unknown_memberships_are_not_guessed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(tmp_path, monkeypatch, {
        "users.tf": """
        resource "aws_iam_user" "alice" { name = "alice" }
        resource "aws_iam_group" "dev" { name = "dev" }
        resource "aws_iam_user_group_membership" "alice" {
          user   = aws_iam_user.alice.name
          groups = [data.external.teams.result["alice"]]
        }
        """,
    })  # fmt: skip
    assert found(result, "LP022", "LP023") == []


# --- LP030-LP034 ------------------------------------------------------------------------------

USERS = """
resource "aws_iam_user" "alice" { name = "alice" }
resource "aws_iam_user" "bot" { name = "bot" }
resource "aws_iam_group" "dev" { name = "dev" }
resource "aws_iam_group_membership" "dev" {
  name  = "dev"
  group = aws_iam_group.dev.name
  users = [aws_iam_user.alice.name, aws_iam_user.bot.name]
}
resource "aws_iam_user_login_profile" "alice" {
  user = aws_iam_user.alice.name
}
"""

MFA_POLICY = """
resource "aws_iam_policy" "mfa" {
  name = "mfa"
  policy = jsonencode({
    Statement = [{
      Effect    = "Deny"
      NotAction = ["iam:EnableMFADevice", "sts:GetSessionToken"]
      Resource  = "*"
      Condition = { BoolIfExists = { "aws:MultiFactorAuthPresent" = "false" } }
    }]
  })
}
resource "aws_iam_group_policy_attachment" "mfa" {
  group      = aws_iam_group.dev.name
  policy_arn = aws_iam_policy.mfa.arn
}
resource "aws_iam_account_password_policy" "this" {
  minimum_password_length      = 14
  password_reuse_prevention    = 24
  require_uppercase_characters = true
  require_lowercase_characters = true
  require_numbers              = true
  require_symbols              = true
  max_password_age             = 90
}
"""


def test_access_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(tmp_path, monkeypatch, {
        "users.tf": USERS + MFA_POLICY,
        "keys.tf": """
        resource "aws_iam_access_key" "alice" {
          user = aws_iam_user.alice.name
        }
        resource "aws_iam_access_key" "bot" {
          user    = aws_iam_user.bot.name
          pgp_key = "keybase:ops"
        }
        """,
    })  # fmt: skip
    assert found(result) == [
        ("LP030", "keys.tf", 2),
        ("LP031", "keys.tf", 2),
        ("LP032", "keys.tf", 2),
        ("LP030", "keys.tf", 5),
    ]


def test_console_users_need_an_mfa_policy_and_a_password_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(tmp_path, monkeypatch, {"users.tf": USERS})
    assert found(result) == [("LP033", "users.tf", 10), ("LP034", "users.tf", 10)]
    assert result.findings[0].message == (
        "Console user 'alice' gets no policy that denies access without MFA (groups: dev)"
    )
    assert result.findings[1].subject == "account"


def test_mfa_policy_through_a_group_satisfies_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(tmp_path, monkeypatch, {"users.tf": USERS + MFA_POLICY})
    assert found(result) == []


def test_an_unreadable_policy_is_not_taken_for_missing_mfa(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(tmp_path, monkeypatch, {
        "users.tf": USERS + """
        resource "aws_iam_group_policy_attachment" "shared" {
          group      = aws_iam_group.dev.name
          policy_arn = "arn:aws:iam::111122223333:policy/org/require-mfa"
        }
        """,
    })  # fmt: skip
    assert found(result, "LP033") == []


@pytest.mark.parametrize(
    ("condition", "enforces"),
    [
        ('{"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}', True),
        ('{"Bool": {"aws:MultiFactorAuthPresent": false}}', True),
        ('{"Null": {"aws:MultiFactorAuthAge": "true"}}', True),
        ('{"Bool": {"aws:MultiFactorAuthPresent": "true"}}', False),
        ('{"Bool": {"aws:SecureTransport": "false"}}', False),
    ],
)
def test_mfa_enforcement_conditions(condition: str, enforces: bool) -> None:
    doc = document_from_value(
        '{"Statement": [{"Effect": "Deny", "NotAction": "iam:*", "Resource": "*", '
        f'"Condition": {condition}}}]}}'
    )
    assert document_enforces_mfa(doc) is enforces


# --- LP040-LP042 ------------------------------------------------------------------------------


def role(name: str, trust: str) -> str:
    return f"""
    resource "aws_iam_role" "{name}" {{
      name = "{name}"
      assume_role_policy = jsonencode({{
        Version   = "2012-10-17"
        Statement = [{trust}]
      }})
    }}
    """


def test_public_principals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(tmp_path, monkeypatch, {
        "roles.tf": role("open", '{ Effect = "Allow", Principal = { AWS = "*" }, Action = "sts:AssumeRole" }')
        + role("org", """{
              Effect = "Allow", Principal = { AWS = "*" }, Action = "sts:AssumeRole"
              Condition = { StringEquals = { "aws:PrincipalOrgID" = "o-abc123" } }
            }""")
        + role("ifexists", """{
              Effect = "Allow", Principal = "*", Action = "sts:AssumeRole"
              Condition = { StringEqualsIfExists = { "aws:PrincipalOrgID" = "o-abc123" } }
            }"""),
        "bucket.tf": """
        resource "aws_s3_bucket_policy" "site" {
          bucket = "site"
          policy = jsonencode({
            Statement = [
              { Sid = "TLS", Effect = "Deny", Principal = "*", Action = "s3:*", Resource = "*",
                Condition = { Bool = { "aws:SecureTransport" = "false" } } },
              { Sid = "Read", Effect = "Allow", Principal = { AWS = "*" }, Action = "s3:GetObject",
                Resource = "arn:aws:s3:::site/*" },
            ]
          })
        }
        """,
    })  # fmt: skip
    assert [(f.address, f.line) for f in result.findings if f.code == "LP040"] == [
        ("aws_s3_bucket_policy.site", 8),
        ("aws_iam_role.open", 6),
        ("aws_iam_role.ifexists", 25),
    ]
    messages = {f.address: f.message for f in result.findings}
    assert messages["aws_s3_bucket_policy.site"] == (
        "S3 bucket policy allows s3:GetObject to any AWS principal, with no condition that "
        "limits who (statement 'Read')"
    )


def test_cross_account_trust(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "roles.tf": role("vendor", '{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::444455556666:root" }, Action = "sts:AssumeRole" }')
        + role("partner", """{
              Effect = "Allow", Principal = { AWS = ["444455556666"] }, Action = "sts:AssumeRole"
              Condition = { StringEquals = { "sts:ExternalId" = "x-1" } }
            }""")
        + role("own", '{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::111122223333:role/ci" }, Action = "sts:AssumeRole" }'),
        "queue.tf": """
        resource "aws_sqs_queue_policy" "jobs" {
          queue_url = "https://sqs/jobs"
          policy = jsonencode({
            Statement = [{ Effect = "Allow", Principal = { AWS = "444455556666" },
                           Action = "sqs:SendMessage", Resource = "*" }]
          })
        }
        """,
    }  # fmt: skip
    result = run(tmp_path, monkeypatch, files, account_id="111122223333")
    got = [(f.address, f.severity) for f in result.findings if f.code == "LP041"]
    assert got == [
        ("aws_sqs_queue_policy.jobs", Severity.MEDIUM),
        ("aws_iam_role.vendor", Severity.HIGH),
    ]
    assert result.notes == ()
    # Without the account, a literal account is still reported, one severity lower, saying so.
    unknown = run(tmp_path, monkeypatch, {})
    got = [(f.address, f.severity) for f in unknown.findings if f.code == "LP041"]
    assert got == [
        ("aws_sqs_queue_policy.jobs", Severity.LOW),
        ("aws_iam_role.vendor", Severity.MEDIUM),
        ("aws_iam_role.own", Severity.MEDIUM),
    ]
    assert unknown.findings[1].message == (
        "Role 'vendor' can be assumed from account 444455556666 without an sts:ExternalId or "
        "aws:PrincipalOrgID condition; the account this tree is applied to is not known, so it "
        "could not be compared (statement 1)"
    )
    assert unknown.notes == ()


GITHUB_TRUST = """
data "aws_iam_policy_document" "trust_{name}" {{
  statement {{
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {{
      type        = "Federated"
      identifiers = ["arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"]
    }}
    condition {{
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }}
    {extra}
  }}
}}
resource "aws_iam_role" "{name}" {{
  name               = "{name}"
  assume_role_policy = data.aws_iam_policy_document.trust_{name}.json
}}
"""


def test_web_identity_trust(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sub = """condition {{
      test     = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["{value}"]
    }}"""
    result = run(tmp_path, monkeypatch, {
        "a.tf": GITHUB_TRUST.format(name="nosub", extra=""),
        "b.tf": GITHUB_TRUST.format(name="anyrepo", extra=sub.format(value="repo:*")),
        "c.tf": GITHUB_TRUST.format(name="pinned", extra=sub.format(value="repo:acme/app:ref:refs/heads/main")),
    })  # fmt: skip
    got = {f.address: f.message for f in result.findings if f.code == "LP042"}
    assert got == {
        "aws_iam_role.nosub": (
            "Role 'nosub' trusts GitHub Actions OIDC tokens with no condition on the sub claim "
            "(statement 1)"
        ),
        "aws_iam_role.anyrepo": (
            "Role 'anyrepo' trusts GitHub Actions OIDC tokens of any repository (sub 'repo:*') "
            "(statement 1)"
        ),
    }


# --- LP045 ------------------------------------------------------------------------------------


def test_hardcoded_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_id = "AKIA" + "Q3EGRAXW7Q2ZPT4N"
    secret = "kq8Zy3" + "x" * 30 + "1234"
    result = run(tmp_path, monkeypatch, {
        "provider.tf": f"""
        provider "aws" {{
          access_key = "{key_id}"
          secret_key = "{secret}"
        }}
        """,
        "prod.tfvars": 'example_key = "AKIAIOSFODNN7EXAMPLE"\n',
        ".terraform/modules/x/main.tf": f'access_key = "{key_id}"\n',
    })  # fmt: skip
    assert [(f.file, f.line, f.message) for f in result.findings] == [
        ("provider.tf", 3, "AWS access key id AKIA…PT4N is written in the code"),
        ("provider.tf", 4, "AWS secret access key …1234 is written in the code"),
    ]
    assert key_id not in result.findings[0].message


def test_secret_scan_honours_exclude(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_id = "AKIA" + "Q3EGRAXW7Q2ZPT4N"
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "demo.tf").write_text(f'access_key = "{key_id}"\n')
    (tmp_path / "main.tf").write_text(f'access_key = "{key_id}"\n')
    monkeypatch.chdir(tmp_path)
    result = run_check(".", inventory_options=InventoryOptions(exclude=("examples/*",)))
    assert found(result) == [("LP045", "main.tf", 1)]


def test_secret_scan_ignores_lookalikes() -> None:
    text = 'role_id = "AROAQ3EGRAXW7Q2ZPT4N"\nname = "XAKIAQ3EGRAXW7Q2ZPT4NX"\n'
    assert list(scan_text(text)) == []


# --- registry ---------------------------------------------------------------------------------


def test_check_codes_stay_in_their_range() -> None:
    codes = [r.code for r in check_rules()]
    assert codes == sorted(codes)
    assert all("LP001" <= c <= "LP059" for c in codes)
    assert len(set(codes)) == len(codes)


# --- LP028: action elements IAM rejects ----------------------------------------------------


def test_action_without_service_prefix_is_reported_where_it_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(tmp_path, monkeypatch, {
        "main.tf": policy("bad", """{
          Sid      = "Broad"
          Effect   = "Allow"
          Action   = ["s3:GetObject",
                      "s*", "sqs::SendMessage"]
          Resource = "*"
        }"""),
        "doc.tf": """
        data "aws_iam_policy_document" "trust" {
          statement {
            not_actions = ["GetObject"]
            resources   = ["arn:aws:s3:::b/*"]
          }
        }

        resource "aws_s3_bucket_policy" "b" {
          bucket = "b"
          policy = data.aws_iam_policy_document.trust.json
        }
        """,
    }, select=("LP028",))  # fmt: skip
    assert found(result) == [("LP028", "doc.tf", 4), ("LP028", "main.tf", 10), ("LP028", "main.tf", 10)]
    messages = sorted(f.message for f in result.findings)
    assert messages == [
        "The policy of aws_iam_policy.bad has Action 's*', which IAM rejects: it has no service "
        "prefix (`service:action`) (statement 'Broad')",
        "The policy of aws_iam_policy.bad has Action 'sqs::SendMessage', which IAM rejects: it "
        "has more than one colon (statement 'Broad')",
        "The policy of aws_s3_bucket_policy.b has NotAction 'GetObject', which IAM rejects: it "
        "has no service prefix (`service:action`) (statement 1)",
    ]


def test_well_formed_actions_and_unknown_ones_are_not_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(tmp_path, monkeypatch, {
        "main.tf": 'variable "extra" {}\n' + policy("good", """{
          Effect   = "Allow"
          Action   = ["*", "s3:Get*", "ec2:Describe?nstances", "execute-api:Invoke",
                      "${var.extra}:Get*"]
          Resource = "*"
        }"""),
    }, select=("LP028",))  # fmt: skip
    assert found(result) == []
