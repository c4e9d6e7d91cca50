bucket         = "hfla-ops-terraform-state"
key            = "devops-security/terraform.tfstate"
region         = "us-west-2"
dynamodb_table = "hfla_ops_terraform_table"
encrypt        = true