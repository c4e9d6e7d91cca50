"""Trust and resource policies open beyond the account (what Access Analyzer calls external)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lpgen.catalog import matches
from lpgen.checks.context import CheckContext, short_list, statement_key, statement_label
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

# Condition keys that pin who may use a statement with a "*" principal (IAM User Guide,
# "AWS global condition context keys"; the keys IAM Access Analyzer treats as restricting).
_RESTRICTING = frozenset(
    k.lower()
    for k in (
        "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:PrincipalAccount",
        "aws:PrincipalArn", "aws:SourceAccount", "aws:SourceArn", "aws:SourceOwner",
        "aws:SourceOrgID", "aws:SourceOrgPaths", "aws:SourceVpc", "aws:SourceVpce",
        "aws:SourceIp", "aws:userid", "kms:CallerAccount",
    )
)  # fmt: skip
_TRUST_GUARDS = frozenset(
    k.lower()
    for k in ("sts:ExternalId", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:SourceOrgID")
)
_RESOURCE_GUARDS = frozenset(
    k.lower() for k in ("aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:SourceOrgID")
)
_ACCOUNT = re.compile(r"^(?:(\d{12})|arn:[^:]+:(?:iam|sts)::(\d{12}):.*)$")
GITHUB = "token.actions.githubusercontent.com"
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
}


def _strings(value: Any) -> list[str] | None:
    """The strings of a principal value; None when some part is not known."""
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(v, str) for v in items):
        return None
    return [str(v) for v in items]


def _positive_keys(conditions: Any) -> dict[str, list[str]]:
    """Condition keys (lower-case) tested with an operator that requires a match, and values.

    Negated operators and ``...IfExists`` (which passes when the key is absent) pin nothing.
    """
    out: dict[str, list[str]] = {}
    if not isinstance(conditions, dict):
        return out
    for operator, pairs in conditions.items():
        op = str(operator).split(":", 1)[-1].lower()
        if "not" in op or op.endswith("ifexists") or op == "null" or not isinstance(pairs, dict):
            continue
        for key, value in pairs.items():
            items = value if isinstance(value, list) else [value]
            out.setdefault(str(key).lower(), []).extend(str(v) for v in items)
    return out


def _pinned(conditions: Any, keys: frozenset[str]) -> bool:
    found = _positive_keys(conditions)
    return any(k in keys and vals and all(v != "*" for v in vals) for k, vals in found.items())


def _principal_parts(stmt: Statement) -> tuple[bool, list[str], list[str] | None]:
    """(public, AWS principals, Federated principals or None when there are none)."""
    p = stmt.principals
    if stmt.not_principals is not None:
        return True, [], []
    if p == "*":
        return True, [], []
    if not isinstance(p, dict):
        return False, [], []
    aws = _strings(p.get("AWS", [])) or []
    public = "*" in aws
    if "Federated" not in p:
        return public, [a for a in aws if a != "*"], None
    # A provider ARN known only after apply leaves the list empty: judged by its conditions.
    raw = p["Federated"]
    federated = [str(f) for f in (raw if isinstance(raw, list) else [raw]) if isinstance(f, str)]
    return public, [a for a in aws if a != "*"], federated


def _documents(ctx: CheckContext) -> Iterator[tuple[str, Policy | None, PolicyDocument, str]]:
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


def _actions(stmt: Statement) -> str:
    if stmt.actions is not None:
        return short_list((e.value for e in stmt.actions), 4)
    return "every action but " + short_list(e.value for e in stmt.not_actions or [])


def check_exposure(ctx: CheckContext) -> Iterator[Finding]:
    """LP040-LP042 over role trust policies and resource policies."""
    unknown_accounts: set[str] = set()
    locations = {
        **{r.address: r.location for r in ctx.inventory.roles},
        **{p.address: p.location for p in ctx.inventory.resource_policies},
    }
    for address, resource, doc, what in _documents(ctx):
        trust = resource is None
        for stmt in doc.statements:
            if not stmt.is_allow:
                continue
            label = statement_label(stmt)
            key = statement_key(stmt)
            loc = stmt.location or locations.get(address)
            public, accounts, federated = _principal_parts(stmt)
            if public and not _pinned(stmt.conditions, _RESTRICTING):
                verb = "can be assumed by" if trust else f"allows {_actions(stmt)} to"
                yield ctx.finding(
                    "LP040",
                    f"{what} {verb} any AWS principal, with no condition that limits who ({label})",
                    location=loc,
                    address=address,
                    qualifier=key,
                )
                continue
            guards = _TRUST_GUARDS if trust else _RESOURCE_GUARDS
            external = []
            if _pinned(stmt.conditions, guards):
                accounts = []
            for principal in accounts:
                m = _ACCOUNT.match(principal)
                if m is None:
                    continue
                account = m.group(1) or m.group(2)
                own = ctx.is_own_account(account)
                if own is None:
                    unknown_accounts.add(account)
                elif not own:
                    external.append(account)
            if external:
                names = short_list(sorted(set(external)), 4)
                if trust:
                    text = (
                        f"{what} can be assumed from account {names} without an "
                        f"sts:ExternalId or aws:PrincipalOrgID condition ({label})"
                    )
                else:
                    text = (
                        f"{what} allows {_actions(stmt)} to account {names} without an "
                        f"aws:PrincipalOrgID condition ({label})"
                    )
                yield ctx.finding(
                    "LP041",
                    text,
                    location=loc,
                    address=address,
                    qualifier=key,
                    severity=None if trust else Severity.MEDIUM,
                )
            if trust and _web_identity(stmt) and federated is not None:
                problem = _web_identity_problem(federated, stmt.conditions)
                if problem:
                    yield ctx.finding(
                        "LP042",
                        f"{what} trusts {problem} ({label})",
                        location=loc,
                        address=address,
                        qualifier=key,
                    )
    if unknown_accounts:
        ctx.notes.append(
            f"Note: LP041 skipped account {short_list(sorted(unknown_accounts), 4)}: the account "
            "this tree is applied to is not known (give --account-id or --snapshot)."
        )


def _web_identity(stmt: Statement) -> bool:
    return any(matches(e.value, "sts:AssumeRoleWithWebIdentity") for e in stmt.actions or [])


def _provider(federated: str) -> str:
    """``arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com`` -> its host."""
    if ":oidc-provider/" in federated:
        return federated.split(":oidc-provider/", 1)[1].lower()
    return federated.lower()


def _web_identity_problem(federated: list[str], conditions: Any) -> str | None:
    """What is wrong with a web-identity trust, or None when identities are pinned."""
    keys = _positive_keys(conditions)
    providers = [_provider(f) for f in federated if ":saml-provider/" not in f]
    if not federated:
        # The provider ARN is computed (known after apply): judge by the condition keys.
        providers = sorted({k.rsplit(":", 1)[0] for k in keys if ":" in k and "aws:" not in k})
        if not providers and not keys:
            return "a web identity provider with no condition at all"
    for host in providers:
        if host.startswith(GITHUB):
            subs = keys.get(f"{GITHUB}:sub", [])
            if not subs:
                return "GitHub Actions OIDC tokens with no condition on the sub claim"
            wide = [s for s in subs if s == "*" or s.lower().startswith(("repo:*", "*"))]
            if wide:
                return f"GitHub Actions OIDC tokens of any repository (sub {wide[0]!r})"
        elif not any(k.startswith(host + ":") for k in keys):
            return f"web identity provider {host} with no condition on its aud or sub claims"
    return None
