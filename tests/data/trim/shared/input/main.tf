locals {
  teams = toset(["blue", "green"])

  queue_actions = [
    "sqs:SendMessage",
    "sqs:DeleteQueue",
    "sqs:PurgeQueue",
  ]
}

# One policy per team, from the same text: an action goes only if no team used it.
resource "aws_iam_policy" "team" {
  for_each = local.teams
  name     = "team-${each.key}"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucketTagging"]
        Resource = "*"
      },
      {
        Effect   = "Allow"
        Action   = local.queue_actions
        Resource = "arn:aws:sqs:*:*:${each.key}-*"
      }
    ]
  })
}

data "aws_iam_policy_document" "common" {
  statement {
    actions   = ["cloudwatch:PutMetricData", "cloudwatch:DeleteDashboards"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "api" {
  name               = "api"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}

resource "aws_iam_role" "worker" {
  name               = "worker"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}

resource "aws_iam_role_policy" "api" {
  name   = "common"
  role   = aws_iam_role.api.id
  policy = data.aws_iam_policy_document.common.json
}

resource "aws_iam_role_policy" "worker" {
  name   = "common"
  role   = aws_iam_role.worker.id
  policy = data.aws_iam_policy_document.common.json
}
