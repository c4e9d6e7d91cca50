# Bucket-scoped access comes from one module, instantiated per bucket.
module "bucket_access" {
  source = "./modules/bucket-access"

  for_each = {
    data    = var.data_bucket
    finance = "${var.company}-invoices"
  }

  name_prefix = "${var.company}-${each.key}-bucket"
  bucket      = each.value
  group       = aws_iam_group.team[each.key].name
  read_only   = each.key == "finance"
}
