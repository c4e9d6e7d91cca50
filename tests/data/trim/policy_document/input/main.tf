data "aws_iam_policy_document" "reader" {
  # Read the reports bucket.
  statement {
    sid = "Read"
    actions = [
      "s3:GetObject",
      "s3:ListBucket",     # data plane
      "s3:PutBucketPolicy" # once, at set-up
    ]
    resources = ["*"]
  }

  statement {
    sid       = "Queue"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = ["eu-west-1"]
    }
  }

  statement {
    sid         = "Everything"
    not_actions = ["iam:*"]
    resources   = ["*"]
  }

  dynamic "statement" {
    for_each = var.extra_actions
    content {
      actions   = [statement.value]
      resources = ["*"]
    }
  }

  statement {
    sid       = "Old"
    effect    = "Allow"
    actions   = ["cloudformation:DescribeStacks"]
    resources = ["*"]
  }
}

variable "extra_actions" {
  type    = list(string)
  default = ["kinesis:PutRecord"]
}

resource "aws_iam_policy" "reader" {
  name   = "reader"
  policy = data.aws_iam_policy_document.reader.json
}
