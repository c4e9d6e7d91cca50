"""Generate the IAM guardrail baseline as a self-contained Terraform module.

The module covers what the IAM best practices ask an account to watch all the time: an alert
on any root activity, an account password policy, an MFA-enforcing policy for console groups,
IAM Access Analyzer, and AWS Config managed rules for IAM. Each part is a file of its own so
``--only`` / ``--skip`` choose parts without leaving dangling references.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from lpgen.errors import InputError
from lpgen.fsutil import write_atomic

PARTS = ("root-alert", "password-policy", "mfa", "access-analyzer", "config-rules")

# The event pattern for any root activity, console sign-in and API calls alike. AWS documents
# it in "Monitor and notify on AWS account root user activity" (AWS Security Blog) and
# "Creating an EventBridge rule that reacts to AWS API calls via CloudTrail"
# (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-ct-api-tutorial.html);
# sign-in events arrive as "AWS Console Sign In via CloudTrail"
# (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html).
ROOT_ACTIVITY_PATTERN: dict[str, object] = {
    "detail-type": ["AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail"],
    "detail": {"userIdentity": {"type": ["Root"]}},
}

# "IAM: Allows IAM users to self-manage an MFA device" / "AWS: Allows MFA-authenticated IAM
# users to manage their own credentials"
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws_my-sec-creds-self-manage.html):
# users may set up their own MFA device and password; everything else is denied until they
# sign in with MFA.
MFA_SELF_MANAGE_ACTIONS = [
    "iam:CreateVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:GetUser",
    "iam:GetMFADevice",
    "iam:ListMFADevices",
    "iam:ListVirtualMFADevices",
    "iam:ResyncMFADevice",
    "iam:ChangePassword",
    "iam:GetAccountPasswordPolicy",
    "sts:GetSessionToken",
]

# AWS Config managed rules for IAM
# (https://docs.aws.amazon.com/config/latest/developerguide/managed-rules-by-aws-config.html).
CONFIG_RULES: list[tuple[str, str, str | None]] = [
    ("root-account-mfa-enabled", "ROOT_ACCOUNT_MFA_ENABLED", None),
    ("iam-root-access-key-check", "IAM_ROOT_ACCESS_KEY_CHECK", None),
    ("iam-user-mfa-enabled", "IAM_USER_MFA_ENABLED", None),
    ("mfa-enabled-for-iam-console-access", "MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS", None),
    ("access-keys-rotated", "ACCESS_KEYS_ROTATED", "maxAccessKeyAge"),
    ("iam-user-unused-credentials-check", "IAM_USER_UNUSED_CREDENTIALS_CHECK",
     "maxCredentialUsageAge"),
    ("iam-policy-no-statements-with-admin-access", "IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS",
     None),
    ("iam-user-no-policies-check", "IAM_USER_NO_POLICIES_CHECK", None),
    ("iam-user-group-membership-check", "IAM_USER_GROUP_MEMBERSHIP_CHECK", None),
]


@dataclass(frozen=True)
class BaselineOptions:
    """Which parts to write and the defaults of the module's variables."""

    parts: tuple[str, ...] = PARTS
    name_prefix: str = "iam-guardrails"
    alert_email: str = ""
    console_groups: tuple[str, ...] = ()
    analyzer_type: str = "ACCOUNT"
    unused_access_analyzer: bool = False
    unused_access_age: int = 90
    max_access_key_age: int = 90
    max_credential_usage_age: int = 90
    password_min_length: int = 14
    password_reuse_prevention: int = 24
    password_max_age: int = 90
    tags: tuple[tuple[str, str], ...] = field(default=(("managed-by", "terraform"),))


def select_parts(only: tuple[str, ...], skip: tuple[str, ...]) -> tuple[str, ...]:
    for name in (*only, *skip):
        if name not in PARTS:
            raise InputError(f"unknown baseline part {name!r} (choose from {', '.join(PARTS)})")
    chosen = [p for p in PARTS if (not only or p in only) and p not in skip]
    if not chosen:
        raise InputError("--only/--skip leave no part to generate")
    return tuple(chosen)


def _hcl_string(value: str) -> str:
    return json.dumps(value).replace("${", "$${").replace("%{", "%%{")


