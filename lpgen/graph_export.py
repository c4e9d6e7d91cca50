"""Exporters of the access graph (dot, graphml, json, mermaid, svg, png) and analysis reports."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

import networkx as nx  # type: ignore[import-untyped, unused-ignore]

from lpgen.errors import InputError, ToolMissingError
from lpgen.graph import ALL_SERVICES, Analysis, Match, Path, WhoCan

EXPORT_FORMATS = ("dot", "graphml", "json", "mermaid", "svg", "png")
ANALYSIS_FORMATS = ("text", "json", "markdown")

# A networkx DiGraph built by lpgen.graph.build_graph (networkx ships no type hints).
Graph: TypeAlias = Any


# --- the picture: limits for large accounts ----------------------------------------------


@dataclass(frozen=True)
class ViewLimits:
    """How much a picture (mermaid, svg, png) shows before it summarises.

    Past ``max_users`` users, members are drawn as one node per group ("42 members, 3
    unused"); past ``max_groups`` groups, the groups with most members are kept; a policy
    shows at most ``max_services`` services. ``max_edges`` keeps Mermaid under GitHub's
    default limit of 500 edges. Every cut is said in a note on the picture.
    """

    max_users: int = 40
    max_groups: int = 30
    max_services: int = 12
    max_edges: int = 400


def summarise(graph: Graph, limits: ViewLimits | None = None) -> tuple[Graph, list[str]]:
    """A readable view of the graph, and notes saying what was summarised or left out."""
    lim = limits or ViewLimits()
    view, notes = _summarise(graph, lim.max_users, lim.max_groups, lim.max_services)
    # Tighten step by step until the picture fits the edge budget.
    for services, groups in ((4, lim.max_groups), (0, lim.max_groups), (0, 15), (0, 8)):
        if view.number_of_edges() <= lim.max_edges:
            break
        view, notes = _summarise(graph, 0, groups, services)
    return view, notes


def _kind_nodes(graph: Graph, kind: str) -> list[str]:
    return sorted(n for n, d in graph.nodes(data=True) if d["kind"] == kind)


def _summarise(
    graph: Graph, max_users: int, max_groups: int, max_services: int
) -> tuple[Graph, list[str]]:
    view: Graph = graph.copy()
    notes: list[str] = []
    groups = _kind_nodes(view, "group")
    if len(groups) > max_groups:

        def members(grp: str) -> int:
            return sum(1 for p in view.predecessors(grp) if view.nodes[p]["kind"] == "user")

        ranked = sorted(groups, key=lambda grp: (-members(grp), grp))
        dropped = ranked[max_groups:]
        view.remove_nodes_from(dropped)
        notes.append(
            f"{len(dropped)} of {len(groups)} groups not shown (the {max_groups} with most "
            "members are)"
        )
        # Policies reached only through dropped groups go too, and so do their services.
        orphans = [
            p
            for p in _kind_nodes(view, "policy")
            if view.in_degree(p) == 0 and graph.in_degree(p) > 0
        ]
        view.remove_nodes_from(orphans)
        users = [u for u in _kind_nodes(view, "user") if view.degree(u) == 0 and graph.degree(u)]
        view.remove_nodes_from(users)
        view.remove_nodes_from([s for s in _kind_nodes(view, "service") if view.degree(s) == 0])
    users = _kind_nodes(view, "user")
    if len(users) > max_users:
        _collapse_users(view, users)
        notes.append(f"{len(users)} users summarised as member counts per group")
    if max_services >= 0:
        cut = 0
        for policy in _kind_nodes(view, "policy"):
            services = sorted(
                (s for s in view.successors(policy) if view.nodes[s]["kind"] == "service"),
                key=lambda s: (_usage_rank(view.edges[policy, s]), s),
            )
            if len(services) <= max_services:
                continue
            hidden = services[max_services:]
            view.remove_edges_from((policy, s) for s in hidden)
            more = f"more:{policy}"
            view.add_node(more, kind="more", name=f"+{len(hidden)} more services")
            view.add_edge(policy, more, kind="grants")
            cut += 1
        view.remove_nodes_from([s for s in _kind_nodes(view, "service") if view.degree(s) == 0])
        if cut and max_services:
            notes.append(f"{cut} policies show only {max_services} of their services")
        elif cut:
            notes.append("services not shown")
    return view, notes


def _usage_rank(data: dict[str, Any]) -> int:
    return {"used": 0, "unknown": 1}.get(str(data.get("usage", "")), 2)


def _collapse_users(view: Graph, users: list[str]) -> None:
    direct_policies: set[str] = set()
    per_group: dict[str, list[str]] = defaultdict(list)
    direct_users = 0
    for user in users:
        for succ in view.successors(user):
            edge = view.edges[user, succ]
            if view.nodes[succ]["kind"] == "group":
                per_group[succ].append(str(edge.get("usage", "")))
            else:
                direct_policies.add(succ)
        if any(view.nodes[s]["kind"] == "policy" for s in view.successors(user)):
            direct_users += 1
    view.remove_nodes_from(users)
    for group, states in sorted(per_group.items()):
        node = f"members:{group}"
        unused = states.count("unused")
        label = f"{len(states)} member" + ("s" if len(states) != 1 else "")
        if unused:
            label += f", {unused} unused"
        view.add_node(node, kind="members", name=label)
        if "used" in states:
            usage = "used"
        elif states and all(s == "unused" for s in states):
            usage = "unused"
        else:
            usage = "unknown" if any(states) else ""
        attrs = {"kind": "member_of"}
        if usage:
            attrs["usage"] = usage
        view.add_edge(node, group, **attrs)
    if direct_policies:
        node = "members:direct"
        view.add_node(node, kind="members", name=f"{direct_users} users with direct policies")
        for policy in sorted(direct_policies):
            view.add_edge(node, policy, kind="attached")


# --- json (node-link) and graphml --------------------------------------------------------


def to_node_link(graph: Graph) -> dict[str, Any]:
    """networkx node-link data (``edges`` key, as ``nx.node_link_graph`` reads by default)."""
    nodes = [{"id": n, **_ordered(d)} for n, d in sorted(graph.nodes(data=True))]
    edges = [
        {"source": u, "target": v, **_ordered(d)}
        for u, v, d in sorted(graph.edges(data=True), key=lambda e: (e[0], e[1]))
    ]
    return {
        "directed": True,
        "multigraph": False,
        "graph": dict(sorted(graph.graph.items())),
        "nodes": nodes,
        "edges": edges,
    }


def _ordered(data: dict[str, Any]) -> dict[str, Any]:
    first = [k for k in ("kind", "name") if k in data]
    return {**{k: data[k] for k in first}, **{k: data[k] for k in sorted(data) if k not in first}}


def export_json(graph: Graph) -> str:
    return json.dumps(to_node_link(graph), indent=2, ensure_ascii=False) + "\n"


def export_graphml(graph: Graph) -> str:
    """GraphML; list attributes (a grant's actions) are joined with ", "."""
    flat: Graph = nx.DiGraph()
    flat.graph.update({k: _scalar(v) for k, v in sorted(graph.graph.items())})
    for n, d in sorted(graph.nodes(data=True)):
        flat.add_node(n, **{k: _scalar(v) for k, v in _ordered(d).items()})
    for u, v, d in sorted(graph.edges(data=True), key=lambda e: (e[0], e[1])):
        flat.add_edge(u, v, **{k: _scalar(x) for k, x in _ordered(d).items()})
    buf = io.BytesIO()
    nx.write_graphml(flat, buf, encoding="utf-8", prettyprint=True)
    return buf.getvalue().decode("utf-8")


def _scalar(value: Any) -> Any:
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(v) for v in value)
    return value


# --- dot -----------------------------------------------------------------------------------

_FONT = "Helvetica"
_NODE_STYLE: dict[str, dict[str, str]] = {
    "user": {"shape": "ellipse", "fillcolor": "#dbeafe", "color": "#1e40af"},
    "group": {
        "shape": "box",
        "style": "filled,rounded",
        "fillcolor": "#dcfce7",
        "color": "#166534",
    },
    "role": {"shape": "hexagon", "fillcolor": "#ede9fe", "color": "#5b21b6"},
    "policy": {"shape": "note", "fillcolor": "#fef9c3", "color": "#854d0e"},
    "aws-policy": {"shape": "note", "fillcolor": "#ffedd5", "color": "#9a3412"},
    "service": {"shape": "component", "fillcolor": "#f3f4f6", "color": "#374151"},
    "members": {
        "shape": "box",
        "style": "filled,dashed",
        "fillcolor": "#eff6ff",
        "color": "#1e40af",
    },
    "more": {"shape": "plaintext", "fillcolor": "white", "color": "#6b7280"},
    # IAM Identity Center.
    "sso_user": {"shape": "ellipse", "fillcolor": "#e0f2fe", "color": "#075985"},
    "sso_group": {"shape": "box", "style": "filled,rounded", "fillcolor": "#ccfbf1",
                  "color": "#115e59"},
    "permission_set": {"shape": "hexagon", "fillcolor": "#fae8ff", "color": "#86198f"},
    "account": {"shape": "box3d", "fillcolor": "#f1f5f9", "color": "#334155"},
}  # fmt: skip
_UNUSED = "#9ca3af"
_RANKS = (
    ("user", "members", "sso_user"), ("group", "role", "sso_group"), ("permission_set",),
    ("policy", "account"), ("service", "more"),
)  # fmt: skip


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attrs(attrs: dict[str, str]) -> str:
    return "[" + ", ".join(f"{k}={_q(v)}" for k, v in attrs.items()) + "]"


def _style_key(data: dict[str, Any]) -> str:
    if data["kind"] == "policy" and data.get("policy_type") == "aws-managed":
        return "aws-policy"
    return str(data["kind"])


def node_label(data: dict[str, Any]) -> str:
    """The text a picture shows for a node."""
    name = str(data["name"])
    kind = data["kind"]
    if kind == "service" and name == ALL_SERVICES:
        return "* (all services)"
    if kind == "policy":
        if data.get("policy_type") == "inline":
            return f"{name}\n(inline)"
        if data.get("policy_type") == "aws-managed":
            return f"{name}\n(AWS managed)"
    return name


def _tooltip(node: str, data: dict[str, Any]) -> str:
    parts = [node]
    if data.get("address"):
        parts.append(str(data["address"]))
    if data.get("file"):
        parts.append(f"{data['file']}:{data.get('line', '')}")
    if data.get("unknown"):
        parts.append(str(data["unknown"]))
    return "\n".join(parts)


def _edge_attrs(data: dict[str, Any]) -> dict[str, str]:
    attrs: dict[str, str] = {}
    usage = data.get("usage")
    tip = [str(data["kind"]).replace("_", " ")]
    if data.get("actions"):
        tip.append(", ".join(data["actions"]))
    if data.get("not_actions"):
        tip.append("all except " + ", ".join(data["not_actions"]))
    if data.get("usage_reason"):
        tip.append(str(data["usage_reason"]))
    attrs["tooltip"] = "\n".join(tip)
    if usage == "unused":
        attrs.update(style="dashed", color=_UNUSED, fontcolor=_UNUSED)
        last = data.get("last_used")
        attrs["label"] = f"last used {str(last)[:10]}" if last else "unused"
    elif usage == "unknown":
        attrs.update(style="dotted")
    return attrs


def export_dot(graph: Graph, *, notes: list[str] | None = None, legend: bool = True) -> str:
    """Graphviz DOT: left to right, user -> group -> policy -> service; unused edges dashed."""
    out: list[str] = ["digraph lpgen {"]
    title = "IAM access"
    if graph.graph.get("usage"):
        title += f" (usage in the last {graph.graph.get('days', 90)} days)"
    label = "\n".join([title, *(notes or [])])
    out.append(
        "  graph "
        + _attrs(
            {
                "rankdir": "LR",
                "fontname": _FONT,
                "fontsize": "12",
                "nodesep": "0.2",
                "ranksep": "0.8",
                "label": label,
                "labelloc": "t",
                "labeljust": "l",
            }
        )
        + ";"
    )
    out.append("  node " + _attrs({"fontname": _FONT, "fontsize": "10", "style": "filled"}) + ";")
    out.append("  edge " + _attrs({"fontname": _FONT, "fontsize": "8", "color": "#4b5563"}) + ";")
    for kinds in _RANKS:
        members = [n for n, d in sorted(graph.nodes(data=True)) if d["kind"] in kinds]
        if not members:
            continue
        out.append(f"  subgraph {_q('rank_' + kinds[0])} {{")
        out.append("    rank=same;")
        for n in members:
            data = graph.nodes[n]
            attrs = dict(_NODE_STYLE[_style_key(data)])
            attrs["label"] = node_label(data)
            attrs["tooltip"] = _tooltip(n, data)
            if data.get("usage") == "unused":
                attrs.update(style="filled,dashed", color=_UNUSED, fontcolor="#6b7280")
            if data.get("external"):
                attrs["style"] = attrs.get("style", "filled") + ",dashed"
            out.append(f"    {_q(n)} {_attrs(attrs)};")
        out.append("  }")
    for u, v, data in sorted(graph.edges(data=True), key=lambda e: (e[0], e[1])):
        out.append(f"  {_q(u)} -> {_q(v)} {_attrs(_edge_attrs(data))};")
    if legend:
        out.extend(_dot_legend(graph))
    out.append("}")
    return "\n".join(out) + "\n"


def _dot_legend(graph: Graph) -> list[str]:
    lines = [
        "  subgraph cluster_legend {",
        "    "
        + _attrs({"label": "Legend", "fontsize": "10", "style": "rounded", "color": "#d1d5db"})
        .strip("[]")
        .replace(", ", "; ")
        + ";",
    ]
    samples = [
        ("user", "user", "user"),
        ("group", "group", "group"),
        ("policy", "policy", "policy"),
        ("service", "service", "service"),
    ]
    for key, style, label in samples:
        attrs = dict(_NODE_STYLE[style])
        attrs["label"] = label
        lines.append(f"    {_q('legend:' + key)} {_attrs(attrs)};")
    if any(d.get("external") for _, d in graph.nodes(data=True)):
        attrs = dict(_NODE_STYLE["user"])
        attrs.update(label="not declared\nin this tree", style="filled,dashed")
        lines.append(f"    {_q('legend:external')} {_attrs(attrs)};")
    for src, dst, label in (
        ("user", "group", "member of"),
        ("group", "policy", "attached"),
        ("policy", "service", "grants"),
    ):
        edge = f"{_q('legend:' + src)} -> {_q('legend:' + dst)}"
        lines.append(f"    {edge} {_attrs({'label': label})};")
    if graph.graph.get("usage"):
        days = graph.graph.get("days", 90)
        for i, (label, attrs) in enumerate(
            (
                ("used", {}),
                (
                    f"unused in {days} days",
                    {"style": "dashed", "color": _UNUSED, "fontcolor": _UNUSED},
                ),
                ("no usage data", {"style": "dotted"}),
            )
        ):
            a, b = f"legend:u{i}a", f"legend:u{i}b"
            point = {"shape": "point", "width": "0.05", "label": ""}
            lines.append(f"    {_q(a)} {_attrs(point)};")
            lines.append(f"    {_q(b)} {_attrs(point)};")
            lines.append(f"    {_q(a)} -> {_q(b)} {_attrs({'label': label, **attrs})};")
    lines.append("  }")
    return lines


# --- mermaid ---------------------------------------------------------------------------------

_MERMAID_SHAPE: dict[str, tuple[str, str]] = {
    "user": ("([", "])"),
    "members": ("([", "])"),
    "group": ("[", "]"),
    "role": ("{{", "}}"),
    "policy": ("[/", "/]"),
    "aws-policy": ("[/", "/]"),
    "service": ("[(", ")]"),
    "more": ("[", "]"),
    "sso_user": ("([", "])"),
    "sso_group": ("[", "]"),
    "permission_set": ("{{", "}}"),
    "account": ("[[", "]]"),
}
_MERMAID_CLASS: dict[str, str] = {
    "user": "fill:#dbeafe,stroke:#1e40af,color:#111827",
    "members": "fill:#eff6ff,stroke:#1e40af,stroke-dasharray:4 3,color:#111827",
    "group": "fill:#dcfce7,stroke:#166534,color:#111827",
    "role": "fill:#ede9fe,stroke:#5b21b6,color:#111827",
    "policy": "fill:#fef9c3,stroke:#854d0e,color:#111827",
    "aws-policy": "fill:#ffedd5,stroke:#9a3412,color:#111827",
    "service": "fill:#f3f4f6,stroke:#374151,color:#111827",
    "more": "fill:#ffffff,stroke:#9ca3af,color:#6b7280",
    "sso_user": "fill:#e0f2fe,stroke:#075985,color:#111827",
    "sso_group": "fill:#ccfbf1,stroke:#115e59,color:#111827",
    "permission_set": "fill:#fae8ff,stroke:#86198f,color:#111827",
    "account": "fill:#f1f5f9,stroke:#334155,color:#111827",
    "unused": "fill:#f9fafb,stroke:#9ca3af,stroke-dasharray:4 3,color:#6b7280",
    "note": "fill:#fffbeb,stroke:#d97706,color:#111827",
}


def _mermaid_text(text: str) -> str:
    # Mermaid labels are quoted; quotes and markup characters become entity codes.
    escaped = (
        text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    )
    return escaped.replace("\n", "<br/>")


def export_mermaid(graph: Graph, *, notes: list[str] | None = None) -> str:
    """A Mermaid flowchart (GitHub/GitLab markdown); unused edges dotted grey, with a legend."""
    ids: dict[str, str] = {}
    out = ["flowchart LR"]
    classes: dict[str, list[str]] = defaultdict(list)
    order = {k: i for i, ks in enumerate(_RANKS) for k in ks}
    nodes = sorted(graph.nodes(data=True), key=lambda nd: (order.get(nd[1]["kind"], 9), nd[0]))
    for i, (n, data) in enumerate(nodes):
        ids[n] = f"n{i}"
        style = _style_key(data)
        open_, close = _MERMAID_SHAPE[style]
        out.append(f'  {ids[n]}{open_}"{_mermaid_text(node_label(data))}"{close}')
        classes["unused" if data.get("usage") == "unused" else style].append(ids[n])
    link_styles: dict[str, list[int]] = defaultdict(list)
    index = 0
    for u, v, data in sorted(
        graph.edges(data=True), key=lambda e: (int(ids[e[0]][1:]), int(ids[e[1]][1:]))
    ):
        usage = data.get("usage")
        if usage == "unused":
            last = data.get("last_used")
            label = f"last used {str(last)[:10]}" if last else "unused"
            out.append(f'  {ids[u]} -.->|"{label}"| {ids[v]}')
            link_styles["unused"].append(index)
        elif usage == "unknown":
            out.append(f"  {ids[u]} --> {ids[v]}")
            link_styles["unknown"].append(index)
        else:
            out.append(f"  {ids[u]} --> {ids[v]}")
        index += 1
    index = _mermaid_legend(graph, out, notes or [], classes, link_styles, index)
    for name, members in sorted(classes.items()):
        out.append(f"  classDef {name.replace('-', '_')} {_MERMAID_CLASS[name]}")
        out.append(f"  class {','.join(members)} {name.replace('-', '_')}")
    if link_styles.get("unused"):
        out.append(
            f"  linkStyle {','.join(map(str, link_styles['unused']))} "
            "stroke:#9ca3af,stroke-dasharray:5 4,color:#6b7280"
        )
    if link_styles.get("unknown"):
        out.append(
            f"  linkStyle {','.join(map(str, link_styles['unknown']))} "
            "stroke:#6b7280,stroke-dasharray:1 3"
        )
    return "\n".join(out) + "\n"


def _mermaid_legend(
    graph: Graph,
    out: list[str],
    notes: list[str],
    classes: dict[str, list[str]],
    link_styles: dict[str, list[int]],
    index: int,
) -> int:
    out.append('  subgraph legend["Legend"]')
    out.append("    direction LR")
    for key in ("user", "group", "policy", "service"):
        open_, close = _MERMAID_SHAPE[key]
        out.append(f'    legend_{key}{open_}"{key}"{close}')
        classes[key].append(f"legend_{key}")
    out.append('    legend_user -->|"member of"| legend_group')
    out.append('    legend_group -->|"attached"| legend_policy')
    out.append('    legend_policy -->|"grants"| legend_service')
    index += 3
    if graph.graph.get("usage"):
        days = graph.graph.get("days", 90)
        out.append('    legend_a(["used"]) --> legend_b(["in window"])')
        out.append(f'    legend_c(["unused in"]) -.->|"{days} days"| legend_d(["window"])')
        link_styles["unused"].append(index + 1)
        out.append('    legend_e(["no usage"]) --> legend_f(["data"])')
        link_styles["unknown"].append(index + 2)
        index += 3
        classes["more"].extend(f"legend_{c}" for c in "abcdef")
    if notes:
        text = "<br/>".join(_mermaid_text("Note: " + n) for n in notes)
        out.append(f'    legend_note["{text}"]')
        classes["note"].append("legend_note")
    out.append("  end")
    return index


# --- svg / png through Graphviz ------------------------------------------------------------


def render_graphviz(dot_text: str, fmt: str, *, timeout: float = 300) -> bytes:
    """Run Graphviz ``dot`` to turn DOT into SVG or PNG bytes."""
    exe = shutil.which("dot")
    if exe is None:
        raise ToolMissingError(
            f"--format {fmt} needs Graphviz 'dot', which is not installed "
            "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz); "
            "--format dot or mermaid work without it"
        )
    try:
        proc = subprocess.run(
            [exe, f"-T{fmt}"],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ToolMissingError(
            f"Graphviz 'dot' did not finish within {timeout:.0f} s; the graph is too large to "
            "lay out, use --format dot, graphml or json"
        ) from None
    if proc.returncode != 0:
        first = proc.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        raise ToolMissingError(
            f"Graphviz 'dot' failed (exit {proc.returncode}): {first[0] if first else ''}"
        )
    return proc.stdout


def export_graph(graph: Graph, fmt: str, *, limits: ViewLimits | None = None) -> str | bytes:
    """Export in one of EXPORT_FORMATS; pictures (mermaid, svg, png) summarise large graphs.

    dot, graphml and json are complete data; mermaid/svg/png are pictures and follow
    ``limits``.
    """
    if fmt == "json":
        return export_json(graph)
    if fmt == "graphml":
        return export_graphml(graph)
    if fmt == "dot":
        return export_dot(graph)
    if fmt in ("mermaid", "svg", "png"):
        view, notes = summarise(graph, limits)
        if fmt == "mermaid":
            return export_mermaid(view, notes=notes)
        return render_graphviz(export_dot(view, notes=notes), fmt)
    raise InputError(f"unknown graph format {fmt!r} (choose from {', '.join(EXPORT_FORMATS)})")


# --- analysis reports ----------------------------------------------------------------------


def _name(graph: Graph, node: str) -> str:
    return str(graph.nodes[node]["name"]) if node in graph else node


def _policy_ref(graph: Graph, node: str) -> str:
    data = graph.nodes[node]
    return str(data.get("address") or data.get("arn") or data["name"])


def _via(graph: Graph, path: Path) -> str:
    policy = _policy_ref(graph, path.policy)
    if path.group:
        return f"group {_name(graph, path.group)} → {policy}"
    return f"{policy} (direct)"


def _match_text(graph: Graph, match: Match) -> str:
    extra = []
    if match.conditional:
        extra.append("with Condition")
    if match.scoped:
        extra.append("limited by Resource")
    suffix = f" [{'; '.join(extra)}]" if extra else ""
    return f"{_via(graph, match.path)}, statement {match.statement}: {match.matched}{suffix}"


def analysis_data(graph: Graph, analysis: Analysis) -> dict[str, Any]:
    """The analysis as plain data (the JSON report)."""

    def path_data(path: Path) -> dict[str, Any]:
        return {
            "group": _name(graph, path.group) if path.group else None,
            "policy": _policy_ref(graph, path.policy),
        }

    def match_data(match: Match) -> dict[str, Any]:
        return {
            **path_data(match.path),
            "statement": match.statement,
            "matched": match.matched,
            "conditional": match.conditional,
            "resource_limited": match.scoped,
        }

    data: dict[str, Any] = {
        "users_without_group": [_name(graph, u) for u in analysis.users_without_group],
        "empty_groups": [_name(graph, g) for g in analysis.empty_groups],
        "unattached_policies": [_policy_ref(graph, p) for p in analysis.unattached_policies],
        "users_with_direct_policies": {
            _name(graph, u): [_policy_ref(graph, p) for p in ps]
            for u, ps in analysis.direct_policies.items()
        },
        "groups_with_identical_policies": [
            {
                "groups": [_name(graph, g) for g in gs],
                "policies": [_policy_ref(graph, p) for p in ps],
            }
            for gs, ps in analysis.identical_policy_sets
        ],
        "effective_services": {
            _name(graph, u): {s: [path_data(p) for p in ps] for s, ps in services.items()}
            for u, services in analysis.effective_services.items()
        },
        "policies_not_known": {
            _name(graph, u): [
                {**path_data(p), "reason": str(graph.nodes[p.policy].get("unknown", ""))}
                for p in ps
            ]
            for u, ps in analysis.unknown_policies.items()
        },
    }
    if analysis.who_can is not None:
        data["who_can"] = who_can_data(graph, analysis.who_can, match_data, path_data)
    return data


def who_can_data(
    graph: Graph,
    who: WhoCan,
    match_data: Callable[[Match], dict[str, Any]],
    path_data: Callable[[Path], dict[str, Any]],
) -> dict[str, Any]:
    return {
        "action": who.action,
        "principals": [
            {
                "kind": graph.nodes[e.principal]["kind"],
                "name": _name(graph, e.principal),
                "status": e.status,
                "allowed_by": [match_data(m) for m in e.allows],
                "denied_by": [match_data(m) for m in e.denies],
                "not_known": [{**path_data(p), "reason": r} for p, r in e.unknown],
            }
            for e in who.entries
        ],
    }


def _who_can_lines(graph: Graph, who: WhoCan, bullet: str) -> list[str]:
    lines: list[str] = []
    if not who.entries:
        return [f"{bullet}nobody"]
    for entry in who.entries:
        kind = str(graph.nodes[entry.principal]["kind"]).replace("_", " ")
        lines.append(f"{bullet}{kind} {_name(graph, entry.principal)}: {entry.status}")
        sub = "  " + bullet
        lines.extend(f"{sub}allowed by {_match_text(graph, m)}" for m in entry.allows)
        lines.extend(f"{sub}denied by {_match_text(graph, m)}" for m in entry.denies)
        lines.extend(f"{sub}not known: {_via(graph, p)}: {r}" for p, r in entry.unknown)
    return lines


_CAVEAT = (
    "Wildcards, NotAction and explicit Deny are honoured; Resource and Condition are not "
    "evaluated (statements limited by them are marked)."
)


def render_who_can(graph: Graph, who: WhoCan, fmt: str) -> str:
    """The who-can answer alone, as text, json or markdown."""
    if fmt == "json":
        full = analysis_data(graph, Analysis([], [], [], {}, [], {}, {}, who_can=who))
        return json.dumps(full["who_can"], indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        lines = [f"## Who can `{who.action}`", "", _CAVEAT, ""]
        lines.extend(_who_can_lines(graph, who, "- "))
        return "\n".join(lines) + "\n"
    lines = [f"Who can {who.action}:"]
    lines.extend(_who_can_lines(graph, who, "  "))
    lines.append(f"({_CAVEAT})")
    return "\n".join(lines) + "\n"


def render_analysis(graph: Graph, analysis: Analysis, fmt: str) -> str:
    """The analysis report as text, json or markdown."""
    if fmt == "json":
        return json.dumps(analysis_data(graph, analysis), indent=2, ensure_ascii=False) + "\n"
    md = fmt == "markdown"
    bullet = "- " if md else "  "
    out: list[str] = []

    def section(title: str, items: list[str], empty: str = "none") -> None:
        if md:
            out.extend([f"## {title}", ""])
            out.extend(items or [f"{bullet}{empty}"])
            out.append("")
        else:
            out.append(f"{title}:")
            out.extend(items or [f"{bullet}{empty}"])

    def code(text: str) -> str:
        return f"`{text}`" if md else text

    section(
        "Users in no group",
        [f"{bullet}{code(_name(graph, u))}" for u in analysis.users_without_group],
    )
    section("Empty groups", [f"{bullet}{code(_name(graph, g))}" for g in analysis.empty_groups])
    section(
        "Policies attached to nothing",
        [f"{bullet}{code(_policy_ref(graph, p))}" for p in analysis.unattached_policies],
    )
    section(
        "Users with policies attached directly",
        [
            f"{bullet}{code(_name(graph, u))}: "
            + ", ".join(code(_policy_ref(graph, p)) for p in ps)
            for u, ps in analysis.direct_policies.items()
        ],
    )
    section(
        "Groups with identical policy sets",
        [
            f"{bullet}"
            + ", ".join(code(_name(graph, g)) for g in gs)
            + ": "
            + ", ".join(code(_policy_ref(graph, p)) for p in ps)
            for gs, ps in analysis.identical_policy_sets
        ],
    )
    effective: list[str] = []
    for user, services in analysis.effective_services.items():
        count = f"{len(services)} service" + ("s" if len(services) != 1 else "")
        effective.append(f"{bullet}{code(_name(graph, user))}: {count}")
        sub = "  " + bullet
        for service, paths in services.items():
            via = "; ".join(_via(graph, p) for p in paths)
            effective.append(f"{sub}{code(service)}: {via}")
        for path in analysis.unknown_policies.get(user, []):
            reason = graph.nodes[path.policy].get("unknown", "")
            effective.append(f"{sub}maybe more through {_via(graph, path)}: {reason}")
    section("Effective services per user", effective, "no users")
    text = "\n".join(out).rstrip("\n") + "\n"
    if analysis.who_can is not None:
        text += ("\n" if md else "") + render_who_can(graph, analysis.who_can, fmt)
    return text


def write_binary(path: str, data: bytes) -> None:
    """Write a picture (PNG) atomically: a temporary file in the same directory, renamed."""
    from pathlib import Path as FsPath

    from lpgen.fsutil import write_bytes_atomic

    write_bytes_atomic(FsPath(path), data)
