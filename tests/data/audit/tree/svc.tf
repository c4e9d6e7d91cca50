locals {
  services = ["dave"]
}

resource "aws_iam_user" "svc" {
  for_each = toset(local.services)
  name     = each.key
  path     = "/svc/"
}

resource "aws_iam_access_key" "svc_retired" {
  user   = aws_iam_user.svc["dave"].name
  status = "Inactive"
}

resource "aws_iam_access_key" "svc" {
  user = aws_iam_user.svc["dave"].name
}
