"""Evaluate HCL expressions (python-hcl2 lark trees) statically, keeping provenance.

Only what can be known before ``apply`` is computed; everything else becomes
:class:`~lpgen.terraform.values.Unknown` with the reason, never a guess.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from lark import Token, Tree

from lpgen.errors import ParseError
from lpgen.model import Location
from lpgen.terraform.parse import SourceFile, parse_hcl, span
from lpgen.terraform.values import (
    Encoded,
    Invalid,
    SDict,
    SList,
    SStr,
    TSet,
    Unknown,
    first_unknown,
    type_name,
)


class Lazy(Protocol):
    """A value whose attributes are computed on demand (resources, modules)."""

    def get_attr(self, name: str) -> Any: ...

    def index(self, key: Any) -> Any: ...

    def splat(self) -> Any: ...


class Context(Protocol):
    """What an expression can refer to: one module instance."""

    def variable(self, name: str) -> Any: ...

    def local(self, name: str) -> Any: ...

    def resource(self, rtype: str, name: str) -> Any: ...

    def data(self, rtype: str, name: str) -> Any: ...

    def module_call(self, name: str) -> Any: ...

    def path(self, which: str) -> Any: ...

    def read_file(self, path: str, *, how: str) -> SourceFile | Unknown: ...

    def workspace(self) -> Any: ...


@dataclass
class Scope:
    ctx: Context
    source: SourceFile
    bindings: dict[str, Any] = field(default_factory=dict)

    def child(self, **bindings: Any) -> Scope:
        merged = dict(self.bindings)
        merged.update(bindings)
        return Scope(self.ctx, self.source, merged)


_SKIP = frozenset({"new_line_or_comment"})
# Binding set while a declaration with no (known) instance is evaluated once with what is
# known: a reference to an instance that does not exist gives the one that stands for it.
PHANTOM = "lpgen.phantom"
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", re.S)
_SIMPLE_ESC = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_TEMPLATE_MARK = re.compile(r"\$\$\{|%%\{|\$\{|%\{")
_HEREDOC_RE = re.compile(r"<<(-?)([A-Za-z][A-Za-z0-9._-]*)\r?\n", re.S)

# Parsed `${}` snippets of heredocs/templates, by (file, offset, text).
_SNIPPETS: dict[tuple[str, int, str], Tree[Any]] = {}


# What the evaluator works out from a node's shape alone (the parts of a string, the steps
# of a traversal, a call's name and arguments, ...) is worked out once per node and kept on
# the node: module libraries are evaluated again for every call and every root, and the shape
# of a parse tree never changes once it is read. It is one attribute, ``_lp`` (a second
# attribute beyond lark's three would cost each node a dictionary): the list of the node's
# expression children, which also holds the shape (``shape``) and the node's Location with
# the SourceFile it was made for (made again for any other). Only the nodes with a shape, a
# Location or a tuple's element Locations keep it: the others (``expr_term`` above all)
# would cost more memory than their children's list costs time.


class _Kids(list[Any]):
    """A node's expression children, with what else is kept of the node (see above)."""

    __slots__ = ("loc", "shape", "source")
    loc: Location | None
    shape: Any
    source: SourceFile | None


_UNSET: Any = object()  # the shape of a node not worked out yet


def _kids(node: Tree[Any]) -> _Kids:
    try:
        return node._lp  # type: ignore[attr-defined, no-any-return]
    except AttributeError:
        pass
    kids = _Kids([c for c in node.children if isinstance(c, Tree) and c.data not in _SKIP])
    kids.source = kids.loc = None
    kids.shape = _UNSET
    node._lp = kids  # type: ignore[attr-defined]
    return kids


def exprs(node: Tree[Any]) -> list[Tree[Any]]:
    """Child trees of ``node`` that are expressions (tokens and newlines dropped).

    Callers must not change the list (it may be the one kept on the node)."""
    try:
        return node._lp  # type: ignore[attr-defined, no-any-return]
    except AttributeError:
        return [c for c in node.children if isinstance(c, Tree) and c.data not in _SKIP]


