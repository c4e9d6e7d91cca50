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
        Action   = ["iam:PassRole", "iam:GetRole"]
        Resource = "*"
      },
      {
        Sid      = "Buckets"
        Effect   = "Allow"
        Action   = ["s3:DeleteBucket", "s3:CreateBucket", "s3:PutBucketTagging"]
        Resource = "*"
      },
      # lpgen:keep until=2026-06-30 migration finished in June
      {
        Sid      = "Migration"
        Effect   = "Allow"
        Action   = ["dms:StartReplicationTask"]
        Resource = "*"
      },
      {
        # lpgen:keep rds:DeleteDBSnapshot
        Sid      = "Snapshots"
        Effect   = "Allow"
        Action   = ["rds:DeleteDBSnapshot", "rds:CreateDBSnapshot"]
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
