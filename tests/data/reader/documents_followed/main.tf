module "docs" {
  source = "./modules/docs"
}
module "wrap" {
  source = "./modules/wrap"
}
locals {
  admin = data.aws_iam_policy_document.admin.json
}
data "aws_iam_policy_document" "admin" {
  statement {
    actions   = ["*"]
    resources = ["*"]
  }
}
data "aws_iam_policy_document" "merged" {
  source_policy_documents = [module.docs.json, local.admin]
}
resource "aws_iam_policy" "via_module" {
  name   = "via-module"
  policy = module.docs.json
}
resource "aws_iam_policy" "via_local" {
  name   = "via-local"
  policy = local.admin
}
resource "aws_iam_policy" "via_merged" {
  name   = "via-merged"
  policy = data.aws_iam_policy_document.merged.json
}
resource "aws_iam_policy" "via_wrap" {
  name   = "via-wrap"
  policy = module.wrap.policy
}