def node_loc(source: SourceFile, node: Tree[Any]) -> Location:
    """``source.node_loc(node)``, made once per node and source (Locations are frozen)."""
    kids = _kids(node)
    if kids.source is source and kids.loc is not None:
        return kids.loc
    loc = source.node_loc(node)
    kids.source, kids.loc = source, loc
    return loc


def unescape(raw: str) -> str:
    def repl(m: re.Match[str]) -> str:
        body = m.group(1)
        if body[0] in "uU" and len(body) > 1:
            return chr(int(body[1:], 16))
        return _SIMPLE_ESC.get(body, "\\" + body)

    text = _ESCAPE_RE.sub(repl, raw) if "\\" in raw else raw
    return text.replace("$${", "${").replace("%%{", "%{")


def to_string(value: Any) -> str | Unknown:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Encoded) and not value.complete:
        # Its text holds placeholders: as text (a name, a hash of it) it is not known.
        inner = first_unknown(value.value)  # (Unknown is falsy: never `or` it)
        return inner if inner is not None else Unknown("the JSON text holds values not known")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if value is None:
        return Unknown("a null value cannot be used in a string template")
    return Unknown(f"a {type_name(value)} cannot be used in a string template")


def number(value: Any) -> float | int | Unknown:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return Unknown("a bool is not a number")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            f = float(value)
        except ValueError:
            return Unknown(f"{value!r} is not a number")
        return int(f) if f.is_integer() else f
    return Unknown(f"a {type_name(value)} is not a number")


def truthy(value: Any) -> bool | Unknown:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return bool(value)
    if value in ("true", "false"):
        return bool(value == "true")
    return Unknown(f"a {type_name(value)} is not a bool")


def _string_pieces(node: Tree[Any]) -> tuple[str, Any]:
    """What evaluating a quoted string needs of its shape: ("unwrap", expression) for
    ``"${x}"``, ("text", the text) with no interpolation, else ("parts", [text or node])."""
    parts = [c for c in node.children if isinstance(c, Tree) and c.data == "string_part"]
    if len(parts) == 1:
        only = parts[0].children[0]
        if isinstance(only, Tree) and only.data == "interpolation":
            return "unwrap", exprs(only)[0]
    pieces: list[Any] = []
    for part in parts:
        piece = part.children[0]
        pieces.append(unescape(str(piece)) if isinstance(piece, Token) else piece)
    if all(isinstance(p, str) for p in pieces):
        return "text", "".join(pieces)
    return "parts", pieces


