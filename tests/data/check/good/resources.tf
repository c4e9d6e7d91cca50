# A bucket only the organization reads, over TLS; a function only our topic invokes.
resource "aws_s3_bucket" "reports" {
  bucket = "acme-reports"
}

resource "aws_s3_bucket_policy" "reports" {
  bucket = aws_s3_bucket.reports.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Sid = "TLSOnly", Effect = "Deny", Principal = "*", Action = "s3:*",
        Resource = ["arn:aws:s3:::acme-reports", "arn:aws:s3:::acme-reports/*"],
        Condition = { Bool = { "aws:SecureTransport" = "false" } } },
      { Sid = "OrgRead", Effect = "Allow", Principal = "*", Action = "s3:GetObject",
        Resource = "arn:aws:s3:::acme-reports/*",
        Condition = { StringEquals = { "aws:PrincipalOrgID" = "o-a1b2c3d4e5" } } },
    ]
  })
}

resource "aws_sns_topic" "jobs" {
  name = "jobs"
}

resource "aws_lambda_permission" "jobs" {
  statement_id  = "AllowSNS"
  action        = "lambda:InvokeFunction"
  function_name = "worker"
  principal     = "sns.amazonaws.com"
  source_arn    = aws_sns_topic.jobs.arn
}
