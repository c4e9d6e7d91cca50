output "policy_arn" {
  description = "ARN of the lpgen-collector policy."
  value       = aws_iam_policy.lpgen_collector.arn
}

output "role_arn" {
  description = "ARN of the collector role, for lpgen collect --role-arn (null when not created)."
  value       = var.create_role ? aws_iam_role.lpgen_collector[0].arn : null
}
