"""Which Terraform root module is applied to which AWS accounts.

From the code where it says so, in each root's own files (first that applies):

1. ``provider "aws" { allowed_account_ids = [...] }`` (every aws provider, aliases too);
2. ``provider "aws" { assume_role { role_arn = "arn:aws:iam::ID:role/..." } }``;
3. a tfvars account id: a variable named ``account_id``, ``aws_account_id`` or
   ``target_account_id`` set in ``terraform.tfvars`` / ``*.auto.tfvars`` (or its default).

``var.NAME`` references are resolved from the root's tfvars and variable defaults. Roots the
code does not map come from the config table ``[tool.lpgen.accounts]`` (root path relative
to PATH = account ids); what is still unmapped is listed as such.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lpgen.errors import InputError

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_VAR_REF = re.compile(r"\$\{\s*var\.([A-Za-z_][\w-]*)\s*\}")
_ROLE_ARN = re.compile(r"^arn:[\w-]+:iam::(\d{12}):role/")
# A line that starts an aws provider block or a variable block (after spaces or tabs): what
# ^[ \t]*provider... with re.M finds, looked for by the word it starts with (see _line_starts).
_PROVIDER_LINE = re.compile(r'provider[ \t]+"?aws"?[ \t]*\{')
_VARIABLE_LINE = re.compile(r'variable[ \t]+"([^"\n]*)"')
ACCOUNT_VARIABLES = ("account_id", "aws_account_id", "target_account_id")
_NO_MAPPING = (
    "no provider aws account, role ARN or account_id variable, and no entry in the config's "
    "accounts table"
)


@dataclass(frozen=True)
class RootAccounts:
    """A root module and the accounts it is applied to, with where that was read."""

    root: str
    accounts: tuple[str, ...]
    source: str  # allowed_account_ids | assume_role | tfvars | config
    where: str  # file:line (or the config file)


@dataclass(frozen=True)
class UnmappedRoot:
    root: str
    reason: str


@dataclass(frozen=True)
class AccountMap:
    mapped: tuple[RootAccounts, ...] = ()
    unmapped: tuple[UnmappedRoot, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.mapped)

    def accounts(self) -> list[str]:
        return sorted({a for m in self.mapped for a in m.accounts})

    def roots_for(self, account_id: str) -> list[str]:
        """Roots applied to the account, plus every unmapped root (they may be anywhere)."""
        mapped = [m.root for m in self.mapped if account_id in m.accounts]
        return mapped + [u.root for u in self.unmapped]


def _unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


# What the map reads of each block (see _Root and _from_code): the rest of a provider or
# variable block is never turned into values.
_READ = {"provider": frozenset({"allowed_account_ids", "assume_role"}),
         "variable": frozenset({"default"})}  # fmt: skip


def _loads(text: str, blocks_only: bool = False) -> Any:
    """``hcl2.loads(text)``, the text read by the fast reader when it can (its tree is
    python-hcl2's own, so python-hcl2's transformer gives the same values from it). With
    ``blocks_only`` (provider and variable blocks), only the arguments the map reads are
    turned into values. This is the reference for :func:`_read_values`."""
    import hcl2

    from lpgen.terraform.fastparse import parse_lazy
    from lpgen.terraform.parse import for_parser, reader

    tree = parse_lazy(for_parser(text), "<account map>") if reader() == "auto" else None
    if tree is None:
        return hcl2.loads(text)
    if blocks_only:
        _keep_read(tree)
    return hcl2.serialize(hcl2.transform(tree))


def _read_values(text: str, blocks_only: bool = False) -> Any:
    """What :func:`_loads` gives, less python-hcl2's comment and block markers
    (``__comments__``, ``__inline_comments__``, ``__is_block__``: nothing the map reads).

    The values are taken from the fast reader's tree directly (see :func:`_value`): strings
    and templates, references, numbers, calls, operators, conditionals, tuples and objects
    of them come out as python-hcl2 serializes them (``'"..."'``, ``'${var.x}'``); any other
    expression (a for expression, a splat, a template directive...) is handed to
    python-hcl2's transformer, one attribute at a time; a text the fast reader does not read
    goes to python-hcl2 whole, and so does a tree holding a body python-hcl2 would refuse.
    python-hcl2 is only imported for those."""
    from lpgen.terraform.fastparse import parse_lazy
    from lpgen.terraform.parse import for_parser, reader

    tree = parse_lazy(for_parser(text), "<account map>") if reader() == "auto" else None
    if tree is None:
        import hcl2

        return hcl2.loads(text)
    if blocks_only:
        _keep_read(tree)
    try:
        return _body(tree.children[0])
    except Exception:  # a form not read here, or a value that does not build: as python-hcl2
        import hcl2

        return hcl2.serialize(hcl2.transform(tree))


class _Other(Exception):
    """A form :func:`_value` does not read: python-hcl2's transformer reads it."""


