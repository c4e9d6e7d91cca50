"""IAM Identity Center resources of a plan (``terraform show -json``) into the inventory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lpgen.model import (
    AccountAssignment,
    IdentityStoreEntity,
    IdentityStoreMembership,
    PermissionSet,
    PermissionSetPolicy,
    Policy,
)

if TYPE_CHECKING:
    from lpgen.plan import PlanResource, _Builder


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _ref(b: _Builder, res: PlanResource, attr: str, *rtypes: str) -> str | None:
    """The address of what ``attr`` refers to (a permission set, a group), or its literal."""
    for rtype in rtypes:
        found = b.referenced(res, attr, rtype)
        if found:
            return str(found[0].address)
    return _text(b.attr(res, attr))


def add_plan_resource(b: _Builder, res: PlanResource) -> None:
    """Read one Identity Center resource change of the side the builder reads."""
    values: dict[str, Any] = b.values(res) or {}
    loc = b.location(res.address)
    inv = b.inv
    ps = "aws_ssoadmin_permission_set"
    if res.type == ps:
        inv.permission_sets.append(
            PermissionSet(res.address, _text(b.attr(res, "name")), loc,
                          arn=_text(b.attr(res, "arn")),
                          session_duration=_text(b.attr(res, "session_duration")))
        )  # fmt: skip
    elif res.type == "aws_ssoadmin_permission_set_inline_policy":
        doc = b.document(res, "inline_policy", address=res.address)
        policy = Policy(res.address, None, loc, kind="inline", document=doc, description=res.type)
        inv.permission_set_policies.append(PermissionSetPolicy(
            "inline", res.address, loc, _ref(b, res, "permission_set_arn", ps), policy=policy,
        ))  # fmt: skip
    elif res.type == "aws_ssoadmin_managed_policy_attachment":
        inv.permission_set_policies.append(PermissionSetPolicy(
            "managed", res.address, loc, _ref(b, res, "permission_set_arn", ps),
            arn=_text(b.attr(res, "managed_policy_arn")),
        ))  # fmt: skip
    elif res.type == "aws_ssoadmin_customer_managed_policy_attachment":
        for ref in values.get("customer_managed_policy_reference") or []:
            if isinstance(ref, dict):
                inv.permission_set_policies.append(PermissionSetPolicy(
                    "customer_managed", res.address, loc,
                    _ref(b, res, "permission_set_arn", ps), name=_text(ref.get("name")),
                    path=_text(ref.get("path")) or "/",
                ))  # fmt: skip
    elif res.type == "aws_ssoadmin_permissions_boundary_attachment":
        for block in values.get("permissions_boundary") or []:
            if not isinstance(block, dict):
                continue
            refs = block.get("customer_managed_policy_reference") or [{}]
            first = refs[0] if isinstance(refs[0], dict) else {}
            inv.permission_set_policies.append(PermissionSetPolicy(
                "boundary", res.address, loc, _ref(b, res, "permission_set_arn", ps),
                arn=_text(block.get("managed_policy_arn")), name=_text(first.get("name")),
            ))  # fmt: skip
    elif res.type == "aws_ssoadmin_account_assignment":
        inv.account_assignments.append(AccountAssignment(
            res.address, loc, _ref(b, res, "permission_set_arn", ps),
            principal_type=_text(b.attr(res, "principal_type")),
            principal=_ref(b, res, "principal_id", "aws_identitystore_group",
                           "aws_identitystore_user"),
            account=_text(b.attr(res, "target_id")),
        ))  # fmt: skip
    elif res.type in ("aws_identitystore_group", "aws_identitystore_user"):
        group = res.type == "aws_identitystore_group"
        name = _text(b.attr(res, "display_name" if group else "user_name"))
        inv.identity_store.append(
            IdentityStoreEntity("group" if group else "user", res.address, name, loc)
        )
    elif res.type == "aws_identitystore_group_membership":
        inv.identity_memberships.append(IdentityStoreMembership(
            _ref(b, res, "group_id", "aws_identitystore_group"),
            _ref(b, res, "member_id", "aws_identitystore_user"), res.address, loc,
        ))  # fmt: skip
