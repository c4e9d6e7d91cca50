# IAM Identity Center: people sign in to the workload accounts with permission sets.
# Each permission set becomes a role AWSReservedSSO_<name>_<suffix> in every account it is
# assigned to; `lpgen collect --accounts` finds those roles, and trim judges the inline
# policy by their usage in every assigned account.

data "aws_ssoadmin_instances" "this" {}

locals {
  sso_instance_arn = tolist(data.aws_ssoadmin_instances.this.arns)[0]
  # The workload accounts the developers work in (production, staging).
  workload_accounts = ["111122223333", "444455556666"]
}

resource "aws_identitystore_group" "engineers" {
  identity_store_id = tolist(data.aws_ssoadmin_instances.this.identity_store_ids)[0]
  display_name      = "engineers"
}

resource "aws_ssoadmin_permission_set" "engineer" {
  name             = "${var.company}-engineer"
  description      = "Day-to-day access for engineers."
  instance_arn     = local.sso_instance_arn
  session_duration = "PT8H"
}

resource "aws_ssoadmin_permission_set_inline_policy" "engineer" {
  instance_arn       = local.sso_instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.engineer.arn
  inline_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "Deploy"
        Effect = "Allow"
        Action = [
          "lambda:GetFunction",
          "lambda:UpdateFunctionCode",
          "lambda:DeleteFunction",
        ]
        Resource = "arn:aws:lambda:*:*:function:${var.company}-*"
      },
      {
        Sid      = "Queues"
        Effect   = "Allow"
        Action   = ["sqs:*"]
        Resource = "arn:aws:sqs:*:*:${var.company}-*"
      },
    ]
  })
}

# Read-only access everywhere, from AWS's own policy.
resource "aws_ssoadmin_managed_policy_attachment" "engineer_read_only" {
  instance_arn       = local.sso_instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.engineer.arn
  managed_policy_arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
}

resource "aws_ssoadmin_account_assignment" "engineers" {
  for_each           = toset(local.workload_accounts)
  instance_arn       = local.sso_instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.engineer.arn
  principal_id       = aws_identitystore_group.engineers.group_id
  principal_type     = "GROUP"
  target_id          = each.value
  target_type        = "AWS_ACCOUNT"
}
