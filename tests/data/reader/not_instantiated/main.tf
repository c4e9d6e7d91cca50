variable "create" {
  default = false
}

variable "users" {
  type    = set(string)
  default = []
}

resource "aws_iam_policy" "admin" {
  count  = var.create ? 1 : 0
  name   = "admin"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }]
  })
}

resource "aws_iam_user" "people" {
  for_each = var.users
  name     = each.key
}

module "team" {
  source = "./modules/team"
  count  = var.create ? 1 : 0
  name   = "ops"
}
