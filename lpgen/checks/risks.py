"""Risk classes of actions left on every resource (after Cloudsplaining), and "*" on a name.

Cloudsplaining sorts what a policy allows on ``Resource: "*"`` without constraints into data
exfiltration, credentials exposure, resource exposure (permissions management) and
infrastructure modification. lpgen does the same with two differences that avoid false alarms:
a statement with a Condition counts as constrained, and an action AWS does not let you scope
to a resource (``ecr:GetAuthorizationToken``, ``sts:GetSessionToken``: the Service
Authorization Reference lists no resource type for it) is never reported, since ``"*"`` is the
only way to grant it. Actions other rules already report (privilege escalation, LP013;
service wildcards, LP011; full admin, LP010) are left out of these lists.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from lpgen.catalog import (
    PRIVESC_ACTIONS,
    access_level,
    any_matcher,
    expand,
    has_resource_types,
)
from lpgen.checks.context import (
    CheckContext,
    describe_policy,
    identity_policies,
    permission_set_policies,
    short_list,
    statement_key,
    statement_label,
    where,
)
from lpgen.findings import Finding, Rule, Severity, register
from lpgen.memo import remembered
from lpgen.model import Policy, PolicyDocument, Statement
from lpgen.semantics import document_allows, resources_are_star, service_wildcards

STAR_ON_NAMED = register(
    Rule(
        code="LP014",
        name="star-action-on-resource",
        title="Policy allows every action on a named resource",
        severity=Severity.MEDIUM,
        rationale=(
            '`Action: "*"` on a named resource (a bucket, a table, a key) grants every action '
            "of every service on it, now and in future: deleting it, rewriting its resource "
            "policy, changing its encryption. Naming the resource limits where, not what; "
            "nobody needs every action on anything."
        ),
        fix=(
            "List the actions used on the resource (`lpgen trim` with a snapshot shows which), "
            "or at least the service (`s3:Get*`, `dynamodb:Query`...)."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
        ),
    )
)
DATA_EXFILTRATION = register(
    Rule(
        code="LP015",
        name="data-exfiltration",
        title="Policy allows reading data of every resource (data exfiltration)",
        severity=Severity.MEDIUM,
        rationale=(
            "`s3:GetObject`, `ssm:GetParameter*`, `secretsmanager:GetSecretValue` and RDS "
            'snapshot copies on `Resource: "*"` without a condition read every object, '
            "parameter and secret of the account, including those of other teams and "
            "applications. Unrestricted `s3:GetObject` has a long history of data leaks. "
            "Cloudsplaining reports these as Data Exfiltration."
        ),
        fix=(
            "Scope the actions to the buckets, parameter paths and secrets the principal "
            "works on (`arn:aws:s3:::reports/*`, `arn:aws:ssm:*:*:parameter/app/*`)."
        ),
        references=(
            "https://cloudsplaining.readthedocs.io/en/latest/glossary/data-exfiltration/",
        ),
    )
)
CREDENTIALS_EXPOSURE = register(
    Rule(
        code="LP016",
        name="credentials-exposure",
        title="Policy allows actions that return credentials, on every resource",
        severity=Severity.HIGH,
        rationale=(
            "Some actions return credentials in their response: database credentials "
            "(`redshift:GetClusterCredentials`, `rds-db:connect`), instance passwords "
            "(`ec2:GetPasswordData`), service-specific credentials and access keys of IAM "
            'users. On `Resource: "*"` they hand out the credentials of every cluster, '
            "instance and user. Cloudsplaining reports these as Credentials Exposure."
        ),
        fix="Scope them to the clusters, database users or instances the principal needs.",
        references=(
            "https://cloudsplaining.readthedocs.io/en/latest/glossary/credentials-exposure/",
        ),
    )
)
RESOURCE_EXPOSURE = register(
    Rule(
        code="LP017",
        name="resource-exposure",
        title="Policy allows changing permissions of every resource (resource exposure)",
        severity=Severity.HIGH,
        rationale=(
            "Permissions-management actions (`s3:PutBucketPolicy`, `kms:CreateGrant`, "
            "`sqs:AddPermission`, `lambda:AddPermission`, `ram:CreateResourceShare`, ...) on "
            '`Resource: "*"` let the principal open any resource of the account to anyone, '
            "another account or the internet. Cloudsplaining reports these as Resource Exposure."
        ),
        fix=(
            "Scope them to the resources the principal administers, or move them to a "
            "pipeline role; guard the rest with a permissions boundary or an SCP."
        ),
        references=(
            "https://cloudsplaining.readthedocs.io/en/latest/glossary/resource-exposure/",
        ),
    )
)
INFRASTRUCTURE_MODIFICATION = register(
    Rule(
        code="LP018",
        name="infrastructure-modification",
        title="Policy allows write actions on every resource",
        severity=Severity.LOW,
        rationale=(
            'Write actions on `Resource: "*"` without a condition (starting and stopping any '
            "instance, writing to any stream, changing any budget) reach every resource of "
            "that type, including those of other teams. Most such actions can be scoped to "
            "ARNs or by tag. Cloudsplaining reports these as Infrastructure Modification."
        ),
        fix=(
            "Scope the actions to the ARNs the principal works on, or add a condition such as "
            "`aws:ResourceTag/team`."
        ),
        references=(
            "https://cloudsplaining.readthedocs.io/en/latest/glossary/infrastructure-modification/",
        ),
    )
)

# Cloudsplaining's read-only data-exfiltration actions (cloudsplaining/shared/constants.py,
# READ_ONLY_DATA_EXFILTRATION_ACTIONS) and the RDS snapshot actions its glossary names.
EXFILTRATION_ACTIONS = (
    "s3:GetObject", "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath",
    "secretsmanager:GetSecretValue", "rds:CopyDBSnapshot", "rds:CreateDBSnapshot",
)  # fmt: skip
# Actions whose response holds credentials (Cloudsplaining's credentials-exposure list).
CREDENTIALS_ACTIONS = (
    "chime:CreateApiKey", "codepipeline:PollForJobs", "cognito-identity:GetOpenIdToken",
    "cognito-identity:GetOpenIdTokenForDeveloperIdentity",
    "cognito-identity:GetCredentialsForIdentity", "connect:GetFederationToken",
    "ec2:GetPasswordData", "ecr:GetAuthorizationToken", "gamelift:RequestUploadCredentials",
    "iam:CreateServiceSpecificCredential", "iam:ResetServiceSpecificCredential",
    "iam:UpdateAccessKey", "lightsail:GetInstanceAccessDetails",
    "lightsail:GetRelationalDatabaseMasterUserPassword", "rds-db:connect",
    "redshift:GetClusterCredentials", "redshift:GetClusterCredentialsWithIAM",
    "redshift-serverless:GetCredentials", "sso:GetRoleCredentials",
    "mediapackage:RotateChannelCredentials", "mediapackage:RotateIngestEndpointCredentials",
    "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity", "sts:GetFederationToken",
    "sts:GetSessionToken",
)  # fmt: skip
_LISTED = 6


def _policies(ctx: CheckContext) -> Iterator[tuple[Policy, PolicyDocument, str]]:
    for policy, doc in identity_policies(ctx.inventory):
        yield policy, doc, describe_policy(policy, capital=True)
    for inline, ps_doc, what, _ps in permission_set_policies(ctx.inventory):
        yield inline, ps_doc, what


def _granted(stmt: Statement) -> list[str]:
    """The catalog actions a statement's Action list names, leaving out "*" and whole
    services (LP010/LP011 report those)."""
    wild = {e.value.lower() for e in service_wildcards(stmt)}
    out: dict[str, None] = {}
    for entry in stmt.actions or []:
        value = entry.value
        if value in ("*", "*:*") or value.lower() in wild:
            continue
        for action in expand(value) or ():
            out[action] = None
    return list(out)


_PRIVESC = frozenset(a.lower() for a in PRIVESC_ACTIONS) | {"iam:createaccesskey"}
_EXFILTRATION = any_matcher(EXFILTRATION_ACTIONS)
_CREDENTIALS = any_matcher(CREDENTIALS_ACTIONS)


@functools.cache
def _class_of(action: str) -> str | None:
    """Which of LP015-LP018 an action on every resource falls under (None: none of them).
    Remembered per action: the same expansions (``s3:*``, ``ec2:Describe*``) recur in many
    statements, and each verdict matches the action against every pattern list."""
    name = action.lower()
    if name in _PRIVESC or has_resource_types(action) is False:
        return None
    if _EXFILTRATION(name):
        return "LP015"
    if _CREDENTIALS(name):
        return "LP016"
    level = access_level(action)
    if level == "Permissions management":
        return "LP017"
    if level in ("Write", "Tagging"):
        return "LP018"
    return None


def _classify(actions: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"LP015": [], "LP016": [], "LP017": [], "LP018": []}
    for action in actions:
        code = _class_of(action)
        if code is not None:
            found[code].append(action)
    return found


_TEXT = {
    "LP015": "allows reading data on every resource",
    "LP016": "allows actions that return credentials on every resource",
    "LP017": "allows changing permissions of every resource",
    "LP018": "allows write actions on every resource",
}


def check_risks(ctx: CheckContext) -> Iterator[Finding]:
    """LP014-LP018 over every identity policy and permission set inline policy."""
    for policy, doc, what in _policies(ctx):
        yield from _risks_of(ctx, policy, doc, what)


def _risks_of(ctx: CheckContext, policy: Policy, doc: PolicyDocument, what: str) -> list[Finding]:
    """The findings on one policy, made once in a `lpgen check` run: they depend on nothing
    else, and the pass over declarations of unknown count (lpgen.check) asks again."""
    return remembered(
        "check_risks", (policy, doc), what, lambda: list(_policy_risks(ctx, policy, doc, what))
    )


def _policy_risks(
    ctx: CheckContext, policy: Policy, doc: PolicyDocument, what: str
) -> Iterator[Finding]:
    for stmt in doc.statements:
        if not stmt.is_allow or stmt.actions is None:
            continue
        label = statement_label(stmt)
        key = statement_key(stmt)
        star = any(e.value in ("*", "*:*") for e in stmt.actions)
        if star and stmt.resources and not resources_are_star(stmt):
            yield ctx.finding(
                "LP014",
                f"{what} allows every action on {short_list(stmt.resources, 3)} ({label})",
                location=where(policy, stmt),
                address=policy.address,
                qualifier=key,
            )
            continue
        if star or stmt.conditions or not resources_are_star(stmt):
            continue
        for code, actions in _classify(_granted(stmt)).items():
            kept = [a for a in actions if document_allows(doc, a) is not False]
            if not kept:
                continue
            names = [a.lower() for a in kept]
            entry = next(
                (e for e in stmt.actions if any(map(any_matcher((e.value,)), names))), None
            )
            yield ctx.finding(
                code,
                f"{what} {_TEXT[code]}: {short_list(kept, _LISTED)} ({label})",
                location=(entry.location if entry else None) or where(policy, stmt),
                address=policy.address,
                qualifier=key,
            )
