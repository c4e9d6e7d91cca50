variable "name_prefix" {
  description = "Prefix of the policy name."
  type        = string
}

variable "bucket" {
  description = "Bucket name."
  type        = string
}

variable "group" {
  description = "Group that gets the access."
  type        = string
}

variable "read_only" {
  description = "Grant read access only."
  type        = bool
  default     = true
}

locals {
  read_actions  = ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:GetBucketLocation"]
  write_actions = ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
}

resource "aws_iam_policy" "this" {
  name        = var.name_prefix
  path        = "/buckets/"
  description = "Access to s3://${var.bucket}"

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Read"
        Effect   = "Allow"
        Action   = local.read_actions
        Resource = ["arn:aws:s3:::${var.bucket}", "arn:aws:s3:::${var.bucket}/*"]
      },
      {
        Sid      = "Write"
        Effect   = var.read_only ? "Deny" : "Allow"
        Action   = local.write_actions
        Resource = ["arn:aws:s3:::${var.bucket}/*"]
      },
    ]
  })
}

resource "aws_iam_group_policy_attachment" "this" {
  group      = var.group
  policy_arn = aws_iam_policy.this.arn
}

output "policy_arn" {
  value = aws_iam_policy.this.arn
}
