"""A result-cache format that cannot run code: tagged JSON, decoded into lpgen's own types.

Cache directories are shared (CI caches, a team's cache volume), so what is read back from
one must not be able to execute anything: pickle can. Here an entry is JSON; objects are
tagged with the lpgen dataclass (or value class) they stand for, and decoding only ever
builds those classes from their fields. An entry of the wrong shape (unknown class, fields
that do not match, a different top-level type) raises :class:`CacheFormatError`, which the
cache treats as a miss.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import json
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from lpgen.terraform.values import Encoded, SDict, SList, SStr, TSet, Unknown

__all__ = ["CacheFormatError", "decode", "encode"]


class CacheFormatError(ValueError):
    """A cache entry that is not a well-formed encoding of the expected type."""


_TAGS = (
    "__dc__", "__t__", "__s__", "__fs__", "__dt__", "__d__", "__p__", "__m__",
    "__u__", "__sstr__", "__slist__", "__tset__", "__sdict__", "__enc__", "__enum__",
)  # fmt: skip


def _name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


_PLAIN = frozenset({str, int, float, bool, type(None)})


@lru_cache(maxsize=512)
def _field_order(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _enc(value: Any) -> Any:
    if type(value) in _PLAIN:  # most leaves: exactly these types (not a subclass below)
        return value
    # Value classes that subclass str/list/dict first: they carry their provenance.
    if isinstance(value, Encoded):
        return {"__enc__": [str(value), _enc(value.value), value.style, value.complete,
                            _enc(value.loc), value.source_file]}  # fmt: skip
    if isinstance(value, SStr):
        return {"__sstr__": [str(value), _enc(value.loc)]}
    if isinstance(value, SList):
        return {"__slist__": [[_enc(v) for v in value], _enc(value.loc), value.note,
                              _enc(value.item_locs)]}  # fmt: skip
    if isinstance(value, TSet):
        return {"__tset__": [_enc(v) for v in value]}
    if isinstance(value, SDict):
        return {"__sdict__": [_enc(dict(value)), _enc(value.loc), value.note]}
    if value is None or isinstance(value, (bool, int, float, str)):
        if isinstance(value, enum.Enum):
            return {"__enum__": _name(type(value)), "v": value.value}
        return value
    if isinstance(value, enum.Enum):
        return {"__enum__": _name(type(value)), "v": _enc(value.value)}
    if isinstance(value, list):
        return [_enc(v) for v in value]
    if isinstance(value, tuple):
        return {"__t__": [_enc(v) for v in value]}
    if isinstance(value, frozenset):
        return {"__fs__": [_enc(v) for v in sorted(value, key=repr)]}
    if isinstance(value, set):
        return {"__s__": [_enc(v) for v in sorted(value, key=repr)]}
    if isinstance(value, datetime):
        return {"__dt__": value.isoformat()}
    if isinstance(value, date):
        return {"__d__": value.isoformat()}
    if isinstance(value, (Path, PurePosixPath)):
        return {"__p__": str(value)}
    if isinstance(value, Unknown):
        return {"__u__": [value.reason, value.ref]}
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in value):
            return {k: _enc(v) for k, v in value.items()}
        return {"__m__": [[_enc(k), _enc(v)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {"__dc__": _name(type(value))}
        for name in _field_order(type(value)):
            out[name] = _enc(getattr(value, name))
        return out
    raise TypeError(f"cannot cache a value of type {type(value).__name__}")


def encode(value: Any) -> bytes:
    """The cache encoding of ``value`` (TypeError for a value it cannot represent)."""
    return json.dumps(_enc(value), separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@lru_cache(maxsize=256)
def _class(name: str) -> type:
    module, _, qual = name.partition(":")
    # Only lpgen's library modules, which define types and do nothing else when imported
    # (never the entry points, which run the command line).
    if (
        not module.startswith("lpgen.")
        or module.split(".")[-1] in ("__main__", "cli")
        or not qual
        or not all(part.isidentifier() for part in (*module.split("."), *qual.split(".")))
    ):
        raise CacheFormatError(f"not an lpgen type: {name!r}")
    try:
        obj: Any = importlib.import_module(module)
        for part in qual.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        raise CacheFormatError(f"unknown type {name!r}") from None
    if not isinstance(obj, type):
        raise CacheFormatError(f"not a type: {name!r}")
    return obj


@lru_cache(maxsize=256)
def _field_names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls))


def _loc(value: Any) -> Any:
    from lpgen.model import Location

    if value is not None and not isinstance(value, Location):
        raise CacheFormatError("a location of the wrong type")
    return value


def _hook(obj: dict[str, Any]) -> Any:
    tag = next((t for t in _TAGS if t in obj), None)
    if tag is None:
        return obj
    body = obj[tag]
    try:
        if tag == "__dc__":
            cls = _class(body)
            if not dataclasses.is_dataclass(cls):
                raise CacheFormatError(f"not a dataclass: {body!r}")
            fields = {k: v for k, v in obj.items() if k != "__dc__"}
            if set(fields) != _field_names(cls):
                raise CacheFormatError(f"fields of {body} do not match")
            made = object.__new__(cls)
            for k, v in fields.items():
                object.__setattr__(made, k, v)
            return made
        if len(obj) != 1 and tag != "__enum__":
            raise CacheFormatError(f"extra keys next to {tag}")
        if tag == "__t__":
            return tuple(_list(body))
        if tag == "__s__":
            return set(_list(body))
        if tag == "__fs__":
            return frozenset(_list(body))
        if tag == "__dt__":
            return datetime.fromisoformat(body)
        if tag == "__d__":
            return date.fromisoformat(body)
        if tag == "__p__":
            return Path(body)
        if tag == "__m__":
            return {(tuple(k) if isinstance(k, list) else k): v for k, v in _list(body)}
        if tag == "__u__":
            reason, ref = body
            return Unknown(str(reason), ref)
        if tag == "__sstr__":
            text, loc = body
            return SStr(_str(text), _loc(loc))
        if tag == "__slist__":
            items, loc, note, item_locs = body
            return SList(_list(items), _loc(loc), note, item_locs)
        if tag == "__tset__":
            return TSet(_list(body))
        if tag == "__sdict__":
            items, loc, note = body
            if not isinstance(items, dict):
                raise CacheFormatError("an object of the wrong type")
            return SDict(items, _loc(loc), note)
        if tag == "__enc__":
            text, value, style, complete, loc, source_file = body
            return Encoded(_str(text), value, _str(style), complete=bool(complete),
                           loc=_loc(loc), source_file=source_file)  # fmt: skip
        if tag == "__enum__":
            cls = _class(body)
            if not issubclass(cls, enum.Enum):
                raise CacheFormatError(f"not an enum: {body!r}")
            return cls(obj.get("v"))
    except CacheFormatError:
        raise
    except (TypeError, ValueError, KeyError):
        raise CacheFormatError(f"a malformed {tag} value") from None
    raise CacheFormatError(f"unknown tag {tag}")  # pragma: no cover


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise CacheFormatError("a list of the wrong type")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise CacheFormatError("a string of the wrong type")
    return value


def decode(data: bytes, expected: type | tuple[type, ...] | None = None) -> Any:
    """Decode a cache entry; CacheFormatError when it is not a well-formed one (of
    ``expected`` type, when given)."""
    try:
        value = json.loads(data.decode("utf-8"), object_hook=_hook)
    except CacheFormatError:
        raise
    except (ValueError, RecursionError, TypeError) as exc:
        raise CacheFormatError(f"not a cache entry: {exc}") from None
    if expected is not None and not isinstance(value, expected):
        raise CacheFormatError("an entry of the wrong type")
    return value
