"""The access graph: users in groups, policies on them, services behind them, and what is used."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import PurePath
from typing import Any, Literal

import networkx as nx  # type: ignore[import-untyped, unused-ignore]

from lpgen import catalog
from lpgen.errors import InputError
from lpgen.inventory import InventoryOptions
from lpgen.memberships import assess_membership
from lpgen.model import ActionEntry, Inventory, Policy, PolicyDocument, Statement
from lpgen.snapshot import format_time, load_snapshot
from lpgen.usage import EntityUsage, UsageIndex, assess_entity, assess_service, in_window

NodeKind = Literal[
    "user", "group", "role", "policy", "service",
    # IAM Identity Center: identity store users and groups, permission sets, AWS accounts.
    "sso_user", "sso_group", "permission_set", "account",
]  # fmt: skip
EdgeKind = Literal["member_of", "attached", "grants", "assigned", "provisioned"]
UsageState = Literal["used", "unused", "unknown"]

NODE_KINDS: tuple[NodeKind, ...] = (
    "user", "group", "role", "policy", "service", "sso_user", "sso_group", "permission_set",
    "account",
)  # fmt: skip
EDGE_KINDS: tuple[EdgeKind, ...] = ("member_of", "attached", "grants", "assigned", "provisioned")

# The service node a policy points at when it allows every service (`"*"`, or NotAction).
ALL_SERVICES = "*"

# AWS-managed policies whose document is fixed and short enough to know by heart. Others
# come from the snapshots (collect reads their default version); without one they are drawn
# without services and answered as "maybe" by who-can, never guessed.
_KNOWN_AWS_MANAGED: dict[str, PolicyDocument] = {
    "AdministratorAccess": PolicyDocument(
        statements=[
            Statement(index=0, effect="Allow", actions=[ActionEntry("*")], resources=["*"])
        ],
        raw={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        },
    ),
}


@dataclass(frozen=True)
class GraphOptions:
    """How the graph is built: the usage window, in days back from each snapshot's time."""

    days: int = 90


def node_id(kind: NodeKind, key: str) -> str:
    """The stable id of a node: ``user:alice``, ``group:developers``, ``role:ci``,
    ``policy:aws_iam_policy.developers`` (or ``policy:<ARN>`` when only the ARN is known),
    ``service:s3`` (``service:*`` for "every service")."""
    return f"{kind}:{key}"


@dataclass
class AccessGraph:
    """The networkx graph plus what analyses need that is not a graph attribute."""

    graph: nx.DiGraph
    # Policy node id -> parsed document (customer-managed, inline, known AWS-managed).
    documents: dict[str, PolicyDocument] = field(default_factory=dict)
    # Policy node id -> why its document is not known (AWS-managed, unparsed, ...).
    unknown_documents: dict[str, str] = field(default_factory=dict)
    # Files the inventory skipped (read-only commands go on without them).
    warnings: list[str] = field(default_factory=list)
    # One line when IAM declarations could not be fully evaluated (lpgen.accounting).
    unevaluated: str | None = None

    def nodes_of(self, kind: NodeKind) -> list[str]:
        return sorted(n for n, d in self.graph.nodes(data=True) if d["kind"] == kind)

    def edges_of(self, kind: EdgeKind) -> list[tuple[str, str, dict[str, Any]]]:
        return sorted(
            ((u, v, d) for u, v, d in self.graph.edges(data=True) if d["kind"] == kind),
            key=lambda e: (e[0], e[1]),
        )

    def name(self, node: str) -> str:
        return str(self.graph.nodes[node]["name"])


def build_graph(
    inventory: Inventory,
    *,
    usage: UsageIndex | None = None,
    options: GraphOptions | None = None,
) -> AccessGraph:
    """Build the access graph of an inventory, with usage on its edges when ``usage`` is given.

    Edges point the way access flows, so ``nx.descendants(g, "user:alice")`` is everything
    alice reaches: user -> group (``member_of``), group/user/role -> policy (``attached``),
    policy -> service (``grants``).
    """
    opts = options or GraphOptions()
    if opts.days < 1:
        raise InputError(f"--days must be at least 1 (got {opts.days})")
    builder = _Builder(inventory, usage, opts)
    builder.build()
    return builder.result


