"""Policy documents that cannot be read at all: AWS rejects them at apply."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lpgen.checks.context import CheckContext, statement_key, statement_label
from lpgen.findings import Finding, Rule, Severity, register
from lpgen.model import Inventory, Location, PolicyDocument

UNREADABLE = register(
    Rule(
        code="LP029",
        name="unreadable-policy-document",
        title="Policy document cannot be read (not JSON, or a missing file)",
        severity=Severity.HIGH,
        rationale=(
            "A policy whose document is not valid JSON, or is read with file() or "
            "templatefile() from a file that is missing or cannot be read, is rejected by "
            "Terraform or by AWS at apply (MalformedPolicyDocument). Until then no check can "
            "tell what it grants: a gate that skipped it would pass code it never read."
        ),
        fix=(
            "Write the document with jsonencode() or a data \"aws_iam_policy_document\", so "
            "Terraform checks its syntax; or fix the JSON, or the path, the finding names."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html",
            "https://developer.hashicorp.com/terraform/language/functions/file",
        ),
    )
)


MALFORMED_ACTION = register(
    Rule(
        code="LP028",
        name="malformed-action",
        title="Action element IAM rejects (no service prefix)",
        severity=Severity.HIGH,
        rationale=(
            "IAM accepts an action element only as `*` or as `service:action`, where the "
            "action may hold the wildcards `*` and `?`: one colon, after a service prefix. "
            "`s3*`, `GetObject` or `s3::GetObject` is rejected at apply "
            "(`MalformedPolicyDocument`: actions must be prefaced by a vendor). Were it "
            "accepted, a pattern such as `s*` "
            "would grant every service whose name starts with s, including ones launched later."
        ),
        fix=(
            "Write the service prefix and one colon: `s3:GetObject`, `s3:Get*`, `s3:*`. To "
            "allow several services, list each as `service:*`."
        ),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html",
        ),
    )
)

# ``service:action``: the prefix is letters, digits and hyphens (IAM's service prefixes);
# the action name may hold ``*`` and ``?``.
_ACTION = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9*?_-]+$")


def _malformed(value: str) -> str | None:
    """Why IAM rejects this action element, or None when it is well formed (or not known)."""
    if value == "*" or "${" in value:
        return None
    if ":" not in value:
        return "it has no service prefix (`service:action`)"
    if value.count(":") > 1:
        return "it has more than one colon"
    if not _ACTION.match(value):
        return "it is not `service:action`"
    return None


def _documents(inv: Inventory) -> Iterator[tuple[str, str, PolicyDocument, Location]]:
    for p in inv.policies:
        if p.document is not None:
            yield p.address, "policy", p.document, p.location
    for r in inv.roles:
        if r.assume_role_policy is not None:
            yield r.address, "assume_role_policy", r.assume_role_policy, r.location
    for rp in inv.resource_policies:
        if rp.document is not None:
            yield rp.address, "policy", rp.document, rp.location
    for psp in inv.permission_set_policies:
        if psp.policy is not None and psp.policy.document is not None:
            yield psp.address, "inline_policy", psp.policy.document, psp.location


def check_documents(ctx: CheckContext) -> Iterator[Finding]:
    """LP029: every policy, trust policy and resource policy whose document cannot be read."""
    for address, what, doc, fallback in _documents(ctx.inventory):
        if doc.invalid is None:
            continue
        yield ctx.finding(
            UNREADABLE.code,
            f"The {what} of {address} cannot be read: {doc.invalid}",
            location=doc.location or fallback,
            address=address,
            qualifier=what,
        )


def check_actions(ctx: CheckContext) -> Iterator[Finding]:
    """LP028: every Action / NotAction element that IAM would reject."""
    for address, what, doc, fallback in _documents(ctx.inventory):
        for st in doc.statements:
            for key, entries in (("Action", st.actions), ("NotAction", st.not_actions)):
                for entry in entries or ():
                    why = _malformed(entry.value)
                    if why is None:
                        continue
                    shown = entry.value if len(entry.value) <= 60 else entry.value[:57] + "..."
                    yield ctx.finding(
                        MALFORMED_ACTION.code,
                        f"The {what} of {address} has {key} {shown!r}, which IAM rejects: "
                        f"{why} ({statement_label(st)})",
                        location=entry.location or st.location or doc.location or fallback,
                        address=address,
                        qualifier=f"{what}:{statement_key(st)}:{entry.value}",
                    )
