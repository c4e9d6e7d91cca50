resource "aws_iam_policy" "from_file" {
  name   = "from-file"
  policy = file("${path.module}/broken.json")
}

resource "aws_iam_policy" "missing" {
  name   = "missing"
  policy = file("${path.module}/gone.json")
}

resource "aws_iam_policy" "template" {
  name   = "template"
  policy = templatefile("${path.module}/broken.json.tpl", { bucket = "logs" })
}

resource "aws_iam_role_policy" "heredoc" {
  name   = "heredoc"
  role   = "ci"
  policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",}]
}
EOF
}
