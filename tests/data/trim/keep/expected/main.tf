resource "aws_iam_role" "deployer" {
  name = "deployer"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "codebuild.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

# lpgen:keep s3:DeleteBucket until=2027-03-01 needed for the yearly teardown
resource "aws_iam_role_policy" "deployer" {
  name = "deployer"
  role = aws_iam_role.deployer.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Pass"
        Effect   = "Allow"
        Action   = ["iam:PassRole"]
        Resource = "*"
      },
      {
        Sid      = "Buckets"
        Effect   = "Allow"
        Action   = ["s3:DeleteBucket", "s3:CreateBucket"]
        Resource = "*"
      },
      {
        # lpgen:keep rds:DeleteDBSnapshot
        Sid      = "Snapshots"
        Effect   = "Allow"
        Action   = ["rds:DeleteDBSnapshot"]
        Resource = "*"
      },
      {
        Sid      = "Describe"
        Effect   = "Allow"
        Action   = ["ec2:DescribeInstances", "ec2:DescribeImages"]
        Resource = "*"
      }
    ]
  })
}
