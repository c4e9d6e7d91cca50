locals {
  # Who is in which group, by user.
  memberships = {
    alice = ["dev"]
    carol = ["ops", "dev"] # dev access requested in 2024
    bob   = ["dev", "ops"]
  }

  people = ["alice", "dave"]
}

resource "aws_iam_user" "person" {
  for_each = toset(local.people)
  name     = each.key
}

resource "aws_iam_user_group_membership" "m" {
  for_each = local.memberships
  user     = each.key
  groups   = each.value
}

resource "aws_iam_group_membership" "dev" {
  name  = "dev-members"
  group = "dev"
  users = [for p in local.people : aws_iam_user.person[p].name]
}
