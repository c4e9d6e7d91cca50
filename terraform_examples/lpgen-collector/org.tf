# Organisation set-up for `lpgen collect --org` (everything here is off by default).
#
# 1. The collector role in every member account: a CloudFormation StackSet with
#    service-managed permissions deploys the same role and read-only policy as main.tf to
#    every account of the OUs you name, now and as accounts join them. Apply this in the
#    management account (or a delegated administrator for CloudFormation StackSets).
# 2. The first hop: the CI role that runs lpgen may list the organisation and assume the
#    collector role in any account (an inline policy on that role).
# 3. Optional: delegate the listing to a tooling account (an Organizations resource
#    policy), so that lpgen runs there instead of in the management account.
# See docs/collect.md ("A whole organisation") and docs/permissions.md.

locals {
  # The nine read-only actions of main.tf, in each member account's own ARN space.
  member_entities = [
    for kind in ["group", "policy", "role", "user"] :
    { "Fn::Sub" = "arn:$${AWS::Partition}:iam::$${AWS::AccountId}:${kind}/*" }
  ]
  member_template = jsonencode({
    AWSTemplateFormatVersion = "2010-09-09"
    Description              = "Read-only role for lpgen collect (IAM Access Advisor)."
    Resources = {
      CollectorRole = {
        Type = "AWS::IAM::Role"
        Properties = {
          RoleName           = var.role_name
          MaxSessionDuration = 3600
          AssumeRolePolicyDocument = {
            Version = "2012-10-17"
            Statement = [merge(
              {
                Effect    = "Allow"
                Action    = "sts:AssumeRole"
                Principal = { AWS = var.trusted_principals }
              },
              var.external_id == "" ? {} : {
                Condition = { StringEquals = { "sts:ExternalId" = var.external_id } }
              },
            )]
          }
          Policies = [{
            PolicyName = "lpgen-collector"
            PolicyDocument = {
              Version = "2012-10-17"
              Statement = [
                {
                  Sid      = "DescribeEntities"
                  Effect   = "Allow"
                  Action   = ["iam:GetGroup", "iam:GetPolicy", "iam:GetRole", "iam:GetUser"]
                  Resource = local.member_entities
                },
                {
                  Sid      = "ReadAwsManagedPolicies"
                  Effect   = "Allow"
                  Action   = ["iam:GetPolicy", "iam:GetPolicyVersion"]
                  Resource = { "Fn::Sub" = "arn:$${AWS::Partition}:iam::aws:policy/*" }
                },
                {
                  Sid      = "StartAccessAdvisorJobs"
                  Effect   = "Allow"
                  Action   = "iam:GenerateServiceLastAccessedDetails"
                  Resource = local.member_entities
                },
                {
                  Sid    = "ReadAccessAdvisorReports"
                  Effect = "Allow"
                  Action = [
                    "iam:GetServiceLastAccessedDetails",
                    "iam:GetServiceLastAccessedDetailsWithEntities",
                  ]
                  Resource = "*"
                },
                {
                  Sid      = "FindIdentityCenterRoles"
                  Effect   = "Allow"
                  Action   = "iam:ListRoles"
                  Resource = "*"
                },
              ]
            }
          }]
        }
      }
    }
  })
}

resource "aws_cloudformation_stack_set" "lpgen_collector" {
  count            = length(var.member_ou_ids) > 0 ? 1 : 0
  name             = "lpgen-collector"
  description      = "The lpgen-collector role in every member account."
  permission_model = "SERVICE_MANAGED"
  capabilities     = ["CAPABILITY_NAMED_IAM"]
  template_body    = local.member_template

  auto_deployment {
    enabled                          = true
    retain_stacks_on_account_removal = false
  }

  lifecycle {
    ignore_changes = [administration_role_arn]
  }
}

resource "aws_cloudformation_stack_set_instance" "lpgen_collector" {
  count          = length(var.member_ou_ids) > 0 ? 1 : 0
  stack_set_name = aws_cloudformation_stack_set.lpgen_collector[0].name
  # IAM is global: one region per account is enough.
  stack_set_instance_region = var.stack_set_region

  deployment_targets {
    organizational_unit_ids = var.member_ou_ids
  }
}

# The first hop: what the principal running `lpgen collect --org` needs besides the chain.
resource "aws_iam_role_policy" "lpgen_first_hop" {
  count = var.runner_role_name == "" ? 0 : 1
  name  = "lpgen-collect-org"
  role  = var.runner_role_name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "ListTheOrganisation"
        Effect = "Allow"
        Action = [
          "organizations:ListAccounts",
          "organizations:ListAccountsForParent",
          "organizations:ListOrganizationalUnitsForParent",
        ]
        Resource = "*"
      },
      {
        Sid      = "AssumeTheCollectorRole"
        Effect   = "Allow"
        Action   = "sts:AssumeRole"
        Resource = "arn:${data.aws_partition.current.partition}:iam::*:role/${var.role_name}"
      },
    ]
  })
}

# Lets a tooling account list the organisation (apply in the management account).
resource "aws_organizations_resource_policy" "lpgen_listing" {
  count = var.listing_account_id == "" ? 0 : 1
  content = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "LpgenListAccounts"
      Effect    = "Allow"
      Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${var.listing_account_id}:root" }
      Action = [
        "organizations:ListAccounts",
        "organizations:ListAccountsForParent",
        "organizations:ListOrganizationalUnitsForParent",
      ]
      Resource = "*"
    }]
  })
}
