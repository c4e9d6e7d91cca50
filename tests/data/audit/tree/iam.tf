resource "aws_iam_user" "alice" {
  name = "alice"
  path = "/people/"
}

# lpgen:ignore LP110 break-glass user, its MFA device is in the safe
resource "aws_iam_user_login_profile" "alice" {
  user = aws_iam_user.alice.name
}

resource "aws_iam_user" "bob" {
  name = "bob,ops"
}

resource "aws_iam_access_key" "bob_old" {
  user = aws_iam_user.bob.name
}

resource "aws_iam_access_key" "bob_new" {
  user = aws_iam_user.bob.name
}

resource "aws_iam_user" "carol" {
  name = "carol"
}

resource "aws_iam_user_login_profile" "carol" {
  user = aws_iam_user.carol.name
}

resource "aws_iam_user" "erin" {
  name = "erin"
}
