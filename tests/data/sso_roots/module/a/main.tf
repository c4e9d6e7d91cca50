module "sso" {
  source  = "../mod"
  name    = "Dev"
  actions = ["s3:GetObject", "sns:Publish", "sqs:SendMessage"]
  account = "111122223333"
}
