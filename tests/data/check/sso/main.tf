# IAM Identity Center: an admin permission set, a read-only one with a boundary, and who
# gets them in which account.
data "aws_ssoadmin_instances" "this" {}

locals {
  instance_arn      = tolist(data.aws_ssoadmin_instances.this.arns)[0]
  identity_store_id = tolist(data.aws_ssoadmin_instances.this.identity_store_ids)[0]
}

resource "aws_ssoadmin_permission_set" "admin" {
  name             = "Admin"
  instance_arn     = local.instance_arn
  session_duration = "PT8H"
}

resource "aws_ssoadmin_managed_policy_attachment" "admin" {
  instance_arn       = local.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.admin.arn
  managed_policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}

resource "aws_ssoadmin_permission_set" "platform" {
  name         = "Platform"
  instance_arn = local.instance_arn
}

resource "aws_ssoadmin_permission_set_inline_policy" "platform" {
  instance_arn       = local.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.platform.arn
  inline_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Sid = "Everything", Effect = "Allow", Action = "*", Resource = "*" },
    ]
  })
}

resource "aws_ssoadmin_permission_set" "developer" {
  name         = "Developer"
  instance_arn = local.instance_arn
}

resource "aws_ssoadmin_permission_set_inline_policy" "developer" {
  instance_arn       = local.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.developer.arn
  inline_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Sid = "Compute", Effect = "Allow", Action = ["ec2:*", "iam:PassRole"], Resource = "*" },
      { Sid = "NotIam", Effect = "Allow", NotAction = ["iam:*"], Resource = "*" },
    ]
  })
}

resource "aws_ssoadmin_permissions_boundary_attachment" "developer" {
  instance_arn       = local.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.developer.arn
  permissions_boundary {
    customer_managed_policy_reference {
      name = "developer-boundary"
      path = "/"
    }
  }
}

resource "aws_ssoadmin_permission_set" "readonly" {
  name         = "ReadOnly"
  instance_arn = local.instance_arn
}

resource "aws_ssoadmin_managed_policy_attachment" "readonly" {
  instance_arn       = local.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.readonly.arn
  managed_policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_ssoadmin_customer_managed_policy_attachment" "readonly" {
  instance_arn       = local.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.readonly.arn
  customer_managed_policy_reference {
    name = "support-extras"
  }
}

resource "aws_identitystore_group" "platform" {
  identity_store_id = local.identity_store_id
  display_name      = "platform-team"
}

resource "aws_identitystore_user" "alice" {
  identity_store_id = local.identity_store_id
  display_name      = "Alice Ng"
  user_name         = "alice"
  name {
    given_name  = "Alice"
    family_name = "Ng"
  }
}

resource "aws_identitystore_group_membership" "alice_platform" {
  identity_store_id = local.identity_store_id
  group_id          = aws_identitystore_group.platform.group_id
  member_id         = aws_identitystore_user.alice.user_id
}

data "aws_identitystore_group" "auditors" {
  identity_store_id = local.identity_store_id
  alternate_identifier {
    unique_attribute {
      attribute_path  = "DisplayName"
      attribute_value = "auditors"
    }
  }
}

resource "aws_ssoadmin_account_assignment" "platform_admin" {
  instance_arn       = local.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.platform.arn
  principal_id       = aws_identitystore_group.platform.group_id
  principal_type     = "GROUP"
  target_id          = "111122223333"
  target_type        = "AWS_ACCOUNT"
}

resource "aws_ssoadmin_account_assignment" "auditors" {
  for_each           = toset(["111122223333", "444455556666"])
  instance_arn       = local.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.readonly.arn
  principal_id       = data.aws_identitystore_group.auditors.group_id
  principal_type     = "GROUP"
  target_id          = each.key
  target_type        = "AWS_ACCOUNT"
}

resource "aws_ssoadmin_account_assignment" "alice_admin" {
  instance_arn       = local.instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.admin.arn
  principal_id       = aws_identitystore_user.alice.user_id
  principal_type     = "USER"
  target_id          = "111122223333"
  target_type        = "AWS_ACCOUNT"
}
