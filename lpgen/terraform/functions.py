"""Terraform's built-in functions, as far as they can be computed before apply."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import urllib.parse
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from lark import Tree

from lpgen.errors import ParseError
from lpgen.terraform.values import (
    Encoded,
    Invalid,
    SDict,
    SList,
    SStr,
    TSet,
    Unknown,
    Unreadable,
    first_unknown,
    to_plain,
    type_name,
)

if TYPE_CHECKING:
    from lpgen.terraform.evaluate import Evaluator, Scope

Fn = Callable[..., Any]
_FUNCTIONS: dict[str, Fn] = {}


def _fn(*names: str) -> Callable[[Fn], Fn]:
    def register(f: Fn) -> Fn:
        for n in names:
            _FUNCTIONS[n] = f
        return f

    return register


def call_function(
    ev: Evaluator,
    name: str,
    arg_nodes: list[Tree[Any]],
    scope: Scope,
    node: Tree[Any],
    *,
    expand_last: bool = False,
) -> Any:
    short = name.split("::")[-1]
    if short in ("try", "can"):
        return _try_can(ev, short, arg_nodes, scope)
    args = [ev.eval(a, scope) for a in arg_nodes]
    if expand_last and args:
        last = args.pop()
        if isinstance(last, Unknown):
            return last
        if not isinstance(last, list):
            return Unknown(f"{name}(...): expanding a {type_name(last)} with ...")
        args.extend(last)
    if short in ("file", "templatefile", "fileexists", "filebase64"):
        return _file_functions(ev, short, args, scope)
    fn = _FUNCTIONS.get(short)
    if fn is None:
        return Unknown(f"function {name}() is not evaluated by lpgen")
    if short not in (
        "coalesce",
        "coalescelist",
        "lookup",
        "jsonencode",
        "merge",
        "concat",
        "tolist",
        "toset",
        "tomap",
        "flatten",
        "distinct",
        "compact",
        "length",
        "element",
        "keys",
        "values",
        "contains",
        "one",
        "setunion",
        "reverse",
        "slice",
        "zipmap",
        "tostring",
        "sort",
        "format",
        "join",
    ):
        u = next((a for a in args if isinstance(a, Unknown)), None)
        if u is not None:
            return u
    try:
        return fn(*args)
    except _Fail as exc:
        return Unknown(f"{short}(): {exc}")
    except (TypeError, ValueError, IndexError, KeyError, AttributeError) as exc:
        return Unknown(f"{short}(): cannot evaluate ({exc})")


class _Fail(Exception):
    pass


def _try_can(ev: Evaluator, name: str, arg_nodes: list[Tree[Any]], scope: Scope) -> Any:
    # As Terraform: try() passes over an argument that is an error, not one that is only not
    # known yet (its result is then not known either); can() is false for an error.
    if name == "can":
        if not arg_nodes:
            return Unknown("can() needs an argument")
        first = ev.eval(arg_nodes[0], scope)
        if isinstance(first, Invalid):
            return False
        return first if isinstance(first, Unknown) else True
    for node in arg_nodes:
        value = ev.eval(node, scope)
        if not isinstance(value, Invalid):
            return value
    return Invalid("try(): every argument is an error")


def _file_functions(ev: Evaluator, name: str, args: list[Any], scope: Scope) -> Any:
    if not args:
        return Unknown(f"{name}() needs a path")
    path = args[0]
    if isinstance(path, Unknown):
        return Unknown(f"{name}() path is not known: {path.reason}")
    if not isinstance(path, str):
        return Unknown(f"{name}() path must be a string")
    source = scope.ctx.read_file(str(path), how=name)
    if name == "fileexists":
        return not isinstance(source, Unknown)
    if isinstance(source, Unknown):
        return source
    if name == "filebase64":
        return Unknown("filebase64() is not evaluated")
    from lpgen.terraform.evaluate import Scope as _Scope
    from lpgen.terraform.jsonpos import looks_like_json, parse_json_span, reconcile_rendered

    loc = source.loc(0, len(source.text), "json")
    if name == "file":
        if looks_like_json(source.text):
            try:
                value = parse_json_span(source, 0, len(source.text))
            except ParseError as exc:
                return Unreadable(str(exc))
            return Encoded(source.text, value, "file", loc=loc, source_file=source.rel)
        return SStr(source.text, loc)
    # templatefile(path, vars): the template sees only vars (and functions).
    tvars = args[1] if len(args) > 1 else {}
    if isinstance(tvars, Unknown):
        return Unknown(f"templatefile() variables are not known: {tvars.reason}")
    if not isinstance(tvars, dict):
        return Unknown("templatefile() variables must be an object")
    tscope = _Scope(scope.ctx, source, {str(k): v for k, v in tvars.items()})
    text = ev.template_text(source, 0, len(source.text), tscope)
    if looks_like_json(source.text):
        try:
            value = parse_json_span(
                source,
                0,
                len(source.text),
                template=lambda t, s, e: ev.json_template(t, s, e, tscope),
            )
        except ParseError as exc:
            if isinstance(text, Unknown):
                # Not JSON as written, and not rendered: the reason it was not (template
                # directives, an unknown value) is the one to give, not the JSON error.
                return text if text.reason else Unknown(str(exc))
            value = reconcile_rendered(None, text)
            if value is None:
                return SStr(text, loc)
        else:
            if isinstance(text, str):
                value = reconcile_rendered(value, text)
        shown = text if isinstance(text, str) else source.text
        return Encoded(
            shown,
            value,
            "templatefile",
            complete=isinstance(text, str),
            loc=loc,
            source_file=source.rel,
        )
    return text if isinstance(text, Unknown) else SStr(text, loc)


def _str(v: Any) -> str:
    from lpgen.terraform.evaluate import to_string

    s = to_string(v)
    if isinstance(s, Unknown):
        raise _Fail(s.reason)
    return s


def _list(v: Any, fn: str) -> list[Any]:
    if isinstance(v, Unknown):
        raise _Fail(v.reason)
    if isinstance(v, list):
        return v
    if isinstance(v, dict):
        raise _Fail(f"{fn} needs a list, got an object")
    raise _Fail(f"{fn} needs a list, got a {type_name(v)}")


def _check_known(*values: Any) -> None:
    for v in values:
        u = first_unknown(v)
        if u is not None:
            raise _Fail(u.reason)


# --- type conversion --------------------------------------------------------------------


@_fn("toset")
def _toset(v: Any) -> Any:
    items = _list(v, "toset")
    if any(isinstance(i, Unknown) for i in items):
        raise _Fail("set elements are not all known")
    seen: dict[Any, Any] = {}
    for item in items:
        key = json.dumps(to_plain(item), sort_keys=True)
        seen.setdefault(key, item)
    values = list(seen.values())
    if all(isinstance(i, str) for i in values):
        values.sort(key=str)
    return TSet(values)


@_fn("tolist")
def _tolist(v: Any) -> Any:
    items = _list(v, "tolist")
    return items if isinstance(items, SList) else list(items)


@_fn("tomap")
def _tomap(v: Any) -> Any:
    if isinstance(v, Unknown):
        return v
    if not isinstance(v, dict):
        raise _Fail(f"tomap needs an object, got a {type_name(v)}")
    return v


@_fn("tostring")
def _tostring(v: Any) -> Any:
    if isinstance(v, Unknown):
        return v
    return v if isinstance(v, str) else _str(v)


@_fn("tonumber")
def _tonumber(v: Any) -> Any:
    from lpgen.terraform.evaluate import number

    return number(v)


@_fn("tobool")
def _tobool(v: Any) -> Any:
    from lpgen.terraform.evaluate import truthy

    return truthy(v)


# --- collections ------------------------------------------------------------------------


@_fn("concat")
def _concat(*lists: Any) -> Any:
    out: list[Any] = []
    for item in lists:
        if isinstance(item, Unknown):
            return item
        out.extend(_list(item, "concat"))
    return out


@_fn("merge")
def _merge(*maps: Any) -> Any:
    out: dict[str, Any] = {}
    for m in maps:
        if m is None:
            continue
        if isinstance(m, Unknown):
            return m
        if not isinstance(m, dict):
            raise _Fail(f"merge needs objects, got a {type_name(m)}")
        out.update(m)
    return out


@_fn("keys")
def _keys(m: Any) -> Any:
    if isinstance(m, Unknown):
        return m
    if not isinstance(m, dict):
        raise _Fail("keys needs an object")
    return [SStr(k) if not isinstance(k, SStr) else k for k in sorted(m)]


@_fn("values")
def _values(m: Any) -> Any:
    if isinstance(m, Unknown):
        return m
    if not isinstance(m, dict):
        raise _Fail("values needs an object")
    return [m[k] for k in sorted(m)]


@_fn("lookup")
def _lookup(m: Any, key: Any, *default: Any) -> Any:
    if isinstance(m, Unknown):
        return m
    if isinstance(key, Unknown):
        return key
    if not isinstance(m, dict):
        raise _Fail("lookup needs an object")
    k = _str(key)
    if k in m:
        return m[k]
    if default:
        return default[0]
    return Invalid(f"lookup(): key {k!r} not found and no default")


@_fn("element")
def _element(lst: Any, idx: Any) -> Any:
    if isinstance(lst, Unknown):
        return lst
    if isinstance(idx, Unknown):
        return idx
    items = _list(lst, "element")
    if not items:
        raise _Fail("element of an empty list")
    return items[int(idx) % len(items)]


@_fn("flatten")
def _flatten(v: Any) -> Any:
    if isinstance(v, Unknown):
        return v

    def walk(x: Any) -> list[Any]:
        if isinstance(x, Unknown):
            raise _Fail(x.reason)
        if isinstance(x, list):
            out: list[Any] = []
            for i in x:
                out.extend(walk(i))
            return out
        return [x]

    return walk(_list(v, "flatten"))


@_fn("distinct")
def _distinct(v: Any) -> Any:
    if isinstance(v, Unknown):
        return v
    items = _list(v, "distinct")
    _check_known(items)
    out: list[Any] = []
    seen: set[str] = set()
    for i in items:
        key = json.dumps(to_plain(i), sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(i)
    return out


@_fn("compact")
def _compact(v: Any) -> Any:
    if isinstance(v, Unknown):
        return v
    items = _list(v, "compact")
    _check_known(items)
    return [i for i in items if i not in (None, "")]


@_fn("coalesce")
def _coalesce(*values: Any) -> Any:
    for v in values:
        if isinstance(v, Unknown):
            return Unknown(f"coalesce(): {v.reason}")
        if v is not None and v != "":
            return v
    raise _Fail("no non-null, non-empty argument")


@_fn("coalescelist")
def _coalescelist(*values: Any) -> Any:
    for v in values:
        if isinstance(v, Unknown):
            return v
        if isinstance(v, list) and v:
            return v
    return []


@_fn("length")
def _length(v: Any) -> Any:
    if isinstance(v, Unknown):
        return v
    if isinstance(v, Encoded) and not v.complete:
        from lpgen.terraform.evaluate import to_string

        return to_string(v)  # an Unknown: the text is not known
    if isinstance(v, (str, list, dict)):
        return len(v)
    raise _Fail(f"length of a {type_name(v)}")


@_fn("contains")
def _contains(lst: Any, value: Any) -> Any:
    if isinstance(lst, Unknown):
        return lst
    items = _list(lst, "contains")
    _check_known(items, value)
    return to_plain(value) in [to_plain(i) for i in items]


@_fn("one")
def _one(v: Any) -> Any:
    if isinstance(v, Unknown):
        return v
    items = _list(v, "one")
    if len(items) > 1:
        raise _Fail("more than one element")
    return items[0] if items else None


@_fn("setunion")
def _setunion(*sets: Any) -> Any:
    out: list[Any] = []
    for s in sets:
        if isinstance(s, Unknown):
            return s
        out.extend(_list(s, "setunion"))
    return _toset(out)


@_fn("setintersection")
def _setintersection(first: Any, *rest: Any) -> Any:
    items = _list(first, "setintersection")
    for other in rest:
        keep = [to_plain(o) for o in _list(other, "setintersection")]
        items = [i for i in items if to_plain(i) in keep]
    return _toset(items)


@_fn("setsubtract")
def _setsubtract(a: Any, b: Any) -> Any:
    drop = [to_plain(o) for o in _list(b, "setsubtract")]
    return _toset([i for i in _list(a, "setsubtract") if to_plain(i) not in drop])


@_fn("reverse")
def _reverse(v: Any) -> Any:
    if isinstance(v, Unknown):
        return v
    return list(reversed(_list(v, "reverse")))


@_fn("sort")
def _sort(v: Any) -> Any:
    if isinstance(v, Unknown):
        return v
    items = _list(v, "sort")
    _check_known(items)
    return sorted(items, key=str)


@_fn("slice")
def _slice(v: Any, start: Any, end: Any) -> Any:
    if isinstance(v, Unknown):
        return v
    _check_known(start, end)
    return _list(v, "slice")[int(start) : int(end)]


@_fn("zipmap")
def _zipmap(ks: Any, vs: Any) -> Any:
    if isinstance(ks, Unknown):
        return ks
    if isinstance(vs, Unknown):
        return vs
    keys = [_str(k) for k in _list(ks, "zipmap")]
    return dict(zip(keys, _list(vs, "zipmap"), strict=False))


@_fn("range")
def _range(*args: Any) -> Any:
    nums = [int(a) for a in args]
    return list(range(*nums))


@_fn("index")
def _index(lst: Any, value: Any) -> Any:
    items = [to_plain(i) for i in _list(lst, "index")]
    return items.index(to_plain(value))


@_fn("alltrue")
def _alltrue(v: Any) -> Any:
    items = _list(v, "alltrue")
    _check_known(items)
    return all(i is True or i == "true" for i in items)


@_fn("anytrue")
def _anytrue(v: Any) -> Any:
    items = _list(v, "anytrue")
    _check_known(items)
    return any(i is True or i == "true" for i in items)


@_fn("sum")
def _sum(v: Any) -> Any:
    items = _list(v, "sum")
    _check_known(items)
    return sum(items)


@_fn("min")
def _min(*v: Any) -> Any:
    return min(v)


@_fn("max")
def _max(*v: Any) -> Any:
    return max(v)


# --- strings ----------------------------------------------------------------------------


@_fn("format")
def _format(fmt: Any, *args: Any) -> Any:
    if isinstance(fmt, Unknown):
        return fmt
    u = next((a for a in args if isinstance(a, Unknown)), None)
    if u is not None:
        return u
    text = _str(fmt)
    out: list[str] = []
    arg_i = 0
    i = 0
    while i < len(text):
        c = text[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        m = re.match(r"%(\[\d+\])?([-+# 0]*)(\d*)(\.\d+)?([a-zA-Z%])", text[i:])
        if not m:
            raise _Fail(f"bad format verb at {text[i:]!r}")
        verb = m.group(5)
        if verb == "%":
            out.append("%")
            i += m.end()
            continue
        if m.group(1):
            arg_i = int(m.group(1)[1:-1]) - 1
        if arg_i >= len(args):
            raise _Fail("not enough arguments")
        arg = args[arg_i]
        arg_i += 1
        if verb in ("s", "v"):
            piece = json.dumps(to_plain(arg)) if isinstance(arg, (list, dict)) else _str(arg)
        elif verb == "q":
            piece = json.dumps(_str(arg))
        elif verb == "d":
            piece = str(int(arg))
        elif verb in ("f", "e", "g"):
            prec = m.group(4) or ""
            piece = ("%" + prec + verb) % float(arg)
        elif verb == "t":
            piece = "true" if arg else "false"
        else:
            raise _Fail(f"format verb %{verb} is not supported")
        width = m.group(3)
        if width:
            w = int(width)
            flags = m.group(2)
            if "-" in flags:
                piece = piece.ljust(w)
            elif "0" in flags and verb in "dfeg":
                sign = piece[:1] if piece[:1] in "+-" else ""
                piece = sign + piece[len(sign) :].rjust(w - len(sign), "0")
            else:
                piece = piece.rjust(w)
        out.append(piece)
        i += m.end()
    return "".join(out)


@_fn("formatlist")
def _formatlist(fmt: Any, *args: Any) -> Any:
    lists = [a for a in args if isinstance(a, list)]
    n = len(lists[0]) if lists else 1
    return [_format(fmt, *[a[i] if isinstance(a, list) else a for a in args]) for i in range(n)]


@_fn("join")
def _join(sep: Any, *lists: Any) -> Any:
    if isinstance(sep, Unknown):
        return sep
    parts: list[str] = []
    items: list[Any] = []
    for lst in lists:
        if isinstance(lst, Unknown):
            return lst
        for item in _list(lst, "join"):
            if isinstance(item, Unknown):
                return item
            parts.append(_str(item))
            items.append(item)
    kept = [i for i in items if str(i) != ""]
    if len(kept) == 1 and isinstance(kept[0], Encoded) and (len(items) == 1 or not _str(sep)):
        # join("", data.aws_iam_policy_document.x.*.json): the one document, as written.
        return kept[0]
    return _str(sep).join(parts)


@_fn("split")
def _split(sep: Any, text: Any) -> Any:
    return _str(text).split(_str(sep))


@_fn("lower")
def _lower(v: Any) -> Any:
    return _str(v).lower()


@_fn("upper")
def _upper(v: Any) -> Any:
    return _str(v).upper()


@_fn("title")
def _title(v: Any) -> Any:
    return re.sub(r"\b([a-z])", lambda m: m.group(1).upper(), _str(v))


@_fn("replace")
def _replace(text: Any, old: Any, new: Any) -> Any:
    s, o, n = _str(text), _str(old), _str(new)
    if len(o) > 1 and o.startswith("/") and o.endswith("/"):
        # Terraform treats /.../ as an RE2 regular expression; $1 or ${1} refer to groups.
        repl = re.sub(r"\$\{?(\d+)\}?", r"\\\1", n)
        return re.sub(o[1:-1], repl, s)
    return s.replace(o, n)


@_fn("trimspace")
def _trimspace(v: Any) -> Any:
    return _str(v).strip()


@_fn("trim")
def _trim(v: Any, chars: Any) -> Any:
    return _str(v).strip(_str(chars))


@_fn("trimprefix")
def _trimprefix(v: Any, p: Any) -> Any:
    s, pre = _str(v), _str(p)
    return s[len(pre) :] if pre and s.startswith(pre) else s


@_fn("trimsuffix")
def _trimsuffix(v: Any, p: Any) -> Any:
    s, suf = _str(v), _str(p)
    return s[: -len(suf)] if suf and s.endswith(suf) else s


@_fn("chomp")
def _chomp(v: Any) -> Any:
    return _str(v).rstrip("\r\n")


@_fn("substr")
def _substr(v: Any, offset: Any, length: Any) -> Any:
    s = _str(v)
    o, n = int(offset), int(length)
    if o < 0:
        o = len(s) + o
    return s[o:] if n < 0 else s[o : o + n]


@_fn("startswith")
def _startswith(v: Any, p: Any) -> Any:
    return _str(v).startswith(_str(p))


@_fn("endswith")
def _endswith(v: Any, p: Any) -> Any:
    return _str(v).endswith(_str(p))


@_fn("strcontains")
def _strcontains(v: Any, p: Any) -> Any:
    return _str(p) in _str(v)


@_fn("regex")
def _regex(pattern: Any, text: Any) -> Any:
    m = re.search(_str(pattern), _str(text))
    if not m:
        raise _Fail("no match")
    if m.groupdict():
        return dict(m.groupdict())
    if m.groups():
        return list(m.groups())
    return m.group(0)


@_fn("basename")
def _basename(v: Any) -> Any:
    return os.path.basename(_str(v))


@_fn("dirname")
def _dirname(v: Any) -> Any:
    return os.path.dirname(_str(v))


@_fn("abspath")
def _abspath(v: Any) -> Any:
    return os.path.abspath(_str(v))


@_fn("regexall")
def _regexall(pattern: Any, text: Any) -> Any:
    out: list[Any] = []
    for m in re.finditer(_str(pattern), _str(text)):
        if m.groupdict():
            out.append(dict(m.groupdict()))
        elif m.groups():
            out.append(list(m.groups()))
        else:
            out.append(m.group(0))
    return out


# --- hashing and encoding of strings (names are often built with these) ------------------


def _digest(name: str) -> Fn:
    def fn(v: Any) -> Any:
        return hashlib.new(name, _str(v).encode("utf-8")).hexdigest()

    return fn


for _algo in ("md5", "sha1", "sha256", "sha512"):
    _FUNCTIONS[_algo] = _digest(_algo)


@_fn("base64sha256")
def _base64sha256(v: Any) -> Any:
    return base64.b64encode(hashlib.sha256(_str(v).encode("utf-8")).digest()).decode("ascii")


@_fn("base64sha512")
def _base64sha512(v: Any) -> Any:
    return base64.b64encode(hashlib.sha512(_str(v).encode("utf-8")).digest()).decode("ascii")


@_fn("base64encode")
def _base64encode(v: Any) -> Any:
    return base64.b64encode(_str(v).encode("utf-8")).decode("ascii")


@_fn("base64decode")
def _base64decode(v: Any) -> Any:
    try:
        return base64.b64decode(_str(v), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        raise _Fail(f"invalid base64 text ({exc})") from None


@_fn("urlencode")
def _urlencode(v: Any) -> Any:
    return urllib.parse.quote_plus(_str(v), safe="")


@_fn("sensitive", "nonsensitive")
def _sensitive(v: Any) -> Any:
    # Sensitivity only hides a value in Terraform's output; the value is the same.
    return v


@_fn("setproduct")
def _setproduct(*sets: Any) -> Any:
    lists = [_list(s, "setproduct") for s in sets]
    out: list[Any] = [[]]
    for lst in lists:
        out = [[*prefix, item] for prefix in out for item in lst]
    return out if lists else []


@_fn("transpose")
def _transpose(m: Any) -> Any:
    if not isinstance(m, dict):
        raise _Fail(f"transpose needs a map of lists, got a {type_name(m)}")
    out: dict[str, list[Any]] = {}
    for key in sorted(m):
        for item in _list(m[key], "transpose"):
            out.setdefault(_str(item), []).append(SStr(key) if not isinstance(key, SStr) else key)
    return {k: sorted(v, key=str) for k, v in sorted(out.items())}


# --- encoding ---------------------------------------------------------------------------


@_fn("jsonencode")
def _jsonencode(v: Any) -> Any:
    if isinstance(v, Unknown):
        return v
    complete = first_unknown(v) is None

    def plain(x: Any) -> Any:
        if isinstance(x, Unknown):
            return "<unknown>"
        if isinstance(x, Encoded):
            return str(x)
        if isinstance(x, dict):
            return {str(k): plain(x[k]) for k in sorted(x)}
        if isinstance(x, list):
            return [plain(i) for i in x]
        if isinstance(x, str):
            return str(x)
        return x

    text = json.dumps(plain(v), separators=(",", ":"))
    return Encoded(text, v, "jsonencode", complete=complete, loc=getattr(v, "loc", None))


@_fn("jsondecode")
def _jsondecode(v: Any) -> Any:
    if isinstance(v, Encoded):
        return v.value
    try:
        return json.loads(_str(v))
    except ValueError as exc:
        raise _Fail(f"invalid JSON: {exc}") from None


@lru_cache(maxsize=1)
def _yaml12_loader() -> Any:
    """A safe YAML loader resolving plain scalars as YAML 1.2 (core schema) does, like
    Terraform: only true/false are booleans, no sexagesimal numbers, dates stay strings."""
    yaml = _yaml_module()
    loader: Any = type("Yaml12Loader", (yaml.SafeLoader,), {})
    resolvers: dict[Any, list[tuple[str, Any]]] = {}
    drop = {
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:timestamp",
    }
    for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items():
        resolvers[first] = [(tag, rx) for tag, rx in entries if tag not in drop]
    loader.yaml_implicit_resolvers = resolvers
    loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool",
        re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        list("tTfF"),
    )
    loader.add_implicit_resolver(
        "tag:yaml.org,2002:int",
        re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
        list("-+0123456789"),
    )
    loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
        list("-+.0123456789"),
    )

    def construct_int(loader: Any, node: Any) -> int:
        text = str(loader.construct_scalar(node))
        if text.startswith("0o"):
            return int(text[2:], 8)
        return int(text, 0) if text.startswith("0x") else int(text)

    loader.add_constructor("tag:yaml.org,2002:int", construct_int)
    return loader


def _yaml_module() -> Any:
    import importlib

    return importlib.import_module("yaml")


@_fn("yamldecode")
def _yamldecode(v: Any) -> Any:
    try:
        yaml = _yaml_module()
    except ImportError:  # pragma: no cover - PyYAML is a dependency
        raise _Fail("reading YAML needs the PyYAML package") from None
    try:
        data = yaml.load(_str(v), Loader=_yaml12_loader())  # a safe loader
    except yaml.YAMLError as exc:
        raise _Fail(f"invalid YAML: {str(exc).splitlines()[0]}") from None

    def convert(x: Any) -> Any:
        if isinstance(x, dict):
            return {_str(k) if not isinstance(k, str) else k: convert(x[k]) for k in x}
        if isinstance(x, list):
            return [convert(i) for i in x]
        if x is None or isinstance(x, (bool, int, float, str)):
            return x
        return str(x)

    return convert(data)


@_fn("list")
def _legacy_list(*items: Any) -> Any:
    return list(items)


@_fn("map")
def _legacy_map(*items: Any) -> Any:
    return {_str(items[i]): items[i + 1] for i in range(0, len(items) - 1, 2)}


def known_functions() -> list[str]:
    return sorted([*_FUNCTIONS, "file", "templatefile", "fileexists", "try", "can"])


__all__ = ["SDict", "call_function", "known_functions"]
