variable "region" {
  description = "Region for the provider; IAM itself is global."
  type        = string
  default     = "eu-west-1"
}

variable "company" {
  description = "Prefix for every IAM name we own."
  type        = string
}

variable "data_bucket" {
  description = "The analytics bucket the data team reads."
  type        = string
}

variable "people" {
  description = "Everyone with an IAM user, and the teams they belong to."
  type = map(object({
    teams   = list(string)
    console = bool
  }))
}
