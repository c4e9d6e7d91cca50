resource "aws_ssoadmin_permission_set" "dev" {
  name         = "Developer"
  instance_arn = "arn:aws:sso:::instance/ssoins-1"
}

resource "aws_ssoadmin_permission_set_inline_policy" "dev" {
  instance_arn       = aws_ssoadmin_permission_set.dev.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.dev.arn
  inline_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:GetObject", "sns:Publish", "sqs:SendMessage"]
      Resource = "*"
    }]
  })
}

resource "aws_ssoadmin_account_assignment" "a" {
  instance_arn       = aws_ssoadmin_permission_set.dev.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.dev.arn
  principal_id       = "g-1"
  principal_type     = "GROUP"
  target_id          = "111122223333"
  target_type        = "AWS_ACCOUNT"
}
