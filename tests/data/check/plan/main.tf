# The tree the plan in plan.json was made from (after the change).
resource "aws_iam_group" "developers" {
  name = "acme-developers"
  path = "/teams/"
}

# Its policy goes away in this change; the group stays.
resource "aws_iam_group" "data" {
  name = "acme-data"
  path = "/teams/"
}

resource "aws_iam_user" "bob" {
  name = "bob.martin"
  path = "/people/"
}

resource "aws_iam_user_group_membership" "bob" {
  user   = aws_iam_user.bob.name
  groups = [aws_iam_group.developers.name]
}

resource "aws_iam_policy" "developers" {
  name = "acme-developers"
  path = "/teams/"

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Compute"
        Effect   = "Allow"
        Action   = ["ec2:StartInstances", "lambda:InvokeFunction"]
        Resource = "*"
      },
      {
        Sid      = "Deploy"
        Effect   = "Allow"
        Action   = ["iam:PassRole"]
        Resource = "*"
      },
    ]
  })
}

resource "aws_iam_group_policy_attachment" "developers" {
  group      = aws_iam_group.developers.name
  policy_arn = aws_iam_policy.developers.arn
}

resource "aws_iam_policy" "ci" {
  name = "acme-ci"
  path = "/machines/"

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["iam:CreatePolicyVersion", "s3:GetObject"]
      Resource = "*"
    }]
  })
}

resource "aws_iam_group_policy_attachment" "ci" {
  group      = aws_iam_group.developers.name
  policy_arn = aws_iam_policy.ci.arn
}

module "bucket" {
  source = "./modules/bucket"
  bucket = "acme-public-site"
}
