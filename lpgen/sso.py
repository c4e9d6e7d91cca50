"""IAM Identity Center in a Terraform tree: permission sets, their policies, the identity
store and account assignments, read into the inventory."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from lpgen.model import (
    AccountAssignment,
    IdentityStoreEntity,
    IdentityStoreMembership,
    Inventory,
    Location,
    PermissionSet,
    PermissionSetPolicy,
    Policy,
    PolicyDocument,
    Unresolved,
)
from lpgen.policydoc import document_from_value
from lpgen.terraform.values import Unknown

if TYPE_CHECKING:
    from lpgen.terraform.loader import Block, Instance

SSO_RESOURCE_TYPES = frozenset(
    {
        "aws_ssoadmin_permission_set",
        "aws_ssoadmin_permission_set_inline_policy",
        "aws_ssoadmin_managed_policy_attachment",
        "aws_ssoadmin_customer_managed_policy_attachment",
        "aws_ssoadmin_permissions_boundary_attachment",
        "aws_ssoadmin_account_assignment",
        "aws_identitystore_group",
        "aws_identitystore_user",
        "aws_identitystore_group_membership",
    }
)
SSO_DATA_TYPES = frozenset(
    {"aws_identitystore_group", "aws_identitystore_user", "aws_ssoadmin_permission_set"}
)


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str) else None


def _ref(value: Any) -> str | None:
    """The address a reference points at (``aws_ssoadmin_permission_set.admin``), or a
    literal (an ARN or id written out)."""
    ref = getattr(value, "ref", None)
    if isinstance(ref, str):
        return ref
    return _text(value)


def root_of(inst: Instance) -> str:
    """The root module ``inst`` is read in (its directory relative to the tree, ``.`` the
    top): a reference's address is relative to it."""
    return inst.tree.rel(inst.obj.mi.root_dir) or "."


def _unknown(inv: Inventory, inst: Instance, what: str, value: Any) -> None:
    if isinstance(value, Unknown) and getattr(value, "ref", None) is None:
        inv.unresolved.append(
            Unresolved(inst.address, f"{what} is not known: {value.reason}", inst.block.loc)
        )


def add_resource(inv: Inventory, inst: Instance) -> None:
    """Read one Identity Center resource instance into the inventory."""
    rtype = inst.obj.rtype
    loc = inst.block.loc
    if rtype == "aws_ssoadmin_permission_set":
        name = inst.attr("name")
        _unknown(inv, inst, "name", name)
        inv.permission_sets.append(
            PermissionSet(
                inst.address,
                _text(name),
                loc,
                description=_text(inst.attr("description")),
                session_duration=_text(inst.attr("session_duration")),
                root=root_of(inst),
            )
        )
        return
    if rtype.startswith("aws_ssoadmin_") and rtype != "aws_ssoadmin_account_assignment":
        _add_policy(inv, inst)
        return
    if rtype == "aws_ssoadmin_account_assignment":
        ps = inst.attr("permission_set_arn")
        _unknown(inv, inst, "permission_set_arn", ps)
        principal = inst.attr("principal_id")
        account = inst.attr("target_id")
        inv.account_assignments.append(
            AccountAssignment(
                inst.address,
                loc,
                permission_set=_ref(ps),
                principal_type=_text(inst.attr("principal_type")),
                principal=_ref(principal),
                account=_ref(account),
                root=root_of(inst),
            )
        )
        return
    if rtype in ("aws_identitystore_group", "aws_identitystore_user"):
        attr = "display_name" if rtype == "aws_identitystore_group" else "user_name"
        kind: Any = "group" if rtype == "aws_identitystore_group" else "user"
        inv.identity_store.append(
            IdentityStoreEntity(kind, inst.address, _text(inst.attr(attr)), loc)
        )
        return
    if rtype == "aws_identitystore_group_membership":
        inv.identity_memberships.append(
            IdentityStoreMembership(
                _ref(inst.attr("group_id")), _ref(inst.attr("member_id")), inst.address, loc
            )
        )


