"""Policy documents that cannot be read at all: AWS rejects them at apply."""

from __future__ import annotations

from collections.abc import Iterator

from lpgen.checks.context import CheckContext
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
