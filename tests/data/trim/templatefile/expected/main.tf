resource "aws_iam_group" "ops" {
  name = "ops"
}

resource "aws_iam_group_policy" "notify" {
  name  = "notify"
  group = aws_iam_group.ops.name
  policy = templatefile("${path.module}/notify.json.tpl", {
    topic = "alerts"
  })
}
