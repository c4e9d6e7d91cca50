resource "aws_iam_policy" "platform" {
  name = "platform"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Storage"
        Effect   = "Allow"
        Action   = ["s3:*", "sqs:*"]
        Resource = "*"
      },
      {
        Sid    = "Explicit"
        Effect = "Allow"
        Action = [
          "lambda:InvokeFunction",
          "lambda:GetFunction",
          "lambda:DeleteFunction",
          "lambda:CreateFunction",
        ]
        Resource = "*"
      },
      {
        Sid      = "Unknown"
        Effect   = "Allow"
        Action   = ["newservice:DoThing*", "s3:NotARealAction", "sts:GetCallerIdentity"]
        Resource = "*"
      },
      {
        Sid      = "Questions"
        Effect   = "Allow"
        Action   = "sns:?ublish"
        Resource = "*"
      }
    ]
  })
}
