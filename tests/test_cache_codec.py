"""The result cache cannot run code and treats an entry of the wrong shape as a miss."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from lpgen.cli import main
from lpgen.model import Location, Unresolved
from lpgen.terraform.cache import ResultCache
from lpgen.terraform.cachecodec import CacheFormatError, decode, encode
from lpgen.trim import TrimOptions, TrimResult, run_trim

CASE = Path(__file__).parent / "data" / "trim" / "jsonencode"


# The header line of an entry: the file names and dataclass names its body refers to.
HEAD = b'{"files":["a.tf"],"types":["lpgen.model:Unresolved"]}\n'


class _Boom:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (exec, ("import pathlib; pathlib.Path(__import__('os').environ['BOOM']).touch()",))


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout_bytes.decode(), result.stderr


def test_trim_result_round_trips(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(CASE / "input", tree)
    result = run_trim(tree, [CASE / "snapshot.json"], options=TrimOptions(use_git=False))
    back = decode(encode(result), TrimResult)
    assert repr(back) == repr(result)
    assert back.plan.policies == result.plan.policies and back.changes == result.changes


@pytest.mark.parametrize(
    "entry",
    [
        b"\x80\x04not json at all",
        b'{"deps": [], "value": 5}',
        b'{"deps": "x", "value": null}',
        b'{"value": {"__dc__": "subprocess:Popen", "args": ["touch", "x"]}, "deps": []}',
        b'{"value": {"__dc__": "lpgen.__main__:main"}, "deps": []}',
        b'{"value": {"__dc__": "lpgen.trim:TrimResult", "plan": null}, "deps": []}',
        b'{"value": {"__enum__": "lpgen.findings:Severity", "v": 99}, "deps": []}',
        b'{"value": {"__t__": 5}, "deps": []}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"value": {"plan": null, "__dc__": "lpgen.trim:TrimResult"}, "deps": []}',
        b'{"value": {"__dc__": ["lpgen.trim:TrimResult"]}, "deps": []}',
        b'{"value": {"__t__": [], "x": 1}, "deps": []}',
        b'{"value": {"a": 1, "b": 2, "__s__": []}, "deps": []}',
        b'{"value": {"__dc__": ["subprocess:Popen", ["touch", "x"]]}, "deps": []}',
        b'{"value": {"__dc__": ["lpgen.__main__:main"]}, "deps": []}',
        b'{"value": {"__dc__": ["lpgen.model:Unresolved", "a", "m"]}, "deps": []}',
        b'{"value": {"__dc__": ["lpgen.model:Unresolved", "a", "m", null, 1]}, "deps": []}',
        b'{"value": {"__dc__": [5, "a", "m", null]}, "deps": []}',
        b'{"value": {"__dc__": ["lpgen.model:Unresolved", "a", "m", null], "x": 1},'
        b' "deps": []}',
        b'{"value": {"__dc__": []}, "deps": []}',
    ],
    ids=["binary", "wrong-type", "bad-deps", "foreign-class", "entry-point", "wrong-fields",
         "bad-enum", "bad-tuple", "deep", "tag-not-first", "tag-not-a-name", "extra-key",
         "tag-among-keys", "foreign-class-fields", "entry-point-fields", "too-few-fields",
         "too-many-fields", "name-not-text", "key-next-to-fields", "no-name"],
)
def test_an_entry_of_the_wrong_shape_is_a_miss(tmp_path: Path, entry: bytes) -> None:
    cache = ResultCache(tmp_path / "cache")
    key = cache.tree_key(tmp_path, "x")
    path = cache._path(key)
    path.parent.mkdir(parents=True)
    path.write_bytes(entry)
    assert cache.load(key, tmp_path, TrimResult) is None


def test_decoding_never_builds_a_foreign_type() -> None:
    with pytest.raises(CacheFormatError, match="not an lpgen type"):
        decode(b'{"files":[],"types":["os:system"]}\n{"__dc__": [0, "touch x"]}')
    with pytest.raises(CacheFormatError, match="not a dataclass"):
        decode(b'{"files":[],"types":["lpgen.terraform.cache:ResultCache"]}\n{"__dc__": [0]}')
    # The named-field form of an older format is a miss, not a partly built object.
    with pytest.raises(CacheFormatError, match="malformed"):
        decode(HEAD + b'{"__dc__": "lpgen.model:Unresolved", "address": "a", "message": "m",'
               b' "location": null}')
    with pytest.raises(CacheFormatError, match="no header"):
        decode(b'{"__dc__": ["lpgen.model:Unresolved", "a", "m", null]}')


def test_a_poisoned_cache_runs_no_code_and_gives_the_right_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(CASE / "input", tree)
    cache = tmp_path / "cache"
    boom = tmp_path / "boom"
    monkeypatch.setenv("BOOM", str(boom))
    args = ["trim", str(tree), "--snapshot", str(CASE / "snapshot.json"), "--no-git",
            "--cache-dir", str(cache), "--format", "json"]
    code, first, _ = run(*args)
    assert code == 0
    entries = sorted((cache / "results").glob("*.json"))
    assert entries
    # Someone with write access to a shared cache replaces every entry with a pickle that
    # runs code when loaded, or with well-formed JSON of the wrong shape.
    for i, entry in enumerate(entries):
        if i % 2 == 0:
            entry.write_bytes(pickle.dumps({"deps": [], "value": _Boom()}))
        else:
            entry.write_text(json.dumps({"deps": [], "value": {"__t__": []}}))
        entry.with_suffix(".pickle").write_bytes(pickle.dumps(_Boom()))
    code, second, err = run(*args)
    assert (code, err) == (0, "")
    assert second == first
    assert not boom.exists()


def test_locations_are_written_short_and_read_back_whole() -> None:
    from lpgen.model import Location

    loc = Location("mod/a.tf", 3, 5, 40, 52, "json-in-hcl")
    data = encode([loc, {"k": loc}])
    assert b"lpgen.model:Location" not in data
    back = decode(data, list)
    assert back == [loc, {"k": loc}] and type(back[0]) is Location
    assert hash(back[0]) == hash(loc)


@pytest.mark.parametrize(
    "entry",
    [b'[{"__loc__": [0, 1]}]', b'[{"__loc__": [0, "1", 1, 0, 4, "hcl"]}]',
     b'[{"__loc__": [0, 1, 1, 0, 4, "hcl"], "x": 1}]', b'[{"__loc__": "a.tf:1"}]',
     b'[{"__loc__": ["a.tf", 1, 1, 0, 4, "hcl"]}]', b'[{"__loc__": [1, 1, 1, 0, 4, "hcl"]}]',
     b'[{"__loc__": [-1, 1, 1, 0, 4, "hcl"]}]', b'[{"__loc__": [true, 1, 1, 0, 4, "hcl"]}]'],
    ids=["short", "line-as-text", "extra-key", "not-a-list", "file-by-name", "no-such-file",
         "negative-file", "file-as-bool"],
)  # fmt: skip
def test_a_malformed_location_is_refused(entry: bytes) -> None:
    assert decode(HEAD + b'[{"__loc__": [0, 1, 1, 0, 4, "hcl"]}]', list) == [
        Location("a.tf", 1, 1, 0, 4, "hcl")
    ]
    with pytest.raises(CacheFormatError):
        decode(HEAD + entry, list)


@pytest.mark.parametrize(
    "head",
    [b'{"files":["a.tf"]}', b'{"files":["a.tf"],"types":[],"x":1}', b'{"files":[1],"types":[]}',
     b'{"files":"a.tf","types":[]}', b'["a.tf"]', b'{"files":[],"types":["lpgen.cli:main"]}',
     b'{"files":[],"types":["lpgen.model:Nope"]}'],
    ids=["no-types", "extra-key", "file-not-text", "files-not-a-list", "not-an-object",
         "entry-point", "unknown-type"],
)  # fmt: skip
def test_a_malformed_header_is_refused(head: bytes) -> None:
    with pytest.raises(CacheFormatError):
        decode(head + b'\n[{"__dc__": [0]}]', list)


def test_plain_values_and_their_subclasses_encode_as_before() -> None:
    """Plain leaves are written as they are; str/int subclasses keep their tags."""
    from lpgen.findings import Severity
    from lpgen.model import Location
    from lpgen.terraform.values import SStr

    loc = Location("main.tf", 3)
    value = ["a", 1, 2.5, True, None, SStr("s", loc), Severity.HIGH, (1, "b")]
    head, body = encode(value).split(b"\n", 1)
    assert json.loads(head)["files"] == ["main.tf"]
    data = json.loads(body)
    assert data[:5] == ["a", 1, 2.5, True, None]
    assert data[5]["__sstr__"] == ["s", {"__loc__": [0, 3, 1, -1, -1, "hcl"]}]
    assert data[6] == {"__enum__": "lpgen.findings:Severity", "v": int(Severity.HIGH)}
    assert data[7] == {"__t__": [1, "b"]}
    assert repr(decode(encode(value), list)) == repr(value)


@pytest.mark.parametrize(
    "entry",
    [b'{"__dc__": [0, "a", "m"]}', b'{"__dc__": [0, "a", "m", null, 1]}',
     b'{"__dc__": [1, "a", "m", null]}', b'{"__dc__": ["lpgen.model:Unresolved", "a", "m", null]}',
     b'{"__dc__": [false, "a", "m", null]}', b'{"__dc__": [0, "a", "m", null], "x": 1}',
     b'{"__dc__": []}', b'{"__dc__": {"address": "a"}}'],
    ids=["too-few-fields", "too-many-fields", "no-such-type", "type-by-name", "type-as-bool",
         "key-next-to-fields", "no-type", "fields-by-name"],
)  # fmt: skip
def test_a_dataclass_of_the_wrong_shape_is_never_built(entry: bytes) -> None:
    assert decode(HEAD + b'{"__dc__": [0, "a", "m", null]}') == Unresolved("a", "m", None)
    with pytest.raises(CacheFormatError):
        decode(HEAD + entry)


def test_a_type_the_entry_does_not_use_is_never_imported() -> None:
    import sys

    head = b'{"files":[],"types":["lpgen.model:Unresolved","lpgen.no_such_module:X"]}\n'
    assert decode(head + b'[{"__dc__": [0, "a", "m", null]}]', list) == [Unresolved("a", "m")]
    assert "lpgen.no_such_module" not in sys.modules
    with pytest.raises(CacheFormatError, match="unknown type"):
        decode(head + b'[{"__dc__": [1]}]', list)


@pytest.mark.parametrize(
    "value",
    [[1.5, -0.0, 1e300, 2**63 - 1, -(2**63)], [2**64, 1], [float("inf"), 1.5], [float("-inf")],
     {"k": [Unresolved("a", "é ✓ \u2028 \x00 \"q\" \\ \n")]}],
    ids=["floats-and-ints", "beyond-64-bits", "infinity", "minus-infinity", "text"],
)  # fmt: skip
def test_numbers_and_text_read_back_exactly(value: object) -> None:
    back = decode(encode(value))
    assert back == value and repr(back) == repr(value)


def test_nan_reads_back_as_nan() -> None:
    import math

    [back] = decode(encode([float("nan")]))
    assert math.isnan(back)


def test_text_that_is_not_unicode_is_not_cached(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        encode(["\udcff"])
    cache = ResultCache(tmp_path / "cache")
    assert cache.store("k", tmp_path, ["\udcff"], []) is False
    assert cache.load("k", tmp_path) is None