def _add_policy(inv: Inventory, inst: Instance) -> None:
    rtype = inst.obj.rtype
    loc = inst.block.loc
    ps_value = inst.attr("permission_set_arn")
    _unknown(inv, inst, "permission_set_arn", ps_value)
    ps = _ref(ps_value)
    if rtype == "aws_ssoadmin_permission_set_inline_policy":
        doc = document_from_value(
            inst.attr("inline_policy"), where=inst.block.attr_loc("inline_policy")
        )
        _document_unknowns(inv, inst.address, doc, loc)
        policy = Policy(inst.address, None, loc, kind="inline", document=doc,
                        description=rtype, root=root_of(inst))  # fmt: skip
        inv.permission_set_policies.append(
            PermissionSetPolicy("inline", inst.address, loc, ps, policy=policy, root=root_of(inst))
        )
    elif rtype == "aws_ssoadmin_managed_policy_attachment":
        arn = inst.attr("managed_policy_arn")
        _unknown(inv, inst, "managed_policy_arn", arn)
        inv.permission_set_policies.append(
            PermissionSetPolicy("managed", inst.address, loc, ps, arn=_ref(arn), root=root_of(inst))
        )
    elif rtype == "aws_ssoadmin_customer_managed_policy_attachment":
        for blk in inst.block.sub("customer_managed_policy_reference"):
            inv.permission_set_policies.append(_reference(inst, blk, "customer_managed", ps))
    elif rtype == "aws_ssoadmin_permissions_boundary_attachment":
        for blk in inst.block.sub("permissions_boundary"):
            arn = inst.attr("managed_policy_arn", blk)
            if arn is not None:
                boundary = PermissionSetPolicy(
                    "boundary", inst.address, loc, ps, arn=_ref(arn), root=root_of(inst)
                )
                inv.permission_set_policies.append(boundary)
            for ref in blk.sub("customer_managed_policy_reference"):
                inv.permission_set_policies.append(_reference(inst, ref, "boundary", ps))


def _document_unknowns(inv: Inventory, address: str, doc: PolicyDocument, loc: Location) -> None:
    """Name what of an inline policy could not be read (the document, or a statement's
    actions, resources, ...) under "Not resolved", as for any other policy."""
    if doc.unknown_reason:
        message = f"inline_policy is not known: {doc.unknown_reason}"
        inv.unresolved.append(Unresolved(address, message, doc.location or loc))
        return
    for st in doc.statements:
        for reason in dict.fromkeys(st.unknown):
            label = f"statement {st.sid!r}" if st.sid else f"statement {st.index + 1}"
            where = st.location or doc.location or loc
            inv.unresolved.append(Unresolved(address, f"inline_policy, {label}: {reason}", where))


def _reference(inst: Instance, blk: Block, kind: Any, ps: str | None) -> PermissionSetPolicy:
    name = inst.attr("name", blk)
    path = inst.attr("path", blk)
    return PermissionSetPolicy(
        kind, inst.address, inst.block.loc, ps, name=_ref(name),
        path=str(path) if isinstance(path, str) else "/", root=root_of(inst),
    )  # fmt: skip


def add_data_source(inv: Inventory, inst: Instance) -> None:
    """A looked-up identity store group or user: named by the attribute it is looked up by;
    a looked-up permission set: one managed elsewhere, by the name (or ARN) it is looked up by.
    """
    if inst.obj.rtype == "aws_ssoadmin_permission_set":
        arn = _text(inst.attr("arn"))
        inv.permission_sets.append(
            PermissionSet(inst.address, _text(inst.attr("name")), inst.block.loc, arn=arn,
                          managed_elsewhere=True, root=root_of(inst))
        )  # fmt: skip
        return
    # The value it is looked up by; None (not "", not another block's value) when that is
    # not known.
    name: str | None = None
    identified = False
    for blk in inst.block.sub("alternate_identifier"):
        for unique in blk.sub("unique_attribute"):
            identified = True
            name = _text(inst.attr("attribute_value", unique)) or None
    if not identified:
        for blk in inst.block.sub("filter"):
            identified = True
            name = name or _text(inst.attr("attribute_value", blk)) or None
    if not identified:
        name = _text(inst.attr("group_id")) or _text(inst.attr("user_id")) or None
    kind: Any = "group" if inst.obj.rtype == "aws_identitystore_group" else "user"
    inv.identity_store.append(IdentityStoreEntity(kind, inst.address, name, inst.block.loc))


