# Two calls of the iam-user module: one switched off, one creating the user and its inline
# policy. The module's statement map fills effect = optional(string, "Allow").
module "disabled" {
  source = "./modules/iam-user"

  create               = false
  name                 = "break-glass"
  create_inline_policy = true
  inline_policy_permissions = {
    Admin = { actions = ["*"], resources = ["*"] }
  }
}

module "deployer" {
  source = "./modules/iam-user"

  name                 = "deployer"
  create_inline_policy = true
  inline_policy_permissions = {
    Deploy = { actions = ["s3:*"], resources = ["*"] }
  }
}