class Evaluator:
    """Evaluates expression nodes in a scope."""

    def eval(self, node: Tree[Any] | Token, scope: Scope) -> Any:
        if isinstance(node, Token):
            return Unknown(f"unexpected token {node!s}")
        method = _METHODS.get(node.data)
        if method is None:
            return Unknown(f"unsupported expression ({node.data})")
        return method(self, node, scope)

    # --- structure -------------------------------------------------------------------

    def _expr_term(self, node: Tree[Any], scope: Scope) -> Any:
        children = node.children
        if len(children) == 1:  # the most frequent node: no list of its children is made
            only = children[0]
            if isinstance(only, Tree) and only.data not in _SKIP:
                return self.eval(only, scope)
        inner = exprs(node)
        if len(inner) != 1:
            return Unknown("unsupported expression")
        return self.eval(inner[0], scope)

    def _conditional(self, node: Tree[Any], scope: Scope) -> Any:
        cond, yes, no = exprs(node)
        test = truthy(self.eval(cond, scope))
        if isinstance(test, Unknown):
            # As in HCL, an unknown condition makes the result unknown; the reason stays
            # the one that names the value ("var.env has no value ...").
            return test
        return self.eval(yes if test else no, scope)

    def _binary_op(self, node: Tree[Any], scope: Scope) -> Any:
        kids = _kids(node)
        if kids.shape is _UNSET:
            lhs_node, term = kids[0], kids[1]
            op_node, rhs_node = exprs(term)[0], exprs(term)[-1]
            kids.shape = (lhs_node, str(op_node.children[0]).strip(), rhs_node)
        lhs_node, op, rhs_node = kids.shape
        lhs = self.eval(lhs_node, scope)
        if op == "&&" and lhs is False:
            return False
        if op == "||" and lhs is True:
            return True
        rhs = self.eval(rhs_node, scope)
        return binary(op, lhs, rhs)

    def _unary_op(self, node: Tree[Any], scope: Scope) -> Any:
        op = str(node.children[0])
        value = self.eval(node.children[1], scope)
        if isinstance(value, Unknown):
            return value
        if op == "!":
            t = truthy(value)
            return t if isinstance(t, Unknown) else not t
        n = number(value)
        return n if isinstance(n, Unknown) else -n

    # --- literals --------------------------------------------------------------------

    def _int_lit(self, node: Tree[Any], scope: Scope) -> Any:
        return int(str(node.children[0]))

    def _float_lit(self, node: Tree[Any], scope: Scope) -> Any:
        return float(str(node.children[0]))

    def _literal_value(self, node: Tree[Any], scope: Scope) -> Any:
        word = str(node.children[0])
        return {"true": True, "false": False, "null": None}[word]

    def _identifier(self, node: Tree[Any], scope: Scope) -> Any:
        name = str(node.children[0])
        if name in scope.bindings:
            return scope.bindings[name]
        return self.reference(name, [], scope, node)

    def _template_string(self, node: Tree[Any], scope: Scope) -> Any:
        return Unknown("template directive strings are not evaluated")

    def _string(self, node: Tree[Any], scope: Scope) -> Any:
        kids = _kids(node)
        if kids.shape is _UNSET:
            kids.shape = _string_pieces(node)
        kind, pieces = kids.shape
        if kind == "unwrap":
            # HCL unwraps a template that is a single interpolation: "${x}" is x.
            return self.eval(pieces, scope)
        loc = node_loc(scope.source, node)
        if kind == "text":
            return SStr(pieces, loc)
        out: list[str] = []
        for piece in pieces:
            if isinstance(piece, str):
                out.append(piece)
                continue
            if piece.data == "interpolation":
                value = to_string(self.eval(exprs(piece)[0], scope))
                if isinstance(value, Unknown):
                    return value
                out.append(value)
            else:
                # %{ if } / %{ for }: render the whole string as a template.
                from lpgen.terraform.template import render

                start, end = span(node)
                rendered = render(self, scope.source, start + 1, end - 1, scope, quoted=True)
                return rendered if isinstance(rendered, Unknown) else SStr(rendered, loc)
        return SStr("".join(out), loc)

    def _heredoc_template(self, node: Tree[Any], scope: Scope) -> Any:
        return self.heredoc(node, scope, trim=False)

    def _heredoc_template_trim(self, node: Tree[Any], scope: Scope) -> Any:
        return self.heredoc(node, scope, trim=True)

    def heredoc(self, node: Tree[Any], scope: Scope, *, trim: bool) -> Any:
        token = node.children[0]
        raw = str(token)
        start = int(getattr(token, "start_pos", 0) or 0)
        m = _HEREDOC_RE.match(raw)
        if not m:
            return Unknown("unreadable heredoc")
        body_start = start + m.end()
        # The body ends before the line holding the closing marker.
        body_text = raw[m.end() :]
        last_nl = body_text.rstrip("\r\n").rfind("\n")
        body_len = last_nl + 1 if last_nl >= 0 else 0
        body_end = body_start + body_len
        loc = scope.source.loc(start, start + len(raw.rstrip("\r\n")))
        text = self.template_text(scope.source, body_start, body_end, scope)
        if isinstance(text, str) and trim:
            text = _strip_indent(text)
        from lpgen.terraform.jsonpos import (
            _interp_end,
            looks_like_json,
            parse_json_span,
            reconcile_rendered,
        )

        raw_body = scope.source.text[body_start:body_end]
        lead = len(raw_body) - len(raw_body.lstrip())
        stripped_end = body_start + len(raw_body.rstrip())
        if (
            raw_body.lstrip().startswith("${")
            and _interp_end(scope.source.text, body_start + lead, stripped_end) == stripped_end
        ):
            # The whole body is one interpolation, e.g. ${data.aws_iam_policy_document.x.json}:
            # keep the document it holds (and where it was written).
            inner = self.eval(
                self.snippet(scope.source, body_start + lead + 2, stripped_end - 1), scope
            )
            if isinstance(inner, Encoded):
                # A document with unknown parts has no known text, but what it holds is kept.
                return Encoded(
                    text if isinstance(text, str) else str(inner),
                    inner.value,
                    inner.style,
                    complete=inner.complete and isinstance(text, str),
                    loc=inner.loc,
                    source_file=inner.source_file,
                )
        if looks_like_json(raw_body):
            try:
                value = parse_json_span(
                    scope.source,
                    body_start + lead,
                    stripped_end,
                    template=lambda t, s, e: self.json_template(t, s, e, scope),
                )
            except ParseError:
                value = None
            if isinstance(text, str):
                value = reconcile_rendered(value, text)
            if value is not None:
                complete = isinstance(text, str)
                shown = text if isinstance(text, str) else raw_body
                return Encoded(shown, value, "heredoc", complete=complete, loc=loc)
        if isinstance(text, Unknown):
            return text
        return SStr(text, loc)

    def json_template(self, raw: str, start: int, end: int, scope: Scope) -> Any:
        """Evaluate a JSON string (or bare ``${}``) holding interpolations."""
        if raw.startswith("${") and end - start == len(raw):
            # A bare interpolation used as a JSON value: its text is spliced into the JSON.
            inner = self.eval(self.snippet(scope.source, start + 2, end - 1), scope)
            return spliced_json(inner)
        value = self.template_text(scope.source, start + 1, end - 1, scope)
        if isinstance(value, Unknown):
            return value
        return SStr(unescape_json(value), scope.source.loc(start, end, "json"))

    def template_text(self, source: SourceFile, start: int, end: int, scope: Scope) -> Any:
        """Evaluate template text (heredoc body, templatefile) between two offsets."""
        from lpgen.terraform.jsonpos import _interp_end

        text = source.text
        out: list[str] = []
        i = start
        while i < end:
            m = _TEMPLATE_MARK.search(text, i, end)
            if m is None:
                out.append(text[i:end])
                break
            out.append(text[i : m.start()])
            mark = m.group(0)
            if mark in ("$${", "%%{"):
                # Escapes for a literal ${ / %{.
                out.append(mark[1:])
                i = m.end()
                continue
            if mark == "%{":
                from lpgen.terraform.template import render

                return render(self, source, start, end, scope)
            close = _interp_end(text, m.start(), end)
            if close < 0:
                return Unknown(f"unterminated ${{ at {source.rel}:{source.line_of(m.start())}")
            value = to_string(self.eval(self.snippet(source, m.start() + 2, close - 1), scope))
            if isinstance(value, Unknown):
                return value
            out.append(value)
            i = close
        return "".join(out)

    def snippet(self, source: SourceFile, start: int, end: int) -> Tree[Any]:
        """Parse the expression in ``source.text[start:end]`` (positions stay file offsets)."""
        expr = source.text[start:end]
        key = (source.rel, start, expr)
        tree = _SNIPPETS.get(key)
        if tree is None:
            flat = re.sub(r"[\r\n]", " ", expr).rstrip("~ ")
            flat = flat.lstrip("~")
            lead = len(expr) - len(expr.lstrip("~"))
            prefix = "x = "
            parsed = parse_hcl(
                prefix + flat + "\n",
                rel=source.rel,
                offset=start + lead - len(prefix),
                line_of=source.line_of,
            )
            attr = parsed.children[0].children
            attribute = next(c for c in attr if isinstance(c, Tree) and c.data == "attribute")
            tree = exprs(attribute)[-1]
            _SNIPPETS[key] = tree
        return tree

    # --- collections -----------------------------------------------------------------

    def _tuple(self, node: Tree[Any], scope: Scope) -> Any:
        kids = _kids(node)
        source = scope.source
        items = [self.eval(e, scope) for e in kids]
        loc = node_loc(source, node)
        if kids.shape is _UNSET or kids.shape[0] is not source:
            kids.shape = (source, [source.node_loc(e) for e in kids])
        return SList(items, loc, item_locs=list(kids.shape[1]))

    def _object(self, node: Tree[Any], scope: Scope) -> Any:
        out = SDict(loc=node_loc(scope.source, node))
        for elem in _kids(node):
            key_node, value_node = exprs(elem)[0], exprs(elem)[-1]
            key = self.object_key(key_node, scope)
            if isinstance(key, Unknown):
                return Unknown(f"object key is not known: {key.reason}")
            out[key] = self.eval(value_node, scope)
        return out

    def object_key(self, key_node: Tree[Any], scope: Scope) -> Any:
        inner = key_node.children[0]
        if isinstance(inner, Tree) and inner.data == "keyword":
            return str(inner.children[0])
        if isinstance(inner, Tree) and inner.data == "expr_term":
            sub = exprs(inner)
            if len(sub) == 1 and sub[0].data == "identifier":
                return str(sub[0].children[0])
        value = self.eval(inner, scope)
        return to_string(value)

    def _for_tuple_expr(self, node: Tree[Any], scope: Scope) -> Any:
        return self.for_expr(node, scope, is_object=False)

    def _for_object_expr(self, node: Tree[Any], scope: Scope) -> Any:
        return self.for_expr(node, scope, is_object=True)

    def for_expr(self, node: Tree[Any], scope: Scope, *, is_object: bool) -> Any:
        kids = _kids(node)
        if kids.shape is _UNSET:
            kids.shape = _for_shape(node)
        names, coll_node, body, cond, grouping = kids.shape
        collection = self.eval(coll_node, scope)
        if isinstance(collection, Unknown):
            return Unknown(f"for expression over an unknown collection: {collection.reason}")
        pairs = iterate(collection)
        if isinstance(pairs, Unknown):
            return pairs
        tuple_out: list[Any] = []
        obj_out: dict[str, Any] = {}
        for key, value in pairs:
            if len(names) == 2:
                inner = scope.child(**{names[0]: key, names[1]: value})
            else:
                inner = scope.child(**{names[0]: value})
            if cond is not None:
                ok = truthy(self.eval(exprs(cond)[0], inner))
                if isinstance(ok, Unknown):
                    return Unknown(f"for expression condition is not known: {ok.reason}")
                if not ok:
                    continue
            if is_object:
                k = to_string(self.eval(body[0], inner))
                if isinstance(k, Unknown):
                    return Unknown(f"for expression key is not known: {k.reason}")
                v = self.eval(body[1], inner)
                if grouping:
                    obj_out.setdefault(k, []).append(v)
                else:
                    obj_out[k] = v
            else:
                tuple_out.append(self.eval(body[0], inner))
        if is_object:
            return obj_out
        # One body made into many elements: no element is text of its own to edit (a policy
        # statement built this way is left as is).
        return SList(tuple_out, None, note="built by a for expression")

    # --- functions -------------------------------------------------------------------

    def _function_call(self, node: Tree[Any], scope: Scope) -> Any:
        from lpgen.terraform.functions import call_function

        kids = _kids(node)
        if kids.shape is _UNSET:
            kids.shape = _call_shape(node)
        name, arg_nodes, expand_last = kids.shape
        return call_function(self, name, arg_nodes, scope, node, expand_last=expand_last)

    # --- traversals ------------------------------------------------------------------

    def _get_attr_expr_term(self, node: Tree[Any], scope: Scope) -> Any:
        return self.traversal(node, scope)

    def _index_expr_term(self, node: Tree[Any], scope: Scope) -> Any:
        return self.traversal(node, scope)

    def _attr_splat_expr_term(self, node: Tree[Any], scope: Scope) -> Any:
        return self.traversal(node, scope)

    def _full_splat_expr_term(self, node: Tree[Any], scope: Scope) -> Any:
        return self.traversal(node, scope)

    def traversal(self, node: Tree[Any], scope: Scope) -> Any:
        kids = _kids(node)
        if kids.shape is _UNSET:
            kids.shape = _traversal_shape(node)
        root, name, steps = kids.shape
        if name is not None:
            if name in scope.bindings:
                return whole(self.apply_steps(scope.bindings[name], steps, scope))
            return whole(self.reference(name, steps, scope, node))
        return whole(self.apply_steps(self.eval(root, scope), steps, scope))

    def reference(self, name: str, steps: list[Tree[Any]], scope: Scope, node: Tree[Any]) -> Any:
        """Resolve ``name.step.step...`` against the module (var, local, resources, ...)."""
        ctx = scope.ctx
        attrs = [_attr_name(s) for s in steps]

        def rest(n: int, value: Any) -> Any:
            return self.apply_steps(value, steps[n:], scope)

        if name in ("var", "local", "module", "path", "count", "each", "self", "terraform"):
            if not attrs or attrs[0] is None:
                return Unknown(f"'{name}' must be followed by an attribute name")
            first = attrs[0]
            if name == "var":
                return rest(1, ctx.variable(first))
            if name == "local":
                return rest(1, ctx.local(first))
            if name == "module":
                return rest(1, ctx.module_call(first))
            if name == "path":
                return rest(1, ctx.path(first))
            if name == "count":
                if "count.index" not in scope.bindings:
                    return Unknown("count.index used outside a resource with count")
                return rest(1, scope.bindings["count.index"])
            if name == "each":
                key = "each." + first
                if key not in scope.bindings:
                    return Unknown("each.* used outside a resource with for_each")
                return rest(1, scope.bindings[key])
            if name == "terraform" and first == "workspace":
                return rest(1, ctx.workspace())
            return Unknown(f"{name}.{first} is known only during apply")
        if name == "data":
            if len(attrs) < 2 or attrs[0] is None or attrs[1] is None:
                return Unknown("data source reference needs a type and a name")
            return rest(2, ctx.data(attrs[0], attrs[1]))
        if not attrs or attrs[0] is None:
            return Unknown(f"unknown reference '{name}'")
        return rest(1, ctx.resource(name, attrs[0]))

    def apply_steps(self, value: Any, steps: list[Tree[Any]], scope: Scope) -> Any:
        for i, step in enumerate(steps):
            if isinstance(value, Unknown):
                return value
            if step.data in ("attr_splat", "full_splat"):
                inner_steps = exprs(step)
                if hasattr(value, "splat"):
                    items = value.splat()
                    if items == [] and scope.bindings.get(PHANTOM):
                        stand_in = _phantom_view(value)
                        items = [stand_in] if stand_in is not None else items
                elif value is None:
                    items = []
                elif isinstance(value, list):
                    items = list(value)
                else:
                    items = [value]
                if isinstance(items, Unknown):
                    return items
                mapped = [self.apply_steps(v, inner_steps, scope) for v in items]
                return self.apply_steps(mapped, steps[i + 1 :], scope)
            value = self.step(value, step, scope)
        return value

    def step(self, value: Any, step: Tree[Any], scope: Scope) -> Any:
        if step.data == "get_attr":
            name = _attr_name(step)
            if name is None:
                return Unknown("bad attribute access")
            if isinstance(value, dict):
                if name in value:
                    return value[name]
                return Invalid(f"object has no attribute '{name}'")
            if scope.bindings.get(PHANTOM) and hasattr(value, "phantom_attr"):
                return value.phantom_attr(name)
            if hasattr(value, "get_attr"):
                return value.get_attr(name)
            return Invalid(f"cannot read .{name} of a {type_name(value)}")
        if step.data == "short_index":
            key: Any = int(str(step.children[-1]))
        else:
            key = self.eval(exprs(step)[0], scope)
        if isinstance(key, Unknown):
            return Unknown(f"index is not known: {key.reason}")
        if isinstance(value, list):
            n = number(key)
            if isinstance(n, Unknown) or not float(n).is_integer():
                return Unknown(f"invalid list index {key!r}")
            idx = int(n)
            if 0 <= idx < len(value):
                return value[idx]
            return Invalid(f"index {idx} out of range (length {len(value)})")
        if isinstance(value, dict):
            k = to_string(key)
            if isinstance(k, Unknown):
                return k
            if k in value:
                return value[k]
            return Invalid(f"key {k!r} not found")
        if hasattr(value, "index") and not isinstance(value, str):
            found = value.index(key)
            if isinstance(found, Unknown) and scope.bindings.get(PHANTOM):
                stand_in = _phantom_view(value)
                if stand_in is not None:
                    return stand_in
            return found
        return Unknown(f"cannot index a {type_name(value)}")


