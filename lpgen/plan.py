"""Read a Terraform plan in JSON (``terraform show -json PLAN``) into before/after inventories.

The format is HashiCorp's "JSON Output Format" (``format_version`` 1.x): ``resource_changes``
lists every resource instance with ``change.actions`` (``no-op``, ``create``, ``update``,
``delete``, ``read`` or a replacement pair) and its ``before`` and ``after`` values;
``after_unknown`` marks the attributes known only after apply; ``configuration`` holds the
expressions, whose ``references`` name the resources a value comes from.

From a plan, policies are the evaluated JSON strings the provider will send to AWS, so every
policy style reads the same. What the plan cannot say:

* an attribute known only after apply (a new policy's ARN, a new role's id) is resolved
  through the configuration's references (``aws_iam_policy.ci`` -> that resource), or through
  the Terraform source when PATH is given (same address);
* the plan has no source lines. With PATH, every entity is located at its resource in the
  source (same address) and statements of an unchanged document shape at their source lines;
  without PATH, everything is located at the plan file, line 1.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lpgen.errors import InputError
from lpgen.inventory import RESOURCE_POLICY_TYPES
from lpgen.model import (
    AccessKey,
    Attachment,
    Entity,
    Group,
    Inventory,
    Location,
    LoginProfile,
    Membership,
    PasswordPolicy,
    Policy,
    PolicyDocument,
    Role,
    Statement,
    Unresolved,
    User,
)
from lpgen.policydoc import document_from_value
from lpgen.sso import SSO_RESOURCE_TYPES

__all__ = [
    "Plan",
    "PlanResource",
    "load_plan",
    "loads_plan",
    "plan_inventories",
]

AFTER_APPLY = "known only after apply"
_ACCOUNT_IN_ARN = re.compile(r"^arn:[^:]+:iam::(\d{12}):")


@dataclass(frozen=True)
class PlanResource:
    """One resource instance of ``resource_changes``."""

    address: str
    module_address: str | None
    mode: str
    type: str
    name: str
    index: Any
    actions: tuple[str, ...]
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    after_unknown: dict[str, Any]
    # The resource's block in ``configuration`` (its ``expressions``), when found.
    config: dict[str, Any] | None = None

    @property
    def deleted(self) -> bool:
        return "delete" in self.actions and "create" not in self.actions

    @property
    def created(self) -> bool:
        return "create" in self.actions

    def unknown(self, attr: str) -> bool:
        return self.after_unknown.get(attr) is True

    def references(self, attr: str) -> list[str]:
        """Resource addresses the configuration says ``attr`` refers to (module-relative)."""
        expressions = (self.config or {}).get("expressions") or {}
        expr = expressions.get(attr)
        refs = expr.get("references") if isinstance(expr, dict) else None
        return [r for r in refs or [] if isinstance(r, str)]


@dataclass
class Plan:
    """A parsed plan: its resources, and the file name shown in findings."""

    file: str
    format_version: str
    terraform_version: str | None
    resources: list[PlanResource] = field(default_factory=list)

    @property
    def location(self) -> Location:
        return Location(self.file, 1)

    def account_ids(self) -> set[str]:
        """Account ids seen in IAM ARNs of the plan's values (existing resources have them)."""
        found: set[str] = set()
        for res in self.resources:
            for values in (res.before, res.after):
                arn = (values or {}).get("arn")
                if isinstance(arn, str):
                    m = _ACCOUNT_IN_ARN.match(arn)
                    if m:
                        found.add(m.group(1))
        return found


# --- reading -----------------------------------------------------------------------------


