# Identity Center: developers read EC2 in two accounts through an AWS-managed policy.

data "aws_ssoadmin_instances" "this" {}

locals {
  instance_arn = tolist(data.aws_ssoadmin_instances.this.arns)[0]
  developers   = "g-0123456789"
}

resource "aws_ssoadmin_permission_set" "developer" {
  name         = "Developer"
  instance_arn = local.instance_arn
}

resource "aws_ssoadmin_account_assignment" "developer" {
  for_each           = toset(["111122223333", "222233334444"])
  instance_arn       = local.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.developer.arn
  principal_id       = local.developers
  principal_type     = "GROUP"
  target_id          = each.value
  target_type        = "AWS_ACCOUNT"
}

resource "aws_ssoadmin_customer_managed_policy_attachment" "developer_ec2" {
  instance_arn       = local.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.developer.arn
  customer_managed_policy_reference {
    name = aws_iam_policy.developer_ec2_used.name
    path = aws_iam_policy.developer_ec2_used.path
  }
}

resource "aws_iam_policy" "developer_ec2_used" {
  name        = "Developer-AmazonEC2ReadOnlyAccess-used"
  description = "What permission set Developer used of AmazonEC2ReadOnlyAccess"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["ec2:Describe*"]
        Resource = "*"
      },
      {
        Effect   = "Allow"
        Action   = ["autoscaling:Describe*"]
        Resource = "*"
      },
    ]
  })
}
