# ruff: noqa: E501 (the generator embeds Terraform verbatim)
"""Generate a realistic synthetic Terraform monorepo, and a matching Access Advisor snapshot.

    python benchmarks/gen_monorepo.py OUT_DIR [--scale 1] [--seed 8]

At ``--scale 1`` the tree has about 835 ``.tf`` files (~5 MB). About a tenth of them declare
IAM (``iam/teams/<team>/`` root modules and the local module ``modules/iam-team``): 2,000
users, 300 groups and 600 policies (managed and inline) in every policy style lpgen reads. The
rest declare other infrastructure (``services/<name>/``, ``network/<env>-<region>/`` and two
non-IAM local modules): VPCs, subnets, security groups, ECS services, RDS, S3, SQS, Lambda,
KMS, CloudWatch alarms and dashboards, with locals, variables and ``for_each``.

``OUT_DIR/snapshot.json`` (format ``lpgen.snapshot/1``, account 111122223333) holds an
ACTION_LEVEL Access Advisor report for every managed policy and every owner of an inline
policy, with some services and actions unused so that ``lpgen trim`` has work to do.
``OUT_DIR/manifest.json`` records what was declared (counts and sizes) for tests and the
benchmark runner. The output is a function of ``--scale`` and ``--seed`` only.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ACCOUNT_ID = "111122223333"
PARTITION = "aws"
COLLECTED_AT = "2026-11-20T06:00:00+00:00"

# Per scale 1.
USERS = 2000
GROUPS = 300
POLICIES = 600
TEAMS = 16
SERVICES = 180
NETWORKS = 8

# Real IAM actions per service; "*" entries are wildcards the catalog expands.
ACTIONS: dict[str, list[str]] = {
    "ec2": ["DescribeInstances", "DescribeVolumes", "DescribeSnapshots", "StartInstances",
            "StopInstances", "RebootInstances", "CreateSnapshot", "DeleteSnapshot", "CreateTags",
            "TerminateInstances", "RunInstances", "ModifyInstanceAttribute", "Describe*"],
    "s3": ["GetObject", "PutObject", "DeleteObject", "ListBucket", "GetBucketLocation",
           "GetBucketPolicy", "PutBucketPolicy", "CreateBucket", "DeleteBucket",
           "GetBucketTagging", "PutBucketTagging", "ListAllMyBuckets"],
    "lambda": ["GetFunction", "InvokeFunction", "UpdateFunctionCode",
               "UpdateFunctionConfiguration", "ListFunctions", "PublishVersion", "CreateAlias",
               "UpdateAlias", "DeleteFunction", "GetFunctionConfiguration"],
    "dynamodb": ["GetItem", "PutItem", "Query", "Scan", "UpdateItem", "DeleteItem",
                 "BatchGetItem", "BatchWriteItem", "DescribeTable", "ListTables", "CreateTable",
                 "DeleteTable"],
    "sqs": ["SendMessage", "ReceiveMessage", "DeleteMessage", "GetQueueAttributes", "GetQueueUrl",
            "PurgeQueue", "ListQueues", "CreateQueue", "DeleteQueue", "SetQueueAttributes"],
    "sns": ["Publish", "Subscribe", "Unsubscribe", "ListTopics", "GetTopicAttributes",
            "CreateTopic", "DeleteTopic", "SetTopicAttributes"],
    "logs": ["DescribeLogGroups", "DescribeLogStreams", "GetLogEvents", "FilterLogEvents",
             "StartQuery", "GetQueryResults", "CreateLogGroup", "PutRetentionPolicy",
             "DeleteLogGroup", "Get*", "Describe*"],
    "cloudwatch": ["DescribeAlarms", "GetMetricData", "GetMetricStatistics", "ListMetrics",
                   "PutMetricAlarm", "DeleteAlarms", "SetAlarmState", "PutDashboard",
                   "GetDashboard"],
    "kms": ["Decrypt", "Encrypt", "GenerateDataKey", "DescribeKey", "ListKeys", "ListAliases",
            "CreateGrant", "ScheduleKeyDeletion"],
    "secretsmanager": ["GetSecretValue", "DescribeSecret", "ListSecrets", "PutSecretValue",
                       "CreateSecret", "DeleteSecret", "RotateSecret"],
    "ssm": ["GetParameter", "GetParameters", "GetParametersByPath", "PutParameter",
            "DeleteParameter", "DescribeParameters", "StartSession", "TerminateSession",
            "SendCommand"],
    "ecr": ["GetAuthorizationToken", "BatchGetImage", "GetDownloadUrlForLayer",
            "BatchCheckLayerAvailability", "PutImage", "InitiateLayerUpload", "UploadLayerPart",
            "CompleteLayerUpload", "DescribeRepositories", "DeleteRepository"],
    "ecs": ["DescribeServices", "DescribeTasks", "ListTasks", "ListServices", "UpdateService",
            "RunTask", "StopTask", "RegisterTaskDefinition", "DescribeTaskDefinition",
            "ExecuteCommand"],
    "rds": ["DescribeDBInstances", "DescribeDBClusters", "CreateDBSnapshot", "DeleteDBSnapshot",
            "RebootDBInstance", "ModifyDBInstance", "DescribeDBSnapshots"],
    "athena": ["StartQueryExecution", "GetQueryExecution", "GetQueryResults",
               "StopQueryExecution", "ListWorkGroups", "GetWorkGroup", "CreateNamedQuery"],
    "glue": ["GetDatabase", "GetDatabases", "GetTable", "GetTables", "GetPartitions",
             "CreateTable", "UpdateTable", "DeleteTable", "StartJobRun", "GetJobRun", "Get*"],
    "cloudformation": ["DescribeStacks", "ListStacks", "DescribeStackEvents", "CreateStack",
                       "UpdateStack", "DeleteStack", "ValidateTemplate"],
    "iam": ["GetRole", "ListRoles", "PassRole", "GetPolicy", "GetPolicyVersion",
            "ListAttachedRolePolicies", "CreateServiceLinkedRole"],
    "kinesis": ["DescribeStream", "GetRecords", "GetShardIterator", "PutRecord", "PutRecords",
                "ListStreams"],
    "route53": ["ListHostedZones", "GetHostedZone", "ListResourceRecordSets",
                "ChangeResourceRecordSets"],
    "autoscaling": ["DescribeAutoScalingGroups", "UpdateAutoScalingGroup", "SetDesiredCapacity",
                    "DescribeScalingActivities"],
    "elasticloadbalancing": ["DescribeLoadBalancers", "DescribeTargetGroups",
                             "DescribeTargetHealth", "RegisterTargets", "DeregisterTargets"],
    "states": ["StartExecution", "DescribeExecution", "ListExecutions", "StopExecution",
               "DescribeStateMachine"],
    "events": ["PutEvents", "PutRule", "PutTargets", "DescribeRule", "ListRules", "DeleteRule"],
    "cloudtrail": ["LookupEvents", "DescribeTrails", "GetTrailStatus"],
    "xray": ["PutTraceSegments", "PutTelemetryRecords", "GetTraceSummaries", "BatchGetTraces"],
}
SERVICE_NAMES = {
    "ec2": "Amazon EC2", "s3": "Amazon S3", "lambda": "AWS Lambda", "dynamodb": "Amazon DynamoDB",
    "sqs": "Amazon SQS", "sns": "Amazon SNS", "logs": "Amazon CloudWatch Logs",
    "cloudwatch": "Amazon CloudWatch", "kms": "AWS Key Management Service",
    "secretsmanager": "AWS Secrets Manager", "ssm": "AWS Systems Manager",
    "ecr": "Amazon Elastic Container Registry", "ecs": "Amazon Elastic Container Service",
    "rds": "Amazon RDS", "athena": "Amazon Athena", "glue": "AWS Glue",
    "cloudformation": "AWS CloudFormation", "iam": "AWS Identity and Access Management",
    "kinesis": "Amazon Kinesis", "route53": "Amazon Route 53",
    "autoscaling": "Amazon EC2 Auto Scaling", "elasticloadbalancing": "Elastic Load Balancing",
    "states": "AWS Step Functions", "events": "Amazon EventBridge",
    "cloudtrail": "AWS CloudTrail", "xray": "AWS X-Ray",
}
# Services whose management actions Access Advisor tracks at action level (in this data set).
TRACKED_SERVICES = {"ec2", "s3", "lambda", "iam", "dynamodb", "kms", "secretsmanager", "ssm",
                    "ecr", "ecs", "rds", "sns", "sqs", "logs", "cloudwatch", "glue", "athena"}
# Data-plane actions Access Advisor never lists (AWS_FACTS: S3 object calls, iam:PassRole, ...).
UNTRACKED_ACTIONS = {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket",
                     "iam:PassRole", "sqs:SendMessage", "sqs:ReceiveMessage",
                     "sqs:DeleteMessage", "dynamodb:GetItem", "dynamodb:PutItem",
                     "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem",
                     "dynamodb:DeleteItem", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem",
                     "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey",
                     "secretsmanager:GetSecretValue", "sns:Publish", "lambda:InvokeFunction"}
# Which actions a wildcard in ACTIONS stands for, for the usage report.
WILDCARD_MEMBERS = {
    "ec2:Describe*": ["DescribeInstances", "DescribeVolumes", "DescribeSnapshots",
                      "DescribeSecurityGroups", "DescribeSubnets", "DescribeVpcs",
                      "DescribeImages", "DescribeAddresses"],
    "logs:Get*": ["GetLogEvents", "GetQueryResults", "GetLogGroupFields", "GetLogRecord"],
    "logs:Describe*": ["DescribeLogGroups", "DescribeLogStreams", "DescribeQueries",
                       "DescribeMetricFilters"],
    "glue:Get*": ["GetDatabase", "GetDatabases", "GetTable", "GetTables", "GetPartitions",
                  "GetJobRun", "GetCrawler"],
}
TEAM_NAMES = ["payments", "checkout", "search", "identity", "platform", "data", "ml", "mobile",
              "growth", "billing", "fraud", "catalog", "logistics", "support", "security",
              "marketing", "finance", "analytics", "infra", "messaging", "media", "partners",
              "pricing", "reporting", "risk", "web", "ads", "content", "devices", "edge"]
FUNCTIONS = ["readers", "writers", "operators", "deployers", "oncall", "analysts", "auditors",
             "admins", "builders", "testers", "release", "incident", "observers", "migrations",
             "backups", "dba", "network", "secrets", "batch", "streaming"]
FIRST = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
         "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter",
         "xena", "yusuf", "zoe", "amara", "bilal", "chen", "dmitri", "elena", "farah", "goran",
         "hana", "igor", "jonas", "kenji", "leila", "mateo", "nadia", "oscar", "priya", "quinn",
         "rosa", "sanjay", "tariq", "uma", "vera", "wei", "ximena", "yara", "zain"]
LAST = ["nguyen", "martin", "smith", "okafor", "kowalski", "li", "hopper", "schmidt", "petrov",
        "alvarez", "jones", "garcia", "muller", "rossi", "tanaka", "silva", "novak", "kim",
        "haddad", "osei", "larsen", "dubois", "costa", "ivanova", "moreau", "singh", "brown",
        "wilson", "yamamoto", "fischer", "kaur", "lopez", "meyer", "santos", "weber", "hansen"]
WORDS = ["orders", "invoices", "ledger", "profiles", "sessions", "inventory", "shipments",
         "events", "reports", "tokens", "images", "thumbnails", "exports", "imports", "audit",
         "metrics", "quotes", "refunds", "carts", "reviews", "ratings", "offers", "coupons",
         "alerts", "feeds", "jobs", "queues", "indexer", "crawler", "notifier", "scheduler",
         "gateway", "router", "resolver", "renderer", "tracker", "ingest", "archive", "vault",
         "signer", "mailer", "webhooks", "ledgerd", "matcher", "ranker", "pipeline", "sync"]
REGIONS = ["eu-west-1", "us-east-1", "us-west-2", "ap-southeast-2", "eu-central-1"]
ENVS = ["prod", "staging", "dev", "sandbox"]


# --------------------------------------------------------------------------------------------
# The IAM model the generator writes (and builds the snapshot from)


@dataclass
class PolicySpec:
    """A policy as IAM will see it: where its usage report lives and what it allows."""

    name: str
    path: str
    kind: str  # managed | inline
    style: str
    owner_kind: str = ""  # inline: group | user | role
    owner_arn: str = ""
    actions: list[str] = field(default_factory=list)

    @property
    def report_arn(self) -> str:
        if self.kind == "inline":
            return self.owner_arn
        return iam_arn("policy", self.name, self.path)


@dataclass
class Counts:
    files_tf: int = 0
    files_iam_tf: int = 0
    bytes_tf: int = 0
    users: int = 0
    groups: int = 0
    roles: int = 0
    policies: int = 0
    managed_policies: int = 0
    inline_policies: int = 0
    memberships: int = 0
    attachments: int = 0
    access_keys: int = 0
    login_profiles: int = 0
    resource_policies: int = 0
    styles: dict[str, int] = field(default_factory=dict)


def iam_arn(kind: str, name: str, path: str = "/") -> str:
    """The ARN exactly as lpgen.model.iam_arn builds it."""
    p = path or "/"
    if not p.startswith("/"):
        p = "/" + p
    if not p.endswith("/"):
        p += "/"
    return f"arn:{PARTITION}:iam::{ACCOUNT_ID}:{kind}{p}{name}"


def split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def hcl_list(items: list[str], indent: str, per_line: bool = True) -> str:
    if not per_line:
        return "[" + ", ".join(json.dumps(i) for i in items) + "]"
    inner = "".join(f"{indent}  {json.dumps(i)},\n" for i in items)
    return "[\n" + inner + indent + "]"


class Generator:
    def __init__(self, out: Path, scale: float, seed: int) -> None:
        self.out = out
        self.scale = scale
        self.rng = random.Random(seed)
        self.counts = Counts()
        self.policies: list[PolicySpec] = []
        self.used_names: set[str] = set()
        self.iam_files: set[Path] = set()

    # --- writing -----------------------------------------------------------------------

    def write(self, rel: str, text: str, *, iam: bool = False) -> None:
        path = self.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        if rel.endswith(".tf"):
            self.counts.files_tf += 1
            self.counts.bytes_tf += len(text.encode())
            if iam:
                self.counts.files_iam_tf += 1

    def n(self, base: int, minimum: int = 1) -> int:
        return max(minimum, round(base * self.scale))

    # --- the whole tree ----------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        teams = self.n(TEAMS)
        team_names = [TEAM_NAMES[i % len(TEAM_NAMES)] + ("" if i < len(TEAM_NAMES) else
                                                         f"{i // len(TEAM_NAMES) + 1}")
                      for i in range(teams)]
        users = split(self.n(USERS, 12 * teams), teams)
        groups = split(self.n(GROUPS, 5 * teams), teams)
        policies = split(self.n(POLICIES, 12 * teams), teams)
        self.write_iam_module()
        self.write_account()
        for i, team in enumerate(team_names):
            self.write_team(team, users[i], groups[i], policies[i])
        self.write_service_modules()
        services = self.n(SERVICES, 2)
        svc_names = self.unique_words(services)
        for i, svc in enumerate(svc_names):
            self.write_service(svc, i)
        for i in range(self.n(NETWORKS)):
            env = ENVS[i % len(ENVS)]
            region = REGIONS[(i // len(ENVS)) % len(REGIONS)]
            suffix = "" if i < len(ENVS) * len(REGIONS) else f"-{i}"
            self.write_network(f"{env}-{region}{suffix}", env, region, i)
        self.write_readme()
        snapshot = self.snapshot()
        (self.out / "snapshot.json").write_text(
            json.dumps(snapshot, indent=2) + "\n", encoding="utf-8"
        )
        c = self.counts
        c.policies = c.managed_policies + c.inline_policies
        manifest = {
            "scale": self.scale,
            "account_id": ACCOUNT_ID,
            "counts": {k: v for k, v in vars(c).items()},
            "snapshot_entities": len(snapshot["entities"]),
        }
        (self.out / "manifest.json").write_text(
            json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        return manifest

    def unique_words(self, count: int) -> list[str]:
        names: list[str] = []
        i = 0
        while len(names) < count:
            a = WORDS[i % len(WORDS)]
            b = WORDS[(i // len(WORDS) - 1) % len(WORDS)]
            name = a if i < len(WORDS) else f"{a}-{b}"
            if name not in names:
                names.append(name)
            i += 1
        return names

    def write_readme(self) -> None:
        (self.out / "README.md").write_text(
            "# Synthetic monorepo\n\nGenerated by lpgen's benchmarks/gen_monorepo.py "
            f"(scale {self.scale}). Not real infrastructure.\n",
            encoding="utf-8",
        )

    # --- IAM -----------------------------------------------------------------------------

    def pick_actions(self, k_services: tuple[int, int] = (2, 4),
                     k_actions: tuple[int, int] = (2, 6)) -> list[str]:
        services = self.rng.sample(sorted(ACTIONS), self.rng.randint(*k_services))
        out: list[str] = []
        for svc in services:
            names = self.rng.sample(ACTIONS[svc], min(len(ACTIONS[svc]),
                                                      self.rng.randint(*k_actions)))
            out.extend(f"{svc}:{a}" for a in names)
        return out

    def statements(self, n: int) -> list[tuple[str, list[str]]]:
        out = []
        for i in range(n):
            sid = f"{self.rng.choice(['Read', 'Write', 'Operate', 'Observe', 'Deploy', 'Debug'])}{i}"
            out.append((sid, self.pick_actions((1, 3))))
        return out

    def user_name(self) -> str:
        while True:
            name = f"{self.rng.choice(FIRST)}.{self.rng.choice(LAST)}"
            if name in self.used_names:
                name = f"{name}{self.rng.randint(2, 99)}"
            if name not in self.used_names:
                self.used_names.add(name)
                return name

    def add_policy(self, spec: PolicySpec) -> PolicySpec:
        self.policies.append(spec)
        if spec.kind == "managed":
            self.counts.managed_policies += 1
        else:
            self.counts.inline_policies += 1
        self.counts.styles[spec.style] = self.counts.styles.get(spec.style, 0) + 1
        return spec

    def write_iam_module(self) -> None:
        d = "modules/iam-team"
        self.write(f"{d}/variables.tf", '''\
variable "name" {
  description = "Name of the group and of its policy."
  type        = string
}

variable "path" {
  description = "IAM path of the group and the policy."
  type        = string
  default     = "/teams/"
}

variable "actions" {
  description = "Actions the group's policy allows."
  type        = list(string)
}

variable "resources" {
  description = "Resources the actions apply to."
  type        = list(string)
  default     = ["*"]
}

variable "members" {
  description = "User names in the group."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for the policy."
  type        = map(string)
  default     = {}
}
''', iam=True)
        self.write(f"{d}/main.tf", '''\
# One team function: a group, the policy it needs, and who is in it.
resource "aws_iam_group" "this" {
  name = var.name
  path = var.path
}

resource "aws_iam_policy" "this" {
  name        = "${var.name}-access"
  path        = var.path
  description = "What ${var.name} may do."
  tags        = var.tags

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Function"
        Effect   = "Allow"
        Action   = var.actions
        Resource = var.resources
      },
    ]
  })
}

resource "aws_iam_group_policy_attachment" "this" {
  group      = aws_iam_group.this.name
  policy_arn = aws_iam_policy.this.arn
}

resource "aws_iam_group_membership" "this" {
  name  = "${var.name}-members"
  group = aws_iam_group.this.name
  users = var.members
}
''', iam=True)
        self.write(f"{d}/outputs.tf", '''\
output "group_name" {
  value = aws_iam_group.this.name
}

output "group_arn" {
  value = aws_iam_group.this.arn
}

output "policy_arn" {
  value = aws_iam_policy.this.arn
}
''', iam=True)

    def write_account(self) -> None:
        self.write("iam/account/main.tf", '''\
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

resource "aws_iam_account_password_policy" "this" {
  minimum_password_length        = 14
  require_lowercase_characters   = true
  require_uppercase_characters   = true
  require_numbers                = true
  require_symbols                = true
  allow_users_to_change_password = true
  max_password_age               = 90
  password_reuse_prevention      = 24
}

resource "aws_iam_account_alias" "this" {
  account_alias = "example-monorepo"
}
''', iam=True)

    def write_team(self, team: str, n_users: int, n_groups: int, n_policies: int) -> None:
        rng = self.rng
        d = f"iam/teams/{team}"
        # Groups: a third from the local module (one policy each), the rest declared here.
        n_mod = max(1, n_groups // 3)
        n_direct = n_groups - n_mod - 1  # + the admins group
        functions = FUNCTIONS[:n_mod] + [f"fn{i}" for i in range(n_mod - len(FUNCTIONS))]
        direct = [f"g{i:02d}-{w}" for i, w in enumerate(self.unique_words(n_direct))]
        # Users: people (map for_each) and a few machine users.
        n_machines = min(3, max(1, n_users // 40))
        people = [self.user_name() for _ in range(n_users - n_machines)]
        machines = [f"{team}-ci-{i}" for i in range(n_machines)]
        self.used_names.update(machines)
        n_roles = min(3, max(1, n_policies // 8))
        roles = [f"{team}-{w}" for w in ["ecs-task", "lambda-exec", "deployer"][:n_roles]]
        # Policies: module ones, two inline (group, user), one inline per role, the rest managed.
        n_managed = n_policies - n_mod - 2 - n_roles
        if n_managed < 0:
            raise SystemExit(f"scale too small for team {team}: {n_policies} policies")
        c = self.counts
        c.users += len(people) + len(machines)
        c.groups += n_mod + n_direct + 1
        c.roles += len(roles)
        group_path = f"/teams/{team}/"

        # ---- main.tf: locals and the module calls
        fn_lines = []
        for fn in functions:
            acts = self.pick_actions((1, 2), (2, 5))
            members = rng.sample(people, min(len(people), rng.randint(2, 6)))
            fn_lines.append(
                f'    {fn} = {{\n'
                f'      actions = {hcl_list(acts, "      ")}\n'
                f'      members = {hcl_list(members, "      ", per_line=False)}\n'
                f'    }}\n'
            )
            self.add_policy(PolicySpec(f"{team}-{fn}-access", group_path, "managed",
                                       "module_jsonencode", actions=acts))
            c.memberships += len(members)
            c.attachments += 1
        self.write(f"{d}/main.tf", f'''\
terraform {{
  required_version = ">= 1.5"
  backend "s3" {{
    bucket = "example-terraform-state"
    key    = "iam/teams/{team}.tfstate"
    region = "eu-west-1"
  }}
  required_providers {{
    aws = {{
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }}
  }}
}}

provider "aws" {{
  region = var.region
}}

variable "region" {{
  description = "Provider region; IAM is global."
  type        = string
  default     = "eu-west-1"
}}

variable "environment" {{
  type    = string
  default = "prod"
}}

data "aws_caller_identity" "current" {{}}
data "aws_partition" "current" {{}}

locals {{
  team   = "{team}"
  prefix = "${{local.team}}-${{var.environment}}"
  account_id = data.aws_caller_identity.current.account_id

  # Team functions: each one a group with one policy, from the shared module.
  functions = {{
{"".join(fn_lines)}  }}
}}

module "functions" {{
  source   = "../../../modules/iam-team"
  for_each = local.functions

  name      = "${{local.team}}-${{each.key}}"
  path      = "/teams/${{local.team}}/"
  actions   = each.value.actions
  members   = [for u in each.value.members : aws_iam_user.person[u].name]
  resources = ["*"]
  tags      = {{ Team = local.team, Function = each.key }}
}}
''', iam=True)

        # ---- users.tf
        user_lines = []
        memberships: dict[str, list[str]] = {}
        console_users = []
        for u in people:
            gs = sorted(rng.sample(direct, min(len(direct), rng.randint(1, 3)))) if direct else []
            memberships[u] = gs
            console = rng.random() < 0.3
            if console:
                console_users.append(u)
            user_lines.append(
                f'    {json.dumps(u):<24} = {{ groups = {hcl_list(gs, "", per_line=False)}, '
                f'console = {"true" if console else "false"}, '
                f'cost_center = "{rng.randint(1000, 9999)}" }}\n'
            )
            c.memberships += len(gs)
        c.login_profiles += len(console_users)
        c.access_keys += len(machines)
        self.write(f"{d}/users.tf", f'''\
# Everyone in {team} with an IAM user. Keep the map sorted by name.
locals {{
  people = {{
{"".join(user_lines)}  }}

  machine_users = {hcl_list(machines, "  ")}
}}

resource "aws_iam_user" "person" {{
  for_each = local.people

  name          = each.key
  path          = "/people/${{local.team}}/"
  force_destroy = false

  tags = {{
    Team       = local.team
    CostCenter = each.value.cost_center
  }}
}}

resource "aws_iam_user" "machine" {{
  for_each = toset(local.machine_users)

  name = each.key
  path = "/machines/"
  tags = {{ Team = local.team, Purpose = "ci" }}
}}

# Memberships from the user's side for people...
resource "aws_iam_user_group_membership" "person" {{
  for_each = {{ for name, p in local.people : name => p if length(p.groups) > 0 }}

  user   = aws_iam_user.person[each.key].name
  groups = [for g in each.value.groups : aws_iam_group.team[g].name]
}}

resource "aws_iam_user_login_profile" "person" {{
  for_each = {{ for name, p in local.people : name => p if p.console }}

  user                    = aws_iam_user.person[each.key].name
  password_reset_required = true
}}

resource "aws_iam_access_key" "machine" {{
  for_each = aws_iam_user.machine

  user    = each.value.name
  pgp_key = "keybase:{team}-ci"
}}

# The CI user may only push artifacts.
resource "aws_iam_user_policy" "ci_artifacts" {{
  name = "artifacts"
  user = aws_iam_user.machine["{machines[0]}"].name

  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [
      {{
        Sid      = "PushArtifacts"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:GetObject", "ecr:PutImage", "ecr:GetAuthorizationToken"]
        Resource = "*"
      }},
    ]
  }})
}}
''', iam=True)
        self.add_policy(PolicySpec("artifacts", "/", "inline", "jsonencode", "user",
                                   iam_arn("user", machines[0], "/machines/"),
                                   ["s3:PutObject", "s3:GetObject", "ecr:PutImage",
                                    "ecr:GetAuthorizationToken"]))

        # ---- groups.tf
        admin_group = f"{team}-admins"
        group_lines = "".join(
            f'    {json.dumps(g):<28} = {{ path = "{group_path}" }}\n' for g in direct
        )
        # Group-side membership for the admins group.
        admins = rng.sample(people, min(len(people), 3))
        c.memberships += len(admins)
        admin_lines = "".join(f"    aws_iam_user.person[{json.dumps(a)}].name,\n" for a in admins)
        admin_stmts = self.statements(2)
        admin_actions = [a for _, acts in admin_stmts for a in acts]
        sep = ",\n"
        heredoc_stmts = sep.join(
            f'''    {{
      "Sid": "{sid}",
      "Effect": "Allow",
      "Action": [
{sep.join(f'        "{a}"' for a in acts)}
      ],
      "Resource": "arn:aws:*:${{var.region}}:*:*{team}*"
    }}''' for sid, acts in admin_stmts)
        self.write(f"{d}/groups.tf", f'''\
locals {{
  groups = {{
{group_lines}  }}
}}

resource "aws_iam_group" "team" {{
  for_each = local.groups

  name = "${{local.team}}-${{each.key}}"
  path = each.value.path
}}

resource "aws_iam_group" "admins" {{
  name = "{admin_group}"
  path = "/admins/"
}}

resource "aws_iam_group_membership" "admins" {{
  name  = "{admin_group}-membership"
  group = aws_iam_group.admins.name
  users = [
{admin_lines}  ]
}}

# Break-glass permissions stay inline on the admins group.
resource "aws_iam_group_policy" "admins" {{
  name  = "break-glass"
  group = aws_iam_group.admins.name

  policy = <<-EOF
{{
  "Version": "2012-10-17",
  "Statement": [
{heredoc_stmts}
  ]
}}
EOF
}}

resource "aws_iam_group_policy_attachment" "admins_readonly" {{
  group      = aws_iam_group.admins.name
  policy_arn = "arn:${{data.aws_partition.current.partition}}:iam::aws:policy/ReadOnlyAccess"
}}
''', iam=True)
        c.attachments += 1
        self.add_policy(PolicySpec("break-glass", "/", "inline", "heredoc", "group",
                                   iam_arn("group", admin_group, "/admins/"), admin_actions))

        # ---- policies.tf and documents
        styles = ["for_each", "jsonencode", "heredoc", "file", "templatefile", "policy_document",
                  "dynamic", "source_documents"]
        per_style = {s: 0 for s in styles}
        for i in range(n_managed):
            # for_each-generated policies are the bulk, as in real monorepos.
            s = "for_each" if i % 2 == 0 else styles[1 + (i // 2) % (len(styles) - 1)]
            per_style[s] += 1
        blocks: list[str] = []
        attach: list[tuple[str, str]] = []  # (group key expr, policy arn expr)

        if per_style["for_each"]:
            lines = []
            for k in range(per_style["for_each"]):
                key = f"{self.rng.choice(WORDS)}-{k:02d}"
                acts = self.pick_actions((1, 3), (2, 6))
                lines.append(
                    f'    "{key}" = {{\n'
                    f'      description = "Access to {key.split("-")[0]} for {team}"\n'
                    f'      actions = {hcl_list(acts, "      ")}\n'
                    f'      resources = ["*"]\n'
                    f'    }}\n'
                )
                self.add_policy(PolicySpec(f"{team}-{key}", group_path, "managed", "for_each",
                                           actions=acts))
                if direct:
                    attach.append((json.dumps(rng.choice(direct)),
                                   f'aws_iam_policy.access["{key}"].arn'))
            blocks.append(f'''\
locals {{
  access_policies = {{
{"".join(lines)}  }}
}}

resource "aws_iam_policy" "access" {{
  for_each = local.access_policies

  name        = "${{local.team}}-${{each.key}}"
  path        = "/teams/${{local.team}}/"
  description = each.value.description

  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [
      {{
        Sid      = "Access"
        Effect   = "Allow"
        Action   = each.value.actions
        Resource = each.value.resources
      }},
    ]
  }})
}}
''')

        def managed(style: str, k: int, acts: list[str]) -> tuple[str, str]:
            name = f"{team}-{style.replace('_', '-')}-{k}"
            rname = f"{style}_{k}"
            self.add_policy(PolicySpec(name, group_path, "managed", style, actions=acts))
            if direct:
                attach.append((json.dumps(rng.choice(direct)), f"aws_iam_policy.{rname}.arn"))
            return name, rname

        for k in range(per_style["jsonencode"]):
            stmts = self.statements(rng.randint(1, 3))
            name, rname = managed("jsonencode", k, [a for _, x in stmts for a in x])
            body = "".join(f'''      {{
        Sid    = "{sid}"
        Effect = "Allow"
        Action = {hcl_list(acts, "        ")}
        Resource = "*"
      }},
''' for sid, acts in stmts)
            blocks.append(f'''\
resource "aws_iam_policy" "{rname}" {{
  name        = "{name}"
  path        = "{group_path}"
  description = "Managed by {team}."

  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [
{body}    ]
  }})
}}
''')
        for k in range(per_style["heredoc"]):
            stmts = self.statements(rng.randint(1, 2))
            name, rname = managed("heredoc", k, [a for _, x in stmts for a in x])
            body = ",\n".join(f'''      {{
        "Sid": "{sid}",
        "Effect": "Allow",
        "Action": {json.dumps(acts)},
        "Resource": "arn:aws:*:${{var.region}}:${{local.account_id}}:*"
      }}''' for sid, acts in stmts)
            blocks.append(f'''\
resource "aws_iam_policy" "{rname}" {{
  name = "{name}"
  path = "{group_path}"

  policy = <<-EOF
    {{
      "Version": "2012-10-17",
      "Statement": [
{body}
      ]
    }}
  EOF
}}
''')
        for k in range(per_style["file"]):
            stmts = self.statements(rng.randint(1, 3))
            name, rname = managed("file", k, [a for _, x in stmts for a in x])
            doc = {"Version": "2012-10-17", "Statement": [
                {"Sid": sid, "Effect": "Allow", "Action": acts, "Resource": "*"}
                for sid, acts in stmts]}
            self.write(f"{d}/policies/{rname}.json", json.dumps(doc, indent=2) + "\n")
            blocks.append(f'''\
resource "aws_iam_policy" "{rname}" {{
  name   = "{name}"
  path   = "{group_path}"
  policy = file("${{path.module}}/policies/{rname}.json")
}}
''')
        for k in range(per_style["templatefile"]):
            stmts = self.statements(rng.randint(1, 2))
            name, rname = managed("templatefile", k, [a for _, x in stmts for a in x])
            body = ",\n".join(f'''    {{
      "Sid": "{sid}",
      "Effect": "Allow",
      "Action": {json.dumps(acts)},
      "Resource": "arn:aws:*:${{region}}:*:${{prefix}}-*"
    }}''' for sid, acts in stmts)
            self.write(f"{d}/templates/{rname}.json.tpl",
                       f'{{\n  "Version": "2012-10-17",\n  "Statement": [\n{body}\n  ]\n}}\n')
            blocks.append(f'''\
resource "aws_iam_policy" "{rname}" {{
  name = "{name}"
  path = "{group_path}"
  policy = templatefile("${{path.module}}/templates/{rname}.json.tpl", {{
    region = var.region
    prefix = local.prefix
  }})
}}
''')
        region_condition = """
    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [var.region]
    }
