# A policy that exists only in the production workspace.
resource "aws_iam_policy" "admin" {
  count  = terraform.workspace == "production" ? 1 : 0
  name   = "admin"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }]
  })
}
