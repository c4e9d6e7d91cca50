output "alert_topic_arn" {
  description = "SNS topic that receives root-activity alerts."
  value       = aws_sns_topic.alerts.arn
}

output "access_analyzer_arn" {
  description = "The external-access analyzer."
  value       = aws_accessanalyzer_analyzer.external.arn
}

output "config_rule_names" {
  description = "AWS Config rules this module created."
  value       = local.config_rule_names
}
