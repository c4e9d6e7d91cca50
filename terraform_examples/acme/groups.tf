# One group per team. Permissions are granted to groups only, never to users.
locals {
  teams = {
    platform   = { path = "/teams/" }
    developers = { path = "/teams/" }
    data       = { path = "/teams/" }
    finance    = { path = "/teams/" }
    auditors   = { path = "/compliance/" }
  }

  console_teams = ["platform", "developers", "data", "finance", "auditors"]
}

resource "aws_iam_group" "team" {
  for_each = local.teams

  name = "${var.company}-${each.key}"
  path = each.value.path
}

# Every console user must use MFA: attach the guard to all human teams.
resource "aws_iam_group_policy_attachment" "require_mfa" {
  for_each = toset(local.console_teams)

  group      = aws_iam_group.team[each.key].name
  policy_arn = aws_iam_policy.require_mfa.arn
}

resource "aws_iam_group_policy_attachment" "auditors_readonly" {
  group      = aws_iam_group.team["auditors"].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/SecurityAudit"
}

resource "aws_iam_group_policy_attachment" "finance_billing" {
  group      = aws_iam_group.team["finance"].name
  policy_arn = "arn:aws:iam::aws:policy/job-function/Billing"
}
