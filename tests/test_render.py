"""Renderers: golden output per format, SARIF against the official schema, escaping."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from lpgen import __version__
from lpgen.audit import audit_rules
from lpgen.errors import InputError
from lpgen.findings import Finding, Severity
from lpgen.render import (
    FORMATS,
    Report,
    gh_escape_data,
    gh_escape_property,
    md_escape,
    render,
    render_github,
    render_markdown,
    sarif_log,
)
from tests.sarif import multitool, multitool_problems, schema_errors

DATA = Path(__file__).parent / "data" / "render"
EXTENSIONS = {"text": "txt", "json": "json", "sarif": "sarif", "markdown": "md", "github": "gh.txt"}
UPDATE = bool(os.environ.get("LPGEN_UPDATE_GOLDEN"))

FINDINGS = [
    Finding.create(
        "LP101",
        "Root user has an active access key (access key 1, created 2016-01-01)",
        subject="<root_account>",
        qualifier="access_key_1",
    ),
    Finding.create("LP102", "Root user has no MFA device", subject="<root_account>"),
    Finding.create(
        "LP110",
        "User 'alice' can sign in to the console without MFA",
        file="infra/users.tf",
        line=12,
        address='aws_iam_user_login_profile.people["alice"]',
        subject="alice",
    ),
    Finding.create(
        "LP121",
        "Access key 1 of user 'bob,ops' was last used on 2026-06-01, 171 days ago "
        "(limit 90 days)",
        file="infra/users.tf",
        line=40,
        address="aws_iam_access_key.bob",
        subject="bob,ops",
        qualifier="access_key_1",
    ),
    Finding.create(
        "LP123",
        "User 'a|b_c*d' has 100% a console password:\nand a key",
        file="infra/odd name.tf",
        line=3,
        address="aws_iam_user.odd",
        subject="a|b_c*d",
    ),
    Finding.create(
        "LP140",
        "User 'frank' exists in the account but no aws_iam_user in the Terraform declares it",
        file="report.csv",
        line=8,
        subject="frank",
    ),
]


def report(findings: list[Finding] = FINDINGS, **kw: Any) -> Report:
    kw.setdefault("anchor", ("infra/providers.tf", 5))
    return Report(findings=findings, command="audit", rules=audit_rules(), **kw)


def check_golden(name: str, text: str) -> None:
    path = DATA / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", FORMATS)
def test_golden(fmt: str) -> None:
    text = render(fmt, report(suppressed=2, baselined=1))
    text = text.replace(f'"version": "{__version__}"', '"version": "VERSION"')
    text = text.replace(f'"semanticVersion": "{__version__}"', '"semanticVersion": "VERSION"')
    check_golden(f"findings.{EXTENSIONS[fmt]}", text)


@pytest.mark.parametrize("fmt", FORMATS)
def test_golden_without_findings(fmt: str) -> None:
    text = render(fmt, report([]))
    text = text.replace(f'"version": "{__version__}"', '"version": "VERSION"')
    text = text.replace(f'"semanticVersion": "{__version__}"', '"semanticVersion": "VERSION"')
    check_golden(f"empty.{EXTENSIONS[fmt]}", text)


def test_unknown_format() -> None:
    with pytest.raises(InputError, match=r"unknown format 'xml'.*text, json, sarif"):
        render("xml", report())


def test_json_findings_carry_the_documented_keys_sorted_by_location() -> None:
    data = json.loads(render("json", report()))
    first = data["findings"][0]
    assert set(first) == {
        "code", "severity", "title", "message", "file", "line", "address", "subject",
        "fingerprint",
    }
    assert [(f["file"], f["line"]) for f in data["findings"]][:3] == [
        ("infra/odd name.tf", 3), ("infra/users.tf", 12), ("infra/users.tf", 40),
    ]
    assert data["findings"][-1]["subject"] == "<root_account>"
    assert data["summary"]["by_severity"]["critical"] == 2


# --- SARIF ----------------------------------------------------------------------------------


@pytest.mark.parametrize("findings", [FINDINGS, []], ids=["findings", "empty"])
def test_sarif_is_valid_against_the_official_schema(findings: list[Finding]) -> None:
    log = json.loads(render("sarif", report(findings)))
    assert schema_errors(log) == []


def test_sarif_rules_and_results_agree() -> None:
    log = sarif_log(report())
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.code for r in audit_rules()]
    by_id = {r["id"]: r for r in rules}
    assert by_id["LP101"]["properties"]["security-severity"] == "9.5"
    assert by_id["LP123"]["defaultConfiguration"]["level"] == "note"
    help_uri = "https://github.com/lpgen/lpgen/blob/main/docs/checks/LP110.md"
    assert by_id["LP110"]["helpUri"] == help_uri
    assert f"[Documentation: LP110]({help_uri})" in by_id["LP110"]["help"]["markdown"]
    # Every rule has a help page and a security-severity, info ones included.
    assert all(r["helpUri"].startswith("https://") for r in rules)
    assert all(float(r["properties"]["security-severity"]) > 0 for r in rules)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    located = next(r for r in run["results"] if r["ruleId"] == "LP123")
    physical = located["locations"][0]["physicalLocation"]
    assert physical == {
        "artifactLocation": {"uri": "infra/odd%20name.tf", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 3},
    }
    root = next(r for r in run["results"] if r["ruleId"] == "LP102")
    assert root["level"] == "error"
    # An account-level finding is anchored at the tree's provider block.
    assert root["locations"] == [{
        "physicalLocation": {
            "artifactLocation": {"uri": "infra/providers.tf", "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": 5},
        },
        "logicalLocations": [{"name": "<root_account>"}],
    }]
    assert all("physicalLocation" in r["locations"][0] for r in run["results"])
    assert run["tool"]["driver"]["informationUri"] == "https://github.com/lpgen/lpgen"


def test_sarif_names_the_checkout_and_the_category(tmp_path: Path) -> None:
    log = sarif_log(report(root=str(tmp_path), category="lpgen/check/infra/prod"))
    run = log["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": tmp_path.as_uri() + "/"}}
    assert run["automationDetails"] == {"id": "lpgen/check/infra/prod/"}
    assert sarif_log(report())["runs"][0]["automationDetails"] == {"id": "lpgen/audit/"}


def test_sarif_moves_evidence_outside_the_repository_to_the_anchor() -> None:
    outside = Finding.create("LP140", "User 'zed' exists", file="/tmp/report.csv", line=4,
                             subject="zed")
    result = sarif_log(report([outside]))["runs"][0]["results"][0]
    assert result["message"]["text"] == "User 'zed' exists (see /tmp/report.csv:4)"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "infra/providers.tf"
    )


def test_sarif_without_an_anchor_for_an_account_finding_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"SARIF needs a file in the repository .*LP102"):
        sarif_log(report([FINDINGS[1]], anchor=None))


@pytest.mark.skipif(multitool() is None, reason="SARIF Multitool not installed (npm)")
@pytest.mark.parametrize("findings", [FINDINGS, []], ids=["findings", "empty"])
def test_sarif_passes_github_code_scanning_rules(findings: list[Finding], tmp_path: Path) -> None:
    log = sarif_log(report(findings, root=str(tmp_path)))
    assert multitool_problems(log, tmp_path) == []


def test_sarif_lists_the_rules_of_findings_when_none_are_given() -> None:
    log = sarif_log(Report(findings=FINDINGS[:2], anchor=("main.tf", 1)))
    assert [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]] == ["LP101", "LP102"]


# --- escaping -------------------------------------------------------------------------------


def test_github_escaping_follows_the_runner_rules() -> None:
    assert gh_escape_data("50% done\r\nnext: a,b") == "50%25 done%0D%0Anext: a,b"
    assert gh_escape_property("dir,x/a:b.tf%") == "dir%2Cx/a%3Ab.tf%25"


def test_github_annotation_levels_follow_severity() -> None:
    lines = render_github(report()).splitlines()
    assert lines[0] == (
        "::notice file=infra/odd name.tf,line=3,title=LP123::"
        "User 'a|b_c*d' has 100%25 a console password:%0Aand a key [aws_iam_user.odd]"
    )
    assert lines[1].startswith("::error file=infra/users.tf,line=12,title=LP110::")
    assert lines[2].startswith("::warning file=infra/users.tf,line=40,title=LP121::")
    assert lines[-2].startswith("::error title=LP102::Root user")


def html_of(markdown: str) -> str:
    """The HTML GitHub would show (CommonMark with GFM tables)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)


