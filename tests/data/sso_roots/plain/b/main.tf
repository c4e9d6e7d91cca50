resource "aws_ssoadmin_permission_set" "ps" {
  name         = "Ops"
  instance_arn = "arn:aws:sso:::instance/ssoins-1"
}

resource "aws_ssoadmin_managed_policy_attachment" "m" {
  instance_arn       = "arn:aws:sso:::instance/ssoins-1"
  permission_set_arn = aws_ssoadmin_permission_set.ps.arn
  managed_policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}
