variable "name" {}
variable "actions" { default = [] }
variable "account" {}

resource "aws_ssoadmin_permission_set" "ps" {
  name         = var.name
  instance_arn = "arn:aws:sso:::instance/ssoins-1"
}

resource "aws_ssoadmin_permission_set_inline_policy" "i" {
  count              = length(var.actions) > 0 ? 1 : 0
  instance_arn       = "arn:aws:sso:::instance/ssoins-1"
  permission_set_arn = aws_ssoadmin_permission_set.ps.arn
  inline_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = var.actions, Resource = "*" }]
  })
}

resource "aws_ssoadmin_account_assignment" "a" {
  instance_arn       = "arn:aws:sso:::instance/ssoins-1"
  permission_set_arn = aws_ssoadmin_permission_set.ps.arn
  principal_id       = "g-1"
  principal_type     = "GROUP"
  target_id          = var.account
  target_type        = "AWS_ACCOUNT"
}