"""
        for k in range(per_style["policy_document"]):
            stmts = self.statements(rng.randint(1, 3))
            name, rname = managed("policy_document", k, [a for _, x in stmts for a in x])
            body = "".join(f'''
  statement {{
    sid       = "{sid}"
    actions   = {hcl_list(acts, "    ")}
    resources = ["*"]
{region_condition if j == 0 else ""}  }}
''' for j, (sid, acts) in enumerate(stmts))
            blocks.append(f'''\
data "aws_iam_policy_document" "{rname}" {{{body}}}

resource "aws_iam_policy" "{rname}" {{
  name   = "{name}"
  path   = "{group_path}"
  policy = data.aws_iam_policy_document.{rname}.json
}}
''')
        for k in range(per_style["dynamic"]):
            stmts = self.statements(rng.randint(2, 3))
            name, rname = managed("dynamic", k, [a for _, x in stmts for a in x])
            entries = "".join(
                f'    {sid} = {hcl_list(acts, "    ", per_line=False)}\n' for sid, acts in stmts)
            blocks.append(f'''\
locals {{
  {rname}_statements = {{
{entries}  }}
}}

data "aws_iam_policy_document" "{rname}" {{
  dynamic "statement" {{
    for_each = local.{rname}_statements
    content {{
      sid       = statement.key
      actions   = statement.value
      resources = ["*"]
    }}
  }}
}}

resource "aws_iam_policy" "{rname}" {{
  name   = "{name}"
  path   = "{group_path}"
  policy = data.aws_iam_policy_document.{rname}.json
}}
''')
        for k in range(per_style["source_documents"]):
            base = self.statements(1)
            extra = self.statements(1)
            name, rname = managed("source_documents", k,
                                  [a for _, x in base + extra for a in x])
            blocks.append(f'''\
data "aws_iam_policy_document" "{rname}_base" {{
  statement {{
    sid       = "Base{base[0][0]}"
    actions   = {hcl_list(base[0][1], "    ")}
    resources = ["*"]
  }}
}}

data "aws_iam_policy_document" "{rname}" {{
  source_policy_documents = [data.aws_iam_policy_document.{rname}_base.json]

  statement {{
    sid       = "Extra{extra[0][0]}"
    actions   = {hcl_list(extra[0][1], "    ")}
    resources = ["*"]
  }}
}}

resource "aws_iam_policy" "{rname}" {{
  name   = "{name}"
  path   = "{group_path}"
  policy = data.aws_iam_policy_document.{rname}.json
}}
''')
        attach_lines = "".join(
            f'    "a{i:03d}" = {{ group = {g}, policy_arn = {p} }}\n'
            for i, (g, p) in enumerate(attach))
        c.attachments += len(attach)
        self.write(f"{d}/policies.tf", "\n".join(blocks) + f'''
locals {{
  group_policies = {{
{attach_lines}  }}
}}

resource "aws_iam_group_policy_attachment" "team" {{
  for_each = local.group_policies

  group      = aws_iam_group.team[each.value.group].name
  policy_arn = each.value.policy_arn
}}
''', iam=True)

        # ---- roles.tf
        role_blocks = []
        for r in roles:
            rname = r.removeprefix(f"{team}-").replace("-", "_")
            service = {"ecs_task": "ecs-tasks.amazonaws.com", "lambda_exec": "lambda.amazonaws.com",
                       "deployer": "codebuild.amazonaws.com"}[rname]
            acts = self.pick_actions((2, 3), (2, 5))
            self.add_policy(PolicySpec("runtime", "/", "inline", "policy_document", "role",
                                       iam_arn("role", r, "/service-roles/"), acts))
            if rname == "deployer":
                trust = f'''data.aws_iam_policy_document.{rname}_trust.json'''
                role_blocks.append(f'''\
data "aws_iam_policy_document" "{rname}_trust" {{
  statement {{
    actions = ["sts:AssumeRole"]
    principals {{
      type        = "Service"
      identifiers = ["{service}"]
    }}
    condition {{
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }}
  }}
}}
''')
            else:
                trust = f'''jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = {{ Service = "{service}" }}
      Action    = "sts:AssumeRole"
    }}]
  }})'''
            role_blocks.append(f'''\
resource "aws_iam_role" "{rname}" {{
  name                 = "{r}"
  path                 = "/service-roles/"
  max_session_duration = 3600
  assume_role_policy   = {trust}
}}

data "aws_iam_policy_document" "{rname}_runtime" {{
  statement {{
    sid       = "Runtime"
    actions   = {hcl_list(acts, "    ")}
    resources = ["*"]
  }}
}}

resource "aws_iam_role_policy" "{rname}" {{
  name   = "runtime"
  role   = aws_iam_role.{rname}.id
  policy = data.aws_iam_policy_document.{rname}_runtime.json
}}

resource "aws_iam_role_policy_attachment" "{rname}_logs" {{
  role       = aws_iam_role.{rname}.name
  policy_arn = "arn:aws:iam::aws:policy/CloudWatchLogsReadOnlyAccess"
}}
''')
            c.attachments += 1
        self.write(f"{d}/roles.tf", "\n".join(role_blocks), iam=True)

    # --- the snapshot --------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        rng = random.Random(self.rng.random())
        by_arn: dict[str, list[PolicySpec]] = {}
        for p in self.policies:
            by_arn.setdefault(p.report_arn, []).append(p)
        entities = []
        for arn in sorted(by_arn):
            actions = sorted({a for p in by_arn[arn] for a in p.actions})
            entities.append(self.entity(arn, actions, rng))
        return {
            "format": "lpgen.snapshot/1",
            "account_id": ACCOUNT_ID,
            "partition": PARTITION,
            "collected_at": COLLECTED_AT,
            "entities": entities,
        }

    def entity(self, arn: str, actions: list[str], rng: random.Random) -> dict[str, Any]:
        young = rng.random() < 0.04
        create = "2026-10-30T09:00:00+00:00" if young else (
            f"20{rng.randint(21, 24)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            "T10:00:00+00:00")
        by_service: dict[str, list[str]] = {}
        for a in actions:
            svc, name = a.split(":", 1)
            by_service.setdefault(svc, []).append(name)
        services = []
        who = f"arn:aws:iam::{ACCOUNT_ID}:user/people/{rng.choice(FIRST)}.{rng.choice(LAST)}"
        for svc in sorted(by_service):
            roll = rng.random()
            if roll < 0.04:
                continue  # missing from the report: lpgen must keep it
            entry: dict[str, Any] = {"ServiceName": SERVICE_NAMES[svc], "ServiceNamespace": svc}
            used = roll >= 0.24
            if used:
                entry.update({
                    "LastAuthenticated": self.when(rng, rng.randint(0, 40)),
                    "LastAuthenticatedEntity": who,
                    "LastAuthenticatedRegion": rng.choice(REGIONS),
                    "TotalAuthenticatedEntities": rng.randint(1, 12),
                })
            else:
                entry["TotalAuthenticatedEntities"] = 0
            if svc in TRACKED_SERVICES:
                tracked = []
                names = set()
                for name in by_service[svc]:
                    members = WILDCARD_MEMBERS.get(f"{svc}:{name}", [name] if "*" not in name
                                                   else [])
                    names.update(members)
                for name in sorted(names):
                    if f"{svc}:{name}" in UNTRACKED_ACTIONS:
                        continue
                    t: dict[str, Any] = {"ActionName": name}
                    r = rng.random()
                    if used and r < 0.6:
                        t.update({
                            "LastAccessedEntity": who,
                            "LastAccessedTime": self.when(rng, rng.randint(0, 60)),
                            "LastAccessedRegion": rng.choice(REGIONS),
                        })
                    elif used and r < 0.75:
                        t.update({
                            "LastAccessedEntity": who,
                            "LastAccessedTime": self.when(rng, rng.randint(120, 390)),
                            "LastAccessedRegion": rng.choice(REGIONS),
                        })
                    tracked.append(t)
                entry["TrackedActionsLastAccessed"] = tracked
            services.append(entry)
        return {
            "arn": arn,
            "create_date": create,
            "details": {
                "JobStatus": "COMPLETED",
                "JobType": "ACTION_LEVEL",
                "JobCreationDate": "2026-11-20T05:58:02+00:00",
                "JobCompletionDate": "2026-11-20T05:58:09+00:00",
                "ServicesLastAccessed": services,
            },
        }

    @staticmethod
    def when(rng: random.Random, days_ago: int) -> str:
        import datetime as dt

        base = dt.datetime(2026, 11, 20, 6, 0, tzinfo=dt.timezone.utc)
        t = base - dt.timedelta(days=days_ago, minutes=rng.randint(1, 1400))
        return t.isoformat()

    # --- other infrastructure ------------------------------------------------------------

    def write_service_modules(self) -> None:
        self.write("modules/ecs-service/variables.tf", '''\
variable "name" {
  type = string
}

variable "cluster_arn" {
  type = string
}

variable "image" {
  type = string
}

variable "cpu" {
  type    = number
  default = 256
}

variable "memory" {
  type    = number
  default = 512
}

variable "desired_count" {
  type    = number
  default = 2
}

variable "subnet_ids" {
  type    = list(string)
  default = []
}

variable "security_group_ids" {
  type    = list(string)
  default = []
}

variable "environment" {
  type    = map(string)
  default = {}
}

variable "tags" {
  type    = map(string)
  default = {}
}
''')
        self.write("modules/ecs-service/main.tf", '''\
resource "aws_cloudwatch_log_group" "this" {
  name              = "/ecs/${var.name}"
  retention_in_days = 30
  tags              = var.tags
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory

  container_definitions = jsonencode([
    {
      name      = var.name
      image     = var.image
      essential = true
      environment = [for k, v in var.environment : { name = k, value = v }]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          "awslogs-group"         = aws_cloudwatch_log_group.this.name
          "awslogs-region"        = "eu-west-1"
          "awslogs-stream-prefix" = var.name
        }
      }
    }
  ])
  tags = var.tags
}

resource "aws_ecs_service" "this" {
  name            = var.name
  cluster         = var.cluster_arn
  task_definition = aws_ecs_task_definition.this.arn
  desired_count   = var.desired_count
  launch_type     = "FARGATE"

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = var.security_group_ids
    assign_public_ip = false
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  lifecycle {
    ignore_changes = [desired_count]
  }
  tags = var.tags
}
''')
        self.write("modules/ecs-service/outputs.tf", '''\
output "service_name" {
  value = aws_ecs_service.this.name
}

output "task_definition_arn" {
  value = aws_ecs_task_definition.this.arn
}
''')
        self.write("modules/alarms/main.tf", '''\
variable "name" {
  type = string
}

variable "alarms" {
  type = map(object({
    metric    = string
    namespace = string
    threshold = number
    dimensions = map(string)
  }))
}

variable "topic_arn" {
  type = string
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = var.alarms

  alarm_name          = "${var.name}-${each.key}"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 3
  metric_name         = each.value.metric
  namespace           = each.value.namespace
  period              = 60
  statistic           = "Average"
  threshold           = each.value.threshold
  dimensions          = each.value.dimensions
  alarm_actions       = [var.topic_arn]
  ok_actions          = [var.topic_arn]
}

output "alarm_arns" {
  value = [for a in aws_cloudwatch_metric_alarm.this : a.arn]
}
''')

    def write_service(self, svc: str, i: int) -> None:
        rng = self.rng
        d = f"services/{svc}"
        team = TEAM_NAMES[i % len(TEAM_NAMES)]
        ports = {f"p{p}": p for p in rng.sample([80, 443, 8080, 8443, 9090, 5432, 6379, 3000],
                                                rng.randint(2, 5))}
        n_alarms = rng.randint(14, 26)
        envvars = {f"{w.upper()}_{k}": f"{svc}-{w}-{rng.randint(1, 999)}"
                   for k, w in enumerate(rng.sample(WORDS, rng.randint(12, 24)))}
        config = {f"{w}/{rng.choice(['timeout', 'batch-size', 'endpoint', 'feature-flag', 'max-retries', 'pool-size'])}":
                  rng.choice([str(rng.randint(1, 5000)), f"https://{w}.internal.example.com",
                              rng.choice(["true", "false"])])
                  for w in rng.sample(WORDS, rng.randint(14, 26))}
        # variables.tf
        var_blocks = []
        variables = [
            ("environment", "string", '"prod"', "Deployment environment."),
            ("region", "string", f'"{rng.choice(REGIONS)}"', "Region of the stack."),
            ("service", "string", f'"{svc}"', "Service name."),
            ("image_tag", "string", '"latest"', "Container image tag to deploy."),
            ("cpu", "number", str(rng.choice([256, 512, 1024, 2048])), "Task CPU units."),
            ("memory", "number", str(rng.choice([512, 1024, 2048, 4096])), "Task memory (MiB)."),
            ("desired_count", "number", str(rng.randint(2, 12)), "Tasks to run."),
            ("min_capacity", "number", "2", "Autoscaling minimum."),
            ("max_capacity", "number", str(rng.randint(12, 60)), "Autoscaling maximum."),
            ("db_instance_class", "string", '"db.t4g.medium"', "RDS instance class."),
            ("db_allocated_storage", "number", str(rng.choice([20, 50, 100, 200])),
             "Storage (GiB)."),
            ("log_retention_days", "number", str(rng.choice([14, 30, 90, 365])),
             "CloudWatch Logs retention."),
            ("enable_lambda", "bool", rng.choice(["true", "false"]), "Deploy the worker."),
            ("vpc_cidr", "string", f'"10.{i % 250}.0.0/16"', "CIDR of the service VPC."),
            ("alarm_email", "string", f'"{team}-oncall@example.com"', "Where alarms go."),
            ("tags", "map(string)", f'{{\n    Team    = "{team}"\n    Service = "{svc}"\n'
             f'    Owner   = "{team}@example.com"\n  }}', "Tags for every resource."),
            ("allowed_cidrs", "list(string)", '["10.0.0.0/8", "172.16.0.0/12"]',
             "Who may reach the service."),
        ]
        for name, typ, default, desc in variables:
            extra = ""
            if name == "environment":
                extra = '''
  validation {
    condition     = contains(["prod", "staging", "dev", "sandbox"], var.environment)
    error_message = "environment must be prod, staging, dev or sandbox."
  }
'''
            var_blocks.append(f'''\
variable "{name}" {{
  description = "{desc}"
  type        = {typ}
  default     = {default}
{extra}}}
''')
        self.write(f"{d}/variables.tf", "\n".join(var_blocks))

        env_lines = "".join(f'    {k:<22} = "{v}"\n' for k, v in envvars.items())
        config_lines = "".join(f'    "{k}" = "{v}"\n' for k, v in config.items())
        port_lines = "".join(f"    {k} = {v}\n" for k, v in ports.items())
        use_module = i % 3 == 0
        main = f'''\
terraform {{
  required_version = ">= 1.5"
  backend "s3" {{
    bucket         = "example-terraform-state"
    key            = "services/{svc}.tfstate"
    region         = "eu-west-1"
    dynamodb_table = "terraform-locks"
  }}
  required_providers {{
    aws = {{
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }}
  }}
}}

provider "aws" {{
  region = var.region
  default_tags {{
    tags = var.tags
  }}
}}

data "aws_caller_identity" "current" {{}}

locals {{
  name   = "${{var.environment}}-${{var.service}}"
  image  = "${{data.aws_caller_identity.current.account_id}}.dkr.ecr.${{var.region}}.amazonaws.com/${{var.service}}:${{var.image_tag}}"
  azs    = ["${{var.region}}a", "${{var.region}}b", "${{var.region}}c"]
  ports = {{
{port_lines}  }}
  environment = {{
{env_lines}  }}
  subnets = {{ for idx, az in local.azs : az => cidrsubnet(var.vpc_cidr, 4, idx) }}
  # Runtime configuration, published to SSM for the tasks to read at start-up.
  config = {{
{config_lines}  }}
}}

resource "aws_ssm_parameter" "config" {{
  for_each = local.config

  name        = "/${{var.environment}}/${{var.service}}/${{each.key}}"
  description = "${{each.key}} for ${{var.service}}"
  type        = "String"
  value       = each.value
  tier        = "Standard"
}}

resource "aws_vpc" "this" {{
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = {{ Name = local.name }}
}}

resource "aws_subnet" "private" {{
  for_each = local.subnets

  vpc_id            = aws_vpc.this.id
  cidr_block        = each.value
  availability_zone = each.key
  tags              = {{ Name = "${{local.name}}-${{each.key}}", Tier = "private" }}
}}

resource "aws_security_group" "service" {{
  name        = "${{local.name}}-service"
  description = "Traffic to ${{var.service}}"
  vpc_id      = aws_vpc.this.id

  dynamic "ingress" {{
    for_each = local.ports
    content {{
      description = "port ${{ingress.key}}"
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = var.allowed_cidrs
    }}
  }}

  egress {{
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }}
}}

resource "aws_ecs_cluster" "this" {{
  name = local.name
  setting {{
    name  = "containerInsights"
    value = "enabled"
  }}
}}
'''
        if use_module:
            main += '''
module "service" {
  source = "../../modules/ecs-service"

  name               = local.name
  cluster_arn        = aws_ecs_cluster.this.arn
  image              = local.image
  cpu                = var.cpu
  memory             = var.memory
  desired_count      = var.desired_count
  subnet_ids         = [for s in aws_subnet.private : s.id]
  security_group_ids = [aws_security_group.service.id]
  environment        = local.environment
  tags               = var.tags
}
'''
        else:
            main += f'''
resource "aws_cloudwatch_log_group" "service" {{
  name              = "/ecs/${{local.name}}"
  retention_in_days = var.log_retention_days
}}

resource "aws_ecs_task_definition" "service" {{
  family                   = local.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory

  container_definitions = jsonencode([
    {{
      name         = var.service
      image        = local.image
      essential    = true
      portMappings = [for name, port in local.ports : {{ containerPort = port, protocol = "tcp" }}]
      environment  = [for k, v in local.environment : {{ name = k, value = v }}]
      healthCheck = {{
        command     = ["CMD-SHELL", "curl -f http://localhost:${{values(local.ports)[0]}}/health || exit 1"]
        interval    = 30
        timeout     = 5
        retries     = 3
        startPeriod = 60
      }}
      logConfiguration = {{
        logDriver = "awslogs"
        options = {{
          "awslogs-group"         = aws_cloudwatch_log_group.service.name
          "awslogs-region"        = var.region
          "awslogs-stream-prefix" = var.service
        }}
      }}
    }},
  ])
}}

resource "aws_ecs_service" "service" {{
  name            = local.name
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.service.arn
  desired_count   = var.desired_count
  launch_type     = "FARGATE"

  network_configuration {{
    subnets         = [for s in aws_subnet.private : s.id]
    security_groups = [aws_security_group.service.id]
  }}

  deployment_circuit_breaker {{
    enable   = true
    rollback = true
  }}
}}

resource "aws_appautoscaling_target" "service" {{
  max_capacity       = var.max_capacity
  min_capacity       = var.min_capacity
  resource_id        = "service/${{aws_ecs_cluster.this.name}}/${{aws_ecs_service.service.name}}"
  scalable_dimension = "ecs:service:DesiredCount"
  service_namespace  = "ecs"
}}

resource "aws_appautoscaling_policy" "cpu" {{
  name               = "${{local.name}}-cpu"
  policy_type        = "TargetTrackingScaling"
  resource_id        = aws_appautoscaling_target.service.resource_id
  scalable_dimension = aws_appautoscaling_target.service.scalable_dimension
  service_namespace  = aws_appautoscaling_target.service.service_namespace

  target_tracking_scaling_policy_configuration {{
    predefined_metric_specification {{
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }}
    target_value       = {rng.choice([50, 60, 70])}
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
  }}
}}
'''
        main += f'''
resource "aws_db_subnet_group" "this" {{
  name       = local.name
  subnet_ids = [for s in aws_subnet.private : s.id]
}}

resource "aws_db_instance" "this" {{
  identifier                  = local.name
  engine                      = "postgres"
  engine_version              = "16.3"
  instance_class              = var.db_instance_class
  allocated_storage           = var.db_allocated_storage
  max_allocated_storage       = var.db_allocated_storage * 4
  db_subnet_group_name        = aws_db_subnet_group.this.name
  vpc_security_group_ids      = [aws_security_group.service.id]
  username                    = "{svc.replace("-", "_")}_admin"
  manage_master_user_password = true
  storage_encrypted           = true
  kms_key_id                  = aws_kms_key.data.arn
  backup_retention_period     = {rng.choice([7, 14, 35])}
  deletion_protection         = var.environment == "prod"
  skip_final_snapshot         = var.environment != "prod"
  performance_insights_enabled = true
}}

resource "aws_kms_key" "data" {{
  description             = "Data at rest for ${{local.name}}"
  deletion_window_in_days = 30
  enable_key_rotation     = true
}}

resource "aws_kms_alias" "data" {{
  name          = "alias/${{local.name}}"
  target_key_id = aws_kms_key.data.key_id
}}

resource "aws_s3_bucket" "assets" {{
  bucket = "${{local.name}}-assets-${{data.aws_caller_identity.current.account_id}}"
}}

resource "aws_s3_bucket_versioning" "assets" {{
  bucket = aws_s3_bucket.assets.id
  versioning_configuration {{
    status = "Enabled"
  }}
}}

resource "aws_s3_bucket_server_side_encryption_configuration" "assets" {{
  bucket = aws_s3_bucket.assets.id
  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.data.arn
    }}
  }}
}}

resource "aws_s3_bucket_public_access_block" "assets" {{
  bucket                  = aws_s3_bucket.assets.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}}

resource "aws_s3_bucket_lifecycle_configuration" "assets" {{
  bucket = aws_s3_bucket.assets.id
  rule {{
    id     = "expire-old-versions"
    status = "Enabled"
    filter {{}}
    noncurrent_version_expiration {{
      noncurrent_days = {rng.choice([30, 60, 90])}
    }}
  }}
}}

resource "aws_sqs_queue" "dlq" {{
  name                      = "${{local.name}}-dlq"
  message_retention_seconds = 1209600
  kms_master_key_id         = aws_kms_key.data.id
}}

resource "aws_sqs_queue" "work" {{
  name                       = "${{local.name}}-work"
  visibility_timeout_seconds = {rng.choice([30, 60, 300])}
  kms_master_key_id          = aws_kms_key.data.id
  redrive_policy = jsonencode({{
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = 5
  }})
}}

resource "aws_lambda_function" "worker" {{
  count = var.enable_lambda ? 1 : 0

  function_name = "${{local.name}}-worker"
  role          = "arn:aws:iam::${{data.aws_caller_identity.current.account_id}}:role/service-roles/lambda-exec"
  handler       = "main.handler"
  runtime       = "python3.12"
  timeout       = 60
  memory_size   = 512
  s3_bucket     = aws_s3_bucket.assets.id
  s3_key        = "lambda/${{var.image_tag}}.zip"

  environment {{
    variables = local.environment
  }}

  vpc_config {{
    subnet_ids         = [for s in aws_subnet.private : s.id]
    security_group_ids = [aws_security_group.service.id]
  }}
}}

resource "aws_lambda_event_source_mapping" "worker" {{
  count            = var.enable_lambda ? 1 : 0
  event_source_arn = aws_sqs_queue.work.arn
  function_name    = aws_lambda_function.worker[0].arn
  batch_size       = 10
}}
'''
        if i % 10 == 0:
            # A resource policy (read by the checks): the queue accepts the service's topic.
            self.counts.resource_policies += 1
            main += '''
resource "aws_sqs_queue_policy" "work" {
  queue_url = aws_sqs_queue.work.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "FromTopic"
      Effect    = "Allow"
      Principal = { Service = "sns.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.work.arn
      Condition = { ArnEquals = { "aws:SourceArn" = aws_sns_topic.alarms.arn } }
    }]
  })
}
'''
        self.write(f"{d}/main.tf", main)

        # monitoring.tf
        metrics = [("CPUUtilization", "AWS/ECS"), ("MemoryUtilization", "AWS/ECS"),
                   ("ApproximateAgeOfOldestMessage", "AWS/SQS"), ("FreeStorageSpace", "AWS/RDS"),
                   ("DatabaseConnections", "AWS/RDS"), ("ReadLatency", "AWS/RDS"),
                   ("WriteLatency", "AWS/RDS"), ("Errors", "AWS/Lambda"),
                   ("Throttles", "AWS/Lambda"), ("Duration", "AWS/Lambda"),
                   ("NumberOfMessagesSent", "AWS/SQS"), ("HTTPCode_Target_5XX_Count",
                                                         "AWS/ApplicationELB"),
                   ("TargetResponseTime", "AWS/ApplicationELB"), ("CPUCreditBalance", "AWS/RDS")]
        alarm_metrics = [(f"{m[0].lower().replace('_', '-')}-{sev}", m)
                         for sev in ("warn", "crit") for m in metrics]
        alarm_lines = "".join(
            f'''    {key} = {{
      metric    = "{m[0]}"
      namespace = "{m[1]}"
      threshold = {rng.randint(1, 95)}
      periods   = {rng.randint(1, 5)}
    }}
''' for key, m in sorted(rng.sample(alarm_metrics, n_alarms)))
        widgets = ",\n".join(f'''      {{
        type   = "metric"
        x      = {(k % 3) * 8}
        y      = {(k // 3) * 6}
        width  = 8
        height = 6
        properties = {{
          title   = "{m[0]}"
          region  = var.region
          stat    = "Average"
          period  = 300
          metrics = [["{m[1]}", "{m[0]}", "ServiceName", local.name]]
        }}
      }}''' for k, (_, m) in enumerate(rng.sample(alarm_metrics, rng.randint(14, 24))))
        monitoring = f'''\
# Alarms page the {team} on-call rota through SNS.
locals {{
  alarms = {{
{alarm_lines}  }}
}}

resource "aws_sns_topic" "alarms" {{
  name              = "${{local.name}}-alarms"
  kms_master_key_id = aws_kms_key.data.id
}}

resource "aws_sns_topic_subscription" "email" {{
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}}

resource "aws_cloudwatch_metric_alarm" "service" {{
  for_each = local.alarms

  alarm_name          = "${{local.name}}-${{each.key}}"
  alarm_description   = "${{each.value.metric}} on ${{local.name}}"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = each.value.periods
  metric_name         = each.value.metric
  namespace           = each.value.namespace
  period              = 60
  statistic           = "Average"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  dimensions = {{
    ServiceName = local.name
    ClusterName = aws_ecs_cluster.this.name
  }}
}}

resource "aws_cloudwatch_dashboard" "service" {{
  dashboard_name = local.name
  dashboard_body = jsonencode({{
    widgets = [
{widgets}
    ]
  }})
}}
'''
        if i % 4 == 1:
            monitoring += f'''
module "extra_alarms" {{
  source    = "../../modules/alarms"
  name      = "${{local.name}}-extra"
  topic_arn = aws_sns_topic.alarms.arn
  alarms = {{
    queue-depth = {{
      metric     = "ApproximateNumberOfMessagesVisible"
      namespace  = "AWS/SQS"
      threshold  = {rng.randint(100, 5000)}
      dimensions = {{ QueueName = aws_sqs_queue.work.name }}
    }}
  }}
}}
'''
        self.write(f"{d}/monitoring.tf", monitoring)

        outputs = [("vpc_id", "aws_vpc.this.id"), ("cluster_arn", "aws_ecs_cluster.this.arn"),
                   ("security_group_id", "aws_security_group.service.id"),
                   ("db_endpoint", "aws_db_instance.this.endpoint"),
                   ("db_arn", "aws_db_instance.this.arn"),
                   ("bucket", "aws_s3_bucket.assets.id"),
                   ("queue_url", "aws_sqs_queue.work.id"),
                   ("queue_arn", "aws_sqs_queue.work.arn"),
                   ("dlq_arn", "aws_sqs_queue.dlq.arn"),
                   ("kms_key_arn", "aws_kms_key.data.arn"),
                   ("alarm_topic_arn", "aws_sns_topic.alarms.arn"),
                   ("subnet_ids", "[for s in aws_subnet.private : s.id]")]
        self.write(f"{d}/outputs.tf", "\n".join(
            f'output "{n}" {{\n  description = "The {n.replace("_", " ")} of {svc}."\n'
            f'  value       = {v}\n}}\n' for n, v in outputs))

    def write_network(self, name: str, env: str, region: str, i: int) -> None:
        d = f"network/{name}"
        rng = self.rng
        azs = [f"{region}{z}" for z in "abc"]
        tiers = {"public": 0, "private": 4, "data": 8, "intra": 12}
        subnet_lines = "".join(
            f'    "{t}-{az}" = {{ az = "{az}", cidr = cidrsubnet(var.cidr, 6, {n + k}), '
            f'tier = "{t}" }}\n'
            for t, n in tiers.items() for k, az in enumerate(azs))
        peers = "".join(f'    "peer-{k}" = "10.{200 + k}.0.0/16"\n' for k in range(rng.randint(3, 8)))
        self.write(f"{d}/variables.tf", f'''\
variable "cidr" {{
  description = "VPC CIDR block."
  type        = string
  default     = "10.{i}.0.0/16"
}}

variable "environment" {{
  type    = string
  default = "{env}"
}}

variable "region" {{
  type    = string
  default = "{region}"
}}

variable "flow_log_retention" {{
  type    = number
  default = 365
}}
''')
        self.write(f"{d}/main.tf", f'''\
provider "aws" {{
  region = var.region
}}

locals {{
  name = "${{var.environment}}-${{var.region}}"
  subnets = {{
{subnet_lines}  }}
  peers = {{
{peers}  }}
}}

resource "aws_vpc" "this" {{
  cidr_block           = var.cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = {{ Name = local.name, Environment = var.environment }}
}}

resource "aws_internet_gateway" "this" {{
  vpc_id = aws_vpc.this.id
}}

resource "aws_subnet" "this" {{
  for_each = local.subnets

  vpc_id                  = aws_vpc.this.id
  cidr_block              = each.value.cidr
  availability_zone       = each.value.az
  map_public_ip_on_launch = each.value.tier == "public"
  tags                    = {{ Name = "${{local.name}}-${{each.key}}", Tier = each.value.tier }}
}}

resource "aws_eip" "nat" {{
  for_each = toset({json.dumps(azs)})
  domain   = "vpc"
}}

resource "aws_nat_gateway" "this" {{
  for_each      = aws_eip.nat
  allocation_id = each.value.id
  subnet_id     = aws_subnet.this["public-${{each.key}}"].id
}}

resource "aws_route_table" "private" {{
  for_each = aws_nat_gateway.this
  vpc_id   = aws_vpc.this.id

  route {{
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = each.value.id
  }}

  dynamic "route" {{
    for_each = local.peers
    content {{
      cidr_block                = route.value
      vpc_peering_connection_id = "pcx-${{route.key}}"
    }}
  }}
}}

resource "aws_flow_log" "this" {{
  vpc_id               = aws_vpc.this.id
  traffic_type         = "ALL"
  log_destination_type = "cloud-watch-logs"
  log_destination      = aws_cloudwatch_log_group.flow.arn
}}

resource "aws_cloudwatch_log_group" "flow" {{
  name              = "/vpc/${{local.name}}/flow"
  retention_in_days = var.flow_log_retention
}}

resource "aws_network_acl" "data" {{
  vpc_id     = aws_vpc.this.id
  subnet_ids = [for k, s in aws_subnet.this : s.id if startswith(k, "data-")]

  ingress {{
    protocol   = "tcp"
    rule_no    = 100
    action     = "allow"
    cidr_block = var.cidr
    from_port  = 5432
    to_port    = 5432
  }}

  egress {{
    protocol   = "-1"
    rule_no    = 100
    action     = "allow"
    cidr_block = var.cidr
    from_port  = 0
    to_port    = 0
  }}
}}
''')
        self.write(f"{d}/outputs.tf", '''\
output "vpc_id" {
  value = aws_vpc.this.id
}

output "subnet_ids" {
  value = { for k, s in aws_subnet.this : k => s.id }
}

output "nat_gateway_ids" {
  value = [for n in aws_nat_gateway.this : n.id]
}
''')


def generate(out: Path, *, scale: float = 1.0, seed: int = 8) -> dict[str, Any]:
    """Write the tree, ``snapshot.json`` and ``manifest.json`` into ``out`` (emptied first)."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    return Generator(out, scale, seed).run()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="directory to write (replaced if it exists)")
    ap.add_argument("--scale", type=float, default=1.0, help="size factor (1 = ~800 files)")
    ap.add_argument("--seed", type=int, default=8, help="random seed (default 8)")
    args = ap.parse_args(argv)
    if args.scale <= 0:
        ap.error("--scale must be positive")
    manifest = generate(args.out, scale=args.scale, seed=args.seed)
    c = manifest["counts"]
    print(
        f"{args.out}: {c['files_tf']} .tf files ({c['files_iam_tf']} IAM), "
        f"{c['bytes_tf'] / 1e6:.1f} MB; {c['users']} users, {c['groups']} groups, "
        f"{c['policies']} policies ({c['managed_policies']} managed), {c['roles']} roles; "
        f"snapshot: {manifest['snapshot_entities']} entities",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