def _hcl_list(values: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(_hcl_string(v) for v in values) + "]"


_ATTR = re.compile(r"^( *)([A-Za-z_][A-Za-z0-9_-]*|\"[^\"]*\") *= *(.*)$")


def _balanced(rest: str) -> bool:
    depth = 0
    in_str = False
    i = 0
    while i < len(rest):
        c = rest[i]
        if in_str:
            if c == "\\":
                i += 2
                continue
            if c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c == "#":
            break
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        i += 1
    return depth == 0


def fmt(text: str) -> str:
    """Align ``=`` in runs of single-line attributes the way ``terraform fmt`` does.

    A run is consecutive lines at the same indentation that each hold a whole attribute; a
    blank line, a comment, a block, a closing bracket or an attribute whose value continues
    on later lines ends it.
    """
    lines = text.split("\n")
    out = list(lines)
    run: list[tuple[int, str, str, str]] = []

    def flush() -> None:
        if len(run) > 1:
            width = max(len(key) for _, _, key, _ in run)
            for idx, indent, key, rest in run:
                out[idx] = f"{indent}{key.ljust(width)} = {rest}"
        elif run:
            idx, indent, key, rest = run[0]
            out[idx] = f"{indent}{key} = {rest}"
        run.clear()

    heredoc: str | None = None
    for i, line in enumerate(lines):
        if heredoc is not None:
            if line.strip() == heredoc:
                heredoc = None
            continue
        m = _ATTR.match(line)
        if m and _balanced(m.group(3)):
            indent, key, rest = m.group(1), m.group(2), m.group(3)
            if run and run[-1][1] != indent:
                flush()
            run.append((i, indent, key, rest))
            continue
        flush()
        hd = re.search(r"<<-?([A-Za-z_]+)$", line)
        if hd:
            heredoc = hd.group(1)
    flush()
    return "\n".join(out)


def generate(options: BaselineOptions) -> dict[str, str]:
    """File name -> contents of the module."""
    o = options
    parts = set(o.parts)
    files: dict[str, str] = {}
    files["versions.tf"] = _VERSIONS
    files["variables.tf"] = _variables(o, parts)
    if "root-alert" in parts:
        files["root_activity.tf"] = _ROOT_ALERT.replace(
            "@PATTERN@", _pattern_hcl(ROOT_ACTIVITY_PATTERN)
        )
    if "password-policy" in parts:
        files["password_policy.tf"] = _PASSWORD_POLICY
    if "mfa" in parts:
        files["mfa.tf"] = _MFA.replace("@ACTIONS@", _actions_hcl(MFA_SELF_MANAGE_ACTIONS, 10))
    if "access-analyzer" in parts:
        files["access_analyzer.tf"] = _ACCESS_ANALYZER
    if "config-rules" in parts:
        files["config_rules.tf"] = _config_rules()
    files["outputs.tf"] = _outputs(parts)
    files["README.md"] = _readme(o, parts)
    return {name: fmt(text) if name.endswith(".tf") else text for name, text in files.items()}


def write_module(out_dir: Path, options: BaselineOptions, *, force: bool = False) -> list[Path]:
    """Write the module into ``out_dir``; refuses to overwrite changed files unless ``force``."""
    files = generate(options)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir} exists and is not a directory")
    clashes = [
        name
        for name, text in files.items()
        if (out_dir / name).exists()
        and (out_dir / name).read_text(encoding="utf-8") != text
    ]
    if clashes and not force:
        raise InputError(
            f"{out_dir}: would overwrite {', '.join(sorted(clashes))} (use --force)"
        )
    written: list[Path] = []
    for name, text in files.items():
        path = out_dir / name
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        write_atomic(path, text, newline="\n")
        written.append(path)
    return written


def _pattern_hcl(pattern: dict[str, object]) -> str:
    # jsonencode() of the pattern, written as HCL so reviewers read it like the rest.
    types = pattern["detail-type"]
    assert isinstance(types, list)
    return (
        "jsonencode({\n"
        f'    "detail-type" = {_hcl_list(types)}\n'
        "    detail = {\n"
        "      userIdentity = {\n"
        '        type = ["Root"]\n'
        "      }\n"
        "    }\n"
        "  })"
    )


def _actions_hcl(actions: list[str], indent: int) -> str:
    pad = " " * indent
    inner = "".join(f"{pad}  {_hcl_string(a)},\n" for a in actions)
    return "[\n" + inner + pad + "]"


