"""Trust and resource policies open beyond the account (what Access Analyzer calls external)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lpgen.catalog import matches
from lpgen.checks.context import (
    CheckContext,
    grants_nothing,
    short_list,
    statement_key,
    statement_label,
)
from lpgen.checks.oidc import web_identity_problem
from lpgen.conditions import (
    ORG_KEYS,
    RESTRICTING_KEYS,
    arn_account_pinned,
    condition_accounts,
    external_id,
    requires_mfa,
    restricts,
    unsatisfiable,
    wide_values,
)
from lpgen.findings import Finding, Rule, Severity, register
from lpgen.model import Policy, PolicyDocument, Statement

PUBLIC_PRINCIPAL = register(
    Rule(
        code="LP040",
        name="public-principal",
        title="Trust or resource policy allows any AWS principal",
        severity=Severity.CRITICAL,
        rationale=(
            '`Principal: "*"` (or `{"AWS": "*"}`) in an Allow means every AWS account in '
            "the world. In a role's trust policy anyone can assume the role; in a bucket, "
            "queue, topic or key policy anyone can use the resource. Only a condition that "
            "pins the caller (`aws:PrincipalOrgID`, `aws:PrincipalAccount`, `aws:SourceArn`, "
            "`aws:SourceVpce`, ...) makes such a statement safe. IAM Access Analyzer reports "
            "these as public or external access."
        ),
        fix=(
            "Name the principals (account root ARNs or role ARNs), or add a condition such "
            "as `aws:PrincipalOrgID` that limits the statement to your organization."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-anonymous",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-resources.html",
        ),
    )
)
CROSS_ACCOUNT = register(
    Rule(
        code="LP041",
        name="cross-account-without-guard",
        title="Another account is trusted without an external id or organization condition",
        severity=Severity.HIGH,
        rationale=(
            "A role that another account may assume is external access. A third party that "
            "assumes roles for many customers must be given an `sts:ExternalId` condition, "
            "or anyone who tricks it into using your role ARN gets your permissions (the "
            "confused-deputy problem); accounts of your own organization are better pinned "
            "with `aws:PrincipalOrgID`. Resource policies granting another account are "
            "reported at medium severity. lpgen needs the account the tree is applied to "
            "(`--account-id` or a snapshot) to tell other accounts from this one."
        ),
        fix=(
            'Add `Condition = { StringEquals = { "sts:ExternalId" = "..." } }` with the id '
            "the partner gives you, or `aws:PrincipalOrgID` for your own accounts; remove the "
            "account if it no longer needs access."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid",
        ),
    )
)
WEB_IDENTITY = register(
    Rule(
        code="LP042",
        name="web-identity-without-subject",
        title="Role trusts an OIDC provider without limiting which identities",
        severity=Severity.HIGH,
        rationale=(
            "A trust policy for `sts:AssumeRoleWithWebIdentity` lets every identity the "
            "provider issues tokens for assume the role unless conditions narrow it. For "
            "GitHub Actions that is every workflow of every repository on GitHub: the `sub` "
            "claim (`repo:ORG/REPO:ref:refs/heads/main`) must be pinned."
        ),
        fix=(
            "Add a `StringEquals` or `StringLike` condition on "
            "`token.actions.githubusercontent.com:sub` naming your organization and "
            "repository (and branch or environment), next to the `:aud` condition; for other "
            "providers, condition on their `aud`/`sub` keys."
        ),
        references=(
            "https://docs.github.com/actions/deployment/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html",
        ),
    )
)

_TRUST_GUARDS = frozenset({"sts:externalid"} | ORG_KEYS)
# Accounts AWS itself uses to deliver to customers' buckets, which resource policies must name
# as principals: Elastic Load Balancing's access-log accounts per region (Elastic Load
# Balancing User Guide, "Enable access logs") and the legacy Cost and Usage Report account.
AWS_SERVICE_ACCOUNTS = frozenset(
    {
        "127311923021", "033677994240", "027434742980", "797873946194", "098369216593",
        "754344448648", "589379963580", "718504428378", "383597477331", "600734575887",
        "114774131450", "783225319266", "582318560864", "985666609251", "054676820928",
        "156460612806", "652711504416", "635631232127", "009996457667", "897822967062",
        "076674570225", "507241528517", "048591011584", "190560391635", "638102146993",
        "037604701340", "386209384616",
    }
)  # fmt: skip
_ACCOUNT = re.compile(r"^(?:(\d{12})|arn:[^:]+:(?:iam|sts)::(\d{12}):.*)$")
_RESOURCE_NAMES = {
    "aws_s3_bucket_policy": "S3 bucket policy",
    "aws_sqs_queue_policy": "SQS queue policy",
    "aws_sns_topic_policy": "SNS topic policy",
    "aws_kms_key": "KMS key policy",
    "aws_ecr_repository_policy": "ECR repository policy",
    "aws_secretsmanager_secret_policy": "Secrets Manager secret policy",
    "aws_lambda_layer_version_permission": "Lambda layer permission",
    "aws_glacier_vault": "Glacier vault policy",
    "aws_elasticsearch_domain_policy": "Elasticsearch domain policy",
    "aws_opensearch_domain_policy": "OpenSearch domain policy",
    "aws_s3_bucket": "S3 bucket policy",
    "aws_sqs_queue": "SQS queue policy",
    "aws_sns_topic": "SNS topic policy",
    "aws_secretsmanager_secret": "Secrets Manager secret policy",
    "aws_elasticsearch_domain": "Elasticsearch domain policy",
    "aws_opensearch_domain": "OpenSearch domain policy",
    "aws_efs_file_system_policy": "EFS file system policy",
    "aws_glue_resource_policy": "Glue resource policy",
    "aws_api_gateway_rest_api": "API Gateway resource policy",
    "aws_api_gateway_rest_api_policy": "API Gateway resource policy",
    "aws_ses_identity_policy": "SES identity policy",
    "aws_cloudwatch_log_destination_policy": "CloudWatch Logs destination policy",
    "aws_cloudwatch_log_resource_policy": "CloudWatch Logs resource policy",
    "aws_backup_vault_policy": "Backup vault policy",
    "aws_ecrpublic_repository_policy": "ECR Public repository policy",
    "aws_s3_access_point": "S3 access point policy",
    "aws_kinesis_resource_policy": "Kinesis resource policy",
    "aws_dynamodb_resource_policy": "DynamoDB resource policy",
    "aws_codeartifact_domain_permissions_policy": "CodeArtifact domain policy",
    "aws_codeartifact_repository_permissions_policy": "CodeArtifact repository policy",
    "aws_media_store_container_policy": "MediaStore container policy",
    "aws_schemas_registry_policy": "EventBridge schema registry policy",
    "aws_lambda_permission": "Lambda permission",
}


def principal_parts(stmt: Statement) -> tuple[bool, list[str], list[str] | None]:
    """(public, AWS principals, Federated principals or None when there are none)."""
    p = stmt.principals
    if stmt.not_principals is not None:
        return True, [], []
    if p == "*":
        return True, [], []
    if not isinstance(p, dict):
        return False, [], []
    raw_aws = p.get("AWS", [])
    # Parts known only after apply are left out; the literal ones are still judged.
    items = raw_aws if isinstance(raw_aws, list) else [raw_aws]
    aws = [str(a) for a in items if isinstance(a, str)]
    # "arn:aws:iam::*:role/x": a wildcard account is any account (IAM rejects wildcards in
    # principals, so where it is accepted it means everyone).
    wild = [a for a in aws if a == "*" or (a.startswith("arn:") and not arn_account_pinned(a))]
    public = bool(wild)
    named = [a for a in aws if a not in wild]
    if "Federated" not in p:
        return public, named, None
    # A provider ARN known only after apply leaves the list empty: judged by its conditions.
    raw = p["Federated"]
    federated = [str(f) for f in (raw if isinstance(raw, list) else [raw]) if isinstance(f, str)]
    return public, named, federated


def documents(ctx: CheckContext) -> Iterator[tuple[str, Policy | None, PolicyDocument, str]]:
    """(address, resource policy or None for a trust policy, document, what it is)."""
    for role in ctx.inventory.roles:
        doc = role.assume_role_policy
        if doc is not None and doc.unknown_reason is None:
            yield role.address, None, doc, f"Role '{role.name or role.address}'"
    for rp in ctx.inventory.resource_policies:
        doc = rp.document
        if doc is not None and doc.unknown_reason is None:
            kind = _RESOURCE_NAMES.get(rp.description or "", "Resource policy")
            yield rp.address, rp, doc, kind


def describe_actions(stmt: Statement) -> str:
    if stmt.actions is not None:
        return short_list((e.value for e in stmt.actions), 4)
    return "every action but " + short_list(e.value for e in stmt.not_actions or [])


def account_of(principal: str) -> str | None:
    m = _ACCOUNT.match(principal)
    return (m.group(1) or m.group(2)) if m else None


def check_exposure(ctx: CheckContext) -> Iterator[Finding]:
    """LP040-LP042 over role trust policies and resource policies."""
    locations = {
        **{r.address: r.location for r in ctx.inventory.roles},
        **{p.address: p.location for p in ctx.inventory.resource_policies},
    }
    for address, resource, doc, what in documents(ctx):
        trust = resource is None
        for stmt in doc.statements:
            if not stmt.is_allow or unsatisfiable(stmt.conditions) or grants_nothing(stmt):
                continue
            label = statement_label(stmt)
            key = statement_key(stmt)
            loc = stmt.location or locations.get(address)
            public, accounts, federated = principal_parts(stmt)
            if public and not restricts(stmt.conditions, RESTRICTING_KEYS):
                verb = "can be assumed by" if trust else f"allows {describe_actions(stmt)} to"
                wide = wide_values(stmt.conditions, RESTRICTING_KEYS)
                why = (
                    f"with a condition that matches everyone ({wide[0][0]} {wide[0][1]!r})"
                    if wide
                    else "with no condition that limits who"
                )
                vpc = resource is not None and resource.vpc_only
                if vpc:
                    why += "; the domain is reachable only from its VPC"
                yield ctx.finding(
                    "LP040",
                    f"{what} {verb} any AWS principal, {why} ({label})",
                    location=loc,
                    address=address,
                    qualifier=key,
                    severity=Severity.MEDIUM if vpc else None,
                )
                continue
            if public:
                # "*" pinned to an account by a condition: that account is the principal.
                accounts = accounts + condition_accounts(stmt.conditions)
            finding = _cross_account(ctx, what, stmt, accounts, trust=trust)
            if finding is not None:
                text, severity = finding
                yield ctx.finding(
                    "LP041", text, location=loc, address=address, qualifier=key, severity=severity
                )
            if trust and _web_identity(stmt) and federated is not None:
                problem = web_identity_problem(federated, stmt.conditions)
                if problem:
                    yield ctx.finding(
                        "LP042",
                        f"{what} trusts {problem[0]} ({label})",
                        location=loc,
                        address=address,
                        qualifier=key,
                        severity=problem[1],
                    )


def _cross_account(
    ctx: CheckContext, what: str, stmt: Statement, accounts: list[str], *, trust: bool
) -> tuple[str, Severity] | None:
    """LP041's message and severity for a statement naming other accounts, or None.

    A trust with a real external id or organization condition is guarded. A trust that
    requires MFA is the hub-and-spoke pattern (people of a central identity account): low.
    When the tree's own account is not known, a literal account is still reported (medium),
    saying that it could not be compared.
    """
    guards = _TRUST_GUARDS if trust else ORG_KEYS
    if external_id(stmt.conditions) or restricts(stmt.conditions, ORG_KEYS - {"sts:externalid"}):
        return None
    if not trust and restricts(stmt.conditions, guards):
        return None
    external: list[str] = []
    unknown: list[str] = []
    for principal in accounts:
        account = account_of(principal)
        if account is None or (not trust and account in AWS_SERVICE_ACCOUNTS):
            continue
        own = ctx.is_own_account(account)
        if own is None:
            unknown.append(account)
        elif not own:
            external.append(account)
    if not external and not unknown:
        return None
    names = short_list(sorted(set(external or unknown)), 4)
    label = statement_label(stmt)
    mfa = trust and requires_mfa(stmt.conditions)
    if trust:
        text = (
            f"{what} can be assumed from account {names} without an sts:ExternalId or "
            "aws:PrincipalOrgID condition"
        )
    else:
        text = (
            f"{what} allows {describe_actions(stmt)} to account {names} without an "
            "aws:PrincipalOrgID condition"
        )
    if mfa:
        text += " (MFA required: people of a central account)"
    if not external:
        text += "; the account this tree is applied to is not known, so it could not be compared"
    text += f" ({label})"
    if mfa:
        severity = Severity.LOW
    elif not trust:
        severity = Severity.MEDIUM if external else Severity.LOW
    else:
        severity = Severity.HIGH if external else Severity.MEDIUM
    return text, severity


def _web_identity(stmt: Statement) -> bool:
    return any(matches(e.value, "sts:AssumeRoleWithWebIdentity") for e in stmt.actions or [])
