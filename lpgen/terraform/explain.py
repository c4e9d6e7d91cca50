"""Say why a `count` or `for_each` gives no instance: the values it was computed from."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from lark import Tree

from lpgen.terraform.evaluate import _attr_name, exprs, span
from lpgen.terraform.values import Unknown, to_plain

if TYPE_CHECKING:
    from lpgen.terraform.loader import Block, ModuleInstance

_TRAVERSALS = ("get_attr_expr_term", "index_expr_term", "attr_splat_expr_term")


def referenced_values(node: Tree[Any]) -> list[str]:
    """``var.x``, ``local.y`` and ``terraform.workspace`` named in an expression, in order."""
    try:
        return list(node._lpr)  # type: ignore[attr-defined]
    except AttributeError:
        pass
    names = _referenced(node)
    node._lpr = names  # type: ignore[attr-defined]
    return list(names)


def _referenced(node: Tree[Any]) -> list[str]:
    found: dict[str, int] = {}
    for sub in node.iter_subtrees():
        if sub.data != "get_attr_expr_term":
            continue
        inner, step = exprs(sub)[0], exprs(sub)[-1]
        while inner.data == "expr_term" and len(exprs(inner)) == 1:
            inner = exprs(inner)[0]
        if inner.data != "identifier":
            continue
        root, attr = str(inner.children[0]), _attr_name(step)
        if attr is not None and (
            root in ("var", "local") or (root == "terraform" and attr == "workspace")
        ):
            at = span(inner)[0]
            name = f"{root}.{attr}"
            found[name] = min(at, found.get(name, at))
    return sorted(found, key=lambda n: found[n])


def show_value(value: Any, limit: int = 40) -> str:
    """A value as Terraform would print it, cut to ``limit`` characters."""
    if isinstance(value, Unknown):
        return "(not known)"
    plain = to_plain(value)
    try:
        text = json.dumps(plain, separators=(", ", " = ") if isinstance(plain, dict) else None)
    except (TypeError, ValueError):
        text = str(plain)
    if plain is None:
        text = "null"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _values_of(mi: ModuleInstance, node: Tree[Any]) -> str:
    shown = []
    for name in referenced_values(node)[:3]:
        root, attr = name.split(".", 1)
        if root == "var":
            value = mi.variable(attr)
        elif root == "local":
            value = mi.local(attr)
        else:
            value = mi.workspace()
        shown.append(f"{name} = {show_value(value)}")
    return f" ({', '.join(shown)})" if shown else ""


def empty_reason(mi: ModuleInstance, block: Block) -> str:
    """``count is 0 (var.create = false)`` / ``for_each is empty (var.users = {})``."""
    if "count" in block.attrs:
        return "count is 0" + _values_of(mi, block.attrs["count"])
    return "for_each is empty" + _values_of(mi, block.attrs["for_each"])


def why_empty(mi: ModuleInstance, block: Block) -> str:
    """The same, as what a module call has: ``count 0 (var.create = false)``."""
    if "count" in block.attrs:
        return "count 0" + _values_of(mi, block.attrs["count"])
    return "an empty for_each" + _values_of(mi, block.attrs["for_each"])