# The method that evaluates each kind of node (``_string`` for "string", ...).
_METHODS: dict[str, Any] = {
    name[1:]: fn
    for name, fn in vars(Evaluator).items()
    if name.startswith("_") and not name.startswith("__") and callable(fn)
}


def _phantom_view(value: Any) -> Any:
    view = getattr(value, "phantom_view", None)
    return view() if view is not None else None


def spliced_json(value: Any) -> Any:
    """The JSON value that the text of ``value`` makes when written bare into a JSON template."""
    if isinstance(value, Encoded):
        return value.value
    if isinstance(value, Unknown) or value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        try:
            return json.loads(str(value))
        except ValueError:
            return Unknown(f"{str(value)[:40]!r} written bare into JSON is not a JSON value")
    return Unknown(f"a {type_name(value)} cannot be written into a template")


def whole(value: Any) -> Any:
    """A resource or module call used as a value becomes its instance(s), as in Terraform."""
    as_value = getattr(value, "as_value", None)
    return as_value() if as_value is not None else value


def _attr_name(step: Tree[Any]) -> str | None:
    kids = _kids(step)
    if kids.shape is _UNSET:
        name = None
        if step.data == "get_attr":
            for c in step.children:
                if isinstance(c, Tree) and c.data in ("identifier", "literal_value"):
                    name = str(c.children[0])
                    break
        kids.shape = name
    return kids.shape  # type: ignore[no-any-return]


