"""Project configuration from ``[tool.lpgen]`` in pyproject.toml or a ``.lpgen.toml`` file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from lpgen.errors import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

# Top-level keys apply to every command that has an option of that name; a table named
# after a command (``[tool.lpgen.trim]``) applies to that command only.
KNOWN_KEYS: dict[str, str] = {
    "days": "trim window in days",
    "keep": "actions trim always keeps (added to the default keep list)",
    "git": "trim: keep actions whose line git says was added inside the window",
    "fail_on": "severity threshold of check/audit",
    "select": "check codes to run",
    "ignore": "check codes to skip",
    "var_file": "extra tfvars files",
    "exclude": "glob patterns of paths to skip",
    "account_id": "AWS account id used for ARNs",
    "cache_dir": "result cache directory",
    "baseline": "check baseline file",
    "max_key_age": "audit: maximum access key age in days",
    "max_password_age": "audit: maximum password age in days",
    "inactive_days": "audit: days without use before a user counts as inactive",
    "root_password_days": "audit: days within which root password use is reported",
    "concurrency": "collect: API calls in flight",
    "granularity": "collect: action or service",
    "timeout": "collect: overall timeout in seconds",
    "accounts": "table: root module path = account ids it is applied to",
}
COMMANDS = ("inventory", "collect", "trim", "graph", "check", "audit", "baseline", "snapshot")


def find_config(start: Path) -> Path | None:
    """Return the nearest ``.lpgen.toml`` or ``pyproject.toml`` with a ``[tool.lpgen]`` table."""
    here = start.resolve()
    if here.is_file():
        here = here.parent
    for directory in (here, *here.parents):
        dotfile = directory / ".lpgen.toml"
        if dotfile.is_file():
            return dotfile
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError):
                continue
            if "lpgen" in data.get("tool", {}):
                return pyproject
    return None


def read_config(path: Path) -> dict[str, Any]:
    """Read and validate the lpgen settings of one file; unknown keys are an error."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"invalid TOML: {exc}", file=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read config: {exc.strerror}", file=str(path)) from None
    table = data.get("tool", {}).get("lpgen", {}) if path.name == "pyproject.toml" else data
    if not isinstance(table, dict):
        raise InputError("[tool.lpgen] must be a table", file=str(path))
    for key, value in table.items():
        if key in COMMANDS:
            if not isinstance(value, dict):
                raise InputError(f"[{key}] must be a table", file=str(path))
            for sub in value:
                if sub.replace("-", "_") not in KNOWN_KEYS:
                    raise InputError(f"unknown config key '{key}.{sub}'", file=str(path))
        elif key.replace("-", "_") not in KNOWN_KEYS:
            raise InputError(f"unknown config key '{key}'", file=str(path))
    return table


def default_map(table: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Turn a config table into click's ``default_map`` (flags given on the command line win)."""
    shared = {k.replace("-", "_"): v for k, v in table.items() if k not in COMMANDS}
    result: dict[str, dict[str, Any]] = {}
    for command in COMMANDS:
        merged = dict(shared)
        merged.update({k.replace("-", "_"): v for k, v in table.get(command, {}).items()})
        result[command] = merged
    return result
