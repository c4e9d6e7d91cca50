# External access: who outside the account (or organization) can reach our resources.
resource "aws_accessanalyzer_analyzer" "external" {
  analyzer_name = "${var.name_prefix}-external-access"
  type          = var.analyzer_type
  tags          = var.tags
}

# Unused access: roles, users, keys and permissions nobody used lately.
resource "aws_accessanalyzer_analyzer" "unused" {
  count = var.unused_access_analyzer ? 1 : 0

  analyzer_name = "${var.name_prefix}-unused-access"
  type          = var.analyzer_type == "ORGANIZATION" ? "ORGANIZATION_UNUSED_ACCESS" : "ACCOUNT_UNUSED_ACCESS"

  configuration {
    unused_access {
      unused_access_age = var.unused_access_age
    }
  }

  tags = var.tags
}
