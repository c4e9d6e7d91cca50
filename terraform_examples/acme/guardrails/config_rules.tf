# AWS Config managed rules for IAM. They need a configuration recorder in the account.

resource "aws_config_config_rule" "root_account_mfa_enabled" {
  name = "${var.name_prefix}-root-account-mfa-enabled"

  source {
    owner             = "AWS"
    source_identifier = "ROOT_ACCOUNT_MFA_ENABLED"
  }

  tags = var.tags
}

resource "aws_config_config_rule" "iam_root_access_key_check" {
  name = "${var.name_prefix}-iam-root-access-key-check"

  source {
    owner             = "AWS"
    source_identifier = "IAM_ROOT_ACCESS_KEY_CHECK"
  }

  tags = var.tags
}

resource "aws_config_config_rule" "iam_user_mfa_enabled" {
  name = "${var.name_prefix}-iam-user-mfa-enabled"

  source {
    owner             = "AWS"
    source_identifier = "IAM_USER_MFA_ENABLED"
  }

  tags = var.tags
}

resource "aws_config_config_rule" "mfa_enabled_for_iam_console_access" {
  name = "${var.name_prefix}-mfa-enabled-for-iam-console-access"

  source {
    owner             = "AWS"
    source_identifier = "MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS"
  }

  tags = var.tags
}

resource "aws_config_config_rule" "access_keys_rotated" {
  name = "${var.name_prefix}-access-keys-rotated"

  source {
    owner             = "AWS"
    source_identifier = "ACCESS_KEYS_ROTATED"
  }

  input_parameters = jsonencode({
    maxAccessKeyAge = tostring(var.max_access_key_age)
  })

  tags = var.tags
}

resource "aws_config_config_rule" "iam_user_unused_credentials_check" {
  name = "${var.name_prefix}-iam-user-unused-credentials-check"

  source {
    owner             = "AWS"
    source_identifier = "IAM_USER_UNUSED_CREDENTIALS_CHECK"
  }

  input_parameters = jsonencode({
    maxCredentialUsageAge = tostring(var.max_credential_usage_age)
  })

  tags = var.tags
}

resource "aws_config_config_rule" "iam_policy_no_statements_with_admin_access" {
  name = "${var.name_prefix}-iam-policy-no-statements-with-admin-access"

  source {
    owner             = "AWS"
    source_identifier = "IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS"
  }

  tags = var.tags
}

resource "aws_config_config_rule" "iam_user_no_policies_check" {
  name = "${var.name_prefix}-iam-user-no-policies-check"

  source {
    owner             = "AWS"
    source_identifier = "IAM_USER_NO_POLICIES_CHECK"
  }

  tags = var.tags
}

resource "aws_config_config_rule" "iam_user_group_membership_check" {
  name = "${var.name_prefix}-iam-user-group-membership-check"

  source {
    owner             = "AWS"
    source_identifier = "IAM_USER_GROUP_MEMBERSHIP_CHECK"
  }

  tags = var.tags
}

locals {
  config_rule_names = [
    aws_config_config_rule.root_account_mfa_enabled.name,
    aws_config_config_rule.iam_root_access_key_check.name,
    aws_config_config_rule.iam_user_mfa_enabled.name,
    aws_config_config_rule.mfa_enabled_for_iam_console_access.name,
    aws_config_config_rule.access_keys_rotated.name,
    aws_config_config_rule.iam_user_unused_credentials_check.name,
    aws_config_config_rule.iam_policy_no_statements_with_admin_access.name,
    aws_config_config_rule.iam_user_no_policies_check.name,
    aws_config_config_rule.iam_user_group_membership_check.name,
  ]
}

# Optional remediation hook: every NON_COMPLIANT result of these rules goes to
# var.remediation_target_arn (a Lambda function, SNS topic or SSM Automation).
resource "aws_cloudwatch_event_rule" "config_noncompliant" {
  count = var.remediation_target_arn == "" ? 0 : 1

  name        = "${var.name_prefix}-iam-noncompliant"
  description = "IAM Config rules turning NON_COMPLIANT."
  event_pattern = jsonencode({
    source        = ["aws.config"]
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

  rule      = aws_cloudwatch_event_rule.config_noncompliant[0].name
  target_id = "remediation"
  arn       = var.remediation_target_arn
}
