module "inner" {
  source = "../docs"
}
output "policy" {
  value = module.inner.json
}