def _variables(o: BaselineOptions, parts: set[str]) -> str:
    tags = "{\n" + "".join(
        f"    {_hcl_string(k)} = {_hcl_string(v)}\n" for k, v in o.tags
    ) + "  }"
    blocks = [
        _var("name_prefix", "Prefix of every resource name this module creates.", "string",
             _hcl_string(o.name_prefix)),
        _var("tags", "Tags for every resource that takes tags.", "map(string)", tags),
    ]
    if "root-alert" in parts:
        blocks += [
            _var("alert_email", 'Email address subscribed to root-activity alerts ("" for none).',
                 "string", _hcl_string(o.alert_email)),
            _var("chatbot_slack_workspace_id",
                 'AWS Chatbot Slack workspace (team) id for alerts ("" for none).', "string",
                 '""'),
            _var("chatbot_slack_channel_id", "Slack channel id that receives alerts.", "string",
                 '""'),
        ]
    if "password-policy" in parts:
        blocks += [
            _var("password_minimum_length", "Minimum password length (IAM allows 6 to 128).",
                 "number", str(o.password_min_length)),
            _var("password_reuse_prevention", "How many previous passwords cannot be reused.",
                 "number", str(o.password_reuse_prevention)),
            _var("password_max_age", "Days before a password expires (0: never).", "number",
                 str(o.password_max_age)),
        ]
    if "mfa" in parts:
        blocks.append(
            _var("console_groups",
                 "Groups of console users; each gets the MFA-enforcing policy.",
                 "set(string)", _hcl_list(o.console_groups))
        )
    if "access-analyzer" in parts:
        blocks += [
            _var("analyzer_type",
                 "ACCOUNT, or ORGANIZATION when applied in the management or delegated "
                 "administrator account.", "string", _hcl_string(o.analyzer_type)),
            _var("unused_access_analyzer",
                 "Also create an unused-access analyzer (a paid feature).", "bool",
                 "true" if o.unused_access_analyzer else "false"),
            _var("unused_access_age", "Days without use before access counts as unused.",
                 "number", str(o.unused_access_age)),
        ]
    if "config-rules" in parts:
        blocks += [
            _var("max_access_key_age", "Days before an access key must be rotated.", "number",
                 str(o.max_access_key_age)),
            _var("max_credential_usage_age",
                 "Days without use before a password or key counts as unused.", "number",
                 str(o.max_credential_usage_age)),
            _var("remediation_target_arn",
                 "ARN of a Lambda function, SNS topic or SSM Automation that receives "
                 'NON_COMPLIANT results of these rules ("" for none).', "string", '""'),
        ]
    return "\n".join(blocks)


def _var(name: str, description: str, type_: str, default: str) -> str:
    return (
        f'variable "{name}" {{\n'
        f"  description = {_hcl_string(description)}\n"
        f"  type = {type_}\n"
        f"  default = {default}\n"
        "}\n"
    )


def _config_rules() -> str:
    chunks = [_CONFIG_HEAD]
    for name, identifier, param in CONFIG_RULES:
        lines = [
            f'resource "aws_config_config_rule" "{name.replace("-", "_")}" {{',
            f'  name = "${{var.name_prefix}}-{name}"',
            "",
            "  source {",
            '    owner = "AWS"',
            f'    source_identifier = "{identifier}"',
            "  }",
        ]
        if param:
            var = "max_access_key_age" if param == "maxAccessKeyAge" else (
                "max_credential_usage_age"
            )
            lines += [
                "",
                "  input_parameters = jsonencode({",
                f"    {param} = tostring(var.{var})",
                "  })",
            ]
        lines += ["", "  tags = var.tags", "}", ""]
        chunks.append("\n".join(lines))
    names = "".join(
        f"    aws_config_config_rule.{n.replace('-', '_')}.name,\n" for n, _, _ in CONFIG_RULES
    )
    chunks.append(f"locals {{\n  config_rule_names = [\n{names}  ]\n}}\n")
    chunks.append(_CONFIG_REMEDIATION)
    return "\n".join(chunks)


def _outputs(parts: set[str]) -> str:
    out = []
    if "root-alert" in parts:
        out.append('output "alert_topic_arn" {\n  description = "SNS topic that receives '
                   'root-activity alerts."\n  value = aws_sns_topic.alerts.arn\n}\n')
    if "mfa" in parts:
        out.append('output "require_mfa_policy_arn" {\n  description = "The MFA-enforcing '
                   'policy; attach it to every group of console users."\n'
                   "  value = aws_iam_policy.require_mfa.arn\n}\n")
    if "access-analyzer" in parts:
        out.append('output "access_analyzer_arn" {\n  description = "The external-access '
                   'analyzer."\n  value = aws_accessanalyzer_analyzer.external.arn\n}\n')
    if "config-rules" in parts:
        out.append('output "config_rule_names" {\n  description = "AWS Config rules this '
                   'module created."\n  value = local.config_rule_names\n}\n')
    return "\n".join(out) if out else ""