class _Builder:
    def __init__(self, inventory: Inventory, usage: UsageIndex | None, opts: GraphOptions):
        self.inv = inventory
        self.usage = usage
        self.opts = opts
        g: nx.DiGraph = nx.DiGraph()
        g.graph["root"] = PurePath(inventory.root).name
        if inventory.account_id:
            g.graph["account_id"] = inventory.account_id
        g.graph["usage"] = usage is not None
        if usage is not None:
            g.graph["days"] = opts.days
        self.result = AccessGraph(graph=g)
        self.g = g
        self.policy_by_arn = {p.arn: p for p in inventory.policies if p.arn}
        self.policies: dict[str, Policy] = {}

    # --- nodes ---------------------------------------------------------------------------

    def _add(self, nid: str, kind: NodeKind, name: str, **attrs: Any) -> str:
        if nid in self.g:
            # First declaration wins; an external placeholder is upgraded by a declaration.
            if self.g.nodes[nid].get("external") and not attrs.get("external"):
                self.g.nodes[nid].clear()
            else:
                return nid
        clean = {k: v for k, v in attrs.items() if v is not None and v != ""}
        self.g.add_node(nid, kind=kind, name=name, **clean)
        return nid

    def _principal(self, kind: Literal["user", "group", "role"], name: str) -> str:
        nid = node_id(kind, name)
        if nid not in self.g:
            self._add(nid, kind, name, external=True)
        return nid

    def build(self) -> None:
        inv = self.inv
        entities: list[tuple[Literal["user", "group", "role"], list[Any]]] = [
            ("user", list(inv.users)),
            ("group", list(inv.groups)),
            ("role", list(inv.roles)),
        ]
        for kind, items in entities:
            for ent in items:
                key = ent.name or ent.address
                self._add(
                    node_id(kind, key),
                    kind,
                    key,
                    arn=ent.arn,
                    address=ent.address,
                    file=ent.location.file,
                    line=ent.location.line,
                    iam_path=ent.path if ent.path and ent.path != "/" else None,
                )
        for policy in inv.policies:
            self._add_policy(policy)
        for membership in inv.memberships:
            if membership.user is None or membership.group is None:
                continue
            user = self._principal("user", membership.user)
            group = self._principal("group", membership.group)
            if self.g.has_edge(user, group):
                continue
            self.g.add_edge(
                user,
                group,
                kind="member_of",
                address=membership.address,
                file=membership.location.file,
                line=(membership.entry_location or membership.location).line,
            )
        for att in inv.attachments:
            if att.target is None:
                continue
            policy_node = self._attached_policy(att.policy, att.policy_arn)
            if policy_node is None:
                continue
            target = self._principal(att.target_type, att.target)
            if not self.g.has_edge(target, policy_node):
                self.g.add_edge(
                    target,
                    policy_node,
                    kind="attached",
                    address=att.address,
                    file=att.location.file,
                    line=att.location.line,
                )
        from lpgen.graph_sso import add_identity_center

        add_identity_center(self)
        for pid in [n for n, d in self.g.nodes(data=True) if d["kind"] == "policy"]:
            self._add_grants(pid)
        if self.usage is not None:
            self._add_membership_usage()
            self._add_service_usage()

    def _add_policy(self, policy: Policy) -> None:
        pid = node_id("policy", policy.address)
        self._add(
            pid,
            "policy",
            policy.name or policy.address,
            policy_type=policy.kind,
            arn=policy.arn,
            address=policy.address,
            file=policy.location.file,
            line=policy.location.line,
            iam_path=policy.path if policy.kind == "managed" and policy.path != "/" else None,
        )
        self.policies[pid] = policy
        doc = policy.document
        if doc is None:
            self.result.unknown_documents[pid] = "no policy document"
        elif doc.unknown_reason:
            self.result.unknown_documents[pid] = doc.unknown_reason
        else:
            self.result.documents[pid] = doc
        if pid in self.result.unknown_documents:
            self.g.nodes[pid]["unknown"] = self.result.unknown_documents[pid]
        if policy.kind == "inline" and policy.owner_type and policy.owner:
            owner = self._principal(policy.owner_type, policy.owner)
            self.g.add_edge(
                owner,
                pid,
                kind="attached",
                inline=True,
                address=policy.address,
                file=policy.location.file,
                line=policy.location.line,
            )

    def _attached_policy(self, address: str | None, arn: str | None) -> str | None:
        if address and self.inv.policy_at(address) is not None:
            return node_id("policy", address)
        if arn and arn in self.policy_by_arn:
            return node_id("policy", self.policy_by_arn[arn].address)
        if arn:
            pid = node_id("policy", arn)
            name = arn.rsplit("/", 1)[-1]
            aws_managed = arn.split(":")[4:5] == ["aws"]
            if pid not in self.g:
                self._add(
                    pid,
                    "policy",
                    name,
                    policy_type="aws-managed" if aws_managed else "managed",
                    arn=arn,
                    external=None if aws_managed else True,
                )
                known = _KNOWN_AWS_MANAGED.get(name) if aws_managed else None
                if aws_managed and self.usage is not None and arn in self.usage.aws_managed:
                    # The default version collect read from the account.
                    known = self.usage.aws_managed[arn]
                if known is not None:
                    self.result.documents[pid] = known
                else:
                    reason = (
                        "AWS-managed policy: document not known to lpgen"
                        if aws_managed
                        else "policy not declared in this Terraform tree"
                    )
                    self.result.unknown_documents[pid] = reason
                    self.g.nodes[pid]["unknown"] = reason
            return pid
        if address:
            pid = node_id("policy", address)
            if pid not in self.g:
                reason = "policy not declared in this Terraform tree"
                self._add(pid, "policy", address, policy_type="managed", external=True)
                self.result.unknown_documents[pid] = reason
                self.g.nodes[pid]["unknown"] = reason
            return pid
        return None

    def _add_grants(self, pid: str) -> None:
        doc = self.result.documents.get(pid)
        if doc is None:
            return
        for service, grant in sorted(document_grants(doc).items()):
            sid = node_id("service", service)
            self._add(sid, "service", service)
            attrs: dict[str, Any] = {"kind": "grants", "actions": sorted(grant.actions)}
            if grant.not_actions:
                attrs["not_actions"] = sorted(grant.not_actions)
            self.g.add_edge(pid, sid, **attrs)

    # --- usage ---------------------------------------------------------------------------

    def _add_membership_usage(self) -> None:
        assert self.usage is not None
        for user, group, data in list(self.g.edges(data=True)):
            if data["kind"] != "member_of":
                continue
            user_name = self.g.nodes[user]["name"]
            group_name = self.g.nodes[group]["name"]
            verdict = assess_membership(
                user_name,
                group_name,
                self.usage.lookup("group", group_name, None),
                days=self.opts.days,
                user_reports=self.usage.lookup("user", user_name, None),
            )
            data["usage"] = verdict.state
            data["usage_reason"] = verdict.reason
            if verdict.last_used is not None:
                data["last_used"] = format_time(verdict.last_used)

    def _add_service_usage(self) -> None:
        assert self.usage is not None
        service_states: dict[str, list[str]] = defaultdict(list)
        for pid, sid, data in list(self.g.edges(data=True)):
            if data["kind"] != "grants":
                continue
            policy = self.policies.get(pid)
            reports = self.usage.for_policy(policy) if policy is not None else []
            state, reason, last = grant_usage(reports, self.g.nodes[sid]["name"], self.opts.days)
            data["usage"] = state
            data["usage_reason"] = reason
            if last is not None:
                data["last_used"] = format_time(last)
            service_states[sid].append(state)
        for sid, states in service_states.items():
            if "used" in states:
                self.g.nodes[sid]["usage"] = "used"
            elif all(s == "unused" for s in states):
                self.g.nodes[sid]["usage"] = "unused"
            else:
                self.g.nodes[sid]["usage"] = "unknown"


