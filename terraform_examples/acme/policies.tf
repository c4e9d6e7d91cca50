# Customer-managed policies, one per team. Attachments are at the bottom.

# AWS's "allow users to manage their own credentials, deny everything else without MFA".
# New joiners set up MFA once, so these are rarely used but must stay:
# lpgen:keep iam:CreateVirtualMFADevice,iam:EnableMFADevice,iam:ResyncMFADevice onboarding
resource "aws_iam_policy" "require_mfa" {
  name        = "${var.company}-require-mfa"
  path        = "/guardrails/"
  description = "Deny everything except MFA set-up until the user signs in with MFA."

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "AllowManageOwnMFA"
        Effect = "Allow"
        Action = [
          "iam:CreateVirtualMFADevice",
          "iam:EnableMFADevice",
          "iam:ListMFADevices",
          "iam:ResyncMFADevice",
          "iam:ChangePassword",
          "iam:GetUser",
        ]
        Resource = [
          "arn:aws:iam::*:mfa/$${aws:username}",
          "arn:aws:iam::*:user/*/$${aws:username}",
        ]
      },
      {
        Sid    = "DenyAllExceptListedIfNoMFA"
        Effect = "Deny"
        NotAction = [
          "iam:CreateVirtualMFADevice",
          "iam:EnableMFADevice",
          "iam:GetUser",
          "iam:ListMFADevices",
          "iam:ListVirtualMFADevices",
          "iam:ResyncMFADevice",
          "iam:ChangePassword",
          "sts:GetSessionToken",
        ]
        Resource = "*"
        Condition = {
          BoolIfExists = { "aws:MultiFactorAuthPresent" = "false" }
        }
      },
    ]
  })
}

# Developers: run and debug the application stack.
resource "aws_iam_policy" "developers" {
  name        = "${var.company}-developers"
  path        = "/teams/"
  description = "Day-to-day access for application developers."

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "Compute"
        Effect = "Allow"
        Action = [
          "ec2:Describe*",
          "ec2:StartInstances",
          "ec2:StopInstances",
          "ec2:RebootInstances",
          "lambda:GetFunction",
          "lambda:InvokeFunction",
          "lambda:UpdateFunctionCode", # hotfixes outside the pipeline
        ]
        Resource = "*"
      },
      {
        Sid    = "Queues"
        Effect = "Allow"
        Action = ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:GetQueueAttributes", "sqs:PurgeQueue"]
        Resource = "arn:aws:sqs:${var.region}:*:${var.company}-*"
      },
      {
        Sid      = "Tables"
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:DeleteTable"]
        Resource = "arn:aws:dynamodb:${var.region}:*:table/${var.company}-*"
      },
      {
        Sid      = "Logs"
        Effect   = "Allow"
        Action   = ["logs:Describe*", "logs:Get*", "logs:FilterLogEvents", "logs:StartQuery"]
        Resource = "*"
      },
      {
        Sid      = "LegacyKinesis"
        Effect   = "Allow"
        Action   = ["kinesis:DescribeStream", "kinesis:GetRecords", "kinesis:PutRecord"]
        Resource = "*"
      },
    ]
  })
}

# The data team: query the lake with Athena, read the analytics bucket.
data "aws_iam_policy_document" "data" {
  statement {
    sid = "Athena"
    actions = [
      "athena:StartQueryExecution",
      "athena:GetQueryExecution",
      "athena:GetQueryResults",
      "athena:StopQueryExecution",
      "athena:CreateNamedQuery",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "Catalog"
    actions   = ["glue:GetDatabase*", "glue:GetTable*", "glue:GetPartitions"]
    resources = ["*"]
  }

  statement {
    sid     = "ReadLake"
    actions = ["s3:GetObject", "s3:ListBucket"]
    resources = [
      "arn:aws:s3:::${var.data_bucket}",
      "arn:aws:s3:::${var.data_bucket}/*",
    ]

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["true"]
    }
  }

  # Redshift was replaced by Athena in 2025.
  statement {
    sid       = "Warehouse"
    actions   = ["redshift:DescribeClusters", "redshift:GetClusterCredentials", "redshift-data:ExecuteStatement"]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "data" {
  name   = "${var.company}-data"
  path   = "/teams/"
  policy = data.aws_iam_policy_document.data.json
}

# Finance: cost explorer and budgets. Kept as JSON so finance can review it.
resource "aws_iam_policy" "finance" {
  name = "${var.company}-finance"
  path = "/teams/"

  policy = <<-EOF
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "CostAndUsage",
          "Effect": "Allow",
          "Action": [
            "ce:Get*",
            "ce:Describe*",
            "budgets:ViewBudget",
            "budgets:ModifyBudget",
            "cur:DescribeReportDefinitions"
          ],
          "Resource": "*"
        },
        {
          "Sid": "Invoices",
          "Effect": "Allow",
          "Action": ["s3:GetObject"],
          "Resource": "arn:aws:s3:::${var.company}-invoices/*"
        }
      ]
    }
  EOF
}

# Platform: operate the account. The document lives next to the runbooks.
resource "aws_iam_policy" "platform" {
  name   = "${var.company}-platform"
  path   = "/teams/"
  policy = file("${path.module}/policies/platform.json")
}

# On-call: acknowledge alarms and reach instances through Session Manager.
resource "aws_iam_policy" "oncall" {
  name = "${var.company}-oncall"
  path = "/teams/"
  policy = templatefile("${path.module}/templates/oncall.json.tpl", {
    company = var.company
    region  = var.region
  })
}

locals {
  team_policies = {
    developers = aws_iam_policy.developers.arn
    data       = aws_iam_policy.data.arn
    finance    = aws_iam_policy.finance.arn
    platform   = aws_iam_policy.platform.arn
  }
}

resource "aws_iam_group_policy_attachment" "team" {
  for_each = local.team_policies

  group      = aws_iam_group.team[each.key].name
  policy_arn = each.value
}

resource "aws_iam_group_policy_attachment" "oncall" {
  group      = aws_iam_group.oncall.name
  policy_arn = aws_iam_policy.oncall.arn
}
