"""Graph exports: golden files for the bundled example, pictures that stay readable."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import networkx as nx
import pytest

from lpgen.errors import ToolMissingError
from lpgen.graph import AccessGraph, analyze, graph_of_tree
from lpgen.graph_export import (
    ViewLimits,
    export_dot,
    export_graph,
    export_mermaid,
    render_analysis,
    summarise,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "terraform_examples" / "acme"
SNAPSHOT = EXAMPLE / "snapshot.json"
GOLDEN = Path(__file__).parent / "data" / "graph"
UPDATE = os.environ.get("LPGEN_UPDATE_GOLDEN") == "1"
HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz 'dot' is not installed")


def _golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(actual, encoding="utf-8", newline="")
    assert actual == path.read_text(encoding="utf-8"), f"differs from tests/data/graph/{name}"


@pytest.fixture(scope="module")
def example() -> AccessGraph:
    return graph_of_tree(str(EXAMPLE), snapshots=[str(SNAPSHOT)])


@pytest.fixture(scope="module")
def example_plain() -> AccessGraph:
    return graph_of_tree(str(EXAMPLE))


@pytest.mark.parametrize("fmt", ["dot", "json", "graphml", "mermaid"])
def test_golden_exports_with_usage(example: AccessGraph, fmt: str) -> None:
    data = export_graph(example.graph, fmt)
    assert isinstance(data, str)
    _golden(f"acme.{fmt}", data)


def test_golden_mermaid_without_usage(example_plain: AccessGraph) -> None:
    data = export_graph(example_plain.graph, "mermaid")
    assert isinstance(data, str)
    _golden("acme-plain.mermaid", data)
    assert "linkStyle" not in data  # nothing is unused without a snapshot


@pytest.mark.parametrize("fmt,ext", [("text", "txt"), ("markdown", "md"), ("json", "json")])
def test_golden_analysis(example: AccessGraph, fmt: str, ext: str) -> None:
    _golden(f"acme-analysis.{ext}",
            render_analysis(example.graph, analyze(example, who_can="s3:PutObject"), fmt))


def test_json_is_node_link_data_networkx_reads_back(example: AccessGraph) -> None:
    data = json.loads(export_graph(example.graph, "json"))
    assert all({"id", "kind", "name"} <= set(n) for n in data["nodes"])
    assert {n["kind"] for n in data["nodes"]} == {
        "user", "group", "role", "policy", "service", "sso_group", "permission_set", "account",
    }  # fmt: skip
    assert {e["kind"] for e in data["edges"]} == {
        "member_of", "attached", "grants", "assigned", "provisioned",
    }  # fmt: skip
    back = nx.node_link_graph(data, edges="edges")
    assert back.is_directed()
    assert sorted(back.edges) == sorted(example.graph.edges)


def test_graphml_reads_back(example: AccessGraph, tmp_path: Path) -> None:
    path = tmp_path / "g.graphml"
    data = export_graph(example.graph, "graphml")
    assert isinstance(data, str)
    path.write_text(data, encoding="utf-8")
    back = nx.read_graphml(path)
    assert back.number_of_nodes() == example.graph.number_of_nodes()
    some = next((u, v) for u, v, d in example.graph.edges(data=True) if d.get("actions"))
    assert back.edges[some]["actions"] == ", ".join(example.graph.edges[some]["actions"])


def test_unused_edges_look_unused_in_every_visual_format(example: AccessGraph) -> None:
    unused = [(u, v) for u, v, d in example.graph.edges(data=True) if d.get("usage") == "unused"]
    assert unused, "the example snapshot shows some unused edges"
    dot = export_dot(example.graph)
    u, v = unused[0]
    line = next(ln for ln in dot.splitlines() if ln.strip().startswith(f'"{u}" -> "{v}"'))
    assert 'style="dashed"' in line and 'color="#9ca3af"' in line
    assert "unused in 90 days" in dot  # legend
    mermaid = export_mermaid(example.graph)
    assert re.search(r"linkStyle [\d,]+ stroke:#9ca3af,stroke-dasharray", mermaid)
    assert '-.->|"unused in' not in mermaid
    assert 'subgraph legend["Legend"]' in mermaid


def _big_graph(users: int, groups: int) -> nx.DiGraph:
    g = nx.DiGraph(usage=True, days=90)
    for i in range(groups):
        g.add_node(f"group:g{i}", kind="group", name=f"g{i}")
        g.add_node(f"policy:p{i}", kind="policy", name=f"p{i}", policy_type="managed")
        g.add_edge(f"group:g{i}", f"policy:p{i}", kind="attached")
        for s in range(20):
            g.add_node(f"service:s{s}", kind="service", name=f"s{s}")
            g.add_edge(f"policy:p{i}", f"service:s{s}", kind="grants", actions=[f"s{s}:*"],
                       usage="used" if s % 2 else "unused")
    for i in range(users):
        g.add_node(f"user:u{i}", kind="user", name=f"u{i}")
        g.add_edge(f"user:u{i}", f"group:g{i % groups}", kind="member_of",
                   usage="unused" if i % 3 == 0 else "used")
    return g


def test_large_account_is_summarised_with_a_note() -> None:
    g = _big_graph(users=2000, groups=120)
    view, notes = summarise(g)
    assert view.number_of_edges() <= ViewLimits().max_edges
    assert any("users summarised" in n for n in notes)
    assert any("groups not shown" in n for n in notes)
    mermaid = export_mermaid(view, notes=notes)
    assert "Note: " in mermaid
    assert mermaid.count("-->") + mermaid.count("-.->") <= 500  # GitHub's default maxEdges
    assert len(mermaid) < 50_000  # GitHub's default maxTextSize
    # Members become counts per group, with the unused ones counted.
    # (users i in group i % 120 are unused when i % 3 == 0: whole groups are unused)
    assert re.search(r'"1[67] members, 1[67] unused"\]\)', mermaid)
    assert re.search(r'"1[67] members"\]\)', mermaid)


def test_small_graph_is_not_summarised(example: AccessGraph) -> None:
    view, notes = summarise(example.graph)
    assert notes == []
    assert view.number_of_nodes() == example.graph.number_of_nodes()


@needs_dot
@pytest.mark.parametrize("fmt,magic", [("svg", b"<svg"), ("png", b"\x89PNG")])
def test_svg_and_png_through_graphviz(example: AccessGraph, fmt: str, magic: bytes) -> None:
    data = export_graph(example.graph, fmt)
    raw = data.encode() if isinstance(data, str) else data
    assert magic in raw[:400]


def test_clear_message_when_dot_is_missing(
    example: AccessGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    with pytest.raises(ToolMissingError, match="needs Graphviz 'dot', which is not installed"):
        export_graph(example.graph, "svg")
