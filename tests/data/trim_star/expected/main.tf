# Break-glass administrators: everything, for now.
resource "aws_iam_policy" "admin" {
  name = "admin"

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Everything"
        Effect   = "Allow"
        Action   = [
          "iam:PassRole",
          "lambda:*",
          "s3:*",
          "sts:*",
        ] # to be narrowed once we know what is used
        Resource = "*"
      },
      {
        Sid       = "Family"
        Effect    = "Allow"
        Action    = ["s3:*", "sts:*", "lambda:*"]
        Resource  = "*"
        Condition = { Bool = { "aws:MultiFactorAuthPresent" = "true" } }
      },
      {
        Sid      = "NoQueues"
        Effect   = "Deny"
        Action   = "sqs:*"
        Resource = "*"
      }
    ]
  })
}

resource "aws_iam_group" "admins" {
  name = "admins"
}

resource "aws_iam_group_policy_attachment" "admins" {
  group      = aws_iam_group.admins.name
  policy_arn = aws_iam_policy.admin.arn
}
