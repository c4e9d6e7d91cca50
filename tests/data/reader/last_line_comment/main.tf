resource "aws_iam_policy" "app" {
  name = "app"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:GetObject", "sqs:SendMessage"], Resource = "*" }]
  })
}

resource "aws_iam_user" "ci" {
  name = "ci"
}
# the last line is a comment, with no newline after it