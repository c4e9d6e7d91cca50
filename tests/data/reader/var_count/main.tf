variable "env" {}

resource "aws_iam_policy" "deploy" {
  count  = var.env == "prod" ? 1 : 0
  name   = "deploy-${var.env}"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:*", Resource = "*" }]
  })
}
