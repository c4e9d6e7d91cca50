variable "managed" { default = [] }
variable "boundary" { default = null }
variable "name" {}

resource "aws_ssoadmin_permission_set" "ps" {
  name         = var.name
  instance_arn = "arn:aws:sso:::instance/ssoins-1"
}

resource "aws_ssoadmin_managed_policy_attachment" "m" {
  for_each           = toset(var.managed)
  instance_arn       = "arn:aws:sso:::instance/ssoins-1"
  permission_set_arn = aws_ssoadmin_permission_set.ps.arn
  managed_policy_arn = each.value
}

resource "aws_ssoadmin_permissions_boundary_attachment" "b" {
  count              = var.boundary == null ? 0 : 1
  instance_arn       = "arn:aws:sso:::instance/ssoins-1"
  permission_set_arn = aws_ssoadmin_permission_set.ps.arn
  permissions_boundary {
    managed_policy_arn = var.boundary
  }
}
