"""Resource policies of every kind (LP040, LP041, LP043, LP044): read with positions, judged."""

from __future__ import annotations

from pathlib import Path

import pytest

from lpgen.findings import Severity
from tests.test_check_rules import found, run

PUBLIC = """jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid = "Open", Effect = "Allow", Principal = "*", Action = "%s", Resource = "*"
    }]
  })"""


@pytest.mark.parametrize(
    ("rtype", "attr", "action", "extra"),
    [
        ("aws_s3_bucket", "policy", "s3:GetObject", 'bucket = "site"'),
        ("aws_sqs_queue", "policy", "sqs:SendMessage", 'name = "jobs"'),
        ("aws_sns_topic", "policy", "sns:Publish", 'name = "events"'),
        ("aws_secretsmanager_secret", "policy", "secretsmanager:GetSecretValue", 'name = "s"'),
        ("aws_efs_file_system_policy", "policy", "elasticfilesystem:ClientMount",
         'file_system_id = "fs-1"'),
        ("aws_glue_resource_policy", "policy", "glue:GetTable", ""),
        ("aws_api_gateway_rest_api_policy", "policy", "execute-api:Invoke",
         'rest_api_id = "abc"'),
        ("aws_api_gateway_rest_api", "policy", "execute-api:Invoke", 'name = "api"'),
        ("aws_ses_identity_policy", "policy", "ses:SendEmail", 'identity = "a.example"\n  name = "p"'),
        ("aws_cloudwatch_log_destination_policy", "access_policy", "logs:PutSubscriptionFilter",
         'destination_name = "d"'),
        ("aws_cloudwatch_log_resource_policy", "policy_document", "logs:PutLogEvents",
         'policy_name = "p"'),
        ("aws_backup_vault_policy", "policy", "backup:DescribeBackupVault",
         'backup_vault_name = "v"'),
        ("aws_opensearch_domain_policy", "access_policies", "es:ESHttpGet", 'domain_name = "d"'),
        ("aws_opensearch_domain", "access_policies", "es:ESHttpGet", 'domain_name = "d"'),
    ],
)  # fmt: skip
def test_every_resource_policy_type_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rtype: str, attr: str, action: str, extra: str
) -> None:
    text = f'resource "{rtype}" "r" {{\n  {extra}\n  {attr} = {PUBLIC % action}\n}}\n'
    result = run(tmp_path, monkeypatch, {"main.tf": text})
    line = text.splitlines().index('      Sid = "Open", Effect = "Allow", Principal = "*", '
                                   f'Action = "{action}", Resource = "*"') + 1  # fmt: skip
    assert found(result) == [("LP040", "main.tf", line - 1)]
    assert result.findings[0].address == f"{rtype}.r"
    assert f"allows {action} to any AWS principal" in result.findings[0].message


def lambda_permission(name: str, body: str) -> str:
    return f'resource "aws_lambda_permission" "{name}" {{\n  function_name = "worker"\n{body}}}\n'


def test_lambda_permissions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(tmp_path, monkeypatch, {"lambda.tf": (
        lambda_permission("public", '  action = "lambda:InvokeFunction"\n  principal = "*"\n')
        + lambda_permission("deputy", '  action = "lambda:InvokeFunction"\n'
                            '  principal = "sns.amazonaws.com"\n')
        + lambda_permission("sourced", '  action = "lambda:InvokeFunction"\n'
                            '  principal = "sns.amazonaws.com"\n'
                            '  source_arn = aws_sns_topic.jobs.arn\n')
        + lambda_permission("account", '  action = "lambda:InvokeFunction"\n'
                            '  principal = "s3.amazonaws.com"\n'
                            '  source_account = "111122223333"\n')
        + lambda_permission("org", '  action = "lambda:InvokeFunction"\n  principal = "*"\n'
                            '  principal_org_id = "o-a1b2c3d4e5"\n')
        + lambda_permission("partner", '  action = "lambda:InvokeFunction"\n'
                            '  principal = "444455556666"\n')
    )}, account_id="111122223333")  # fmt: skip
    got = [(f.code, f.address.split(".")[1], f.line, f.severity) for f in result.findings]
    assert got == [
        ("LP040", "public", 1, Severity.CRITICAL),
        ("LP044", "deputy", 6, Severity.MEDIUM),
        ("LP041", "partner", 29, Severity.MEDIUM),
    ]
    deputy = result.findings[1].message
    assert deputy == (
        "Lambda permission allows sns.amazonaws.com to act without an aws:SourceArn or "
        "aws:SourceAccount condition: any account's resources can use it (statement 1)"
    )