# Keys python-hcl2 adds to a body's values (an attribute of that name: python-hcl2 reads it).
_MARKERS = frozenset({"__comments__", "__inline_comments__", "__is_block__"})


def _body(body: Any) -> dict[str, Any]:
    """python-hcl2's serialization of a body (its BodyRule), less its markers."""
    out: dict[str, Any] = {}
    attributes: set[str] = set()
    for child in body.children:
        kind = child.data
        if kind == "attribute":
            name = _name(child)
            if not name or name in _MARKERS:
                raise _Other
            attributes.add(name)
            try:
                out[name] = _value(child.children[-1], False)
            except Exception:  # _Other, or a value that does not build: as python-hcl2 does
                out[name] = _transformed(child)[name]
        elif kind == "block":
            name = _name(child)
            if not name or name in attributes:  # python-hcl2 refuses a block after one
                raise _Other
            out.setdefault(name, []).append(_block(child))
        elif kind != "new_line_or_comment":
            raise _Other
    return out


def _block(block: Any) -> Any:
    labels: list[str] = []
    value: Any = None
    for part in block.children[1:]:
        kind = getattr(part, "data", None)
        if kind == "body":
            value = _body(part)
        elif kind == "string":
            labels.append(_string(part))
        elif kind == "identifier":
            labels.append(str(part.children[0]))
        elif kind is not None:
            raise _Other
    if value is None:
        raise _Other
    for label in reversed(labels):
        value = {label: value}
    return value


def _transformed(attribute: Any) -> dict[str, Any]:
    """python-hcl2's value of one attribute (its transformer reads each attribute on its
    own: the same value as in the whole file's)."""
    import hcl2
    from lark import Tree

    data: dict[str, Any] = hcl2.serialize(
        hcl2.transform(Tree("start", [Tree("body", [attribute])])))
    return data


_LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None}


def _dollar(value: Any) -> str:
    """``${value}``, unless it is one already (python-hcl2's to_dollar_string)."""
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        return value
    return f"${{{value}}}"


def _parts(node: Any) -> list[Any]:
    """The subtrees of ``node`` but its newlines and comments."""
    return [c for c in node.children if not isinstance(c, str) and c.data != "new_line_or_comment"]


def _value(node: Any, inside: bool) -> Any:
    """python-hcl2's serialization of an expression (``inside``: within ``${...}``), for
    literals, templates, references, function calls, operators and conditionals, tuples and
    objects of them; :class:`_Other` for the rest (for expressions, splats, directives)."""
    kind = node.data
    if kind == "expr_term":
        kids = node.children
        if len(kids) == 1:
            return _term(kids[0], inside)
        inner = _parts(node)
        if kids[0] != "(" or kids[-1] != ")" or len(inner) != 1:
            raise _Other
        value = _value(inner[0], inside)
        if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
            value = _dollar(f"({value[2:-1]})")
        else:
            value = f"({value})"
        return value if inside else _dollar(value)
    if kind == "conditional":
        parts = _parts(node)
        if len(parts) != 3:
            raise _Other
        cond, yes, no = (_value(p, True) for p in parts)
        text = f"{cond} ? {yes} : {no}"
    elif kind == "binary_op":
        parts = _parts(node)
        if len(parts) != 2 or parts[1].data != "binary_term":
            raise _Other
        term = _parts(parts[1])
        if len(term) != 2 or term[0].data != "binary_operator":
            raise _Other
        lhs = _value(parts[0], True)
        operator = str(term[0].children[0]).strip()
        text = f"{lhs} {operator} {_value(term[1], True)}"
    elif kind == "unary_op":
        op, operand = node.children
        operator = str(op).rstrip()
        value = _value(operand, True)
        text = f"{operator}{value}"
        if not inside and operator == "-" and isinstance(value, (int, float)) \
                and not isinstance(value, bool):
            return -value
    else:
        raise _Other
    return text if inside else _dollar(text)


