variable "users" {
  type = list(string)
}

resource "aws_iam_user" "people" {
  for_each = toset(var.users)
  name     = each.key
}
