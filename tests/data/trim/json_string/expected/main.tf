resource "aws_iam_policy" "legacy" {
  name   = "legacy"
  policy = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"sqs:SendMessage\", \"sqs:DeleteQueue\"], \"Resource\": \"*\"}]}"
}
