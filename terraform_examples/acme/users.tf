resource "aws_iam_user" "person" {
  for_each = var.people

  name          = each.key
  path          = each.value.console ? "/people/" : "/machines/"
  force_destroy = false

  tags = {
    teams = join(",", each.value.teams)
  }
}

# Memberships are declared from the user's side for everyone...
resource "aws_iam_user_group_membership" "person" {
  for_each = var.people

  user   = aws_iam_user.person[each.key].name
  groups = [for team in each.value.teams : aws_iam_group.team[team].name]
}

resource "aws_iam_user_login_profile" "person" {
  for_each = { for name, p in var.people : name => p if p.console }

  user                    = aws_iam_user.person[each.key].name
  password_reset_required = true
}

# ...and from the group's side for the on-call rota, which changes weekly.
resource "aws_iam_group_membership" "oncall" {
  name  = "${var.company}-oncall-membership"
  group = aws_iam_group.oncall.name

  users = [
    "alice.nguyen",
    "grace.hopper", # primary this week
    "bob.martin",
  ]
}

resource "aws_iam_group" "oncall" {
  name = "${var.company}-oncall"
  path = "/teams/"
}
