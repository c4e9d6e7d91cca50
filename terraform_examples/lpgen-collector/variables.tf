variable "create_role" {
  description = "Create the lpgen-collector role and attach the policy to it."
  type        = bool
  default     = true
}

variable "role_name" {
  description = "Name of the collector role."
  type        = string
  default     = "lpgen-collector"
}

variable "trusted_principals" {
  description = "ARNs allowed to assume the collector role (e.g. a CI role in another account)."
  type        = list(string)
  default     = []
}

variable "external_id" {
  description = "External id the caller must pass when assuming the role (empty: none)."
  type        = string
  default     = ""
}

variable "group_name" {
  description = "Also attach the policy to this existing IAM group (empty: none)."
  type        = string
  default     = ""
}

variable "member_ou_ids" {
  description = "Deploy the collector role to every account of these OUs (or the root r-...) with a StackSet (empty: none)."
  type        = list(string)
  default     = []
}

variable "stack_set_region" {
  description = "Region of the StackSet instances (IAM is global; one region is enough)."
  type        = string
  default     = "us-east-1"
}

variable "runner_role_name" {
  description = "Existing role that runs lpgen collect --org: gets the listing and AssumeRole permissions (empty: none)."
  type        = string
  default     = ""
}

variable "listing_account_id" {
  description = "Let this (tooling) account list the organisation via an Organizations resource policy (empty: none)."
  type        = string
  default     = ""
}
