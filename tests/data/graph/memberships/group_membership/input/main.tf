# Group-side membership lists.
resource "aws_iam_user" "carol" {
  name = "carol"
}

resource "aws_iam_group_membership" "dev" {
  name  = "dev-members"
  group = "dev"

  users = [
    "alice",
    "bob", # left the project in January
    "dave",
  ]
}

resource "aws_iam_group_membership" "ops" {
  name  = "ops-members"
  group = "ops"
  users = [aws_iam_user.carol.name, "dave"]
}

resource "aws_iam_group_membership" "readers" {
  name  = "readers-members"
  group = "readers"
  users = ["eve", "alice"]
}

variable "legacy" {
  type    = list(string)
  default = ["bob"]
}

resource "aws_iam_group_membership" "legacy" {
  name  = "legacy-members"
  group = "ops"
  users = var.legacy
}