def link_permission_sets(
    inv: Inventory, *, known: Iterable[PermissionSet] = (), report: bool = True
) -> None:
    """Give each permission set the policies attached to it (after the whole tree is read).

    A permission set the tree refers to but does not declare (an ARN written out, a data
    source not read) is added as one managed elsewhere, so that what is attached to it and
    assigned from it is listed. One in ``known`` (the permission sets of the inventory this
    one is evaluated beside) is not. With ``report``, a policy given to a permission set that
    is neither is listed under "Not resolved", with why.
    """
    inv.permission_sets = [ps for ps in inv.permission_sets if not _referred_only(ps)]
    by_key = permission_set_index(inv)
    elsewhere = {key_of(ps) for ps in known}
    referring: list[PermissionSetPolicy | AccountAssignment] = [
        *inv.permission_set_policies, *inv.account_assignments,
    ]  # fmt: skip
    for item in referring:
        ref = item.permission_set
        key = reference_key(item)
        if ref is None or key is None or key in by_key or key in elsewhere:
            continue
        if _is_permission_set_arn(ref) or _is_lookup(ref):
            arn = ref if ref.startswith("arn:") else None
            ps = PermissionSet(ref, None, item.location, arn=arn, managed_elsewhere=True,
                               referred_only=True, root=key[0])  # fmt: skip
            inv.permission_sets.append(ps)
            by_key[key] = ps
    by_policy_name = {p.name: p for p in inv.policies if p.kind == "managed" and p.name}
    for ps in inv.permission_sets:
        ps.policies = []
        ps.inline_policy = None
        ps.inline_policies = []
    seen = {(u.address, u.message) for u in inv.unresolved}

    def not_read(item: PermissionSetPolicy | AccountAssignment, key: Any) -> None:
        if report and item.permission_set is not None and key not in elsewhere:
            problem = Unresolved(item.address, _not_read(inv, item.permission_set),
                                 item.location)  # fmt: skip
            if (problem.address, problem.message) not in seen:
                seen.add((problem.address, problem.message))
                inv.unresolved.append(problem)

    for assignment in inv.account_assignments:
        key = reference_key(assignment)
        if key is not None and key not in by_key:
            not_read(assignment, key)
    for item in inv.permission_set_policies:
        key = reference_key(item)
        target = by_key.get(key) if key is not None else None
        if target is None:
            not_read(item, key)
            continue
        target.policies.append(item)
        if item.kind == "inline" and item.policy is not None:
            item.policy.name = f"{target.name or target.address} inline policy"
            item.policy.owner = target.name
            item.policy.owner_address = target.address
            target.inline_policy = item.policy
            target.inline_policies.append(item.policy)
        if item.kind in ("customer_managed", "boundary") and item.name in by_policy_name:
            declared = by_policy_name[item.name or ""]
            item.arn = item.arn or declared.arn
    if report:
        for ps in inv.permission_sets:
            problem = _inline_conflict(ps)
            if problem is not None and (problem.address, problem.message) not in seen:
                seen.add((problem.address, problem.message))
                inv.unresolved.append(problem)


def inline_conflict(ps: PermissionSet) -> str | None:
    """Why the inline policies of ``ps`` cannot be judged one by one (more than one given:
    AWS allows one, and which is in force is the last applied), or None."""
    if len(ps.inline_policies) < 2:
        return None
    where = ", ".join(
        f"{p.address} ({p.location.file}:{p.location.line})" for p in ps.inline_policies
    )
    name = ps.name or ps.address
    n = len(ps.inline_policies)
    return f"permission set {name} has {n} inline policies: {where}; AWS allows one"


