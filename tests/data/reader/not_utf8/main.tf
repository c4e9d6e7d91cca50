resource "aws_iam_user" "ann" {
  # Renée
  name = "ann"
}
