resource "aws_iam_policy" "guarded" {
  name = "guarded"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "NoDeletes"
        Effect   = "Deny"
        Action   = ["s3:DeleteBucket", "ec2:TerminateInstances"]
        Resource = "*"
      },
      {
        Sid       = "AllButIam"
        Effect    = "Allow"
        NotAction = ["iam:*", "organizations:*"]
        Resource  = "*"
      },
      {
        Sid         = "NotThisBucket"
        Effect      = "Allow"
        Action      = ["s3:PutObject", "s3:CreateBucket"]
        NotResource = "arn:aws:s3:::audit/*"
      },
      {
        Sid       = "Scoped"
        Effect    = "Allow"
        Action    = ["ec2:RunInstances"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:RequestedRegion" = "eu-west-1" } }
      }
    ]
  })
}
