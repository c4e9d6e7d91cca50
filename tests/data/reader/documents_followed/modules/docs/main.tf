data "aws_iam_policy_document" "this" {
  statement {
    sid       = "Iam"
    actions   = ["iam:*"]
    resources = ["*"]
  }
}
output "json" {
  value = data.aws_iam_policy_document.this.json
}
