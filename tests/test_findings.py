"""The findings framework: registry, selection, suppression, baselines and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import lpgen.audit  # noqa: F401  (registers the LP1xx rules used below)
from lpgen.errors import InputError
from lpgen.findings import (
    RULES,
    Finding,
    Rule,
    Severity,
    apply_suppressions,
    count_by_severity,
    exit_code,
    filter_new,
    find_suppression,
    load_baseline,
    parse_fail_on,
    parse_suppression,
    read_relative,
    rebase_findings,
    register,
    rule,
    rules,
    select_findings,
    sort_findings,
    write_baseline,
)


def make(code: str, **kw: object) -> Finding:
    return Finding.create(code, kw.pop("message", f"{code} message"), **kw)  # type: ignore[arg-type]


# --- severity -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["high", "HIGH", "High", " high "])
def test_severity_parses_any_case(text: str) -> None:
    assert Severity.parse(text) is Severity.HIGH


def test_severities_are_ordered() -> None:
    order = [Severity.parse(s) for s in ("info", "low", "medium", "high", "critical")]
    assert order == sorted(order)
    assert str(Severity.CRITICAL) == "critical"


def test_unknown_severity_names_the_choices() -> None:
    with pytest.raises(InputError, match=r"unknown severity 'severe'.*info, low, medium"):
        Severity.parse("severe")


# --- registry -------------------------------------------------------------------------------


def test_registry_holds_rule_metadata_and_docs_location() -> None:
    r = rule("LP101")
    assert (r.name, r.severity) == ("root-access-key", Severity.CRITICAL)
    assert r.help_path == "docs/checks/LP101.md"
    assert r.help_uri == "https://github.com/lpgen/lpgen/blob/main/docs/checks/LP101.md"
    assert r.help_link == f"[Documentation: LP101]({r.help_uri})"
    assert [x.code for x in rules("LP10")] == ["LP101", "LP102", "LP103", "LP104"]


def test_a_code_cannot_be_registered_twice_with_other_metadata(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("lpgen.findings.RULES", dict(RULES))
    clash = Rule("LP101", "other", "Other", Severity.LOW, "why", "fix")
    with pytest.raises(ValueError, match="LP101 registered twice"):
        register(clash)
    with pytest.raises(ValueError, match="must look like LP123"):
        register(Rule("X1", "x", "X", Severity.LOW, "why", "fix"))
    # Registering the very same rule again (a module imported twice) is harmless.
    assert register(rule("LP102")) == rule("LP102")


# --- findings -------------------------------------------------------------------------------


def test_finding_takes_the_rules_severity_unless_given() -> None:
    assert make("LP110").severity is Severity.HIGH
    assert make("LP101", severity=Severity.HIGH).severity is Severity.HIGH
    assert make("LP110").title == "Console user has no MFA device"


def test_fingerprint_ignores_line_and_wording_but_not_identity() -> None:
    base = make("LP120", subject="bob", qualifier="access_key_1", file="a.tf", line=3,
                address="aws_iam_user.bob", message="key is 100 days old")
    moved = make("LP120", subject="bob", qualifier="access_key_1", file="b.tf", line=40,
                 address="aws_iam_user.bob", message="key is 101 days old")
    other_key = make("LP120", subject="bob", qualifier="access_key_2", file="a.tf", line=3,
                     address="aws_iam_user.bob")
    other_code = make("LP121", subject="bob", qualifier="access_key_1", file="a.tf", line=3,
                      address="aws_iam_user.bob")
    assert base.fingerprint == moved.fingerprint
    assert len({base.fingerprint, other_key.fingerprint, other_code.fingerprint}) == 3
    # Without address or subject the file is what identifies the finding.
    assert make("LP110", file="a.tf").fingerprint != make("LP110", file="b.tf").fingerprint


def test_sorting_puts_located_findings_first_by_file_and_line() -> None:
    found = [
        make("LP102", subject="<root_account>"),
        make("LP110", file="b.tf", line=2),
        make("LP111", file="a.tf", line=10),
        make("LP110", file="a.tf", line=10),
        make("LP110", file="a.tf", line=9),
    ]
    assert [(f.file, f.line, f.code) for f in sort_findings(found)] == [
        ("a.tf", 9, "LP110"),
        ("a.tf", 10, "LP110"),
        ("a.tf", 10, "LP111"),
        ("b.tf", 2, "LP110"),
        (None, None, "LP102"),
    ]


def test_rebase_prefixes_relative_files_only() -> None:
    found = rebase_findings(
        [make("LP110", file="iam.tf", line=1), make("LP110", file="/abs/x.tf"), make("LP102")],
        "infra/prod",
    )
    assert [f.file for f in found] == ["infra/prod/iam.tf", "/abs/x.tf", None]


# --- selection ------------------------------------------------------------------------------


SAMPLE = [make(c) for c in ("LP101", "LP103", "LP110", "LP120", "LP121", "LP140")]


def codes(found: list[Finding]) -> list[str]:
    return [f.code for f in found]


def test_select_and_ignore_by_prefix_the_longer_match_wins() -> None:
    assert codes(select_findings(SAMPLE, select=["LP12"])) == ["LP120", "LP121"]
    assert codes(select_findings(SAMPLE, ignore=["LP1"])) == []
    assert codes(select_findings(SAMPLE, select=["LP1"], ignore=["LP12"])) == [
        "LP101", "LP103", "LP110", "LP140"
    ]
    assert codes(select_findings(SAMPLE, select=["lp121"], ignore=["LP12"])) == ["LP121"]


def test_select_by_rule_name_and_minimum_severity() -> None:
    assert codes(select_findings(SAMPLE, select=["unmanaged-user"])) == ["LP140"]
    assert codes(select_findings(SAMPLE, ignore=["Root-Access-Key"]))[0] == "LP103"
    assert codes(select_findings(SAMPLE, min_severity="high")) == ["LP101", "LP110"]


def test_unknown_selector_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown check code or name 'LPX'"):
        select_findings(SAMPLE, select=["LPX"])


# --- suppression ----------------------------------------------------------------------------

TF = """\
# lpgen:ignore LP110 break-glass user, MFA device in the safe
resource "aws_iam_user_login_profile" "alice" {
  user = "alice"
}

