resource "aws_iam_policy" "windows" {
  name = "windows"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect = "Allow"
        Action = [
          "sqs:SendMessage",
          "sqs:ReceiveMessage"
        ]
        Resource = "*"
      }
    ]
  })
}