def test_wildcard_actions_to_other_principals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def bucket(name: str, statement: str) -> str:
        return f"""
        resource "aws_s3_bucket_policy" "{name}" {{
          bucket = "{name}"
          policy = jsonencode({{ Statement = [{statement}] }})
        }}
        """

    result = run(tmp_path, monkeypatch, {"b.tf": (
        bucket("partner", '{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::444455556666:root" }, '
               'Action = "s3:*", Resource = "*", Condition = { StringEquals = { "aws:PrincipalOrgID" = "o-a1b2c3d4e5" } } }')
        + bucket("org", '{ Effect = "Allow", Principal = "*", Action = "*", Resource = "*", '
                 'Condition = { StringEquals = { "aws:PrincipalOrgID" = "o-a1b2c3d4e5" } } }')
        + bucket("service", '{ Effect = "Allow", Principal = { Service = "logging.s3.amazonaws.com" }, '
                 'Action = "s3:*", Resource = "*", Condition = { StringEquals = { "aws:SourceAccount" = "111122223333" } } }')
        + bucket("own", '{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::111122223333:root" }, '
                 'Action = "s3:*", Resource = "*" }')
        + bucket("narrow", '{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::444455556666:root" }, '
                 'Action = "s3:GetObject", Resource = "*", Condition = { StringEquals = { "aws:PrincipalOrgID" = "o-a1b2c3d4e5" } } }')
        + bucket("tls", '{ Effect = "Deny", Principal = "*", Action = "s3:*", Resource = "*", '
                 'Condition = { Bool = { "aws:SecureTransport" = "false" } } }')
    )}, account_id="111122223333")  # fmt: skip
    got = [(f.code, f.address.split(".")[1], f.severity) for f in result.findings]
    assert got == [
        ("LP043", "partner", Severity.HIGH),
        ("LP043", "org", Severity.HIGH),
        ("LP043", "service", Severity.MEDIUM),
    ]
    assert result.findings[0].message == (
        "S3 bucket policy allows s3:* to account 444455556666 (statement 1)"
    )


def test_kms_default_key_policy_is_not_a_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(tmp_path, monkeypatch, {"kms.tf": """
    data "aws_caller_identity" "current" {}
    resource "aws_kms_key" "k" {
      policy = jsonencode({
        Statement = [
          { Sid = "Enable IAM User Permissions", Effect = "Allow",
            Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" },
            Action = "kms:*", Resource = "*" },
          { Sid = "Logs", Effect = "Allow", Principal = { Service = "logs.eu-west-1.amazonaws.com" },
            Action = ["kms:Encrypt*", "kms:Decrypt*"], Resource = "*",
            Condition = { ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "arn:aws:logs:eu-west-1:111122223333:*" } } },
        ]
      })
    }
    """})  # fmt: skip
    assert found(result) == []


def test_lambda_permission_in_a_plan(tmp_path: Path) -> None:
    from lpgen.check import CheckOptions, run_check
    from tests.test_plan import change, plan_of

    plan = tmp_path / "plan.json"
    plan.write_text(plan_of([
        change("aws_lambda_permission.deputy",
               {"function_name": "w", "action": "lambda:InvokeFunction",
                "principal": "events.amazonaws.com", "source_arn": None}, {}),
        change("aws_lambda_permission.sourced",
               {"function_name": "w", "action": "lambda:InvokeFunction",
                "principal": "events.amazonaws.com", "source_arn": None}, {"source_arn": True}),
    ]))  # fmt: skip
    result = run_check(None, plan=plan, options=CheckOptions(use_git=False, ignore=("LP05",)))
    assert [(f.code, f.address) for f in result.findings] == [
        ("LP044", "aws_lambda_permission.deputy")
    ]


