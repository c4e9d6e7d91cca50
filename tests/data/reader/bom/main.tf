resource "aws_iam_user" "ann" {
  name = "ann"
}