def _traversal_shape(node: Tree[Any]) -> tuple[Tree[Any], str | None, list[Tree[Any]]]:
    """A traversal's root node, the root's name when it is an identifier, and its steps."""
    steps: list[Tree[Any]] = []
    base: Tree[Any] = node
    while isinstance(base, Tree) and base.data in (
        "get_attr_expr_term",
        "index_expr_term",
        "attr_splat_expr_term",
        "full_splat_expr_term",
    ):
        inner, step = exprs(base)[0], exprs(base)[-1]
        steps.append(step)
        base = inner
        if base.data == "expr_term" and len(exprs(base)) == 1:
            only = exprs(base)[0]
            if only.data in (
                "get_attr_expr_term",
                "index_expr_term",
                "attr_splat_expr_term",
                "full_splat_expr_term",
            ):
                base = only
    steps.reverse()
    root = base
    if root.data == "expr_term" and len(exprs(root)) == 1 and exprs(root)[0].data == "identifier":
        root = exprs(root)[0]
    if root.data == "identifier":
        return root, str(root.children[0]), steps
    return root, None, steps


def _call_shape(node: Tree[Any]) -> tuple[str, list[Tree[Any]], bool]:
    """A function call's name, argument nodes, and whether its last argument ends in ``...``."""
    idents = [c for c in node.children if isinstance(c, Tree) and c.data == "identifier"]
    name = str(idents[-1].children[0]) if len(idents) > 1 else str(idents[0].children[0])
    if len(idents) > 1:
        name = "::".join(str(i.children[0]) for i in idents)
    args_node = next(
        (c for c in node.children if isinstance(c, Tree) and c.data == "arguments"), None
    )
    arg_nodes = exprs(args_node) if args_node is not None else []
    expand_last = args_node is not None and any(
        isinstance(c, Token) and c.type == "ELLIPSIS" for c in args_node.children
    )
    return name, arg_nodes, expand_last


