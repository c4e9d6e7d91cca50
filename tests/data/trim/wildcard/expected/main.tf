resource "aws_iam_policy" "platform" {
  name = "platform"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Storage"
        Effect   = "Allow"
        Action   = [
          "s3:A*",
          "s3:BypassGovernanceRetention",
          "s3:Create*",
          "s3:DeleteAccess*",
          "s3:DeleteBucketMetadataTableConfiguration",
          "s3:DeleteJobTagging",
          "s3:DeleteMultiRegionAccessPoint",
          "s3:DeleteObject*",
          "s3:DeleteStorageLens*",
          "s3:Describe*",
          "s3:DissociateAccessGrantsIdentityCenter",
          "s3:Get*",
          "s3:InitiateReplication",
          "s3:List*",
          "s3:ObjectOwnerOverrideToBucketOwner",
          "s3:P*",
          "s3:Re*",
          "s3:SubmitMultiRegionAccessPointRoutes",
          "s3:TagResource",
          "s3:U*",
        ]
        Resource = "*"
      },
      {
        Sid    = "Explicit"
        Effect = "Allow"
        Action = [
          "lambda:InvokeFunction",
          "lambda:GetFunction",
        ]
        Resource = "*"
      },
      {
        Sid      = "Unknown"
        Effect   = "Allow"
        Action   = ["newservice:DoThing*", "s3:NotARealAction"]
        Resource = "*"
      }
    ]
  })
}
