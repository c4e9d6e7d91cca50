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
from collections.abc import Iterable, Mapping
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
    "no provider aws account, role ARN or account_id variable, and no [tool.lpgen.accounts] "
    "entry"
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


def _load_hcl(path: Path) -> dict[str, Any]:
    import hcl2

    try:
        data = hcl2.loads(path.read_text(encoding="utf-8"))
    except Exception:  # an unparseable file is reported by the reader; nothing to map here
        return {}
    return data if isinstance(data, dict) else {}


class _Root:
    """One root directory's variables (defaults, then tfvars) and aws providers."""

    def __init__(self, directory: Path, files: list[Path]) -> None:
        self.directory = directory
        self.values: dict[str, str] = {}
        self.value_files: dict[str, str] = {}
        self.providers: list[tuple[dict[str, Any], Path]] = []
        for file in files:
            data = _load_hcl(file)
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
        tfvars = sorted(directory.glob("*.auto.tfvars"))
        if (directory / "terraform.tfvars").is_file():
            tfvars.insert(0, directory / "terraform.tfvars")
        for file in tfvars:
            for name, value in _load_hcl(file).items():
                value = _unquote(value)
                if isinstance(value, str):
                    self.values[name] = value
                    self.value_files[name] = file.name

    def resolve(self, value: Any) -> str | None:
        """A string with ``${var.X}`` filled in, or None when a variable has no value."""
        value = _unquote(value)
        if not isinstance(value, str):
            return None
        missing = False

        def fill(match: re.Match[str]) -> str:
            nonlocal missing
            got = self.values.get(match.group(1))
            if got is None:
                missing = True
                return ""
            return got

        text = _VAR_REF.sub(fill, value)
        return None if missing or "${" in text else text


def _line_of(file: Path) -> int:
    text = file.read_text(encoding="utf-8", errors="replace")
    match = _PROVIDER_LINE.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def _from_code(root: _Root, rel: str) -> RootAccounts | UnmappedRoot | None:
    problems: list[str] = []
    for key in ("allowed_account_ids", "assume_role"):
        found: list[str] = []
        where = ""
        for body, file in root.providers:
            if key == "allowed_account_ids":
                raw = body.get(key)
                items = raw if isinstance(raw, list) else [raw] if raw is not None else []
                values = [root.resolve(v) for v in items]
            else:
                values = [root.resolve(b.get("role_arn")) for b in body.get(key) or []
                          if isinstance(b, dict)]  # fmt: skip
            if not values:
                continue
            where = where or f"{file.name}:{_line_of(file)}"
            for value in values:
                if value is None:
                    problems.append(f"{key} of provider aws in {file.name} is not known statically")
                elif key == "allowed_account_ids" and _ACCOUNT_ID.match(value):
                    found.append(value)
                elif key == "assume_role" and (match := _ROLE_ARN.match(value)):
                    found.append(match.group(1))
                else:
                    problems.append(f"{key} of provider aws in {file.name}: {value!r}")
        if found:
            prefix = "" if rel == "." else rel + "/"
            return RootAccounts(rel, tuple(sorted(set(found))), key, prefix + where)
    for name in ACCOUNT_VARIABLES:
        value = root.values.get(name)
        if value is not None and _ACCOUNT_ID.match(value):
            prefix = "" if rel == "." else rel + "/"
            return RootAccounts(rel, (value,), "tfvars", prefix + root.value_files[name])
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


def map_roots(
    path: str | Path,
    *,
    config: Mapping[str, Any] | None = None,
    config_file: str = "",
    exclude: tuple[str, ...] = (),
    roots: Iterable[Path] | None = None,
) -> AccountMap:
    """Map every root module of the tree at ``path`` that may declare IAM to its accounts."""
    from lpgen.terraform.loader import LoadOptions, Tree_, discover, plan_dirs

    top = Path(path).resolve()
    found = discover(top, exclude)
    if roots is None:
        roots = [d for d, _ in plan_dirs(Tree_(top, LoadOptions(exclude=exclude)), found).roots()]
    configured = _config_accounts(config or {}, config_file)
    mapped: list[RootAccounts] = []
    unmapped: list[UnmappedRoot] = []
    seen: set[str] = set()
    for directory in roots:
        rel = directory.relative_to(top).as_posix() if directory != top else "."
        seen.add(rel)
        result = _from_code(_Root(directory, found.get(directory, [])), rel)
        if isinstance(result, RootAccounts):
            mapped.append(result)
        elif rel in configured:
            mapped.append(RootAccounts(rel, configured[rel], "config", config_file or "config"))
        elif isinstance(result, UnmappedRoot):
            unmapped.append(result)
        else:
            unmapped.append(UnmappedRoot(rel, _NO_MAPPING))
    for rel in sorted(set(configured) - seen):
        raise InputError(
            f"accounts.{rel}: not a root module of {path} that declares IAM", file=config_file
        )
    return AccountMap(tuple(mapped), tuple(unmapped))


def account_map_to_json(amap: AccountMap) -> dict[str, Any]:
    return {
        "mapped": [
            {"root": m.root, "accounts": list(m.accounts), "source": m.source, "where": m.where}
            for m in amap.mapped
        ],
        "unmapped": [{"root": u.root, "reason": u.reason} for u in amap.unmapped],
    }


def render_account_map(amap: AccountMap) -> str:
    lines = ["Accounts per root module:"]
    if not amap.mapped and not amap.unmapped:
        return ""
    for m in amap.mapped:
        lines.append(f"  {m.root}: {', '.join(m.accounts)} ({m.source}, {m.where})")
    for u in amap.unmapped:
        lines.append(f"  {u.root}: not mapped ({u.reason})")
    return "\n".join(lines) + "\n"
