"""Convert a variable's value to its declared ``type``, as Terraform does before using it.

What matters for IAM: ``set(...)`` makes a set (for_each order, uniqueness), numbers become
strings for ``string``, and ``object({...})`` attributes declared ``optional(T, default)`` that
the value leaves out are filled in (``statement.value.effect`` of a module's statement map).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lark import Token, Tree

from lpgen.terraform.evaluate import exprs, to_string
from lpgen.terraform.values import SDict, SList, TSet, Unknown

if TYPE_CHECKING:
    from lpgen.terraform.evaluate import Evaluator, Scope


# A type expression is read again for every value converted to it (each module instance,
# each element of a list): what is read of its shape is kept on its nodes (``_lpu``,
# ``_lpc``; attributes of their own, not the evaluator's ``_lp``, and on few nodes: only the
# variables' type expressions).


def _unwrap(node: Tree[Any]) -> Tree[Any]:
    try:
        return node._lpu  # type: ignore[attr-defined, no-any-return]
    except AttributeError:
        pass
    inner = node
    while inner.data == "expr_term" and len(exprs(inner)) == 1:
        inner = exprs(inner)[0]
    node._lpu = inner  # type: ignore[attr-defined]
    return inner


def _call(node: Tree[Any]) -> tuple[str, list[Tree[Any]]] | None:
    """``list(string)`` -> ("list", [string]); None if not a call."""
    if node.data != "function_call":
        return None
    try:
        return node._lpc  # type: ignore[attr-defined, no-any-return]
    except AttributeError:
        pass
    idents = [c for c in node.children if isinstance(c, Tree) and c.data == "identifier"]
    args = next((c for c in node.children if isinstance(c, Tree) and c.data == "arguments"), None)
    call = str(idents[0].children[0]), exprs(args) if args is not None else []
    node._lpc = call  # type: ignore[attr-defined]
    return call


def convert(type_node: Tree[Any], value: Any, ev: Evaluator, scope: Scope) -> Any:
    """``value`` converted to the type ``type_node`` describes (unchanged where unsure)."""
    if isinstance(value, Unknown) or value is None:
        return value
    node = _unwrap(type_node)
    if node.data == "identifier":
        name = str(node.children[0])
        if name == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return to_string(value)
        return value
    call = _call(node)
    if call is None:
        return value
    kind, args = call
    if kind in ("list", "set") and len(args) == 1 and isinstance(value, list):
        items = [convert(args[0], v, ev, scope) for v in value]
        if kind == "set":
            from lpgen.terraform.functions import _toset

            try:
                return _toset(items)
            except Exception:  # unknown elements: keep the list
                return _keep(value, items)
        return _keep(value, items)
    if kind == "map" and len(args) == 1 and isinstance(value, dict):
        out = SDict(loc=getattr(value, "loc", None), note=getattr(value, "note", None))
        for k, v in value.items():
            out[k] = convert(args[0], v, ev, scope)
        return out
    if kind == "tuple" and len(args) == 1 and isinstance(value, list):
        elems = _unwrap(args[0])
        types = exprs(elems) if elems.data == "tuple" else []
        if len(types) == len(value):
            pairs = zip(types, value, strict=True)
            return _keep(value, [convert(t, v, ev, scope) for t, v in pairs])
        return value
    if kind == "object" and len(args) == 1 and isinstance(value, dict):
        return _object(_unwrap(args[0]), value, ev, scope)
    return value


def _keep(original: Any, items: list[Any]) -> Any:
    if isinstance(original, TSet):
        return TSet(items)
    if isinstance(original, SList):
        return SList(items, original.loc, original.note, original.item_locs)
    return items


def _object(spec: Tree[Any], value: dict[str, Any], ev: Evaluator, scope: Scope) -> Any:
    if spec.data != "object":
        return value
    out = SDict(value, loc=getattr(value, "loc", None), note=getattr(value, "note", None))
    for elem in exprs(spec):
        key_node, type_node = exprs(elem)[0], exprs(elem)[-1]
        key = _key(key_node)
        if key is None:
            continue
        attr_type = _unwrap(type_node)
        call = _call(attr_type)
        optional = call is not None and call[0] == "optional"
        inner = call[1][0] if optional and call and call[1] else type_node
        if key in value:
            out[key] = convert(inner, value[key], ev, scope)
        elif optional and call is not None:
            default = ev.eval(call[1][1], scope) if len(call[1]) > 1 else None
            out[key] = convert(inner, default, ev, scope)
    return out


def _key(node: Tree[Any]) -> str | None:
    inner = node.children[0]
    if isinstance(inner, Token):
        return str(inner)
    inner = _unwrap(inner) if inner.data == "expr_term" else inner
    if inner.data in ("identifier", "keyword"):
        return str(inner.children[0])
    return None
