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
    "__loc__", "__dc__", "__t__", "__s__", "__fs__", "__dt__", "__d__", "__p__", "__m__",
    "__u__", "__sstr__", "__slist__", "__tset__", "__sdict__", "__enc__", "__enum__",
)  # fmt: skip


def _name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


_PLAIN = frozenset({str, int, float, bool, type(None)})


@lru_cache(maxsize=512)
def _dc_fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _enc(value: Any) -> Any:
    # The common exact types first (an entry holds hundreds of thousands of values); the
    # value classes that subclass str/list/dict are not among them and fall through below.
    cls = type(value)
    if cls in _PLAIN:
        return value
    if cls is _location():
        # The most frequent object of an entry: a short list instead of six named fields.
        return {"__loc__": [value.file, value.line, value.column, value.start, value.end,
                            value.syntax]}  # fmt: skip
    if cls is list:
        return [_enc(v) for v in value]
    if cls is dict and all(type(k) is str and not k.startswith("__") for k in value):
        return {k: _enc(v) for k, v in value.items()}
    if dataclasses.is_dataclass(cls) and not issubclass(cls, (str, list, dict, tuple)):
        out: dict[str, Any] = {"__dc__": _name(cls)}
        for name in _dc_fields(cls):
            out[name] = _enc(getattr(value, name))
        return out
    return _enc_other(value)


def _enc_other(value: Any) -> Any:
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
        for name in _dc_fields(type(value)):
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


@lru_cache(maxsize=1)
def _location() -> type:
    from lpgen.model import Location

    return Location


_LOC_TYPES = (str, int, int, int, int, str)
_LOC_FIELDS = ("file", "line", "column", "start", "end", "syntax")


def _location_of(body: Any) -> Any:
    if type(body) is not list or len(body) != 6 or not all(
        type(v) is t for v, t in zip(body, _LOC_TYPES, strict=True)
    ):
        raise CacheFormatError("a malformed location")
    made: Any = object.__new__(_location())
    made.__dict__.update(zip(_LOC_FIELDS, body, strict=True))
    return made


def _loc(value: Any) -> Any:
    from lpgen.model import Location

    if value is not None and not isinstance(value, Location):
        raise CacheFormatError("a location of the wrong type")
    return value


_TAG_SET = frozenset(_TAGS)


@lru_cache(maxsize=256)
def _dataclass_keys(name: str) -> tuple[type, frozenset[str]]:
    """The dataclass a ``__dc__`` tag names and the keys its encoding has (fields + tag)."""
    cls = _class(name)
    if not dataclasses.is_dataclass(cls):
        raise CacheFormatError(f"not a dataclass: {name!r}")
    return cls, _field_names(cls) | {"__dc__"}


def _hook(obj: dict[str, Any]) -> Any:
    # Called for every JSON object of an entry (tens of thousands): a plain object, the
    # most common case after dataclasses, is told apart with one pass in C.
    if _TAG_SET.isdisjoint(obj):
        return obj
    if "__loc__" in obj:  # the most frequent object of an entry
        if len(obj) != 1:
            raise CacheFormatError("extra keys next to __loc__")
        return _location_of(obj["__loc__"])
    if "__dc__" in obj:
        body = obj["__dc__"]
        if not isinstance(body, str):
            raise CacheFormatError("a malformed __dc__ value")
        cls, keys = _dataclass_keys(body)
        if obj.keys() != keys:
            raise CacheFormatError(f"fields of {body} do not match")
        del obj["__dc__"]
        made: Any = object.__new__(cls)
        try:
            state = made.__dict__
        except AttributeError:  # pragma: no cover - lpgen's dataclasses have a __dict__
            for k, v in obj.items():
                object.__setattr__(made, k, v)
            return made
        state.update(obj)
        return made
    tag = next(t for t in _TAGS if t in obj)
    body = obj[tag]
    try:
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
