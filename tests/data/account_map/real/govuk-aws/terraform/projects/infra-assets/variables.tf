variable "aws_region" {
  default = "eu-west-1"
}

variable "aws_backup_region" {
  default = "eu-west-2"
}

variable "aws_environment" {}

variable "stackname" {
  default = "govuk"
}

