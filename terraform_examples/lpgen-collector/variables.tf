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
