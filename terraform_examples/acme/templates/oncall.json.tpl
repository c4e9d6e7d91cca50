{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Alarms",
      "Effect": "Allow",
      "Action": ["cloudwatch:DescribeAlarms", "cloudwatch:SetAlarmState", "cloudwatch:DisableAlarmActions"],
      "Resource": "arn:aws:cloudwatch:${region}:*:alarm:${company}-*"
    },
    {
      "Sid": "SessionManager",
      "Effect": "Allow",
      "Action": ["ssm:StartSession", "ssm:TerminateSession", "ssm:DescribeSessions"],
      "Resource": "*"
    }
  ]
}
