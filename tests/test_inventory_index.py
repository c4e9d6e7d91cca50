"""Owners, members and attachments are found through indexes: same answers as a scan."""

from __future__ import annotations

from pathlib import Path

from lpgen.inventory import InventoryOptions, build_inventory, render_text


def _write(root: Path, rel: str, text: str) -> None:
    f = root / rel
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(text, encoding="utf-8")


def test_inline_owner_is_the_first_user_of_that_name(tmp_path: Path) -> None:
    for d in ("a", "b"):
        _write(tmp_path, f"{d}/main.tf", f'''
resource "aws_iam_user" "dev" {{
  name = "dev"
  path = "/{d}/"
}}
''')
    _write(tmp_path, "a/policy.tf", '''
resource "aws_iam_user_policy" "p" {
  name   = "p"
  user   = "dev"
  policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = "s3:GetObject", Resource = "*"}]})
}
''')
    inv = build_inventory(tmp_path, options=InventoryOptions(account_id="111122223333"))
    (pol,) = [p for p in inv.policies if p.kind == "inline"]
    first = inv.users[0]
    assert pol.owner_arn == first.arn
    assert pol.owner_arn == "arn:aws:iam::111122223333:user/a/dev"


def test_text_lists_members_policies_keys_by_name_and_by_address(tmp_path: Path) -> None:
    _write(tmp_path, "main.tf", '''
variable "who" {}

resource "aws_iam_user" "known" {
  name = "alice"
}

resource "aws_iam_user" "unknown" {
  name = var.who
}

resource "aws_iam_group" "ops" {
  name = "ops"
}

resource "aws_iam_user_group_membership" "m" {
  user   = aws_iam_user.unknown.name
  groups = [aws_iam_group.ops.name]
}

resource "aws_iam_group_membership" "g" {
  name  = "g"
  group = aws_iam_group.ops.name
  users = [aws_iam_user.known.name]
}

resource "aws_iam_access_key" "k" {
  user = aws_iam_user.known.name
}

resource "aws_iam_user_policy_attachment" "a" {
  user       = aws_iam_user.known.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_user_policy" "p" {
  name   = "own"
  user   = aws_iam_user.unknown.name
  policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = "s3:GetObject", Resource = "*"}]})
}
''')
    text = render_text(build_inventory(tmp_path))
    assert "alice: ops; direct policies: arn:aws:iam::aws:policy/ReadOnlyAccess; access key" in (
        text)
    assert "(unknown: aws_iam_user.unknown): ops; direct policies: own (inline)" in text
    assert "members:  (unknown: aws_iam_user.unknown), alice" in text