def grant_usage(
    reports: list[EntityUsage], service: str, days: int
) -> tuple[UsageState, str, datetime | None]:
    """Whether a policy's service (``*``: any service) was used in the window, and when last."""
    if service != ALL_SERVICES:
        verdict = assess_service(reports, service, days=days)
        lasts = [e.last_accessed for e in verdict.evidence if e.last_accessed is not None]
        last = max(lasts) if lasts else None
        if verdict.code == "service-used":
            return "used", verdict.reason, last
        if verdict.code == "service-unused":
            return "unused", verdict.reason, last
        return "unknown", verdict.reason, last
    blocked = assess_entity(reports, days=days)
    if blocked is not None:
        return "unknown", blocked.reason, None
    last = None
    for report in reports:
        for svc in report.services.values():
            t = svc.last_authenticated
            if t is not None and (last is None or t > last):
                last = t
    if any(
        in_window(svc.last_authenticated, r.collected_at, days)
        for r in reports
        for svc in r.services.values()
    ):
        return "used", f"some service was used in the {days}-day window", last
    return "unused", f"no service was used in the {days}-day window", last


# --- what a policy grants ---------------------------------------------------------------


@dataclass
class ServiceGrant:
    """The action patterns (or NotAction exclusions) by which a policy reaches a service."""

    actions: set[str] = field(default_factory=set)
    not_actions: set[str] = field(default_factory=set)


