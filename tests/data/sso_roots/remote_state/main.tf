data "terraform_remote_state" "ps" {
  backend = "s3"
  config = {
    bucket = "b"
    key    = "k"
    region = "eu-west-2"
  }
}

data "aws_ssm_parameter" "acct" {
  name = "account-id"
}

resource "aws_ssoadmin_account_assignment" "a" {
  instance_arn       = "arn:aws:sso:::instance/ssoins-1"
  permission_set_arn = data.terraform_remote_state.ps.outputs.administrator
  principal_id       = "g-1"
  principal_type     = "GROUP"
  target_id          = data.aws_ssm_parameter.acct.value
  target_type        = "AWS_ACCOUNT"
}

resource "aws_ssoadmin_permission_set_inline_policy" "i" {
  instance_arn       = "arn:aws:sso:::instance/ssoins-1"
  permission_set_arn = data.terraform_remote_state.ps.outputs.administrator
  inline_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }]
  })
}

resource "aws_ssoadmin_managed_policy_attachment" "m" {
  instance_arn       = "arn:aws:sso:::instance/ssoins-1"
  permission_set_arn = data.terraform_remote_state.ps.outputs.administrator
  managed_policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
