# A tree that follows the practices lpgen checks: MFA enforced through the group, an
# external id on the partner's trust, GitHub OIDC pinned to a repository and branch, scoped
# policies, a CIS password policy, account guardrails. `lpgen check` must find nothing.
provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = [var.account_id]
}

variable "account_id" {
  type = string
}

resource "aws_iam_account_password_policy" "this" {
  minimum_password_length        = 14
  password_reuse_prevention      = 24
  require_uppercase_characters   = true
  require_lowercase_characters   = true
  require_numbers                = true
  require_symbols                = true
  max_password_age               = 90
  allow_users_to_change_password = true
}

resource "aws_iam_group" "developers" {
  name = "developers"
}

resource "aws_iam_user" "alice" {
  name = "alice"
}

resource "aws_iam_user_login_profile" "alice" {
  user                    = aws_iam_user.alice.name
  password_reset_required = true
}

resource "aws_iam_group_membership" "developers" {
  name  = "developers"
  group = aws_iam_group.developers.name
  users = [aws_iam_user.alice.name]
}

# Deny everything but setting up MFA until the user signs in with MFA.
resource "aws_iam_policy" "require_mfa" {
  name = "require-mfa"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyAllExceptListedIfNoMFA"
      Effect    = "Deny"
      NotAction = ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser",
                   "iam:ListMFADevices", "iam:ListVirtualMFADevices", "iam:ResyncMFADevice",
                   "sts:GetSessionToken", "iam:ChangePassword"]
      Resource  = "*"
      Condition = { BoolIfExists = { "aws:MultiFactorAuthPresent" = "false" } }
    }]
  })
}

resource "aws_iam_group_policy_attachment" "require_mfa" {
  group      = aws_iam_group.developers.name
  policy_arn = aws_iam_policy.require_mfa.arn
}

resource "aws_iam_policy" "developers" {
  name = "developers"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Sid = "ReadApp", Effect = "Allow", Action = ["s3:GetObject", "s3:ListBucket"],
        Resource = ["arn:aws:s3:::acme-app", "arn:aws:s3:::acme-app/*"] },
      { Sid = "Describe", Effect = "Allow", Action = ["ec2:Describe*"], Resource = "*" },
      { Sid = "Params", Effect = "Allow", Action = ["ssm:GetParametersByPath"],
        Resource = "arn:aws:ssm:eu-west-1:${var.account_id}:parameter/app/*" },
    ]
  })
}

resource "aws_iam_group_policy_attachment" "developers" {
  group      = aws_iam_group.developers.name
  policy_arn = aws_iam_policy.developers.arn
}
