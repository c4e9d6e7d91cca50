variable "create" {
  default = true
}

data "aws_iam_policy_document" "this" {
  count = var.create ? 1 : 0

  statement {
    sid       = "Admin"
    actions   = ["*"]
    resources = ["*"]
  }
}

output "json" {
  value = try(data.aws_iam_policy_document.this[0].json, "")
}

output "joined" {
  value = join("", data.aws_iam_policy_document.this[*].json)
}