def test_an_unreadable_policy_is_named_not_passed_silently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checkov's fixtures have policies with trailing commas; AWS rejects them, lpgen says so."""
    result = run(tmp_path, monkeypatch, {"main.tf": """
    resource "aws_sns_topic_policy" "t" {
      arn    = "arn:aws:sns:eu-west-1:111122223333:t"
      policy = <<POLICY
    { "Statement": [ { "Effect": "Allow", "Principal": "*", "Action": "sns:Publish", } ] }
    POLICY
    }
    """})  # fmt: skip
    # LP029 says so at the line of the document, once: no note repeats it.
    assert found(result) == [("LP029", "main.tf", 4)]
    assert result.notes == ()


def test_aws_log_delivery_accounts_are_not_other_accounts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ALB access-log bucket must grant Elastic Load Balancing's regional account."""
    result = run(tmp_path, monkeypatch, {"logs.tf": """
    resource "aws_s3_bucket_policy" "alb_logs" {
      bucket = "alb-logs"
      policy = jsonencode({
        Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::156460612806:root" },
                       Action = "s3:PutObject", Resource = "arn:aws:s3:::alb-logs/AWSLogs/*" }]
      })
    }
    """}, account_id="111122223333")  # fmt: skip
    assert found(result) == []


def test_a_condition_with_no_values_grants_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """alphagov/govuk-infrastructure: aws:SourceIp from a variable whose default is []."""
    result = run(tmp_path, monkeypatch, {"b.tf": """
    variable "office_ips" {
      type    = list(string)
      default = []
    }
    data "aws_iam_policy_document" "b" {
      statement {
        actions   = ["s3:GetObject"]
        resources = ["arn:aws:s3:::mirror/*"]
        principals {
          type        = "AWS"
          identifiers = ["*"]
        }
        condition {
          test     = "IpAddress"
          variable = "aws:SourceIp"
          values   = var.office_ips
        }
      }
    }
    resource "aws_s3_bucket_policy" "b" {
      bucket = "mirror"
      policy = data.aws_iam_policy_document.b.json
    }
    """})  # fmt: skip
    assert found(result) == []


def test_an_open_policy_of_a_vpc_domain_is_medium(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    domain = """
    resource "aws_opensearch_domain" "d" {
      domain_name = "d"
      %s
      access_policies = jsonencode({ Statement = [{ Effect = "Allow", Principal = "*",
        Action = "es:ESHttpGet", Resource = "arn:aws:es:eu-west-1:111122223333:domain/d/*" }] })
    }
    """
    vpc = run(tmp_path / "vpc", monkeypatch, {"d.tf": domain % 'vpc_options {\n subnet_ids = ["s"]\n }'})
    public = run(tmp_path / "public", monkeypatch, {"d.tf": domain % ""})
    assert [(f.code, f.severity) for f in vpc.findings] == [("LP040", Severity.MEDIUM)]
    assert vpc.findings[0].message.endswith(
        "; the domain is reachable only from its VPC (statement 1)"
    )
    assert [(f.code, f.severity) for f in public.findings] == [("LP040", Severity.CRITICAL)]


def test_a_statement_with_no_actions_grants_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module input left empty: ``Action = []`` to another account, or to everyone."""
    result = run(tmp_path, monkeypatch, {"q.tf": """
    resource "aws_sqs_queue_policy" "q" {
      queue_url = "https://sqs.eu-west-1.amazonaws.com/111122223333/q"
      policy = jsonencode({
        Statement = [
          { Effect = "Allow", Principal = { AWS = "arn:aws:iam::444455556666:root" },
            Action = [], Resource = "*" },
          { Effect = "Allow", Principal = "*", Action = [], Resource = "*" },
        ]
      })
    }
    """}, account_id="111122223333")  # fmt: skip
    assert found(result) == []