def _for_shape(
    node: Tree[Any],
) -> tuple[list[str], Tree[Any], list[Tree[Any]], Tree[Any] | None, bool]:
    """A for expression's names, collection, body (key and value, or value), condition,
    and whether it groups (``...``)."""
    intro = next(c for c in exprs(node) if c.data == "for_intro")
    names = [str(c.children[0]) for c in exprs(intro) if c.data == "identifier"]
    coll_node = [c for c in exprs(intro) if c.data != "identifier"][-1]
    body = [c for c in exprs(node) if c.data not in ("for_intro", "for_cond")]
    cond = next((c for c in exprs(node) if c.data == "for_cond"), None)
    grouping = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in node.children)
    return names, coll_node, body, cond, grouping


def _strip_indent(text: str) -> str:
    lines = text.split("\n")
    widths = [len(ln) - len(ln.lstrip(" \t")) for ln in lines if ln.strip()]
    cut = min(widths) if widths else 0
    return "\n".join(ln[cut:] for ln in lines)


def unescape_json(text: str) -> str:
    if "\\" not in text:
        return text
    try:
        result = json.loads('"' + text + '"')
    except ValueError:
        return text
    return str(result)


def iterate(collection: Any) -> list[tuple[Any, Any]] | Unknown:
    """(key, value) pairs in Terraform's iteration order."""
    if isinstance(collection, TSet):
        return [(v, v) for v in collection]
    if isinstance(collection, list):
        return list(enumerate(collection))
    if isinstance(collection, dict):
        return [
            (SStr(k) if not isinstance(k, SStr) else k, collection[k]) for k in sorted(collection)
        ]
    if hasattr(collection, "splat"):
        items = collection.splat()
        if isinstance(items, Unknown):
            return items
        return list(enumerate(items))
    return Unknown(f"cannot iterate over a {type_name(collection)}")


