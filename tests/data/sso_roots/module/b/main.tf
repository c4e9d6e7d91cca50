module "sso" {
  source  = "../mod"
  name    = "Ops"
  account = "222233334444"
}
