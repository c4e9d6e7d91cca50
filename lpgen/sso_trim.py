"""Which evidence a permission set's usage rests on: its roles in the accounts it is assigned to.

A permission set is used through the ``AWSReservedSSO_<name>_<suffix>`` role Identity Center
provisions into each account it is assigned to (``aws_ssoadmin_account_assignment``). Its
usage is the union of those roles' Access Advisor reports; an assigned account without a
report (no snapshot of it, no such role in its snapshot, an account id not known statically)
is no evidence, so nothing of the permission set is removed, and the reason names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lpgen.model import Inventory, PermissionSet
from lpgen.sso import refers_to, unknown_assignments
from lpgen.usage import EntityUsage, UsageIndex

# An inline policy of a permission set becomes an inline policy of the role Identity Center
# provisions in each account (IAM Identity Center User Guide, "Custom permissions":
# docs.aws.amazon.com/singlesignon/latest/userguide/permissionsetcustom.html), so IAM's
# quota for a role's inline policies applies: 10,240 characters without whitespace (IAM
# User Guide, "IAM and AWS STS quotas": docs.aws.amazon.com/IAM/latest/UserGuide/
# reference_iam-quotas.html). PutInlinePolicyToPermissionSet itself accepts 32,768.
PERMISSION_SET_INLINE_LIMIT = 10240

_ACCOUNT = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class PermissionSetEvidence:
    """The reports of a permission set's roles, and what is missing (``gap`` None: none)."""

    usages: list[EntityUsage]
    accounts: tuple[str, ...]
    gap: str | None


def assigned_accounts(inventory: Inventory, ps: PermissionSet) -> list[tuple[str, str]]:
    """``(account, assignment address)`` of each assignment of ``ps`` in the tree; an
    account not known statically is given as written (an address or expression)."""
    out: list[tuple[str, str]] = []
    for assignment in inventory.account_assignments:
        if refers_to(assignment, ps):
            out.append((assignment.account or "", assignment.address))
    return out


def permission_set_evidence(
    inventory: Inventory, ps: PermissionSet, index: UsageIndex
) -> PermissionSetEvidence:
    """The usage of ``ps`` across every account it is assigned to, or why there is none."""
    usages = index.for_permission_set(ps.name) if ps.name else []
    if ps.name is None and ps.referred_only and ps.arn:
        return PermissionSetEvidence(
            [], (), "the permission set is known by its ARN only (not declared in this tree): "
            "the name of its AWSReservedSSO_* roles is not known",
        )  # fmt: skip
    if ps.name is None:
        return PermissionSetEvidence([], (), "the permission set's name is not known statically")
    unknown = unknown_assignments(inventory)
    if unknown:
        named = "; ".join(
            f"{a.address} ({a.location.file}:{a.location.line}"
            + (f", permission_set_arn {a.permission_set}" if a.permission_set else "")
            + ")"
            for a in unknown[:3]
        ) + ("; ..." if len(unknown) > 3 else "")
        return PermissionSetEvidence(
            usages, (),
            "an account assignment's permission set is not known statically, so it may "
            f"assign this one to an account with no usage data: {named}",
        )  # fmt: skip
    assigned = assigned_accounts(inventory, ps)
    if not assigned:
        return PermissionSetEvidence(
            usages,
            (),
            "not assigned to any account in the Terraform (aws_ssoadmin_account_assignment): "
            "no account's usage can be known",
        )
    with_role = {u.account_id for u in usages}
    gaps: list[str] = []
    accounts: list[str] = []
    for account, address in assigned:
        if not _ACCOUNT.match(account):
            source = f" (from {account})" if account else ""
            gaps.append(f"account of {address} not known statically{source}")
        elif account not in index.accounts:
            gaps.append(f"no snapshot of account {account} ({address})")
        elif account not in with_role:
            gaps.append(
                f"the snapshot of account {account} has no AWSReservedSSO_{ps.name}_* role "
                f"({address}; not provisioned when collected?)"
            )
        elif account not in accounts:
            accounts.append(account)
    gap = None
    if gaps:
        gap = "no usage data from every assigned account: " + "; ".join(dict.fromkeys(gaps))
    # Roles of accounts the tree does not assign it to (assigned elsewhere) only add usage.
    every = sorted({*accounts, *with_role})
    return PermissionSetEvidence(usages, tuple(every), gap)