def _inline_conflict(ps: PermissionSet) -> Unresolved | None:
    # Under the first policy's address: always an Identity Center declaration (counted), even
    # for a permission set known by its ARN only.
    message = inline_conflict(ps)
    first = ps.inline_policies[0] if ps.inline_policies else None
    if message is None or first is None:
        return None
    return Unresolved(first.address, message, first.location)


def key_of(ps: PermissionSet) -> tuple[str, str]:
    """What references to ``ps`` are matched by: its root module and address (an ARN
    written out is the same permission set in every root)."""
    return ("", ps.address) if _is_permission_set_arn(ps.address) else (ps.root, ps.address)


def reference_key(item: PermissionSetPolicy | AccountAssignment) -> tuple[str, str] | None:
    """The key (see :func:`key_of`) of the permission set ``item`` refers to, None when
    the reference is not known: an address is one in the root module ``item`` is read in."""
    ref = item.permission_set
    if ref is None:
        return None
    return ("", ref) if _is_permission_set_arn(ref) else (item.root, ref)


def permission_set_index(inv: Inventory) -> dict[tuple[str, str], PermissionSet]:
    """The inventory's permission sets by :func:`key_of`."""
    return {key_of(ps): ps for ps in inv.permission_sets}


def refers_to(item: PermissionSetPolicy | AccountAssignment, ps: PermissionSet) -> bool:
    """Whether ``item`` (a policy given, an assignment) is of the permission set ``ps``."""
    key = reference_key(item)
    return key is not None and key == key_of(ps)


_LOOKUP = re.compile(r"(?:^|\.)data\.aws_ssoadmin_permission_set\.[\w-]+$")


def _referred_only(ps: PermissionSet) -> bool:
    return ps.managed_elsewhere and ps.referred_only


def _is_permission_set_arn(text: str) -> bool:
    """``arn:aws:sso:::permissionSet/ssoins-1/ps-1234`` (any partition)."""
    parts = text.split(":", 5)
    return (
        len(parts) == 6
        and parts[0] == "arn"
        and parts[2] == "sso"
        and parts[5].startswith("permissionSet/")
    )


def _is_lookup(address: str) -> bool:
    """The address of a ``data "aws_ssoadmin_permission_set"`` instance (in any module)."""
    from lpgen.accounting import declaration_of

    return _LOOKUP.search(declaration_of(address)) is not None


def _not_read(inv: Inventory, ref: str) -> str:
    """Why a policy's permission set ``ref`` is not one of the inventory's."""
    from lpgen.accounting import declaration_of

    decl = declaration_of(ref)
    reason = inv.conditions.get(decl)
    if reason is not None and any(u.address == decl for u in inv.not_instantiated):
        return f"permission_set_arn: {ref} has no instance: {reason}"
    if reason is not None:
        # "... ps[*] count is not known: var.n has no value": counted by its root cause.
        return f"permission_set_arn is not known: {ref} {reason}"
    return f"permission_set_arn: {ref} is not a permission set read from this tree"


def unknown_assignments(inv: Inventory) -> list[AccountAssignment]:
    """The account assignments whose permission set is not one of the inventory's (its
    ``permission_set_arn`` not known, or a reference not followed): any permission set
    may be the one they assign."""
    by_key = permission_set_index(inv)
    out = []
    for a in inv.account_assignments:
        key = reference_key(a)
        if key is None or key not in by_key:
            out.append(a)
    return out


def name_of(inv: Inventory, address: str | None) -> str:
    """The name of a permission set or identity store entity at ``address`` (or the text)."""
    if address is None:
        return "(unknown)"
    for ps in inv.permission_sets:
        if ps.address == address:
            return ps.name or address
    for ent in inv.identity_store:
        if ent.address == address:
            return ent.name or address
    return address
