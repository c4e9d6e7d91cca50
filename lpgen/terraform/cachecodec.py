"""A result-cache format that cannot run code: tagged JSON, decoded into lpgen's own types.

Cache directories are shared (CI caches, a team's cache volume), so what is read back from
one must not be able to execute anything: pickle can. Here an entry is JSON; objects are
tagged with the lpgen dataclass (or value class) they stand for, and decoding only ever
builds those classes from their fields. An entry is a header line naming the dataclasses
and the files of locations it holds, then the value, where a dataclass is its type's index
in the header and its field values in declaration order, with no field names
(``{"__dc__": [0, "aws_iam_group.a", ...]}``) and a location is a short list
(``{"__loc__": [file index, line, column, start, end, syntax]}``): about half the size of
named fields, and as quick to read. An entry of the wrong shape (a name that is not one of
lpgen's dataclasses, a list of the wrong length, an index out of range, a different
top-level type) raises :class:`CacheFormatError`, which the cache treats as a miss.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import json
import math
from collections.abc import Callable
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


# Written as they are (a float is looked at first: see _enc_float).
_PLAIN = frozenset({str, int, bool, type(None)})


@lru_cache(maxsize=512)
def _dc_fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


# How each exact class is encoded, filled in as classes are met (see _encoder_for): one dict
# lookup per value instead of a chain of type tests.
_ENCODERS: dict[type, Callable[[Any], Any]] = {}


class _Index(dict[str, int]):
    """Names by their index, a new name getting the next one."""

    def __missing__(self, name: str) -> int:
        index = self[name] = len(self)
        return index


# The file names of the locations of the entry being encoded, by index: each is written once
# in the entry's header and a location names it by number. The dataclass names, likewise,
# are numbered once per process (every entry's header lists them all; a decoder resolves
# only the ones its entry uses).
_FILES = _Index()
_TYPES = _Index()


def _enc(value: Any) -> Any:
    cls = type(value)
    if cls in _PLAIN:
        return value
    encoder = _ENCODERS.get(cls)
    if encoder is None:
        encoder = _encoder_for(cls)
    return encoder(value)


def _enc_list(value: list[Any]) -> list[Any]:
    plain, enc = _PLAIN, _enc
    return [v if type(v) in plain else enc(v) for v in value]


def _enc_dict(value: dict[Any, Any]) -> Any:
    if all(type(k) is str and not k.startswith("__") for k in value):
        plain, enc = _PLAIN, _enc
        return {k: v if type(v) in plain else enc(v) for k, v in value.items()}
    return _enc_other(value)


# Set when the entry being encoded holds a float that is not finite (see encode).
_NOT_FINITE: list[bool] = []


def _enc_float(value: float) -> float:
    if not math.isfinite(value):
        _NOT_FINITE.append(True)
    return value


def _enc_location(value: Any) -> Any:
    # The most frequent object of an entry: a short list instead of six named fields.
    return {"__loc__": [_FILES[value.file], value.line, value.column, value.start, value.end,
                        value.syntax]}  # fmt: skip


@lru_cache(maxsize=512)
def _dataclass_encoder(cls: type) -> Callable[[Any], Any]:
    """A dataclass as ``{"__dc__": [its type, its fields in declaration order...]}``, its
    type the index of its name in the entry's header.

    The function is written out for the class's fields (as :mod:`dataclasses` writes
    ``__init__``), from their names only: each field is read once and a plain value or a
    location is written without a further call.
    """
    names = _dc_fields(cls)
    index = _TYPES[_name(cls)]
    args = [f"v{i}" for i in range(len(names))]
    lines = ["def encode(value):"]
    for arg, name in zip(args, names, strict=True):
        lines.append(f"    {arg} = value.{name}")
    items = "".join(
        f", {a} if type({a}) in plain else loc({a}) if type({a}) is Loc else enc({a})"
        for a in args
    )
    lines.append(f"    return {{'__dc__': [{index}{items}]}}")
    scope: dict[str, Any] = {
        "plain": _PLAIN, "enc": _enc, "loc": _enc_location, "Loc": _location(), "type": type,
    }  # fmt: skip
    exec("\n".join(lines), scope)  # code made of the class's field names, never of an entry
    encoder: Callable[[Any], Any] = scope["encode"]
    return encoder


def _encoder_for(cls: type) -> Callable[[Any], Any]:
    encoder: Callable[[Any], Any]
    if cls is _location():
        encoder = _enc_location
    elif cls is list:
        encoder = _enc_list
    elif cls is dict:
        encoder = _enc_dict
    elif cls is float:
        encoder = _enc_float
    elif dataclasses.is_dataclass(cls) and not issubclass(cls, (str, list, dict, tuple)):
        encoder = _dataclass_encoder(cls)
    else:
        # Value classes that subclass str/list/dict, enums, tuples, sets...: the checks of
        # _enc_other, in its order, on each value.
        encoder = _enc_other
    _ENCODERS[cls] = encoder
    return encoder


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
        return _dataclass_encoder(type(value))(value)
    raise TypeError(f"cannot cache a value of type {type(value).__name__}")


def _dumps(value: Any) -> bytes:
    """Compact JSON, by orjson (several times quicker than :mod:`json`, the same JSON);
    by :mod:`json` for what orjson does not write the same way (an integer beyond 64 bits,
    NaN or an infinity) or refuses (text that is not valid Unicode: then an error)."""
    if not _NOT_FINITE:
        import orjson  # here: a run that only reads the cache never needs it

        try:
            return orjson.dumps(value)
        except TypeError:
            pass
    # No check for cycles: _enc would have met one already (a RecursionError).
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False,
                      check_circular=False).encode("utf-8")  # fmt: skip


def encode(value: Any) -> bytes:
    """The cache encoding of ``value`` (TypeError for a value it cannot represent): a header
    line ``{"files": [...], "types": [...]}`` (the names locations and dataclasses refer to
    by index), then the value."""
    try:
        body = _dumps(_enc(value))
        header = _dumps({"files": list(_FILES), "types": list(_TYPES)})
    finally:
        _FILES.clear()
        _NOT_FINITE.clear()
    # JSON escapes every newline inside a string: the first one ends the header.
    return header + b"\n" + body


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


@lru_cache(maxsize=1)
def _location() -> type:
    from lpgen.model import Location

    return Location


_LOC_TYPES = (int, int, int, int, str)
_LOC_FIELDS = ("file", "line", "column", "start", "end", "syntax")


def _location_of(body: Any, files: list[str]) -> Any:
    if type(body) is not list or len(body) != 6 or not all(
        type(v) is t for v, t in zip(body[1:], _LOC_TYPES, strict=True)
    ):
        raise CacheFormatError("a malformed location")
    index = body[0]
    if type(index) is not int or not 0 <= index < len(files):
        raise CacheFormatError("a location naming no file of the entry")
    made: Any = object.__new__(_location())
    state = made.__dict__
    state.update(zip(_LOC_FIELDS, body, strict=True))
    state["file"] = files[index]
    return made


def _loc(value: Any) -> Any:
    from lpgen.model import Location

    if value is not None and not isinstance(value, Location):
        raise CacheFormatError("a location of the wrong type")
    return value


_TAG_SET = frozenset(_TAGS)


@lru_cache(maxsize=256)
def _dataclass_of(name: str) -> tuple[type, tuple[str, ...]]:
    """The dataclass a ``__dc__`` tag names and its fields, in the order they are written."""
    cls = _class(name)
    if not dataclasses.is_dataclass(cls):
        raise CacheFormatError(f"not a dataclass: {name!r}")
    return cls, _dc_fields(cls)


def _make_hook(files: list[str], names: list[str]) -> Callable[[dict[str, Any]], Any]:
    """The object hook decoding an entry whose header gives ``files`` and the dataclass
    ``names`` (each resolved when the entry first uses it)."""
    tags, ntypes = _TAG_SET, len(names)
    types: list[tuple[type, tuple[str, ...]] | None] = [None] * ntypes

    def hook(obj: dict[str, Any]) -> Any:
        # Called for every JSON object of an entry (tens of thousands): a plain object is
        # told apart with one pass in C.
        if tags.isdisjoint(obj):
            return obj
        if "__loc__" in obj:  # the most frequent object of an entry
            if len(obj) != 1:
                raise CacheFormatError("extra keys next to __loc__")
            return _location_of(obj["__loc__"], files)
        if "__dc__" in obj:
            body = obj["__dc__"]
            if len(obj) != 1 or type(body) is not list or not body:
                raise CacheFormatError("a malformed __dc__ value")
            index = body[0]
            if type(index) is not int or not 0 <= index < ntypes:
                raise CacheFormatError("a __dc__ value naming no type of the entry")
            known = types[index]
            if known is None:
                known = types[index] = _dataclass_of(names[index])
            cls, fields = known
            if len(body) != len(fields) + 1:
                raise CacheFormatError(f"fields of {_name(cls)} do not match")
            made: Any = object.__new__(cls)
            try:
                state = made.__dict__
            except AttributeError:  # pragma: no cover - lpgen's dataclasses have a __dict__
                for k, v in zip(fields, body[1:], strict=True):
                    object.__setattr__(made, k, v)
                return made
            state.update(zip(fields, body[1:], strict=True))
            return made
        return _tagged(obj)

    return hook


def _tagged(obj: dict[str, Any]) -> Any:
    """An object with one of the less frequent tags."""
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


def _header(line: str) -> tuple[list[str], list[str]]:
    head = json.loads(line)
    if not (isinstance(head, dict) and head.keys() == {"files", "types"}):
        raise CacheFormatError("not a cache entry: no header")
    files, types = head["files"], head["types"]
    if not (
        type(files) is list
        and type(types) is list
        and all(type(f) is str for f in files)
        and all(type(t) is str for t in types)
    ):
        raise CacheFormatError("not a cache entry: a malformed header")
    return files, types


def decode(data: bytes, expected: type | tuple[type, ...] | None = None) -> Any:
    """Decode a cache entry; CacheFormatError when it is not a well-formed one (of
    ``expected`` type, when given)."""
    try:
        line, newline, body = data.decode("utf-8").partition("\n")
        if not newline:
            raise CacheFormatError("not a cache entry: no header")
        files, types = _header(line)
        value = json.loads(body, object_hook=_make_hook(files, types))
    except CacheFormatError:
        raise
    except (ValueError, RecursionError, TypeError) as exc:
        raise CacheFormatError(f"not a cache entry: {exc}") from None
    if expected is not None and not isinstance(value, expected):
        raise CacheFormatError("an entry of the wrong type")
    return value