def _readme(o: BaselineOptions, parts: set[str]) -> str:
    rows = {
        "root-alert": "`root_activity.tf`: EventBridge rule on any root sign-in or API call, "
        "to an SNS topic (email subscription, optional AWS Chatbot Slack channel).",
        "password-policy": "`password_policy.tf`: the account password policy.",
        "mfa": "`mfa.tf`: a customer-managed policy that denies everything but MFA set-up "
        "until the user signs in with MFA, attached to `var.console_groups`.",
        "access-analyzer": "`access_analyzer.tf`: IAM Access Analyzer for external access "
        "(account or organization), optionally one for unused access.",
        "config-rules": "`config_rules.tf`: AWS Config managed rules for IAM (root MFA, root "
        "access keys, user MFA, console MFA, key rotation, unused credentials, no admin "
        "statements, no user policies, users in groups) and an optional remediation hook.",
    }
    listed = "\n".join(f"- {rows[p]}" for p in PARTS if p in parts)
    notes = []
    if "root-alert" in parts:
        notes.append(
            "- Root sign-in events are delivered in us-east-1 and API calls in the Region "
            "they happen in: apply this module with a us-east-1 provider (and in every "
            "Region you use, if you want API calls from all of them), with a CloudTrail "
            "trail recording management events."
        )
    if "config-rules" in parts:
        notes.append(
            "- AWS Config rules need a configuration recorder and delivery channel in the "
            "account (AWS Control Tower and most landing zones create them)."
        )
    if "mfa" in parts:
        notes.append(
            "- Attach `require_mfa` to every group of console users; new users can still "
            "set up their MFA device before it lets them do anything else."
        )
    note_text = "\n".join(notes)
    return (
        "# IAM guardrails\n\n"
        "Guardrails the IAM best practices call for, generated by `lpgen baseline`. Review "
        "the variables in `variables.tf`, then call this directory as a module from the "
        "Terraform that manages the account's IAM:\n\n"
        "```hcl\n"
        'module "iam_guardrails" {\n'
        '  source = "./guardrails"\n'
        f"{_usage_inputs(o, parts)}"
        "}\n"
        "```\n\n"
        "## What it creates\n\n"
        f"{listed}\n\n"
        "## Before you apply\n\n"
        f"{note_text}\n\n"
        "`lpgen check` on a tree that includes this module raises none of the guardrail "
        "findings (LP050-LP053).\n"
    )


def _usage_inputs(o: BaselineOptions, parts: set[str]) -> str:
    inputs = []
    if "root-alert" in parts:
        inputs.append(("alert_email", f'"{o.alert_email or "security@example.com"}"'))
    if "mfa" in parts:
        inputs.append(("console_groups", "[aws_iam_group.developers.name]"))
    if not inputs:
        return ""
    width = max(len(k) for k, _ in inputs)
    return "\n" + "".join(f"  {k.ljust(width)} = {v}\n" for k, v in inputs)


_VERSIONS = """terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      version = ">= 5.40"
    }
  }
}
"""

_ROOT_ALERT = """# Alert on any activity of the root user: console sign-in and API calls alike.
# EventBridge cannot publish to a topic encrypted with the AWS managed key alias/aws/sns; to
# encrypt it, use a customer managed key whose policy lets events.amazonaws.com use it.
resource "aws_sns_topic" "alerts" {
  name = "${var.name_prefix}-root-activity"
  tags = var.tags
}

data "aws_iam_policy_document" "alerts" {
  statement {
    sid = "AllowEventBridgePublish"
    actions = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    # Only this account's rule may publish (no other account's rule through EventBridge).
    condition {
      test = "ArnEquals"
      variable = "aws:SourceArn"
      values = [aws_cloudwatch_event_rule.root_activity.arn]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts.json
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alert_email == "" ? 0 : 1

  topic_arn = aws_sns_topic.alerts.arn
  protocol = "email"
  endpoint = var.alert_email
}

resource "aws_cloudwatch_event_rule" "root_activity" {
  name = "${var.name_prefix}-root-activity"
  description = "Any console sign-in or API call by the root user."
  event_pattern = @PATTERN@
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "root_activity" {
  rule = aws_cloudwatch_event_rule.root_activity.name
  target_id = "sns"
  arn = aws_sns_topic.alerts.arn
}

# Optional: the same alerts in Slack through AWS Chatbot.
data "aws_iam_policy_document" "chatbot_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type = "Service"
      identifiers = ["chatbot.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "chatbot" {
  count = var.chatbot_slack_channel_id == "" ? 0 : 1

  name = "${var.name_prefix}-chatbot"
  assume_role_policy = data.aws_iam_policy_document.chatbot_trust.json
  tags = var.tags
}

resource "aws_chatbot_slack_channel_configuration" "alerts" {
  count = var.chatbot_slack_channel_id == "" ? 0 : 1

  configuration_name = "${var.name_prefix}-root-activity"
  iam_role_arn = aws_iam_role.chatbot[0].arn
  slack_channel_id = var.chatbot_slack_channel_id
  slack_team_id = var.chatbot_slack_workspace_id
  sns_topic_arns = [aws_sns_topic.alerts.arn]
  guardrail_policy_arns = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
  tags = var.tags
}
"""

