output "alert_topic_arn" {
  description = "SNS topic that receives root-activity alerts."
  value       = aws_sns_topic.alerts.arn
}

output "require_mfa_policy_arn" {
  description = "The MFA-enforcing policy; attach it to every group of console users."
  value       = aws_iam_policy.require_mfa.arn
}

output "access_analyzer_arn" {
  description = "The external-access analyzer."
  value       = aws_accessanalyzer_analyzer.external.arn
}

output "config_rule_names" {
  description = "AWS Config rules this module created."
  value       = local.config_rule_names
}
