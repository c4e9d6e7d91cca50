resource "aws_iam_group" "dev" {
  name = "dev"
}

resource "aws_iam_user_group_membership" "bob" {
  user   = "bob"
  groups = ["dev", "ops"]
}

resource "aws_iam_user_group_membership" "dave" {
  user = "dave"
  groups = [
    aws_iam_group.dev.name,
    "ops",
  ]
}

resource "aws_iam_user_group_membership" "carol" {
  user   = "carol"
  groups = ["ops", "dev"]
}
