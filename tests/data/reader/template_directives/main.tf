variable "admin" {
  default = false
}

resource "aws_iam_policy" "worker" {
  name = "worker"
  policy = templatefile("${path.module}/policy.json.tpl", {
    admin = var.admin
    statements = [
      { actions = ["sqs:ReceiveMessage", "sqs:DeleteMessage"], resource = "arn:aws:sqs:*:*:jobs" },
      { actions = ["s3:*"], resource = "*" },
    ]
  })
}
