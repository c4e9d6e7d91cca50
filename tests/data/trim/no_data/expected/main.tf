locals {
  sqs_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["sqs:SendMessage", "sqs:DeleteQueue"], Resource = "*" }]
  })
}

# No report for this one in the snapshot.
resource "aws_iam_policy" "not_collected" {
  name   = "not-collected"
  policy = local.sqs_policy
}

resource "aws_iam_policy" "in_progress" {
  name   = "in-progress"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sns:Publish", Resource = "*" }] })
}

resource "aws_iam_policy" "young" {
  name   = "young"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sns:Publish", Resource = "*" }] })
}

resource "aws_iam_policy" "detached" {
  name   = "detached"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sns:Publish", Resource = "*" }] })
}

resource "aws_iam_policy" "computed" {
  name   = "computed"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = var.actions, Resource = "*" }] })
}

variable "actions" {
  type = list(string)
}

resource "aws_iam_user" "new" {
  name = "new-hire"
}

resource "aws_iam_user_policy" "new" {
  name   = "new-hire"
  user   = aws_iam_user.new.name
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sns:Publish", Resource = "*" }] })
}
