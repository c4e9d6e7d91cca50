data "terraform_remote_state" "sso" {
  backend = "s3"
  config = {
    bucket = "b"
    key    = "single-sign-on/terraform.tfstate"
    region = "eu-west-2"
  }
}

resource "aws_ssoadmin_account_assignment" "b" {
  instance_arn       = "arn:aws:sso:::instance/ssoins-1"
  permission_set_arn = data.terraform_remote_state.sso.outputs.developer
  principal_id       = "g-2"
  principal_type     = "GROUP"
  target_id          = "222233334444"
  target_type        = "AWS_ACCOUNT"
}
