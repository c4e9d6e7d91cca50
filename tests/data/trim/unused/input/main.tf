resource "aws_iam_group" "auditors" {
  name = "auditors"
}

resource "aws_iam_group_policy" "auditors" {
  name  = "auditors"
  group = aws_iam_group.auditors.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["athena:StartQueryExecution"], Resource = "*" },
      { Effect = "Allow", Action = "glue:GetTable", Resource = "*" },
    ]
  })
}

resource "aws_iam_group_policy_attachment" "auditors_readonly" {
  group      = aws_iam_group.auditors.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}