def _term(term: Any, inside: bool) -> Any:
    """An expression term (what ``expr_term`` holds without parentheses)."""
    kind = term.data
    if kind == "string":
        return _string(term)
    if kind in ("get_attr_expr_term", "index_expr_term"):
        text = _traversal(term)
        return text if inside else "${" + text + "}"
    if kind == "function_call":
        text = _call(term)
        return text if inside else _dollar(text)
    if kind == "identifier":
        return str(term.children[0])
    if kind == "tuple":
        items = [_value(c, inside) for c in _parts(term)]
        return items if not inside else "[" + ", ".join(str(i) for i in items) + "]"
    if kind == "object":
        elems = _parts(term)
        pairs: list[tuple[str, Any]] = []
        for elem in elems:
            if elem.data != "object_elem" or len(elem.children) != 3:
                raise _Other
            pairs.append((_key(elem.children[0]), _value(elem.children[2], inside)))
        if not inside:
            return dict(pairs)
        return "{" + ", ".join(f"{k} = {v}" for k, v in pairs) + "}"
    if kind == "int_lit":
        return int(term.children[0])
    if kind == "float_lit":
        number = str(term.children[0])
        if "e" in number.lower():
            return number if inside else _dollar(number)
        return float(number)
    if kind == "literal_value":
        word = str(term.children[0])
        return word if inside else _LITERALS.get(word, word)
    if kind == "heredoc_template":
        return '"' + str(term.children[0]).rstrip("\r\n\t ") + '"'
    raise _Other


def _call(term: Any) -> str:
    """``name(arguments)`` (``provider::ns::name(...)`` too) as python-hcl2 writes it."""
    names: list[str] = []
    args = ""
    for part in term.children:
        if isinstance(part, str):
            continue
        if part.data == "identifier":
            names.append(str(part.children[0]))
        elif part.data == "arguments":
            args = ", ".join(str(_value(a, True)) for a in _parts(part))
            if any(getattr(t, "type", None) == "ELLIPSIS" for t in part.children[-2:]):
                args += " ..."
        elif part.data != "new_line_or_comment":
            raise _Other
    return "::".join(names) + f"({args})"


def _string(node: Any) -> str:
    """A quoted template: its text, ``${...}`` of what it interpolates as python-hcl2 writes it."""
    parts = ['"']
    for part in node.children[1:-1]:
        if part.data != "string_part":
            raise _Other
        content = part.children[0]
        if isinstance(content, str):  # STRING_CHARS, ESCAPED_INTERPOLATION, ESCAPED_DIRECTIVE
            parts.append(content)
        elif content.data == "interpolation":
            inner = _parts(content)
            if len(inner) != 1:
                raise _Other
            parts.append(_dollar(_value(inner[0], True)))
        else:  # a template directive
            raise _Other
    parts.append('"')
    return "".join(parts)


def _traversal(term: Any) -> str:
    """``var.x``, ``local.a["b"].c``, ``f(x)[0]``: a reference as python-hcl2 writes it."""
    head, step = term.children
    text = str(_value(head, True))
    if step.data == "get_attr" and len(step.children) == 2 \
            and step.children[1].data == "identifier":
        return text + "." + str(step.children[1].children[0])
    if step.data == "braces_index":
        index = _parts(step)
        if len(index) != 1:
            raise _Other
        return f"{text}[{_value(index[0], True)}]"
    if step.data == "short_index" and len(step.children) == 2:
        return f"{text}.{int(step.children[1])}"
    raise _Other


def _key(key: Any) -> str:
    """An object key as python-hcl2 writes it (identifier, string or number)."""
    if key.data != "object_elem_key" or len(key.children) != 1:
        raise _Other
    expr = key.children[0]
    if getattr(expr, "data", None) != "expr_term" or len(expr.children) != 1:
        raise _Other
    inner = expr.children[0]
    if inner.data in ("identifier", "literal_value"):
        return str(inner.children[0])
    if inner.data == "string":
        return _string(inner)
    if inner.data == "int_lit":
        return str(int(inner.children[0]))
    raise _Other


def _keep_read(tree: Any) -> None:
    """Leave in each provider and variable block of ``tree`` only the arguments in _READ."""
    for block in tree.children[0].children:
        keep = _READ.get(_name(block)) if getattr(block, "data", None) == "block" else None
        if keep is None:
            continue
        for part in block.children:
            if getattr(part, "data", None) == "body":
                part.children = [c for c in part.children if _name(c) in keep]


