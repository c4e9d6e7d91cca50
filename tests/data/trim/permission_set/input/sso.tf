# Identity Center: three permission sets, their inline policies in three source styles,
# and the accounts they are assigned to.

data "aws_ssoadmin_instances" "this" {}

locals {
  instance_arn = tolist(data.aws_ssoadmin_instances.this.arns)[0]
  developers   = "g-0123456789"
}

resource "aws_ssoadmin_permission_set" "developer" {
  name         = "Developer"
  instance_arn = local.instance_arn
}

resource "aws_ssoadmin_permission_set_inline_policy" "developer" {
  instance_arn       = local.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.developer.arn
  inline_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "Ec2"
        Effect = "Allow"
        Action = [
          "ec2:DescribeInstances",
          "ec2:RunInstances",
          "ec2:TerminateInstances", # only ever used by ops
        ]
        Resource = "*"
      },
      {
        Sid      = "Logs"
        Effect   = "Allow"
        Action   = "logs:*"
        Resource = "*"
      },
      {
        Sid      = "Objects"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = "arn:aws:s3:::acme-dev/*"
      },
    ]
  })
}

resource "aws_ssoadmin_permission_set" "operator" {
  name         = "Operator"
  instance_arn = local.instance_arn
}

data "aws_iam_policy_document" "operator" {
  statement {
    sid       = "Observe"
    actions   = ["cloudwatch:GetMetricData", "sns:Publish"]
    resources = ["*"]
  }
}

resource "aws_ssoadmin_permission_set_inline_policy" "operator" {
  instance_arn       = local.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.operator.arn
  inline_policy      = data.aws_iam_policy_document.operator.json
}

resource "aws_ssoadmin_permission_set" "auditor" {
  name         = "Auditor"
  instance_arn = local.instance_arn
}

resource "aws_ssoadmin_permission_set_inline_policy" "auditor" {
  instance_arn       = local.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.auditor.arn
  inline_policy      = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Action": ["iam:GetAccountSummary", "iam:ListUsers"],
          "Resource": "*"
        }
      ]
    }
  EOT
}

resource "aws_ssoadmin_account_assignment" "developer" {
  for_each           = toset(["111122223333", "222233334444"])
  instance_arn       = local.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.developer.arn
  principal_id       = local.developers
  principal_type     = "GROUP"
  target_id          = each.value
  target_type        = "AWS_ACCOUNT"
}

resource "aws_ssoadmin_account_assignment" "operator" {
  instance_arn       = local.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.operator.arn
  principal_id       = local.developers
  principal_type     = "GROUP"
  target_id          = "111122223333"
  target_type        = "AWS_ACCOUNT"
}

resource "aws_ssoadmin_account_assignment" "auditor" {
  for_each           = toset(["111122223333", "333344445555"])
  instance_arn       = local.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.auditor.arn
  principal_id       = local.developers
  principal_type     = "GROUP"
  target_id          = each.value
  target_type        = "AWS_ACCOUNT"
}

resource "aws_ssoadmin_managed_policy_attachment" "developer_s3" {
  instance_arn       = local.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.developer.arn
  managed_policy_arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
}
