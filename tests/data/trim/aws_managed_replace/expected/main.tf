# The CI role reads EC2 through an AWS-managed policy.
resource "aws_iam_role" "ci" {
  name = "ci"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Action    = "sts:AssumeRole"
        Principal = { Service = "codebuild.amazonaws.com" }
      },
    ]
  })
}

resource "aws_iam_role_policy_attachment" "ci_ec2_read" {
  role       = aws_iam_role.ci.name
  policy_arn = aws_iam_policy.ci_ec2_read_used.arn
}

resource "aws_iam_policy" "ci_ec2_read_used" {
  name        = "ci-AmazonEC2ReadOnlyAccess-used"
  description = "What role ci used of AmazonEC2ReadOnlyAccess"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["ec2:Describe*"]
        Resource = "*"
      },
      {
        Effect = "Allow"
        Action = [
          "cloudwatch:ListMetrics",
          "cloudwatch:GetMetricStatistics",
          "cloudwatch:Describe*",
        ]
        Resource = "*"
      },
    ]
  })
}

variable "deploy_policy_arn" {
  type    = string
  default = "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"
}

resource "aws_iam_role" "deploy" {
  name = "deploy"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Action    = "sts:AssumeRole"
        Principal = { Service = "codebuild.amazonaws.com" }
      },
    ]
  })
}

resource "aws_iam_role_policy_attachment" "deploy_ec2_read" {
  role       = aws_iam_role.deploy.name
  policy_arn = var.deploy_policy_arn
}
