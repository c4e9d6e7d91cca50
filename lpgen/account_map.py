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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lpgen.errors import InputError

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_VAR_REF = re.compile(r"\$\{\s*var\.([A-Za-z_][\w-]*)\s*\}")
_ROLE_ARN = re.compile(r"^arn:[\w-]+:iam::(\d{12}):role/")
_PROVIDER_LINE = re.compile(r'^[ \t]*provider[ \t]+"?aws"?[ \t]*\{', re.M)
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
    turned into values: python-hcl2's transformer is slow, and a provider's tags, endpoints
    or a variable's validation are never looked at."""
    import hcl2

    from lpgen.terraform.fastparse import parse_lazy
    from lpgen.terraform.parse import for_parser, reader

    tree = parse_lazy(for_parser(text), "<account map>") if reader() == "auto" else None
    if tree is None:
        return hcl2.loads(text)
    if blocks_only:
        _keep_read(tree)
    return hcl2.serialize(hcl2.transform(tree))


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
        data = _loads(path.read_text(encoding="utf-8"))
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


def _block_end(text: str, start: int) -> int:
    """Index after the ``}`` closing the block whose ``{`` is at ``start`` (-1: not found).
    Skips quoted strings and comments; good enough for provider and variable blocks."""
    depth, i, n = 0, start, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
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
    return -1


def _load_blocks(file: Path, text: str, starts: list[re.Pattern[str]]) -> dict[str, Any]:
    """Parse only the blocks that ``starts`` find (python-hcl2 is slow on whole files);
    the whole file when a block cannot be cut out cleanly."""
    pieces: list[str] = []
    for pattern in starts:
        for match in pattern.finditer(text):
            brace = text.find("{", match.start())
            end = _block_end(text, brace) if brace >= 0 else -1
            if end < 0:
                return _load_hcl(file)
            pieces.append(text[match.start():end])
    try:
        data = _loads("\n".join(pieces) + "\n", blocks_only=True)
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
        # Parse only what can matter (python-hcl2 is slow): files with an aws provider, and
        # files declaring a variable those providers use or an account id variable.
        texts = {f: f.read_text(encoding="utf-8", errors="replace") for f in files}
        with_provider = [f for f, t in texts.items() if _PROVIDER_LINE.search(t)]
        wanted = set(ACCOUNT_VARIABLES)
        for f in with_provider:
            wanted.update(re.findall(r"\bvar\.([A-Za-z_][\w-]*)", texts[f]))
        declares = re.compile(
            r'^[ \t]*variable[ \t]+"(' + "|".join(map(re.escape, sorted(wanted))) + r')"', re.M
        )
        for file in files:
            if file not in with_provider and not declares.search(texts[file]):
                continue
            data = _load_blocks(file, texts[file], [_PROVIDER_LINE, declares])
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


def _line_of(file: Path) -> int:
    text = file.read_text(encoding="utf-8", errors="replace")
    match = _PROVIDER_LINE.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else 1


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
            at = f"{file.name}:{_line_of(file)}"
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
