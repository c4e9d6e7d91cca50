module "sso" {
  source   = "../mod"
  name     = "ReaderB"
  boundary = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}
