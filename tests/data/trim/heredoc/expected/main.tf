variable "bucket" {
  default = "app-data"
}

resource "aws_iam_role" "app" {
  name = "app"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy" "app" {
  name = "app"
  role = aws_iam_role.app.id

  policy = <<-EOF
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "Bucket",
          "Effect": "Allow",
          "Action": ["s3:GetObject", "s3:PutObject"],
          "Resource": "arn:aws:s3:::${var.bucket}/*"
        },
        {
          "Sid": "Logs",
          "Effect": "Allow",
          "Action": [
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:PutLogEvents"
          ],
          "Resource": "*"
        },
        {
          "Sid": "Tables",
          "Effect": "Allow",
          "Action": [
            "dynamodb:AssociateTableReplica",
            "dynamodb:Batch*",
            "dynamodb:ConditionCheckItem",
            "dynamodb:CreateGlobalTable*",
            "dynamodb:CreateTableReplica",
            "dynamodb:DeleteGlobalTableWitness",
            "dynamodb:DeleteItem",
            "dynamodb:DeleteResourcePolicy",
            "dynamodb:DeleteTableReplica",
            "dynamodb:Describe*",
            "dynamodb:Disa*",
            "dynamodb:E*",
            "dynamodb:Get*",
            "dynamodb:I*",
            "dynamodb:List*",
            "dynamodb:P*",
            "dynamodb:Query",
            "dynamodb:ReadDataForReplication",
            "dynamodb:ReplicateSettings",
            "dynamodb:RestoreTableFromAwsBackup",
            "dynamodb:RestoreTableToPointInTime",
            "dynamodb:S*",
            "dynamodb:TagResource",
            "dynamodb:UntagResource",
            "dynamodb:UpdateAbacStatus",
            "dynamodb:UpdateCont*",
            "dynamodb:UpdateGlobalTable*",
            "dynamodb:UpdateItem",
            "dynamodb:UpdateKinesisStreamingDestination",
            "dynamodb:UpdateTableReplicaAutoScaling",
            "dynamodb:UpdateTimeToLive",
            "dynamodb:WriteDataForReplication"
          ],
          "Resource": "arn:aws:dynamodb:*:*:table/${var.bucket}"
        }
      ]
    }
  EOF
}
