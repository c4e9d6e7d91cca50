"""Resource policies: every action given to someone else, and services acting for anyone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lpgen.checks.context import (
    CheckContext,
    grants_nothing,
    short_list,
    statement_key,
    statement_label,
)
from lpgen.checks.exposure import account_of, documents, principal_parts
from lpgen.conditions import SOURCE_KEYS, tests, unsatisfiable, value_restricts
from lpgen.findings import Finding, Rule, Severity, register
from lpgen.model import Statement

RESOURCE_WILDCARD = register(
    Rule(
        code="LP043",
        name="resource-policy-wildcard-action",
        title="Resource policy allows every action to another principal",
        severity=Severity.HIGH,
        rationale=(
            "A resource policy that allows `*` or `service:*` (or uses NotAction) gives its "
            "principals every present and future action on the resource: for a bucket, "
            "deleting it and rewriting its policy; for a key, scheduling its deletion; for a "
            "queue or topic, changing who else may use it. Granted to everyone, to another "
            "account or to a service, that is more than any of them needs. Statements for "
            "principals of the account itself (the key policy's `root` statement) only "
            "delegate to IAM and are not reported."
        ),
        fix=(
            "List the actions the other principal needs (`s3:GetObject`, `sqs:SendMessage`, "
            "`kms:Decrypt`, ...) instead of the wildcard."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_identity-vs-resource.html",
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies.html",
        ),
    )
)
CONFUSED_DEPUTY = register(
    Rule(
        code="LP044",
        name="service-without-source",
        title="Resource policy lets an AWS service act without naming the source",
        severity=Severity.MEDIUM,
        rationale=(
            "When a resource policy (or an `aws_lambda_permission`) allows a service principal "
            "such as `sns.amazonaws.com` or `events.amazonaws.com`, the service acts for "
            "whichever customer configured it: any AWS account can point its own topic, rule "
            "or bucket at your function, queue or key, and the service will call it (the "
            "cross-service confused deputy). `aws:SourceArn` or `aws:SourceAccount` ties the "
            "grant to your own resource or account."
        ),
        fix=(
            "Add `source_arn` (or `source_account`) to the `aws_lambda_permission`; in a "
            'policy, add `Condition = { ArnLike = { "aws:SourceArn" = "<your resource ARN>" } '
            '}` or `StringEquals = { "aws:SourceAccount" = "<your account>" }`.'
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html#cross-service-confused-deputy-prevention",
            "https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html",
        ),
    )
)


def _services(stmt: Statement) -> list[str]:
    p = stmt.principals
    if not isinstance(p, dict) or "Service" not in p:
        return []
    raw = p["Service"]
    return [str(s) for s in (raw if isinstance(raw, list) else [raw]) if isinstance(s, str)]


def _wildcards(stmt: Statement) -> list[str]:
    if stmt.not_actions is not None:
        return ["NotAction " + short_list(e.value for e in stmt.not_actions)]
    return [e.value for e in stmt.actions or [] if e.value == "*" or e.value.endswith(":*")]


def _tied_to_source(conditions: Any) -> bool:
    for t in tests(conditions):
        if not t.requires or not t.values:
            continue
        if t.key.startswith("kms:encryptioncontext"):
            return True
        if t.key in SOURCE_KEYS and all(value_restricts(t.key, v, t.operator) for v in t.values):
            return True
    return False


def check_resource_policies(ctx: CheckContext) -> Iterator[Finding]:
    """LP043 and LP044 over every resource policy (not role trust policies)."""
    for address, resource, doc, what in documents(ctx):
        if resource is None:
            continue
        for stmt in doc.statements:
            if not stmt.is_allow or unsatisfiable(stmt.conditions) or grants_nothing(stmt):
                continue
            label = statement_label(stmt)
            loc = stmt.location or resource.location
            public, accounts, _ = principal_parts(stmt)
            services = _services(stmt)
            wild = _wildcards(stmt)
            if wild:
                others: list[str] = []
                severity = Severity.HIGH
                for principal in accounts:
                    account = account_of(principal)
                    own = ctx.is_own_account(account) if account else None
                    if account and own is False:
                        others.append(f"account {account}")
                    elif account and own is None:
                        others.append(f"account {account}")
                        severity = Severity.MEDIUM if not public else severity
                whom = (["any AWS principal"] if public else []) + others + services
                if services and not public and not others:
                    severity = Severity.MEDIUM
                if public and resource.vpc_only:
                    severity = Severity.MEDIUM  # "*" is whoever reaches the VPC
                if whom:
                    yield ctx.finding(
                        "LP043",
                        f"{what} allows {short_list(wild, 4)} to {short_list(whom, 4)} ({label})",
                        location=loc,
                        address=address,
                        qualifier=statement_key(stmt),
                        severity=severity,
                    )
            if services and not public and not _tied_to_source(stmt.conditions):
                yield ctx.finding(
                    "LP044",
                    f"{what} allows {short_list(services, 3)} to act without an aws:SourceArn "
                    f"or aws:SourceAccount condition: any account's resources can use it "
                    f"({label})",
                    location=loc,
                    address=address,
                    qualifier=statement_key(stmt),
                )
