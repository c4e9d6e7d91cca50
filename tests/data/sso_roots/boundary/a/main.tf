module "sso" {
  source  = "../mod"
  name    = "AdminA"
  managed = ["arn:aws:iam::aws:policy/AdministratorAccess"]
}