def _service_prefix(pattern: str) -> str:
    if pattern.strip() == "*":
        return ALL_SERVICES
    prefix = pattern.split(":", 1)[0].strip().lower()
    return prefix if prefix and ":" in pattern else ALL_SERVICES


def document_grants(doc: PolicyDocument) -> dict[str, ServiceGrant]:
    """Services each Allow statement reaches, with the patterns that reach them.

    ``*`` and an Allow with ``NotAction`` reach every service (``service:*``). A service
    prefix with a wildcard (``s3*:Get*``) is expanded against the action catalog.
    """
    grants: dict[str, ServiceGrant] = defaultdict(ServiceGrant)
    for stmt in doc.statements:
        if not stmt.is_allow:
            continue
        if stmt.not_actions is not None:
            grants[ALL_SERVICES].not_actions.update(e.value for e in stmt.not_actions)
            continue
        for entry in stmt.actions or []:
            prefix = _service_prefix(entry.value)
            if prefix != ALL_SERVICES and ("*" in prefix or "?" in prefix):
                for service in sorted(catalog.known_services()):
                    if not catalog.matches(prefix, service):
                        continue
                    grants[service].actions.add(entry.value)
                continue
            grants[prefix].actions.add(entry.value)
    return dict(grants)


def service_fully_denied(stmt: Statement, service: str) -> bool:
    """True when an unconditional Deny on every resource covers all of ``service``."""
    if stmt.is_allow or stmt.conditions or not _all_resources(stmt):
        return False
    if stmt.not_actions is not None:
        # Deny NotAction [...] denies every service none of whose actions is listed.
        return not any(_may_match_service(e.value, service) for e in stmt.not_actions)
    return any(
        e.value.strip() == "*" or catalog.matches(e.value, f"{service}:*")
        for e in stmt.actions or []
    )


def _may_match_service(pattern: str, service: str) -> bool:
    """Whether a pattern can match some action of ``service`` (its part before ``:``)."""
    if ":" not in pattern:
        return "*" in pattern
    return catalog.matches(pattern.split(":", 1)[0], service)


def _all_resources(stmt: Statement) -> bool:
    return stmt.not_resources is None and (
        stmt.resources is None or any(r.strip() == "*" for r in stmt.resources)
    )


# --- analyses ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Path:
    """One way a principal reaches a policy: through a group, or directly (group is None)."""

    policy: str
    group: str | None = None


