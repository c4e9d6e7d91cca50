"""Account for every IAM declaration: an instance, unresolved with a reason, or not instantiated.

A declaration whose ``count`` / ``for_each`` is not known is unresolved; one with no
instance under the values given (count 0, an empty ``for_each``, inside a module call with
none) is *not instantiated*. Either way it is also evaluated once with what is known (instance
keys unknown) into ``Inventory.conditional``, so that ``check`` still judges its code.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Protocol

from lpgen.model import Inventory, Unresolved

if TYPE_CHECKING:
    from lpgen.terraform.loader import Instance, ResourceObj


class _Adds(Protocol):
    def add(self, inst: Instance) -> None: ...

    def add_document(self, inst: Instance) -> None: ...


class Accountant:
    """Sorts each declaration into the inventory, ``unresolved`` or ``not_instantiated``."""

    def __init__(self, inv: Inventory, builder: _Adds, conditional: _Adds) -> None:
        self.inv = inv
        self.builder = builder
        self.conditional = conditional

    def account(self, obj: ResourceObj, *, iam: bool) -> None:
        """Add the instances of ``obj``; ``iam``: it is an IAM declaration to account for."""
        from lpgen.terraform.explain import empty_reason

        document = obj.mode == "data"
        condition = obj.mi.condition
        if condition is not None:
            status, reason = condition
            if iam:
                target = self.inv.unresolved if status == "unknown" else self.inv.not_instantiated
                target.append(Unresolved(obj.address, reason, obj.block.loc))
            self._evaluate_once(obj, reason, document)
            return
        instances = obj.instances()
        if obj.expand_error is not None:
            # Already under "Not resolved" (count/for_each is not known: ...).
            self._evaluate_once(obj, obj.expand_error, document)
            return
        if not instances:
            reason = empty_reason(obj.mi, obj.block)
            if iam:
                self.inv.not_instantiated.append(Unresolved(obj.address, reason, obj.block.loc))
            self._evaluate_once(obj, reason, document)
            return
        for inst in instances.values():
            self._add(self.builder, inst, document)

    def _evaluate_once(self, obj: ResourceObj, reason: str, document: bool) -> None:
        self.inv.conditions[obj.address] = reason
        self._add(self.conditional, obj.phantom(), document)

    @staticmethod
    def _add(builder: _Adds, inst: Instance, document: bool) -> None:
        if document:
            builder.add_document(inst)
        else:
            builder.add(inst)


def declaration_addresses(inv: Inventory) -> dict[str, list[str]]:
    """Address -> the lists it is in (an entity list, ``unresolved``, ``not_instantiated``)."""
    out: dict[str, list[str]] = {}

    def put(address: str, where: str) -> None:
        seen = out.setdefault(address, [])
        if where not in seen:
            seen.append(where)

    for name in (
        "groups", "users", "roles", "policies", "memberships", "attachments",
        "access_keys", "login_profiles", "password_policies", "permission_sets",
        "permission_set_policies", "identity_store", "identity_memberships",
        "account_assignments",
    ):  # fmt: skip
        for item in getattr(inv, name):
            put(declaration_of(item.address), "entities")
    for u in inv.unresolved:
        put(declaration_of(u.address), "unresolved")
    for u in inv.not_instantiated:
        put(declaration_of(u.address), "not_instantiated")
    return out


def declaration_of(address: str) -> str:
    """``module.m["a"].aws_iam_user.u[0]`` -> ``module.m["a"].aws_iam_user.u``: drop the
    instance key of the resource (and an ``inline_policy[i]`` suffix), keep the module's."""
    base = address.split(".inline_policy[", 1)[0]
    if base.endswith("]"):
        depth, i = 0, len(base) - 1
        while i >= 0:
            c = base[i]
            if c == "]":
                depth += 1
            elif c == "[":
                depth -= 1
                if depth == 0:
                    break
            i -= 1
        if i > 0 and base[i - 1] != ".":
            base = base[:i]
    return base


