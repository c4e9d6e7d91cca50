resource "aws_iam_user" "ann" {
  name = "ann"
  path = "/people/"
  name = "bob"
}
