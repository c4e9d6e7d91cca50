"""IAM Identity Center in the access graph: identity store users and groups -> account
assignments -> permission sets -> their policies and the accounts they are provisioned to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lpgen.graph import node_id
from lpgen.sso import key_of, name_of, reference_key

if TYPE_CHECKING:
    from lpgen.graph import _Builder


def add_identity_center(b: _Builder) -> None:
    """Add the Identity Center nodes and edges of the builder's inventory."""
    inv = b.inv
    ids: dict[str, str] = {}
    for ent in inv.identity_store:
        kind: Any = "sso_user" if ent.kind == "user" else "sso_group"
        key = ent.name or ent.address
        ids[ent.address] = b._add(
            node_id(kind, key), kind, key, address=ent.address, file=ent.location.file,
            line=ent.location.line,
        )  # fmt: skip
    for m in inv.identity_memberships:
        user, group = ids.get(m.user or ""), ids.get(m.group or "")
        if user and group and not b.g.has_edge(user, group):
            b.g.add_edge(user, group, kind="member_of", address=m.address,
                         file=m.location.file, line=m.location.line)  # fmt: skip
    sets: dict[tuple[str, str], str] = {}
    for ps in inv.permission_sets:
        key = ps.name or ps.address
        node = sets[key_of(ps)] = b._add(
            node_id("permission_set", key), "permission_set", key, address=ps.address,
            file=ps.location.file, line=ps.location.line,
            external=True if ps.managed_elsewhere else None,
        )  # fmt: skip
        for item in ps.policies:
            if item.kind == "boundary":
                b.g.nodes[node]["permissions_boundary"] = item.arn or item.name
                continue
            if item.kind == "inline" and item.policy is not None:
                b._add_policy(item.policy)
                pid: str | None = node_id("policy", item.policy.address)
            elif item.kind == "managed":
                pid = b._attached_policy(None, item.arn)
            else:
                declared = next(
                    (p for p in inv.policies if p.kind == "managed" and p.name == item.name), None
                )
                pid = b._attached_policy(declared.address if declared else item.name, None)
            if pid is not None and not b.g.has_edge(node, pid):
                b.g.add_edge(node, pid, kind="attached", address=item.address,
                             file=item.location.file, line=item.location.line)  # fmt: skip
    for a in inv.account_assignments:
        ref = reference_key(a)
        ps_node = sets.get(ref) if ref is not None else None
        if ps_node is None:
            continue
        principal = ids.get(a.principal or "")
        if principal is None and a.principal:
            kind = "sso_user" if (a.principal_type or "").upper() == "USER" else "sso_group"
            name = name_of(inv, a.principal)
            principal = b._add(node_id(kind, name), kind, name, external=True)
        account = a.account or "(unknown account)"
        acct = b._add(node_id("account", account), "account", account)
        if principal is not None:
            if b.g.has_edge(principal, ps_node):
                accounts = b.g.edges[principal, ps_node]["accounts"]
                if account not in accounts:
                    accounts.append(account)
            else:
                b.g.add_edge(principal, ps_node, kind="assigned", accounts=[account],
                             address=a.address, file=a.location.file,
                             line=a.location.line)  # fmt: skip
        if not b.g.has_edge(ps_node, acct):
            b.g.add_edge(ps_node, acct, kind="provisioned", address=a.address,
                         file=a.location.file, line=a.location.line)  # fmt: skip
