# The partner's support role: their account, with the external id they gave us.
resource "aws_iam_role" "partner" {
  name = "partner-support"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::444455556666:root" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "sts:ExternalId" = "acme-7f3c2a" } }
    }]
  })
}

resource "aws_iam_role_policy_attachment" "partner" {
  role       = aws_iam_role.partner.name
  policy_arn = "arn:aws:iam::aws:policy/AWSSupportAccess"
}

# GitHub Actions deploys from main of one repository.
data "aws_iam_policy_document" "github" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::${var.account_id}:oidc-provider/token.actions.githubusercontent.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:acme/app:ref:refs/heads/main"]
    }
  }
}

resource "aws_iam_role" "deploy" {
  name               = "github-deploy"
  assume_role_policy = data.aws_iam_policy_document.github.json
}

resource "aws_iam_role_policy" "deploy" {
  name = "deploy"
  role = aws_iam_role.deploy.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Sid = "Login", Effect = "Allow", Action = "ecr:GetAuthorizationToken", Resource = "*" },
      { Sid = "Push", Effect = "Allow", Action = ["ecr:PutImage", "ecr:UploadLayerPart"],
        Resource = "arn:aws:ecr:eu-west-1:${var.account_id}:repository/app" },
    ]
  })
}