def load_plan(path: str | os.PathLike[str]) -> Plan:
    """Read ``terraform show -json PLAN`` output; InputError naming the file when it is not."""
    name = os.fspath(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read plan: {exc.strerror}", file=name) from None
    if raw.startswith(b"PK"):
        raise InputError(
            "this is a binary plan file; convert it first: terraform show -json PLAN > plan.json",
            file=name,
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("plan is not UTF-8 JSON", file=name) from None
    return loads_plan(text, file=name)


def loads_plan(text: str, *, file: str = "plan.json") -> Plan:
    """Parse the JSON text of a plan."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", file=file, line=exc.lineno) from None
    if not isinstance(data, dict) or "format_version" not in data:
        raise InputError(
            "not a Terraform plan in JSON (expected the output of terraform show -json PLAN)",
            file=file,
        )
    version = str(data.get("format_version"))
    if not version.startswith("1."):
        raise InputError(f"unsupported plan format_version {version} (expected 1.x)", file=file)
    if "resource_changes" not in data and "planned_values" not in data:
        raise InputError(
            "this JSON has no resource_changes: is it a state file? Give the plan "
            "(terraform show -json PLAN)",
            file=file,
        )
    configs = _config_index((data.get("configuration") or {}).get("root_module") or {})
    plan = Plan(
        file=file,
        format_version=version,
        terraform_version=data.get("terraform_version"),
    )
    changes = data.get("resource_changes")
    if not isinstance(changes, list):
        changes = []
    for i, rc in enumerate(changes):
        if not isinstance(rc, dict) or not isinstance(rc.get("change"), dict):
            raise InputError(f"resource_changes[{i}] is not a resource change", file=file)
        change = rc["change"]
        module = rc.get("module_address")
        rtype = str(rc.get("type") or "")
        rname = str(rc.get("name") or "")
        mode = str(rc.get("mode") or "managed")
        prefix = "data." if mode == "data" else ""
        before = change.get("before")
        after = change.get("after")
        unknown = change.get("after_unknown")
        plan.resources.append(
            PlanResource(
                address=str(rc.get("address") or ""),
                module_address=module if isinstance(module, str) else None,
                mode=mode,
                type=rtype,
                name=rname,
                index=rc.get("index"),
                actions=tuple(str(a) for a in change.get("actions") or ()),
                before=before if isinstance(before, dict) else None,
                after=after if isinstance(after, dict) else None,
                after_unknown=unknown if isinstance(unknown, dict) else {},
                config=configs.get((_module_path(module), f"{prefix}{rtype}.{rname}")),
            )
        )
    return plan


_MODULE_STEP = re.compile(r'module\.([A-Za-z0-9_-]+)(?:\[(?:"(?:[^"\\]|\\.)*"|[0-9]+)\])?')


def _module_path(module_address: Any) -> tuple[str, ...]:
    """``module.a["x"].module.b[0]`` -> ``("a", "b")``: the configuration's module path."""
    if not isinstance(module_address, str) or not module_address:
        return ()
    return tuple(m.group(1) for m in _MODULE_STEP.finditer(module_address))


def _config_index(
    module: dict[str, Any], path: tuple[str, ...] = ()
) -> dict[tuple[tuple[str, ...], str], dict[str, Any]]:
    out: dict[tuple[tuple[str, ...], str], dict[str, Any]] = {}
    for res in module.get("resources") or []:
        if isinstance(res, dict) and isinstance(res.get("address"), str):
            out[(path, res["address"])] = res
    for name, call in (module.get("module_calls") or {}).items():
        if isinstance(call, dict) and isinstance(call.get("module"), dict):
            out.update(_config_index(call["module"], (*path, str(name))))
    return out


# --- building inventories ------------------------------------------------------------------

Side = Literal["before", "after"]


def plan_inventories(
    plan: Plan,
    *,
    source: Inventory | None = None,
    account_id: str | None = None,
    partition: str = "aws",
) -> tuple[Inventory, Inventory]:
    """The IAM declared before the change (prior state) and after it (planned values).

    ``source`` (the Terraform tree the plan was made from) gives locations and resolves what
    the plan only knows after apply.
    """
    if account_id is None:
        accounts = plan.account_ids()
        account_id = next(iter(accounts)) if len(accounts) == 1 else None
    before = _Builder(plan, "before", source, account_id, partition).build()
    after = _Builder(plan, "after", source, account_id, partition).build()
    return before, after


class _Builder:
    def __init__(
        self,
        plan: Plan,
        side: Side,
        source: Inventory | None,
        account_id: str | None,
        partition: str,
    ) -> None:
        self.plan = plan
        self.side = side
        self.source = source
        self.inv = Inventory(
            root=source.root if source else "", account_id=account_id, partition=partition
        )
        self.resources = [
            r for r in plan.resources if r.mode == "managed" and self.values(r) is not None
        ]
        self.by_address = {r.address: r for r in self.resources}
        # Instances by the address of their resource (``aws_iam_policy.team`` for
        # ``aws_iam_policy.team["a"]``), to follow references without scanning the plan.
        self.instances: dict[str, list[PlanResource]] = {}
        for r in self.resources:
            if r.address.endswith("]") and "[" in r.address:
                self.instances.setdefault(r.address[: r.address.rindex("[")], []).append(r)
        self.source_memberships: dict[str, list[Membership]] = {}
        for m in source.memberships if source is not None else []:
            self.source_memberships.setdefault(m.address, []).append(m)
        self.source_at: dict[str, Any] = {}
        if source is not None:
            for items in (
                source.groups, source.users, source.roles, source.policies,
                source.attachments, source.memberships, source.access_keys,
                source.login_profiles, source.password_policies, source.resource_policies,
                source.permission_sets, source.permission_set_policies,
                source.account_assignments,
            ):  # fmt: skip
                for item in items:
                    self.source_at.setdefault(item.address, item)

    # -- values ----------------------------------------------------------------------------

    def values(self, res: PlanResource) -> dict[str, Any] | None:
        return res.before if self.side == "before" else res.after

    def known(self, res: PlanResource, attr: str) -> bool:
        return self.side == "before" or not res.unknown(attr)

    def attr(self, res: PlanResource, attr: str) -> Any:
        values = self.values(res) or {}
        return values.get(attr) if self.known(res, attr) else None

    def location(self, address: str) -> Location:
        found = self.source_at.get(address)
        if found is not None:
            loc = found.location
            assert isinstance(loc, Location)
            return loc
        return self.plan.location

    def unresolved(self, res: PlanResource, message: str) -> None:
        self.inv.unresolved.append(Unresolved(res.address, message, self.location(res.address)))

    def referenced(self, res: PlanResource, attr: str, rtype: str) -> list[PlanResource]:
        """The resources of type ``rtype`` the configuration of ``attr`` refers to."""
        prefix = f"{res.module_address}." if res.module_address else ""
        found: list[PlanResource] = []
        for ref in res.references(attr):
            if not ref.startswith(rtype + "."):
                continue
            base = prefix + ref
            exact = self.by_address.get(base)
            if exact is not None:
                return [exact]
            matching = self.instances.get(base, [])
            if base.endswith("]") or not matching:
                continue
            same_key = [r for r in matching if r.index is not None and r.index == res.index]
            if same_key:
                return same_key[:1]
            found = matching
        return found if len(found) == 1 else []

    def name_of(self, res: PlanResource, attr: str, rtype: str) -> str | None:
        """A name-valued attribute (``user``, ``group``, ``role``), resolved when unknown."""
        value = self.attr(res, attr)
        if isinstance(value, str):
            return value
        if self.side == "after" and res.unknown(attr):
            for target in self.referenced(res, attr, rtype):
                name = self.attr(target, "name")
                if isinstance(name, str):
                    return name
            source = self.source_at.get(res.address)
            from_source: Any = None
            if isinstance(source, Policy):
                from_source = source.owner
            elif isinstance(source, Attachment):
                from_source = source.target
            elif source is not None:
                from_source = getattr(source, attr, None)
            if isinstance(from_source, str):
                return from_source
            self.unresolved(res, f"{attr} is {AFTER_APPLY}")
        return None

    def document(self, res: PlanResource, attr: str, *, address: str) -> PolicyDocument:
        if not self.known(res, attr):
            return PolicyDocument(
                unknown_reason=f"{attr} is {AFTER_APPLY}", location=self.location(address)
            )
        value = (self.values(res) or {}).get(attr)
        if value is None or value == "":
            return PolicyDocument(unknown_reason="no policy document")
        doc = document_from_value(value, where=None)
        doc.style = "unknown"
        for st in doc.statements:
            st.not_editable = "read from a plan"
        self.locate_document(doc, address)
        return doc

    def locate_document(self, doc: PolicyDocument, address: str) -> None:
        """Give a plan document the source locations of the same resource's document."""
        found = self.source_at.get(address)
        src: PolicyDocument | None = None
        if isinstance(found, Policy):
            src = found.document
        elif isinstance(found, Role):
            src = found.assume_role_policy
        if src is None:
            doc.location = self.location(address)
            return
        doc.location = src.location or self.location(address)
        doc.source_file = src.source_file
        if len(src.statements) != len(doc.statements):
            return
        for mine, theirs in zip(doc.statements, src.statements, strict=True):
            _copy_locations(mine, theirs)

    # -- building --------------------------------------------------------------------------

    def build(self) -> Inventory:
        for res in self.resources:
            handler = getattr(self, "_" + res.type, None)
            if handler is not None:
                handler(res)
            elif res.type in RESOURCE_POLICY_TYPES:
                self._resource_policy(res)
            elif res.type in SSO_RESOURCE_TYPES:
                from lpgen.plan_sso import add_plan_resource

                add_plan_resource(self, res)
        self.finish()
        return self.inv

    def entity_fields(self, res: PlanResource) -> tuple[str | None, str, str | None]:
        name = self.attr(res, "name")
        if not isinstance(name, str):
            name = None
            if self.side == "after" and res.unknown("name"):
                self.unresolved(res, f"name is {AFTER_APPLY}")
        path = self.attr(res, "path")
        arn = self.attr(res, "arn")
        return name, path if isinstance(path, str) else "/", arn if isinstance(arn, str) else None

    def arn_for(self, kind: str, name: str | None, path: str, arn: str | None) -> str | None:
        if arn:
            return arn
        if name is None or not self.inv.account_id:
            return None
        from lpgen.model import iam_arn

        return iam_arn(self.inv.partition, self.inv.account_id, kind, name, path)

    def _aws_iam_group(self, res: PlanResource) -> None:
        name, path, arn = self.entity_fields(res)
        self.inv.groups.append(
            Group(res.address, name, self.location(res.address), path,
                  self.arn_for("group", name, path, arn))
        )  # fmt: skip

    def _aws_iam_user(self, res: PlanResource) -> None:
        name, path, arn = self.entity_fields(res)
        fd = self.attr(res, "force_destroy")
        self.inv.users.append(
            User(res.address, name, self.location(res.address), path,
                 self.arn_for("user", name, path, arn),
                 force_destroy=fd if isinstance(fd, bool) else None)
        )  # fmt: skip

    def _aws_iam_role(self, res: PlanResource) -> None:
        name, path, arn = self.entity_fields(res)
        role = Role(
            res.address, name, self.location(res.address), path,
            self.arn_for("role", name, path, arn),
            assume_role_policy=self.document(res, "assume_role_policy", address=res.address),
        )  # fmt: skip
        self.inv.roles.append(role)
        inline = self.attr(res, "inline_policy")
        for i, blk in enumerate(inline if isinstance(inline, list) else []):
            if not isinstance(blk, dict) or not blk.get("policy"):
                continue
            address = f"{res.address}.inline_policy[{i}]"
            doc = document_from_value(blk["policy"])
            self.locate_document(doc, address)
            self.inv.policies.append(
                Policy(address, blk.get("name"), self.location(address), kind="inline",
                       document=doc, owner_type="role", owner=name,
                       owner_address=res.address, owner_arn=role.arn)
            )  # fmt: skip
        arns = self.attr(res, "managed_policy_arns")
        for arn_value in arns if isinstance(arns, list) else []:
            if isinstance(arn_value, str):
                self.attach(res, arn_value, None, "role", name, "aws_iam_role.managed_policy_arns")

    def _aws_iam_policy(self, res: PlanResource) -> None:
        name, path, arn = self.entity_fields(res)
        desc = self.attr(res, "description")
        self.inv.policies.append(
            Policy(res.address, name, self.location(res.address), path,
                   self.arn_for("policy", name, path, arn), kind="managed",
                   document=self.document(res, "policy", address=res.address),
                   description=desc if isinstance(desc, str) else None)
        )  # fmt: skip

    def inline(self, res: PlanResource, owner_type: Literal["group", "user", "role"]) -> None:
        owner = self.name_of(res, owner_type, f"aws_iam_{owner_type}")
        if owner_type == "role" and owner is not None and ":" in owner:
            owner = owner.rsplit("/", 1)[-1]  # an ARN given as `role` (id is the name)
        pname = self.attr(res, "name")
        self.inv.policies.append(
            Policy(res.address, pname if isinstance(pname, str) else None,
                   self.location(res.address), kind="inline",
                   document=self.document(res, "policy", address=res.address),
                   owner_type=owner_type, owner=owner)
        )  # fmt: skip

    def _aws_iam_group_policy(self, res: PlanResource) -> None:
        self.inline(res, "group")

    def _aws_iam_user_policy(self, res: PlanResource) -> None:
        self.inline(res, "user")

    def _aws_iam_role_policy(self, res: PlanResource) -> None:
        self.inline(res, "role")

    def names_of(self, res: PlanResource, attr: str, rtype: str) -> list[str]:
        value = self.attr(res, attr)
        if isinstance(value, list):
            unknown = self.values(res) is not None and self.side == "after"
            flags = res.after_unknown.get(attr) if unknown else None
            out = []
            for i, item in enumerate(value):
                if isinstance(item, str):
                    out.append(item)
                elif isinstance(flags, list) and i < len(flags) and flags[i] is True:
                    self.unresolved(res, f"an entry of {attr} is {AFTER_APPLY}")
            return out
        if self.side == "after" and res.unknown(attr):
            targets = self.referenced(res, attr, rtype)
            names = [self.attr(t, "name") for t in targets]
            if targets and all(isinstance(n, str) for n in names):
                return [str(n) for n in names]
            source = self.source_memberships.get(res.address, [])
            if source:
                side = "group" if attr == "groups" else "user"
                return [v for m in source if isinstance(v := getattr(m, side), str)]
            self.unresolved(res, f"{attr} is {AFTER_APPLY}")
        return []

    def _aws_iam_group_membership(self, res: PlanResource) -> None:
        group = self.name_of(res, "group", "aws_iam_group")
        for user in self.names_of(res, "users", "aws_iam_user"):
            self.inv.memberships.append(
                Membership(user, group, res.address, self.location(res.address),
                           resource_type=res.type)
            )  # fmt: skip

    def _aws_iam_user_group_membership(self, res: PlanResource) -> None:
        user = self.name_of(res, "user", "aws_iam_user")
        for group in self.names_of(res, "groups", "aws_iam_group"):
            self.inv.memberships.append(
                Membership(user, group, res.address, self.location(res.address),
                           resource_type=res.type)
            )  # fmt: skip

    def attach(
        self,
        res: PlanResource,
        arn: str | None,
        policy: str | None,
        target_type: Literal["group", "user", "role"],
        target: str | None,
        rtype: str,
    ) -> None:
        self.inv.attachments.append(
            Attachment(policy, arn, target_type, target, res.address,
                       self.location(res.address), resource_type=rtype)
        )  # fmt: skip

    def policy_ref(self, res: PlanResource, attr: str) -> tuple[str | None, str | None]:
        """(policy ARN, customer-managed policy address) of a ``policy_arn`` attribute."""
        arn = self.attr(res, attr)
        if isinstance(arn, str):
            return arn, None
        if self.side == "after" and res.unknown(attr):
            targets = self.referenced(res, attr, "aws_iam_policy")
            if targets:
                return None, targets[0].address
            source = self.source_at.get(res.address)
            if isinstance(source, Attachment) and source.policy:
                return None, source.policy
            self.unresolved(res, f"{attr} is {AFTER_APPLY}")
        return None, None

    def single_attachment(self, res: PlanResource, kind: Literal["group", "user", "role"]) -> None:
        arn, policy = self.policy_ref(res, "policy_arn")
        target = self.name_of(res, kind, f"aws_iam_{kind}")
        self.attach(res, arn, policy, kind, target, res.type)

    def _aws_iam_group_policy_attachment(self, res: PlanResource) -> None:
        self.single_attachment(res, "group")

    def _aws_iam_user_policy_attachment(self, res: PlanResource) -> None:
        self.single_attachment(res, "user")

    def _aws_iam_role_policy_attachment(self, res: PlanResource) -> None:
        self.single_attachment(res, "role")

    def _aws_iam_policy_attachment(self, res: PlanResource) -> None:
        arn, policy = self.policy_ref(res, "policy_arn")
        kinds: tuple[tuple[str, Literal["group", "user", "role"]], ...] = (
            ("groups", "group"), ("users", "user"), ("roles", "role"),
        )  # fmt: skip
        for attr, kind in kinds:
            for target in self.names_of(res, attr, f"aws_iam_{kind}"):
                self.attach(res, arn, policy, kind, target, res.type)

    def exclusive(self, res: PlanResource, kind: Literal["group", "user", "role"]) -> None:
        target = self.attr(res, f"{kind}_name")
        arns = self.attr(res, "policy_arns")
        for arn in arns if isinstance(arns, list) else []:
            if isinstance(arn, str):
                self.attach(res, arn, None, kind, target if isinstance(target, str) else None,
                            res.type)  # fmt: skip

    def _aws_iam_group_policy_attachments_exclusive(self, res: PlanResource) -> None:
        self.exclusive(res, "group")

    def _aws_iam_user_policy_attachments_exclusive(self, res: PlanResource) -> None:
        self.exclusive(res, "user")

    def _aws_iam_role_policy_attachments_exclusive(self, res: PlanResource) -> None:
        self.exclusive(res, "role")

    def _aws_iam_access_key(self, res: PlanResource) -> None:
        user = self.name_of(res, "user", "aws_iam_user")
        pgp = (self.values(res) or {}).get("pgp_key")
        status = self.attr(res, "status")
        self.inv.access_keys.append(
            AccessKey(user, res.address, self.location(res.address),
                      has_pgp_key=bool(pgp) or res.unknown("pgp_key"),
                      status=status if isinstance(status, str) else None)
        )  # fmt: skip

    def _aws_iam_user_login_profile(self, res: PlanResource) -> None:
        user = self.name_of(res, "user", "aws_iam_user")
        prr = self.attr(res, "password_reset_required")
        self.inv.login_profiles.append(
            LoginProfile(user, res.address, self.location(res.address),
                         password_reset_required=prr if isinstance(prr, bool) else None)
        )  # fmt: skip

    def _aws_iam_account_password_policy(self, res: PlanResource) -> None:
        settings = {
            k: v for k, v in (self.values(res) or {}).items()
            if v is not None and k not in ("id", "expire_passwords") and self.known(res, k)
        }  # fmt: skip
        unknown = [k for k in (self.values(res) or {}) if not self.known(res, k)]
        self.inv.password_policies.append(
            PasswordPolicy(res.address, self.location(res.address), settings, unknown)
        )

    def _aws_lambda_permission(self, res: PlanResource) -> None:
        from lpgen.resource_policies import lambda_permission_policy
        from lpgen.terraform.values import Unknown

        values: dict[str, Any] = dict(self.values(res) or {})
        for key in ("source_arn", "source_account", "principal_org_id"):
            if values.get(key) is None and res.unknown(key):
                values[key] = Unknown(f"{key} is known only after apply")
        self.inv.resource_policies.append(
            lambda_permission_policy(res.address, values, self.location(res.address))
        )

    def _resource_policy(self, res: PlanResource) -> None:
        attr = RESOURCE_POLICY_TYPES[res.type]
        values = self.values(res) or {}
        if attr not in values and not res.unknown(attr):
            return
        self.inv.resource_policies.append(
            Policy(res.address, None, self.location(res.address), kind="inline",
                   document=self.document(res, attr, address=res.address),
                   owner=res.address, description=res.type)
        )  # fmt: skip

    def finish(self) -> None:
        from lpgen.sso import link_permission_sets

        link_permission_sets(self.inv)
        by_arn = {p.arn: p.address for p in self.inv.policies if p.arn}
        by_address = {p.address: p for p in self.inv.policies}
        for att in self.inv.attachments:
            if att.policy is None and att.policy_arn in by_arn:
                att.policy = by_arn[att.policy_arn]
            if att.policy and att.policy_arn is None and att.policy in by_address:
                att.policy_arn = by_address[att.policy].arn
        owners: dict[str, Iterable[Entity]] = {
            "group": self.inv.groups, "user": self.inv.users, "role": self.inv.roles,
        }  # fmt: skip
        named = {(kind, e.name): e for kind, entities in owners.items() for e in entities if e.name}
        for p in self.inv.policies:
            if p.kind == "inline" and p.owner_type and p.owner and p.owner_arn is None:
                owner = named.get((p.owner_type, p.owner))
                if owner is not None:
                    p.owner_arn = owner.arn
                    p.owner_address = p.owner_address or owner.address


def _copy_locations(mine: Statement, theirs: Statement) -> None:
    mine.location = theirs.location
    mine.actions_location = theirs.actions_location
    entries = (theirs.actions or []) + (theirs.not_actions or [])
    spans = {e.value.lower(): e.location for e in entries}
    for entry in (mine.actions or []) + (mine.not_actions or []):
        entry.location = spans.get(entry.value.lower())
