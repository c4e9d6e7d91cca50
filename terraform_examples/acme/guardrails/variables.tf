variable "name_prefix" {
  description = "Prefix of every resource name this module creates."
  type        = string
  default     = "acme-guardrails"
}

variable "tags" {
  description = "Tags for every resource that takes tags."
  type        = map(string)
  default = {
    "managed-by" = "terraform"
  }
}

variable "alert_email" {
  description = "Email address subscribed to root-activity alerts (\"\" for none)."
  type        = string
  default     = "security@acme.example"
}

variable "chatbot_slack_workspace_id" {
  description = "AWS Chatbot Slack workspace (team) id for alerts (\"\" for none)."
  type        = string
  default     = ""
}

variable "chatbot_slack_channel_id" {
  description = "Slack channel id that receives alerts."
  type        = string
  default     = ""
}

variable "analyzer_type" {
  description = "ACCOUNT, or ORGANIZATION when applied in the management or delegated administrator account."
  type        = string
  default     = "ACCOUNT"
}

variable "unused_access_analyzer" {
  description = "Also create an unused-access analyzer (a paid feature)."
  type        = bool
  default     = false
}

variable "unused_access_age" {
  description = "Days without use before access counts as unused."
  type        = number
  default     = 90
}

variable "max_access_key_age" {
  description = "Days before an access key must be rotated."
  type        = number
  default     = 90
}

variable "max_credential_usage_age" {
  description = "Days without use before a password or key counts as unused."
  type        = number
  default     = 90
}

variable "remediation_target_arn" {
  description = "ARN of a Lambda function, SNS topic or SSM Automation that receives NON_COMPLIANT results of these rules (\"\" for none)."
  type        = string
  default     = ""
}
