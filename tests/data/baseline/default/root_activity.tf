# Alert on any activity of the root user: console sign-in and API calls alike.
# EventBridge cannot publish to a topic encrypted with the AWS managed key alias/aws/sns; to
# encrypt it, use a customer managed key whose policy lets events.amazonaws.com use it.
resource "aws_sns_topic" "alerts" {
  name = "${var.name_prefix}-root-activity"
  tags = var.tags
}

data "aws_iam_policy_document" "alerts" {
  statement {
    sid       = "AllowEventBridgePublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    # Only this account's rule may publish (no other account's rule through EventBridge).
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.root_activity.arn]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts.json
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alert_email == "" ? 0 : 1

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = var.alert_email
}

resource "aws_cloudwatch_event_rule" "root_activity" {
  name        = "${var.name_prefix}-root-activity"
  description = "Any console sign-in or API call by the root user."
  event_pattern = jsonencode({
    "detail-type" = ["AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail"]
    detail = {
      userIdentity = {
        type = ["Root"]
      }
    }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "root_activity" {
  rule      = aws_cloudwatch_event_rule.root_activity.name
  target_id = "sns"
  arn       = aws_sns_topic.alerts.arn
}

# Optional: the same alerts in Slack through AWS Chatbot.
data "aws_iam_policy_document" "chatbot_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["chatbot.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "chatbot" {
  count = var.chatbot_slack_channel_id == "" ? 0 : 1

  name               = "${var.name_prefix}-chatbot"
  assume_role_policy = data.aws_iam_policy_document.chatbot_trust.json
  tags               = var.tags
}

resource "aws_chatbot_slack_channel_configuration" "alerts" {
  count = var.chatbot_slack_channel_id == "" ? 0 : 1

  configuration_name    = "${var.name_prefix}-root-activity"
  iam_role_arn          = aws_iam_role.chatbot[0].arn
  slack_channel_id      = var.chatbot_slack_channel_id
  slack_team_id         = var.chatbot_slack_workspace_id
  sns_topic_arns        = [aws_sns_topic.alerts.arn]
  guardrail_policy_arns = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
  tags                  = var.tags
}
