# Account-wide guardrails, generated with:
#   lpgen baseline --out guardrails --skip mfa --skip password-policy \
#     --name-prefix acme-guardrails --alert-email security@acme.example
# The MFA policy and the password policy are ours (policies.tf, account.tf).
module "guardrails" {
  source = "./guardrails"

  alert_email            = "security@acme.example"
  max_access_key_age     = 90
  remediation_target_arn = ""
}