def _name(node: Any) -> str:
    """The name an attribute or a block starts with ("" for anything else)."""
    from lark import Tree

    if not isinstance(node, Tree) or node.data not in ("attribute", "block") or not node.children:
        return ""
    head = node.children[0]
    if not isinstance(head, Tree) or not head.children or isinstance(head.children[0], Tree):
        return ""
    return str(head.children[0])


def _load_hcl(path: Path) -> dict[str, Any]:
    if not path.is_file():  # a FIFO or a device is never opened; the reader warns about it
        return {}
    try:
        data = _read_values(path.read_text(encoding="utf-8"))
    except Exception:  # an unparseable file is reported by the reader; nothing to map here
        return {}
    return data if isinstance(data, dict) else {}


def _tfvars_values(file: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in _load_hcl(file).items():
        value = _unquote(value)
        if isinstance(value, str):
            out[name] = value
    return out


_BLOCK_STOP = re.compile(r'["#/{}]')  # what _block_end looks at; it steps over the rest
_STRING_REST = re.compile(r'[^"\\]*(?:\\[\s\S][^"\\]*)*')  # up to a quote not escaped


def _line_starts(pattern: re.Pattern[str], text: str) -> Iterator[tuple[int, re.Match[str]]]:
    """``(where its line starts, match)`` for each match of ``pattern`` (one line long) that
    only spaces and tabs precede on its line."""
    for match in pattern.finditer(text):
        start = match.start()
        line = text.rfind("\n", 0, start) + 1
        if not text[line:start].strip(" \t"):
            yield line, match


def _block_end(text: str, start: int) -> int:
    """Index after the ``}`` closing the block whose ``{`` is at ``start`` (-1: not found).
    Skips quoted strings and comments; good enough for provider and variable blocks."""
    depth, i, n = 0, start, len(text)
    stop = _BLOCK_STOP.search
    while True:
        found = stop(text, i)
        if found is None:
            return -1
        i = found.start()
        c = text[i]
        if c == '"':
            i = _STRING_REST.match(text, i + 1).end()  # type: ignore[union-attr]
            if i >= n or text[i] != '"':  # not closed (or a lone backslash at the end)
                return -1
        elif c == "#" or text.startswith("//", i):
            i = text.find("\n", i)
            if i < 0:
                return -1
        elif text.startswith("/*", i):
            i = text.find("*/", i)
            if i < 0:
                return -1
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1


def _load_blocks(file: Path, text: str, variables: list[int]) -> dict[str, Any]:
    """Parse only the aws provider blocks and the variable blocks starting at ``variables``;
    the whole file when a block cannot be cut out cleanly."""
    pieces: list[str] = []
    for start in [line for line, _ in _line_starts(_PROVIDER_LINE, text)] + variables:
        brace = text.find("{", start)
        end = _block_end(text, brace) if brace >= 0 else -1
        if end < 0:
            return _load_hcl(file)
        pieces.append(text[start:end])
    try:
        data = _read_values("\n".join(pieces) + "\n", blocks_only=True)
    except Exception:
        return _load_hcl(file)
    return data if isinstance(data, dict) else {}


class _Root:
    """One root directory's variables and aws providers.

    ``values`` are what every run sees: defaults, ``terraform.tfvars``, ``*.auto.tfvars``.
    ``variants`` are the other ``.tfvars`` files of the root (``prod.tfvars``, or one level
    down, ``env/prod.tfvars``), each passed with ``-var-file`` for one account: a root with
    several is applied to each of their accounts.
    """

    def __init__(self, directory: Path, files: list[Path]) -> None:
        self.directory = directory
        self.values: dict[str, str] = {}
        self.value_files: dict[str, str] = {}
        self.providers: list[tuple[dict[str, Any], Path]] = []
        self.lines: dict[Path, int] = {}  # where a file's first aws provider starts
        # Parse only what can matter: files with an aws provider, and
        # files declaring a variable those providers use or an account id variable.
        texts = {f: f.read_text(encoding="utf-8", errors="replace") for f in files}
        with_provider = [
            f for f, t in texts.items() if next(_line_starts(_PROVIDER_LINE, t), None)
        ]
        wanted = set(ACCOUNT_VARIABLES)
        for f in with_provider:
            wanted.update(re.findall(r"\bvar\.([A-Za-z_][\w-]*)", texts[f]))
        for file in files:
            text = texts[file]
            declared = [line for line, m in _line_starts(_VARIABLE_LINE, text) if m[1] in wanted]
            if not declared and file not in with_provider:
                continue
            data = _load_blocks(file, text, declared)
            for variable in data.get("variable") or []:
                for name, body in variable.items():
                    default = _unquote(body.get("default")) if isinstance(body, dict) else None
                    if isinstance(default, str):
                        self.values[_unquote(name)] = default
                        self.value_files[_unquote(name)] = file.name
            for provider in data.get("provider") or []:
                for name, body in provider.items():
                    if _unquote(name) == "aws" and isinstance(body, dict):
                        self.providers.append((body, file))
                        self.lines[file] = _line_of(text)
        always = sorted(directory.glob("*.auto.tfvars"))
        if (directory / "terraform.tfvars").is_file():
            always.insert(0, directory / "terraform.tfvars")
        for file in always:
            for name, value in _tfvars_values(file).items():
                self.values[name] = value
                self.value_files[name] = file.name
        others = sorted({*directory.glob("*.tfvars"), *directory.glob("*/*.tfvars")} - set(always))
        self.variants: list[tuple[str, dict[str, str]]] = [
            (f.relative_to(directory).as_posix(), _tfvars_values(f))
            for f in others
            if not any(part.startswith(".") for part in f.relative_to(directory).parts)
        ]

    def resolve(self, value: Any) -> list[tuple[str, str]] | None:
        """``(text, tfvars file or "")`` with ``${var.X}`` filled in: one item when the value
        is known on every run, one per tfvars variant that gives it, None when unknown."""
        value = _unquote(value)
        if not isinstance(value, str):
            return None

        def fill(values: dict[str, str]) -> str | None:
            missing = False

            def one(match: re.Match[str]) -> str:
                nonlocal missing
                got = values.get(match.group(1))
                if got is None:
                    missing = True
                    return ""
                return got

            text = _VAR_REF.sub(one, value)
            return None if missing or "${" in text else text

        text = fill(self.values)
        if text is not None:
            return [(text, "")]
        found = [
            (t, name)
            for name, extra in self.variants
            if (t := fill({**self.values, **extra})) is not None
        ]
        return found or None


def _line_of(text: str) -> int:
    found = next(_line_starts(_PROVIDER_LINE, text), None)
    return text.count("\n", 0, found[0]) + 1 if found else 1


def _shorten(value: Any) -> str:
    text = str(_unquote(value))
    text = text[2:-1] if text.startswith("${") and text.endswith("}") else text
    return text if len(text) <= 70 else text[:67] + "..."


def _from_code(root: _Root, rel: str) -> RootAccounts | UnmappedRoot | None:
    prefix = "" if rel == "." else rel + "/"
    problems: list[str] = []
    for key in ("allowed_account_ids", "assume_role"):
        found: list[str] = []
        where = ""
        variant_files: set[str] = set()
        for body, file in root.providers:
            if key == "allowed_account_ids":
                raw = body.get(key)
                items = raw if isinstance(raw, list) else [raw] if raw is not None else []
            else:
                items = [b.get("role_arn") for b in body.get(key) or [] if isinstance(b, dict)]
            if not items:
                continue
            at = f"{file.name}:{root.lines[file]}"
            where = where or at
            for item in items:
                resolved = root.resolve(item)
                if resolved is None:
                    problem = f"{key} in {at} is not known statically ({_shorten(item)})"
                    if problem not in problems:
                        problems.append(problem)
                    continue
                for value, variant in resolved:
                    if key == "allowed_account_ids" and _ACCOUNT_ID.match(value):
                        found.append(value)
                    elif key == "assume_role" and (match := _ROLE_ARN.match(value)):
                        found.append(match.group(1))
                    else:
                        problems.append(f"{key} in {at}: {value!r} is not an account")
                        continue
                    if variant:
                        variant_files.add(variant)
        if found:
            if variant_files:
                where += " with " + ", ".join(prefix + v for v in sorted(variant_files))
            return RootAccounts(rel, tuple(sorted(set(found))), key, prefix + where)
    for name in ACCOUNT_VARIABLES:
        known = root.values.get(name)
        if known is not None and _ACCOUNT_ID.match(known):
            return RootAccounts(rel, (known,), "tfvars", prefix + root.value_files[name])
        variants = [(v[name], f) for f, v in root.variants if _ACCOUNT_ID.match(v.get(name, ""))]
        if variants:
            return RootAccounts(
                rel,
                tuple(sorted({v for v, _ in variants})),
                "tfvars",
                ", ".join(prefix + f for _, f in variants),
            )
    if problems:
        return UnmappedRoot(rel, "; ".join(problems))
    return None


def _config_accounts(table: Mapping[str, Any], config_file: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for root, value in table.items():
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(
            isinstance(v, str) and _ACCOUNT_ID.match(v) for v in values
        ):
            raise InputError(
                f"accounts.{root} must be a list of 12-digit account ids", file=config_file
            )
        key = Path(root).as_posix().strip("/") or "."
        out[key] = tuple(sorted(set(values)))
    return out


def _read_code(top: Path, exclude: tuple[str, ...]) -> list[tuple[str, Any]]:
    """Every root module that may declare IAM, with what its own code says (or None)."""
    from lpgen.terraform.loader import scan_tree

    found, _skipped, plan = scan_tree(top, exclude)  # the inventory's reading scans it once
    roots = [d for d, _ in plan.roots()]
    out: list[tuple[str, Any]] = []
    for directory in roots:
        rel = directory.relative_to(top).as_posix() if directory != top else "."
        out.append((rel, _from_code(_Root(directory, found.get(directory, [])), rel)))
    return out


def map_roots(
    path: str | Path,
    *,
    config: Mapping[str, Any] | None = None,
    config_file: str = "",
    exclude: tuple[str, ...] = (),
    cache_dir: Path | None = None,
) -> AccountMap:
    """Map every root module of the tree at ``path`` that may declare IAM to its accounts.

    What the code says is cached like the inventory (keyed by every .tf and .tfvars file),
    so an unchanged tree costs no parsing.
    """
    from lpgen.terraform.cache import cached_result

    top = Path(path).resolve()
    configured = _config_accounts(config or {}, config_file)
    code: list[tuple[str, Any]] = cached_result(
        cache_dir,
        top,
        ["account-map/1", repr(exclude)],
        lambda: _read_code(top, exclude),
        files_of=lambda _: [],
        exclude=exclude,
    )
    mapped: list[RootAccounts] = []
    unmapped: list[UnmappedRoot] = []
    for rel, result in code:
        if isinstance(result, RootAccounts):
            mapped.append(result)
        elif rel in configured:
            mapped.append(RootAccounts(rel, configured[rel], "config", config_file or "config"))
        elif isinstance(result, UnmappedRoot):
            unmapped.append(result)
        else:
            unmapped.append(UnmappedRoot(rel, _NO_MAPPING))
    for rel in sorted(set(configured) - {rel for rel, _ in code}):
        raise InputError(
            f"accounts.{rel}: not a root module of {path} that declares IAM", file=config_file
        )
    return AccountMap(tuple(mapped), tuple(unmapped))


def check_coverage(amap: AccountMap, present: set[str]) -> list[str]:
    """Warnings about roots whose accounts the snapshots do not cover; raises when a root
    applied to several accounts has snapshots of only some of them.

    Usage is the union over the snapshots, so a root applied to accounts A and B judged by
    A's snapshot alone could lose what only B used: that is an error. A root none of whose
    accounts has a snapshot is only judged where its entities' names match another
    account's: that is said, not hidden.
    """
    warnings: list[str] = []
    if not present:
        return warnings
    for m in amap.mapped:
        missing = [a for a in m.accounts if a not in present]
        if not missing:
            continue
        if len(missing) < len(m.accounts):
            ids = ", ".join(missing)
            raise InputError(
                f"{m.root} is applied to {ids} too ({m.source}, {m.where}), with no snapshot: "
                f"what only there was used would look unused; collect it (lpgen collect "
                f"--accounts {','.join(missing)}) or give its --snapshot"
            )
        warnings.append(
            f"{m.root} is applied to {', '.join(m.accounts)}, which no --snapshot covers: its "
            "entities are judged only where another account's snapshot has the same name"
        )
    return warnings


def account_map_to_json(amap: AccountMap) -> dict[str, Any]:
    return {
        "mapped": [
            {"root": m.root, "accounts": list(m.accounts), "source": m.source, "where": m.where}
            for m in amap.mapped
        ],
        "unmapped": [{"root": u.root, "reason": u.reason} for u in amap.unmapped],
    }


def render_account_map(amap: AccountMap) -> str:
    if not amap.mapped and not amap.unmapped:
        return ""
    lines = ["", "Accounts per root module"]
    for m in amap.mapped:
        lines.append(f"  {m.root}: {', '.join(m.accounts)} ({m.source}, {m.where})")
    for u in amap.unmapped:
        lines.append(f"  {u.root}: not mapped ({u.reason})")
    return "\n".join(lines) + "\n"
