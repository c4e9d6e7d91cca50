# The least privilege `lpgen collect` needs: read-only IAM Access Advisor access.
# See docs/permissions.md.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  iam_prefix = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}"
  entities = [
    "${local.iam_prefix}:group/*",
    "${local.iam_prefix}:policy/*",
    "${local.iam_prefix}:role/*",
    "${local.iam_prefix}:user/*",
  ]
}

resource "aws_iam_policy" "lpgen_collector" {
  name        = "lpgen-collector"
  description = "Read IAM Access Advisor data for lpgen collect (read-only)."
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "DescribeEntities"
        Effect   = "Allow"
        Action   = ["iam:GetGroup", "iam:GetPolicy", "iam:GetRole", "iam:GetUser"]
        Resource = local.entities
      },
      {
        # The default version of the AWS-managed policies the code attaches.
        Sid      = "ReadAwsManagedPolicies"
        Effect   = "Allow"
        Action   = ["iam:GetPolicy", "iam:GetPolicyVersion"]
        Resource = "arn:${data.aws_partition.current.partition}:iam::aws:policy/*"
      },
      {
        Sid      = "StartAccessAdvisorJobs"
        Effect   = "Allow"
        Action   = "iam:GenerateServiceLastAccessedDetails"
        Resource = local.entities
      },
      {
        # These two have no resource type: the job id is the only handle.
        Sid    = "ReadAccessAdvisorReports"
        Effect = "Allow"
        Action = [
          "iam:GetServiceLastAccessedDetails",
          "iam:GetServiceLastAccessedDetailsWithEntities",
        ]
        Resource = "*"
      },
      {
        # Identity Center's AWSReservedSSO_* roles (ListRoles has no resource type).
        Sid      = "FindIdentityCenterRoles"
        Effect   = "Allow"
        Action   = "iam:ListRoles"
        Resource = "*"
      },
    ]
  })
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = length(var.trusted_principals) > 0 ? var.trusted_principals : ["${local.iam_prefix}:root"]
    }
    dynamic "condition" {
      for_each = var.external_id == "" ? [] : [var.external_id]
      content {
        test     = "StringEquals"
        variable = "sts:ExternalId"
        values   = [condition.value]
      }
    }
  }
}

resource "aws_iam_role" "lpgen_collector" {
  count              = var.create_role ? 1 : 0
  name               = var.role_name
  assume_role_policy = data.aws_iam_policy_document.trust.json
  # lpgen resolves credentials once per run; one hour covers most accounts.
  max_session_duration = 3600
}

resource "aws_iam_role_policy_attachment" "lpgen_collector" {
  count      = var.create_role ? 1 : 0
  role       = aws_iam_role.lpgen_collector[0].name
  policy_arn = aws_iam_policy.lpgen_collector.arn
}

resource "aws_iam_group_policy_attachment" "lpgen_collector" {
  count      = var.group_name == "" ? 0 : 1
  group      = var.group_name
  policy_arn = aws_iam_policy.lpgen_collector.arn
}
