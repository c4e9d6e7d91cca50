"""The text of a ``data "aws_iam_policy_document"`` is what ``json.dumps(..., indent=2)`` writes
of it, with unknowns as ``"<unknown>"``; and the walks over evaluated values agree with plain
ones."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from lpgen.model import Location
from lpgen.policydoc import _json_text, _plain
from lpgen.terraform.values import (
    Encoded,
    SDict,
    SList,
    SStr,
    TSet,
    Unknown,
    first_unknown,
    to_plain,
)

_LOC = Location("main.tf", 1)

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.text(max_size=8).map(lambda s: SStr(s, _LOC)),
    st.text(max_size=8).map(lambda s: Encoded(s, {"k": s}, "jsonencode")),
    st.text(max_size=8).map(Unknown),
)


def _containers(children: Any) -> Any:
    keys = st.one_of(st.text(max_size=6), st.text(max_size=6).map(SStr))
    return st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(lambda xs: SList(xs, _LOC)),
        st.lists(children, max_size=4).map(TSet),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(keys, children, max_size=4),
        st.dictionaries(keys, children, max_size=4).map(lambda d: SDict(d, _LOC)),
    )


values = st.recursive(leaves, _containers, max_leaves=25)


@settings(max_examples=400, deadline=None)
@given(values)
def test_policy_document_text_is_json_dumps_indented(doc: Any) -> None:
    try:
        want: str | type[Exception] = json.dumps(_plain(doc), indent=2)
    except (TypeError, ValueError) as exc:
        want = type(exc)
    try:
        text, complete = _json_text(doc)
    except (TypeError, ValueError) as exc:
        assert want is type(exc)
        return
    assert text == want
    assert complete == (first_unknown(doc) is None)


def _first_unknown(value: Any) -> Unknown | None:  # the walk as first written
    if isinstance(value, Unknown):
        return value
    if isinstance(value, dict):
        for v in value.values():
            u = _first_unknown(v)
            if u is not None:
                return u
    elif isinstance(value, list):
        for v in value:
            u = _first_unknown(v)
            if u is not None:
                return u
    return None


def _to_plain(value: Any) -> Any:  # likewise
    if isinstance(value, Unknown) or value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_plain(v) for v in value]
    return value


@settings(max_examples=300, deadline=None)
@given(values)
def test_first_unknown_and_to_plain_walk_as_before(value: Any) -> None:
    assert first_unknown(value) is _first_unknown(value)
    plain, before = to_plain(value), _to_plain(value)
    assert repr(plain) == repr(before)
    assert [type(x) for x in _flat(plain)] == [type(x) for x in _flat(before)]


def _flat(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [value, *(x for k, v in value.items() for x in (k, *_flat(v)))]
    if isinstance(value, (list, tuple)):
        return [value, *(x for v in value for x in _flat(v))]
    return [value]


def test_a_document_with_an_unknown_is_not_complete() -> None:
    doc = {"Version": "2012-10-17", "Statement": [SDict({"Action": [SStr("s3:*"), Unknown("x")]})]}
    text, complete = _json_text(doc)
    assert not complete
    assert text == (
        '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Action": [\n'
        '        "s3:*",\n        "<unknown>"\n      ]\n    }\n  ]\n}'
    )
