"""AWS-managed policies a tree attaches: their default version, read at collect time.

Their documents are AWS's and change as AWS adds actions, so they are never bundled in the
code (DESIGN.md): ``collect`` reads each one's default version from the account
(``iam:GetPolicy`` for ``DefaultVersionId``, then ``iam:GetPolicyVersion``, both read-only)
into the snapshot's ``aws_managed_policies``, and trim, check and graph read it from there.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import unquote

from lpgen.awscalls import call_with_retries
from lpgen.model import Inventory, PolicyDocument
from lpgen.policydoc import document_from_data

_AWS_MANAGED = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/")
def is_aws_managed(arn: str | None) -> bool:
    return bool(arn) and _AWS_MANAGED.match(arn or "") is not None


def attached_aws_managed(inventory: Inventory) -> list[str]:
    """Every AWS-managed policy ARN the tree attaches (to IAM entities or permission
    sets, including permissions boundaries), sorted."""
    arns = {a.policy_arn for a in inventory.attachments if is_aws_managed(a.policy_arn)}
    arns |= {
        p.arn
        for p in inventory.permission_set_policies
        if p.kind in ("managed", "boundary") and is_aws_managed(p.arn)
    }
    return sorted(a for a in arns if a)


def _document(raw: Any) -> dict[str, Any]:
    """boto3 decodes the URL-encoded JSON of ``Document``; a raw client may not."""
    if isinstance(raw, str):
        raw = json.loads(unquote(raw))
    if not isinstance(raw, dict):
        raise ValueError("the policy version has no JSON document")
    return raw


def fetch_aws_managed(
    client: Any,
    arns: Iterable[str],
    *,
    sleep: Callable[[float], None] = time.sleep,
    attempts: int = 6,
) -> dict[str, dict[str, Any]]:
    """The default version of each policy: ``{"version_id", "document"}``, or ``{"error"}``
    for one that could not be read (the others are still read)."""

    def call(method: Callable[..., dict[str, Any]], **params: Any) -> dict[str, Any]:
        return call_with_retries(method, sleep=sleep, attempts=attempts, **params)

    out: dict[str, dict[str, Any]] = {}
    for arn in arns:
        operation = "GetPolicy"
        try:
            policy = call(client.get_policy, PolicyArn=arn)["Policy"]
            version_id = str(policy["DefaultVersionId"])
            operation = "GetPolicyVersion"
            version = call(client.get_policy_version, PolicyArn=arn, VersionId=version_id)
            document = _document(version["PolicyVersion"]["Document"])
            out[arn] = {"version_id": version_id, "document": document}
        except Exception as exc:
            out[arn] = {"error": f"{operation}: {exc}"}
    return out


def documents_of(snapshots: Sequence[Any]) -> dict[str, PolicyDocument]:
    """The parsed AWS-managed policy documents of the snapshots, by ARN (first one wins)."""
    out: dict[str, PolicyDocument] = {}
    for snapshot in snapshots:
        for arn, record in snapshot.aws_managed_policies.items():
            if arn not in out and isinstance(record.get("document"), dict):
                out[arn] = document_from_data(record["document"])
    return out