_PASSWORD_POLICY = """resource "aws_iam_account_password_policy" "this" {
  minimum_password_length = var.password_minimum_length
  require_lowercase_characters = true
  require_uppercase_characters = true
  require_numbers = true
  require_symbols = true
  allow_users_to_change_password = true
  password_reuse_prevention = var.password_reuse_prevention
  max_password_age = var.password_max_age
}
"""

_MFA = """# Users may set up their own MFA device and password; everything else is denied until they
# sign in with MFA.
resource "aws_iam_policy" "require_mfa" {
  name = "${var.name_prefix}-require-mfa"
  path = "/guardrails/"
  description = "Deny everything but MFA set-up to users who did not sign in with MFA."

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid = "AllowViewAccountInfo"
        Effect = "Allow"
        Action = ["iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"]
        Resource = "*"
      },
      {
        Sid = "AllowManageOwnPasswordAndMFA"
        Effect = "Allow"
        Action = [
          "iam:ChangePassword",
          "iam:GetUser",
          "iam:CreateVirtualMFADevice",
          "iam:EnableMFADevice",
          "iam:GetMFADevice",
          "iam:ListMFADevices",
          "iam:ResyncMFADevice",
        ]
        Resource = [
          "arn:aws:iam::*:mfa/$${aws:username}",
          "arn:aws:iam::*:user/$${aws:username}",
        ]
      },
      {
        Sid = "DenyAllExceptListedIfNoMFA"
        Effect = "Deny"
        NotAction = @ACTIONS@
        Resource = "*"
        Condition = {
          BoolIfExists = {
            "aws:MultiFactorAuthPresent" = "false"
          }
        }
      },
    ]
  })

  tags = var.tags
}

resource "aws_iam_group_policy_attachment" "require_mfa" {
  for_each = var.console_groups

  group = each.value
  policy_arn = aws_iam_policy.require_mfa.arn
}
"""

_ACCESS_ANALYZER = """# External access: who outside the account (or organization) can reach our resources.
resource "aws_accessanalyzer_analyzer" "external" {
  analyzer_name = "${var.name_prefix}-external-access"
  type = var.analyzer_type
  tags = var.tags
}

# Unused access: roles, users, keys and permissions nobody used lately.
resource "aws_accessanalyzer_analyzer" "unused" {
  count = var.unused_access_analyzer ? 1 : 0

  analyzer_name = "${var.name_prefix}-unused-access"
  type = var.analyzer_type == "ORGANIZATION" ? "ORGANIZATION_UNUSED_ACCESS" : "ACCOUNT_UNUSED_ACCESS"

  configuration {
    unused_access {
      unused_access_age = var.unused_access_age
    }
  }

  tags = var.tags
}
"""

_CONFIG_HEAD = """# AWS Config managed rules for IAM. They need a configuration recorder in the account.
"""

_CONFIG_REMEDIATION = """# Optional remediation hook: every NON_COMPLIANT result of these rules goes to
# var.remediation_target_arn (a Lambda function, SNS topic or SSM Automation).
resource "aws_cloudwatch_event_rule" "config_noncompliant" {
  count = var.remediation_target_arn == "" ? 0 : 1

  name = "${var.name_prefix}-iam-noncompliant"
  description = "IAM Config rules turning NON_COMPLIANT."
  event_pattern = jsonencode({
    source = ["aws.config"]
    "detail-type" = ["Config Rules Compliance Change"]
    detail = {
      configRuleName = local.config_rule_names
      newEvaluationResult = {
        complianceType = ["NON_COMPLIANT"]
      }
    }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "config_noncompliant" {
  count = var.remediation_target_arn == "" ? 0 : 1

  rule = aws_cloudwatch_event_rule.config_noncompliant[0].name
  target_id = "remediation"
  arn = var.remediation_target_arn
}
"""
