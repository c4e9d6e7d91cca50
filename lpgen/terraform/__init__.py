"""Reading Terraform: parsing with python-hcl2, evaluating what names and shapes IAM."""