@dataclass
class WhoCanEntry:
    """Whether a principal can perform an action, and through which groups and policies."""

    principal: str
    status: Literal["can", "denied", "maybe"]
    allows: list[Match] = field(default_factory=list)
    denies: list[Match] = field(default_factory=list)
    unknown: list[tuple[Path, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Match:
    """A statement of a policy, reached along ``path``, that applies to the action."""

    path: Path
    statement: str
    matched: str
    conditional: bool = False
    scoped: bool = False


@dataclass
class WhoCan:
    action: str
    entries: list[WhoCanEntry]


@dataclass
class Analysis:
    """Answers to the questions auditors ask of the graph."""

    users_without_group: list[str]
    empty_groups: list[str]
    unattached_policies: list[str]
    direct_policies: dict[str, list[str]]
    identical_policy_sets: list[tuple[list[str], list[str]]]
    effective_services: dict[str, dict[str, list[Path]]]
    unknown_policies: dict[str, list[Path]]
    who_can: WhoCan | None = None


def policy_paths(ag: AccessGraph, principal: str) -> list[Path]:
    """Every policy a user or role has, directly or through its groups."""
    g = ag.graph
    paths: list[Path] = []
    for succ in sorted(g.successors(principal)):
        kind = g.nodes[succ]["kind"]
        if kind == "policy":
            paths.append(Path(policy=succ))
        elif kind == "group":
            paths.extend(
                Path(policy=p, group=succ)
                for p in sorted(g.successors(succ))
                if g.nodes[p]["kind"] == "policy"
            )
    return paths


def analyze(ag: AccessGraph, *, who_can: str | None = None) -> Analysis:
    """Run every analysis (and who-can when an action is given)."""
    g = ag.graph
    declared_users = [u for u in ag.nodes_of("user") if not g.nodes[u].get("external")]
    users_without_group = [
        u for u in declared_users if not any(g.nodes[s]["kind"] == "group" for s in g.successors(u))
    ]
    empty_groups = [
        grp
        for grp in ag.nodes_of("group")
        if not g.nodes[grp].get("external")
        and not any(g.nodes[p]["kind"] == "user" for p in g.predecessors(grp))
    ]
    unattached = [
        p
        for p in ag.nodes_of("policy")
        if g.nodes[p].get("policy_type") == "managed"
        and not g.nodes[p].get("external")
        and g.in_degree(p) == 0
    ]
    direct: dict[str, list[str]] = {}
    for user in ag.nodes_of("user"):
        policies = sorted(s for s in g.successors(user) if g.nodes[s]["kind"] == "policy")
        if policies:
            direct[user] = policies
    by_set: dict[frozenset[str], list[str]] = defaultdict(list)
    for grp in ag.nodes_of("group"):
        policies_of = frozenset(s for s in g.successors(grp) if g.nodes[s]["kind"] == "policy")
        if policies_of:
            by_set[policies_of].append(grp)
    identical = sorted(
        (sorted(groups), sorted(pset)) for pset, groups in by_set.items() if len(groups) > 1
    )
    effective: dict[str, dict[str, list[Path]]] = {}
    unknown: dict[str, list[Path]] = {}
    for user in declared_users:
        services, unknown_paths = effective_services(ag, user)
        effective[user] = services
        if unknown_paths:
            unknown[user] = unknown_paths
    return Analysis(
        users_without_group=users_without_group,
        empty_groups=empty_groups,
        unattached_policies=unattached,
        direct_policies=direct,
        identical_policy_sets=identical,
        effective_services=effective,
        unknown_policies=unknown,
        who_can=find_who_can(ag, who_can) if who_can else None,
    )


def effective_services(ag: AccessGraph, principal: str) -> tuple[dict[str, list[Path]], list[Path]]:
    """Services a principal reaches through all its paths, minus services it is denied outright.

    Returns the services with the paths that grant each, and the paths through policies whose
    document is not known (which may grant more).
    """
    g = ag.graph
    paths = policy_paths(ag, principal)
    services: dict[str, list[Path]] = defaultdict(list)
    unknown: list[Path] = []
    denies: list[Statement] = []
    for path in paths:
        if path.policy in ag.unknown_documents:
            unknown.append(path)
            continue
        for succ in g.successors(path.policy):
            if g.nodes[succ]["kind"] == "service":
                services[g.nodes[succ]["name"]].append(path)
        doc = ag.documents.get(path.policy)
        if doc is not None:
            denies.extend(s for s in doc.statements if not s.is_allow)
    result = {
        service: sorted(set(ps), key=_path_key)
        for service, ps in services.items()
        if service == ALL_SERVICES or not any(service_fully_denied(d, service) for d in denies)
    }
    return dict(sorted(result.items())), sorted(set(unknown), key=_path_key)


def _path_key(path: Path) -> tuple[str, str]:
    return (path.group or "", path.policy)


def _statement_label(stmt: Statement) -> str:
    return f'"{stmt.sid}"' if stmt.sid else f"#{stmt.index + 1}"


def _statement_match(stmt: Statement, action: str) -> str | None:
    """The entry of the statement that makes it apply to ``action`` (None if it does not)."""
    if stmt.not_actions is not None:
        if any(catalog.matches(e.value, action) for e in stmt.not_actions):
            return None
        listed = ", ".join(e.value for e in stmt.not_actions)
        return f"NotAction [{listed}]"
    for entry in stmt.actions or []:
        if catalog.matches(entry.value, action):
            return entry.value
    return None


def check_action(action: str) -> str:
    """Validate a ``--who-can`` action: ``service:Action``, wildcards not allowed."""
    text = action.strip()
    prefix, sep, name = text.partition(":")
    if not sep or not prefix or not name or any(c in text for c in "*? "):
        raise InputError(
            f"--who-can takes one action such as s3:GetObject (got {action!r}); "
            "wildcards are honoured in policies, not in the question"
        )
    return text


def find_who_can(ag: AccessGraph, action: str) -> WhoCan:
    """Which users, roles and permission sets can perform ``action``, and through which
    group and policy.

    Wildcards and NotAction are honoured; an explicit Deny that applies to every resource
    without a condition wins. Resource and Condition are not evaluated: a statement limited
    by them is marked, not dropped.
    """
    action = check_action(action)
    entries: list[WhoCanEntry] = []
    # IAM Identity Center permission sets are principals too: what their sessions may do.
    principals = ag.nodes_of("user") + ag.nodes_of("role") + ag.nodes_of("permission_set")
    for principal in principals:
        allows: list[Match] = []
        denies: list[Match] = []
        unknown: list[tuple[Path, str]] = []
        for path in policy_paths(ag, principal):
            if path.policy in ag.unknown_documents:
                unknown.append((path, ag.unknown_documents[path.policy]))
                continue
            doc = ag.documents.get(path.policy)
            for stmt in doc.statements if doc else []:
                matched = _statement_match(stmt, action)
                if matched is None:
                    continue
                match = Match(
                    path=path,
                    statement=_statement_label(stmt),
                    matched=matched,
                    conditional=bool(stmt.conditions),
                    scoped=not _all_resources(stmt),
                )
                (allows if stmt.is_allow else denies).append(match)
        definite_deny = any(not m.conditional and not m.scoped for m in denies)
        definite_allow = any(not m.conditional for m in allows)
        if allows and definite_deny:
            status: Literal["can", "denied", "maybe"] = "denied"
        elif definite_allow:
            status = "can"
        elif allows or (unknown and not definite_deny):
            status = "maybe"
        else:
            continue
        entries.append(WhoCanEntry(principal, status, allows, denies, unknown))
    return WhoCan(action=action, entries=entries)


def graph_of_tree(
    path: str,
    *,
    snapshots: Sequence[str] = (),
    options: GraphOptions | None = None,
    inventory_options: InventoryOptions | None = None,
) -> AccessGraph:
    """Read a Terraform tree (and snapshots, for usage) and build its access graph.

    Without an account id in ``inventory_options``, the first snapshot's account and
    partition give entities their ARNs.
    """
    from lpgen.inventory import build_inventory

    loaded = [load_snapshot(p) for p in snapshots]
    inv_opts = inventory_options or InventoryOptions()
    if loaded and not inv_opts.account_id:
        inv_opts = replace(inv_opts, account_id=loaded[0].account_id, partition=loaded[0].partition)
    inventory = build_inventory(path, options=inv_opts)
    usage = UsageIndex.from_snapshots(loaded) if loaded else None
    result = build_graph(inventory, usage=usage, options=options)
    result.warnings = [f"{w.location}: {w.message} (file skipped)" for w in inventory.warnings]
    from lpgen.accounting import summary_line

    result.unevaluated = summary_line(inventory)
    return result
