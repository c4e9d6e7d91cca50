"""What every check reads: the inventory under test, the one before the change, usage, options."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from lpgen.findings import Finding, Severity
from lpgen.model import Inventory, Location, PermissionSet, Policy, PolicyDocument, Statement

if TYPE_CHECKING:
    from lpgen.check import CheckOptions
    from lpgen.usage import UsageIndex

Needs = Literal["usage", "change", "change+usage", "source"]


@dataclass(frozen=True)
class Check:
    """One check function and the codes it may report (its rules)."""

    func: Callable[[CheckContext], Iterable[Finding]]
    codes: tuple[str, ...]
    # What it needs beyond the inventory: usage data (snapshots), a change (a plan or
    # --base), or the Terraform source files.
    needs: tuple[Needs, ...] = ()


@dataclass
class CheckContext:
    """The inputs of one run. Checks read it; they never filter or suppress findings."""

    inventory: Inventory
    options: CheckOptions
    # The Terraform tree (PATH), when given: locations, source files, what trim would edit.
    source: Inventory | None = None
    # The IAM before the change (the plan's prior state, or the --base tree).
    before: Inventory | None = None
    # Access Advisor usage from the snapshots.
    usage: UsageIndex | None = None
    # Accounts the tree is applied to (--account-id, snapshots, ARNs in the plan).
    accounts: frozenset[str] = frozenset()
    # Directory the source files are relative to.
    root: Path | None = None
    plan_file: str | None = None
    # Glob patterns of paths under ``root`` the tree was read without (``--exclude``).
    exclude: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)

    def has(self, need: Needs) -> bool:
        if need == "usage":
            return self.usage is not None
        if need == "change":
            return self.before is not None
        if need == "change+usage":
            return self.before is not None and self.usage is not None
        return self.source is not None

    # -- findings --------------------------------------------------------------------------

    def finding(
        self,
        code: str,
        message: str,
        *,
        location: Location | None,
        address: str | None = None,
        subject: str | None = None,
        qualifier: str | None = None,
        severity: Severity | None = None,
    ) -> Finding:
        return Finding.create(
            code,
            message,
            severity=severity,
            file=location.file if location else None,
            line=location.line if location else None,
            address=address,
            subject=subject,
            qualifier=qualifier,
        )

    # -- relations (computed once per run) ---------------------------------------------------

    @functools.cached_property
    def groups_of_user(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for m in self.inventory.memberships:
            if m.user is not None and m.group is not None:
                out.setdefault(m.user, set()).add(m.group)
        return out

    @functools.cached_property
    def members_of_group(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for m in self.inventory.memberships:
            if m.user is not None and m.group is not None:
                out.setdefault(m.group, set()).add(m.user)
        return out

    @functools.cached_property
    def uncertain_memberships(self) -> tuple[frozenset[str] | None, frozenset[str] | None]:
        """(users, groups) whose memberships are partly unknown; None means all of them.

        A membership resource whose user is known but not its groups makes that user
        uncertain, and every group (any of them may miss that member); the reverse for a
        group whose users are not known; anything else unknown makes everyone uncertain.
        """
        users: set[str] | None = set()
        groups: set[str] | None = set()
        kinds = ("aws_iam_group_membership", "aws_iam_user_group_membership")
        known = {m.address: m for m in self.inventory.memberships}
        for u in self.inventory.unresolved:
            if not any(f"{k}." in u.address for k in kinds):
                continue
            m = known.get(u.address)
            if m is not None and m.user is not None and m.resource_type == kinds[1]:
                users = None if users is None else users | {m.user}
                groups = None
            elif m is not None and m.group is not None and m.resource_type == kinds[0]:
                groups = None if groups is None else groups | {m.group}
                users = None
            else:
                users = groups = None
        if any(m.user is None or m.group is None for m in self.inventory.memberships):
            users = groups = None
        return (
            None if users is None else frozenset(users),
            None if groups is None else frozenset(groups),
        )

    @functools.cached_property
    def policy_by_address(self) -> dict[str, Policy]:
        return {p.address: p for p in self.inventory.policies}

    def documents_of(self, kind: str, name: str) -> list[tuple[str, PolicyDocument | None]]:
        """Identity documents attached straight to a group, user or role, with their address.

        An AWS-managed or otherwise unknown policy comes back with ``None`` as its document.
        """
        return self._documents.get((kind, name), [])

    @functools.cached_property
    def _documents(self) -> dict[tuple[str, str], list[tuple[str, PolicyDocument | None]]]:
        out: dict[tuple[str, str], list[tuple[str, PolicyDocument | None]]] = {}
        for p in self.inventory.policies:
            if p.kind == "inline" and p.owner_type and p.owner:
                out.setdefault((p.owner_type, p.owner), []).append((p.address, p.document))
        for a in self.inventory.attachments:
            if a.target is None:
                continue
            policy = self.policy_by_address.get(a.policy) if a.policy else None
            doc = policy.document if policy is not None else None
            out.setdefault((a.target_type, a.target), []).append(
                (a.policy or a.policy_arn or a.address, doc)
            )
        return out

    def is_own_account(self, account: str) -> bool | None:
        """True/False when the run knows the account(s) the tree is applied to; else None."""
        if not self.accounts:
            return None
        return account in self.accounts


def statement_label(stmt: Statement) -> str:
    """``Statement 'Sid'`` or ``Statement[2]`` (1-based), as users read policies."""
    return f"statement '{stmt.sid}'" if stmt.sid else f"statement {stmt.index + 1}"


def grants_nothing(stmt: Statement) -> bool:
    """``Action = []`` (an empty module input, say): the statement allows no action at all."""
    return stmt.actions is not None and not stmt.actions and not stmt.not_actions


def statement_key(stmt: Statement) -> str:
    """A qualifier that survives edits elsewhere in the document: the Sid, else the index."""
    return f"sid:{stmt.sid}" if stmt.sid else f"statement:{stmt.index}"


def identity_policies(inv: Inventory) -> Iterator[tuple[Policy, PolicyDocument]]:
    """Every identity policy (managed and inline) of an inventory with a readable document."""
    for p in inv.policies:
        doc = p.document
        if doc is not None and doc.unknown_reason is None:
            yield p, doc


def permission_set_policies(
    inv: Inventory,
) -> Iterator[tuple[Policy, PolicyDocument, str, PermissionSet | None]]:
    """Every readable inline policy of an Identity Center permission set, with a name for it
    and its permission set (None when the tree does not declare it)."""
    from lpgen.sso import permission_set_index, reference_key

    by_key = permission_set_index(inv)
    for item in inv.permission_set_policies:
        policy = item.policy
        doc = policy.document if policy is not None else None
        if item.kind != "inline" or policy is None or doc is None or doc.unknown_reason:
            continue
        key = reference_key(item)
        ps = by_key.get(key) if key is not None else None
        name = ps.name or ps.address if ps is not None else item.permission_set
        what = f"Inline policy of permission set '{name}'" if name else "Inline policy"
        yield policy, doc, what, ps


def where(policy: Policy, stmt: Statement | None = None) -> Location:
    """Where a finding about a policy (or one of its statements) points."""
    if stmt is not None and stmt.location is not None:
        return stmt.location
    return policy.location


def describe_policy(policy: Policy, *, capital: bool = False) -> str:
    """``policy 'name'`` / ``inline policy 'name' of role 'ci'`` (``Policy ...`` with
    ``capital``: the names stay as declared)."""
    name = policy.name or policy.address
    if policy.kind == "inline" and policy.owner_type:
        text = f"inline policy '{name}' of {policy.owner_type} '{policy.owner or '?'}'"
    else:
        text = f"policy '{name}'"
    return text[:1].upper() + text[1:] if capital else text


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def short_list(items: Iterable[str], limit: int = 8) -> str:
    """``a, b, c`` or ``a, b, ... and 12 more``."""
    values = list(items)
    if len(values) <= limit:
        return ", ".join(values)
    return ", ".join(values[:limit]) + f" and {len(values) - limit} more"