resource "aws_iam_user" "bob" { # lpgen:ignore LP130,LP140 kept for the audit trail
  name = "bob"
}

resource "aws_iam_user" "carol" {
  // lpgen:ignore LP122, LP120 rotation in progress (TICKET-1)
  name = "carol"
}

# lpgen:ignore LP110
resource "aws_iam_user_login_profile" "dave" {
  user = "dave"
}

# lpgen:ignore LP110 only applies to the resource right below

resource "aws_iam_user_login_profile" "erin" {
  user = "erin"
}
"""


def test_parse_suppression_reads_codes_and_reason() -> None:
    s = parse_suppression("  # lpgen:ignore LP001, lp002 reason, with words */", line=4)
    assert s is not None
    assert (s.codes, s.reason, s.justified) == (("LP001", "LP002"), "reason, with words", True)
    assert parse_suppression("name = 1", line=1) is None
    bad = parse_suppression("# lpgen:ignore because", line=1)
    assert bad is not None and bad.codes == ()


@pytest.mark.parametrize(
    ("line", "code", "reason"),
    [
        (2, "LP110", "break-glass user, MFA device in the safe"),  # comment line above
        (6, "LP140", "kept for the audit trail"),  # trailing comment on the line
        (10, "LP120", "rotation in progress (TICKET-1)"),  # first line inside the block
    ],
)
def test_suppression_found_above_on_or_inside_the_resource(line: int, code: str,
                                                           reason: str) -> None:
    s = find_suppression(make(code, file="iam.tf", line=line), TF)
    assert s is not None and s.reason == reason


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (2, "LP111"),  # another code
        (16, "LP110"),  # no reason
        (22, "LP110"),  # separated by a blank line
    ],
)
def test_suppression_not_applied(line: int, code: str) -> None:
    assert find_suppression(make(code, file="iam.tf", line=line), TF) is None


def test_apply_suppressions_reports_those_without_reason(tmp_path: Path) -> None:
    (tmp_path / "iam.tf").write_text(TF, encoding="utf-8")
    found = [
        make("LP110", file="iam.tf", line=2, subject="alice"),
        make("LP110", file="iam.tf", line=16, subject="dave"),
        make("LP130", file="iam.tf", line=6, subject="bob"),
        make("LP130", file="missing.tf", line=6, subject="x"),
        make("LP102", subject="<root_account>"),
    ]
    result = apply_suppressions(found, read_relative(tmp_path))
    assert [f.subject for f in result.kept] == ["dave", "x", "<root_account>"]
    assert [(f.subject, s.line) for f, s in result.suppressed] == [("alice", 1), ("bob", 6)]
    assert [str(s) for s in result.unjustified] == ["iam.tf:15: lpgen:ignore LP110"]


# --- baselines ------------------------------------------------------------------------------


def test_baseline_round_trip_keeps_only_new_findings(tmp_path: Path) -> None:
    old = [make("LP110", subject="alice"), make("LP121", subject="bob", qualifier="access_key_1")]
    path = tmp_path / "baseline.json"
    assert write_baseline(path, old + old) == 2
    data = json.loads(path.read_text())
    assert sorted(e["fingerprint"] for e in data) == sorted(f.fingerprint for f in old)
    assert {e["code"] for e in data} == {"LP110", "LP121"}

    later = [
        make("LP110", subject="alice", message="reworded"),
        make("LP121", subject="bob", qualifier="access_key_2"),
    ]
    new, known = filter_new(later, load_baseline(path))
    assert [f.qualifier for f in new] == ["access_key_2"]
    assert [f.subject for f in known] == ["alice"]


def test_baseline_accepts_a_plain_list_of_strings(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text('["abc", "def"]')
    assert load_baseline(path) == frozenset({"abc", "def"})


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('{"fingerprints": []}', r"b\.json: a baseline is a JSON list"),
        ("[\n  1\n]", r"b\.json: entry 0 has no fingerprint"),
        ('[\n  "a",\n  oops\n]', r"b\.json:3: invalid JSON"),
    ],
)
def test_bad_baseline_is_an_input_error(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(text)
    with pytest.raises(InputError, match=error):
        load_baseline(path)


# --- exit code ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [("low", 1), ("medium", 1), ("HIGH", 0), ("critical", 0), ("never", 0)],
)
def test_exit_code_is_one_when_a_finding_reaches_fail_on(fail_on: str, expected: int) -> None:
    found = [make("LP123"), make("LP121")]  # low, medium
    assert exit_code(found, fail_on) == expected


def test_exit_code_without_findings_is_zero() -> None:
    assert exit_code([], "info") == 0
    assert parse_fail_on("never") is None
    assert parse_fail_on("Critical") is Severity.CRITICAL


def test_count_by_severity_lists_every_severity_most_severe_first() -> None:
    assert count_by_severity([make("LP110"), make("LP123"), make("LP110")]) == {
        "critical": 0, "high": 2, "medium": 0, "low": 1, "info": 0,
    }


def test_published_docs_url_feeds_help_uris(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LPGEN_DOCS_URL", "https://docs.example.com/lpgen")
    r = rule("LP101")
    assert r.help_uri == "https://docs.example.com/lpgen/checks/LP101.md"
    assert r.help_link == "[Documentation: LP101](https://docs.example.com/lpgen/checks/LP101.md)"