def binary(op: str, lhs: Any, rhs: Any) -> Any:
    if op in ("==", "!="):
        # (Unknown is falsy: test for None, never with `or`.)
        u = first_unknown(lhs.value if isinstance(lhs, Encoded) else lhs)
        if u is None:
            u = first_unknown(rhs.value if isinstance(rhs, Encoded) else rhs)
        if u is not None:
            return u
        from lpgen.terraform.values import to_plain

        equal = to_plain(lhs) == to_plain(rhs) and type_name(lhs) == type_name(rhs)
        return equal if op == "==" else not equal
    if isinstance(lhs, Unknown):
        return lhs
    if isinstance(rhs, Unknown):
        return rhs
    if op in ("&&", "||"):
        a, b = truthy(lhs), truthy(rhs)
        if isinstance(a, Unknown):
            return a
        if isinstance(b, Unknown):
            return b
        return (a and b) if op == "&&" else (a or b)
    x, y = number(lhs), number(rhs)
    if isinstance(x, Unknown):
        return x
    if isinstance(y, Unknown):
        return y
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if op == "/":
        return Unknown("division by zero") if y == 0 else _num(x / y)
    if op == "%":
        return Unknown("modulo by zero") if y == 0 else x % y
    if op == "<":
        return x < y
    if op == ">":
        return x > y
    if op == "<=":
        return x <= y
    if op == ">=":
        return x >= y
    return Unknown(f"unsupported operator {op}")


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def location_of(value: Any) -> Location | None:
    return getattr(value, "loc", None)


__all__ = ["Context", "Evaluator", "Lazy", "Scope", "exprs", "span", "to_string"]
