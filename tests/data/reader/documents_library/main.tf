# A module library's pattern: everything behind var.create, the document only output.
module "admin" {
  source = "./modules/policy"
  create = false
}

resource "aws_iam_policy" "admin" {
  count  = 0
  name   = "admin"
  policy = module.admin.json
}
