# Values with no value given (no -var, no tfvars): Condition, Resource, Principal and heredoc
# templates hold unknowns. Their known actions are judged; the unknown parts stay verbatim.
variable "vpce" {}
variable "bucket" {}
variable "principal" {}
variable "cond" {}

resource "aws_iam_policy" "admin" {
  name = "admin"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Cond"
        Effect   = "Allow"
        Action   = ["s3:*", "sqs:*"]
        Resource = "*"
        Condition = { StringEquals = { "aws:SourceVpce" = var.vpce } }
      },
      {
        Sid      = "Res"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "sqs:SendMessage"]
        Resource = var.bucket
      },
      {
        Sid      = "WholeCond"
        Effect   = "Allow"
        Action   = ["sqs:ReceiveMessage", "s3:PutObject"]
        Resource = "*"
        Condition = var.cond
      },
    ]
  })
}

resource "aws_iam_policy" "heredoc" {
  name = "heredoc"
  policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Templ",
      "Effect": "Allow",
      "Action": ["s3:*", "sqs:DeleteQueue"],
      "Resource": "arn:aws:s3:::${var.bucket}/*",
      "Condition": {"StringEquals": {"aws:SourceVpce": "${var.vpce}"}}
    }
  ]
}
EOF
}

data "aws_iam_policy_document" "doc" {
  statement {
    sid       = "Doc"
    actions   = ["s3:*", "sqs:*"]
    resources = [var.bucket]
    condition {
      test     = "StringEquals"
      variable = "aws:SourceVpce"
      values   = [var.vpce]
    }
  }
}

resource "aws_iam_policy" "doc" {
  name   = "doc"
  policy = data.aws_iam_policy_document.doc.json
}

resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = var.principal } }]
  })
}
resource "aws_iam_role_policy" "r" {
  role = aws_iam_role.r.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:*", "sqs:*"], Resource = "*", Principal = var.principal }]
  })
}
