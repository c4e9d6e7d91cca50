# People sign in through IAM Identity Center with a read-only permission set.
resource "aws_ssoadmin_permission_set" "readonly" {
  name             = "ReadOnly"
  instance_arn     = "arn:aws:sso:::instance/ssoins-1234567890abcdef"
  session_duration = "PT1H"
}

resource "aws_ssoadmin_managed_policy_attachment" "readonly" {
  instance_arn       = aws_ssoadmin_permission_set.readonly.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.readonly.arn
  managed_policy_arn = "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"
}

resource "aws_ssoadmin_permission_set_inline_policy" "readonly" {
  instance_arn       = aws_ssoadmin_permission_set.readonly.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.readonly.arn
  inline_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Sid = "Logs", Effect = "Allow", Action = ["logs:FilterLogEvents"],
                   Resource = "arn:aws:logs:eu-west-1:111122223333:log-group:/app/*" }]
  })
}

resource "aws_identitystore_group" "engineers" {
  identity_store_id = "d-1234567890"
  display_name      = "engineers"
}

resource "aws_ssoadmin_account_assignment" "engineers" {
  instance_arn       = aws_ssoadmin_permission_set.readonly.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.readonly.arn
  principal_id       = aws_identitystore_group.engineers.group_id
  principal_type     = "GROUP"
  target_id          = "111122223333"
  target_type        = "AWS_ACCOUNT"
}
