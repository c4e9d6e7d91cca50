resource "aws_iam_user" "ci" {
  name = "ci"
}

resource "aws_iam_user_policy" "ci" {
  name   = "ci-deploy"
  user   = aws_iam_user.ci.name
  policy = file("${path.module}/policies/ci.json")
}
