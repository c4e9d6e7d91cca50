"""lpgen: least-privilege AWS IAM for Terraform."""

__version__ = "0.1.0"
