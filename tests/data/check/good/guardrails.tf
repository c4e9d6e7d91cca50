resource "aws_accessanalyzer_analyzer" "account" {
  analyzer_name = "account"
}

resource "aws_cloudwatch_event_rule" "root_activity" {
  name = "root-activity"
  event_pattern = jsonencode({
    detail = { userIdentity = { type = ["Root"] } }
  })
}
