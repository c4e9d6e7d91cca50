"""Project configuration from ``[tool.lpgen]`` in pyproject.toml or a ``.lpgen.toml`` file."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from lpgen.errors import InputError


def _toml() -> Any:
    """The TOML reader, imported when a config file is read (most runs find none)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    return tomllib


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
    "snapshot": "trim/check/graph: Access Advisor snapshot files",
    "max_snapshot_age": "trim: warn when a snapshot is older than this many days (0: never)",
}
COMMANDS = ("inventory", "collect", "trim", "graph", "check", "audit", "baseline", "snapshot")


def _has_lpgen_table(pyproject: Path) -> bool:
    tomllib = _toml()
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False
    return "lpgen" in data.get("tool", {})


def find_config(start: Path) -> Path | None:
    """Return the nearest ``.lpgen.toml`` or ``pyproject.toml`` with a ``[tool.lpgen]`` table.

    Both in one directory is an error naming both: which one wins would be a guess.
    """
    here = start.resolve()
    if here.is_file():
        here = here.parent
    for directory in (here, *here.parents):
        dotfile = directory / ".lpgen.toml"
        pyproject = directory / "pyproject.toml"
        in_pyproject = pyproject.is_file() and _has_lpgen_table(pyproject)
        if dotfile.is_file() and in_pyproject:
            raise InputError(
                f"both {dotfile} and [tool.lpgen] in {pyproject} configure lpgen: keep one "
                "(or choose with --config FILE)"
            )
        if dotfile.is_file():
            return dotfile
        if in_pyproject:
            return pyproject
    return None


def key_line(path: Path, key: str) -> int | None:
    """The line of ``key = ...`` in a config file (``-`` or ``_`` spelling), if it is there."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    spelled = "[-_]".join(re.escape(part) for part in key.split("_"))
    match = re.search(rf"^[ \t]*{spelled}[ \t]*=", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def read_config(path: Path) -> dict[str, Any]:
    """Read and validate the lpgen settings of one file; unknown keys are an error."""
    tomllib = _toml()
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


# Config keys named in the singular for an option that repeats (``snapshot = "s.json"``).
PARAM_NAMES = {"snapshot": "snapshots", "var_file": "var_file"}
LIST_KEYS = frozenset({"snapshot", "keep", "select", "ignore", "var_file", "exclude"})


def _param(key: str, value: Any) -> tuple[str, Any]:
    name = key.replace("-", "_")
    if name in LIST_KEYS and isinstance(value, str):
        value = [value]
    return PARAM_NAMES.get(name, name), value


def config_key(table: dict[str, Any], command: str, param: str) -> str:
    """The key a parameter's default came from: ``check.fail_on`` or ``fail_on``."""
    names = {param, *(k for k, v in PARAM_NAMES.items() if v == param)}
    for key in table.get(command, {}) if isinstance(table.get(command), dict) else ():
        if key.replace("-", "_") in names:
            return f"{command}.{key}"
    for key in table:
        if key.replace("-", "_") in names:
            return key
    return param


def default_map(table: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Turn a config table into click's ``default_map`` (flags given on the command line win)."""
    shared = dict(_param(k, v) for k, v in table.items() if k not in COMMANDS)
    result: dict[str, dict[str, Any]] = {}
    for command in COMMANDS:
        merged = dict(shared)
        merged.update(_param(k, v) for k, v in table.get(command, {}).items())
        result[command] = merged
    return result