def test_markdown_escapes_values_from_terraform_and_aws() -> None:
    assert md_escape("<root_account> a|b *x*\nz") == (
        "&lt;root\\_account&gt; a\\|b \\*x\\*<br>z"
    )
    html = html_of(render_markdown(report()))
    # The odd user name stays literal: no emphasis, no broken table cell.
    assert "<td>User 'a|b_c*d' has 100% a console password:<br>and a key (<code>aws_iam_user.odd</code>)</td>" in html
    assert "<em>" not in html
    assert "<td><code>&lt;root_account&gt;</code></td>" in html
    assert "<root_account>" not in html


def test_markdown_keeps_authored_markdown_and_links() -> None:
    html = html_of(render_markdown(report()))
    # Rule text is lpgen's own Markdown: code spans, not literal backticks or backslashes.
    assert "`" not in html and "\\" not in html
    assert "<strong>Fix:</strong>" in html
    help_uri = "https://github.com/lpgen/lpgen/blob/main/docs/checks/LP101.md"
    assert f'<td><a href="{help_uri}">LP101</a></td>' in html
    assert f'<a href="{help_uri}">Documentation: LP101</a>' in html
    assert '<summary><b>LP110</b> Console user without MFA' in html or "<summary><b>LP110</b>" in html


def test_markdown_lists_the_most_severe_first() -> None:
    html = html_of(render_markdown(report()))
    rows = re.findall(r"<tr>\n<td>(\w+)</td>\n<td><a[^>]*>(LP\d+)</a></td>", html)
    assert rows == [
        ("critical", "LP101"), ("critical", "LP102"), ("high", "LP110"), ("medium", "LP121"),
        ("low", "LP123"), ("low", "LP140"),
    ]
    summaries = re.findall(r"<summary><b>(LP\d+)</b>", html)
    assert summaries == ["LP101", "LP102", "LP110", "LP121", "LP123", "LP140"]


def test_markdown_caps_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("lpgen.render.MARKDOWN_MAX_ROWS", 2)
    text = render_markdown(report())
    assert "…and 4 more (see the full report)." in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "| [LP" in line]
    assert len(rows) == 2


def test_severity_overrides_rule_default_in_every_format() -> None:
    inactive = Finding.create(
        "LP101", "Root user has an inactive access key", subject="<root_account>",
        severity=Severity.HIGH,
    )
    r = report([inactive])
    assert json.loads(render("json", r))["findings"][0]["severity"] == "high"
    assert "LP101 high Root user" in render("text", r)