def summary_line(inv: Inventory) -> str | None:
    """One line for stderr when IAM declarations could not be fully evaluated, or None.

    It names the root causes, most frequent first: the values that have none
    (``var.company has no value``), modules not followed, ``terraform.workspace``.
    """
    from lpgen.inventory import IAM_RESOURCE_TYPES
    from lpgen.sso import SSO_DATA_TYPES, SSO_RESOURCE_TYPES

    declarations: set[str] = set()
    causes: dict[str, int] = {}
    for u in inv.unresolved:
        if u.message.startswith("for_each over a list"):
            continue  # read all the same; only `terraform validate` minds
        decl = declaration_of(u.address)
        rtype = _resource_type(decl)
        lookup = _resource_type(decl, data=True)
        if (
            rtype not in IAM_RESOURCE_TYPES
            and rtype not in SSO_RESOURCE_TYPES
            and lookup not in SSO_DATA_TYPES
        ):
            continue
        cause = root_cause(u.message)
        what = u.message.split(" is not known", 1)[0]
        if what in _NAMES and _AFTER_APPLY.search(cause):
            # A generated name, an ARN from the account: unknown to Terraform too until
            # apply. Listed under "Not resolved", but what is granted was read.
            continue
        declarations.add(decl)
        causes[cause] = causes.get(cause, 0) + 1
    if not declarations:
        return None
    ranked = sorted(causes, key=lambda c: -causes[c])
    n = len(declarations)
    what = "IAM declaration" if n == 1 else "IAM declarations"
    shown = "; ".join(ranked[:3]) + ("; ..." if len(ranked) > 3 else "")
    return f"{n} {what} could not be fully evaluated: {shown}; see `lpgen inventory`"


_WRAPPERS = re.compile(
    r"^(?:[A-Za-z_][\w.\[\]\"*-]* is not known: |cannot expand module: "
    r"|[a-z_]+\(\): |[a-z_]+\(\) path is not known: |index is not known: "
    r"|for expression over an unknown collection: "
    r"|for_each element is not known: |[\w.\[\]\"*-]+ (?:count|for_each) is not known: )"
)
_NAMES = frozenset({"name", "path", "role", "user", "group", "policy_arn"})
_AFTER_APPLY = re.compile(
    r"known only after apply|generated by AWS|is looked up in the account"
)
_NO_VALUE = re.compile(r"^(var\.[\w-]+ has no value) \(.*\)$")


def root_cause(message: str) -> str:
    """``count is not known: contains(): var.env has no value (...)`` -> ``var.env has no
    value``: the reason without what it was the reason of."""
    text = message
    while True:
        stripped = _WRAPPERS.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    m = _NO_VALUE.match(text)
    if m:
        return m.group(1)
    if re.search(r"\.name is generated by AWS from name_prefix$", text):
        return "names generated by AWS from name_prefix"
    return text


def _resource_type(address: str, *, data: bool = False) -> str | None:
    """The type of the resource at ``address``; with ``data``, of the data source."""
    parts = _split_address(address)
    while len(parts) >= 2 and parts[0] == "module":
        parts = parts[2:]
    if data:
        return parts[1] if len(parts) >= 3 and parts[0] == "data" else None
    if len(parts) >= 2 and parts[0] not in ("var", "local", "data"):
        return parts[0]
    return None


def _split_address(address: str) -> list[str]:
    out: list[str] = []
    cur = ""
    depth = 0
    for c in address:
        if c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
        if c == "." and depth == 0:
            out.append(cur.split("[", 1)[0])
            cur = ""
        else:
            cur += c
    out.append(cur.split("[", 1)[0])
    return out


def refuse_unreadable(inv: Inventory) -> None:
    """Raise an InputError naming the first policy document that cannot be read, if any.

    ``trim`` calls it before it writes (``--write``, ``--out``, ``--check``): a tree whose
    policies AWS would reject is not one to edit.
    """
    from lpgen.errors import InputError

    ps_inline = [i.policy for i in inv.permission_set_policies if i.policy is not None]
    for p in [*inv.policies, *inv.resource_policies, *ps_inline]:
        doc = p.document
        if doc is not None and doc.invalid is not None:
            loc = doc.location or p.location
            raise InputError(
                f"{p.address}: the policy document cannot be read: {doc.invalid}",
                file=loc.file,
                line=loc.line,
            )
    for r in inv.roles:
        doc = r.assume_role_policy
        if doc is not None and doc.invalid is not None:
            loc = doc.location or r.location
            raise InputError(
                f"{r.address}: the assume_role_policy cannot be read: {doc.invalid}",
                file=loc.file,
                line=loc.line,
            )
