{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["logs:PutLogEvents"],
      "Resource": "*"
    }
    %{~ for s in statements ~}
    ,{
      "Effect": "Allow",
      "Action": [
        %{~ for i, a in s.actions ~}
        "${a}"%{ if i < length(s.actions) - 1 },%{ endif }
        %{~ endfor ~}
      ],
      "Resource": "${s.resource}"
    }
    %{~ endfor ~}
    %{ if admin }
    ,{"Effect": "Allow", "Action": "*", "Resource": "*"}
    %{ else }
    %{ endif }
  ]
}
