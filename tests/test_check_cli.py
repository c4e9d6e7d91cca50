"""`lpgen check` on the command line: formats, exit codes, selection, suppression, baselines."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from lpgen.check import check_rules
from lpgen.cli import main
from tests.sarif import multitool, multitool_problems, sarif_validator

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "check"
DOCS = ROOT / "docs"
UPDATE = bool(os.environ.get("LPGEN_UPDATE_GOLDEN"))
ACME = ["terraform_examples/acme", "--snapshot", "terraform_examples/acme/snapshot.json",
        "--no-git"]  # fmt: skip
EXTENSIONS = {"text": "txt", "json": "json", "sarif": "sarif", "markdown": "md", "github": "gh.txt"}


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["check", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize("fmt", list(EXTENSIONS))
def test_acme_report_in_every_format(fmt: str) -> None:
    code, out, err = invoke(*ACME, "--format", fmt)
    assert (code, err) == (1, "")
    out = out.replace(ROOT.as_uri() + "/", "file:///CHECKOUT/")  # SARIF's %SRCROOT%
    golden = DATA / f"acme.{EXTENSIONS[fmt]}"
    if UPDATE:
        golden.write_text(out, encoding="utf-8")
    assert out == golden.read_text(encoding="utf-8")


def test_sarif_is_valid_and_points_at_the_resources() -> None:
    code, out, _err = invoke(*ACME, "--format", "sarif")
    assert code == 1
    log = json.loads(out)
    errors = list(sarif_validator().iter_errors(log))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    run = log["runs"][0]
    assert run["automationDetails"] == {"id": "lpgen/check/terraform_examples/acme/"}
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": ROOT.as_uri() + "/"}}
    rules = run["tool"]["driver"]["rules"]
    # Every rule that ran is listed with its help text, those needing a plan are not.
    ids = [r["id"] for r in rules]
    assert "LP001" in ids and "LP002" not in ids and "LP003" not in ids
    assert all(r["help"]["text"] and r["shortDescription"]["text"] for r in rules)
    located = {
        (res["ruleId"], res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
         res["locations"][0]["physicalLocation"]["region"]["startLine"])
        for res in run["results"]
    }  # fmt: skip
    assert ("LP013", "terraform_examples/acme/policies.tf", 71) in located
    assert ("LP011", "terraform_examples/acme/policies/platform.json", 20) in located


def test_sarif_category_and_paths_do_not_depend_on_the_current_directory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT / "terraform_examples")
    code, out, _err = invoke("acme", "--no-git", "--format", "sarif", "--category", "iam/acme")
    assert code == 1
    run = json.loads(out)["runs"][0]
    assert run["automationDetails"] == {"id": "iam/acme/"}
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in run["results"]}  # fmt: skip
    assert "terraform_examples/acme/policies.tf" in uris
    code, text, _err = invoke("acme", "--no-git", "--format", "github")
    assert "::warning file=terraform_examples/acme/" in text or "file=terraform_examples/acme/" in text


@pytest.mark.skipif(multitool() is None, reason="SARIF Multitool not installed (npm)")
def test_check_sarif_passes_github_code_scanning_rules(tmp_path: Path) -> None:
    _code, out, _err = invoke(*ACME, "--format", "sarif")
    assert multitool_problems(json.loads(out), tmp_path) == []


def test_sarif_of_a_plan_is_valid(tmp_path: Path) -> None:
    code, out, _err = invoke("--plan", "tests/data/check/plan/plan.json", "--format", "sarif",
                             "--snapshot", "terraform_examples/acme/snapshot.json")  # fmt: skip
    assert code == 1
    log = json.loads(out)
    assert not list(sarif_validator().iter_errors(log))
    results = log["runs"][0]["results"]
    assert results and all("physicalLocation" in r["locations"][0] for r in results)
    if multitool() is not None:
        assert multitool_problems(log, tmp_path) == []


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [("critical", 0), ("high", 1), ("medium", 1), ("never", 0)],
)
def test_fail_on_drives_the_exit_code(fail_on: str, expected: int) -> None:
    code, _out, _err = invoke(*ACME, "--fail-on", fail_on)
    assert code == expected


def test_clean_tree_exits_zero(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "aws_iam_group" "g" { name = "g" }\n'
                                      'resource "aws_iam_user" "u" { name = "u" }\n'
                                      'resource "aws_iam_user_group_membership" "m" {\n'
                                      '  user = "u"\n  groups = ["g"]\n}\n')  # fmt: skip
    assert invoke(str(tmp_path), "--ignore", "LP05") == (0, "No findings.\n", "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Error: give the Terraform PATH, --plan PLAN.json, or both\n"),
        (("terraform_examples/acme", "--select", "LPX"),
         "Error: unknown check code or name 'LPX' (expected a code prefix such as LP1 or LP101)\n"),
        (("terraform_examples/acme", "--baseline", "missing.json"),
         "Error: missing.json: cannot read baseline: No such file or directory\n"),
        (("terraform_examples/acme", "--write-baseline"),
         "Error: --write-baseline needs --baseline FILE\n"),
        (("--plan", "terraform_examples/acme/snapshot.json"),
         "Error: terraform_examples/acme/snapshot.json: not a Terraform plan in JSON (expected "
         "the output of terraform show -json PLAN)\n"),
    ],
)  # fmt: skip
def test_bad_input_exits_two(args: tuple[str, ...], message: str) -> None:
    code, out, err = invoke(*args)
    assert (code, out) == (2, "")
    assert err.endswith(message)


def test_select_and_ignore() -> None:
    _code, out, _err = invoke(*ACME, "--select", "LP01", "--ignore", "LP011,LP018")
    assert [line.split()[1] for line in out.splitlines()[:-1]] == ["LP013", "LP016"]
    code, out, _err = invoke(*ACME, "--select", "unused-permissions", "--fail-on", "high")
    assert code == 0
    assert out.endswith("5 findings (5 medium).\n")


def copy_acme(tmp_path: Path) -> Path:
    tree = tmp_path / "acme"
    shutil.copytree(ROOT / "terraform_examples" / "acme", tree)
    return tree


def test_inline_suppression_on_the_resource(tmp_path: Path) -> None:
    tree = copy_acme(tmp_path)
    policies = tree / "policies.tf"
    text = policies.read_text(encoding="utf-8")
    # The finding points into policies/platform.json (no comments in JSON): the comment goes
    # on the aws_iam_policy resource that reads it.
    text = text.replace(
        "# Platform: operate the account.",
        "# lpgen:ignore LP011 the platform team operates EC2 fleet-wide (OPS-42)",
    )
    text = text.replace(
        '"lambda:UpdateFunctionCode", # hotfixes outside the pipeline',
        '"lambda:UpdateFunctionCode", # lpgen:ignore LP013',
    )
    policies.write_text(text, encoding="utf-8")
    code, out, err = invoke(str(tree), "--no-git")
    # One LP011 for the policy (ec2:* and autoscaling:*), one suppressed comment.
    assert out.splitlines()[-1] == "10 findings (2 high, 8 low); 1 suppressed."
    assert code == 1
    assert err.endswith(": lpgen:ignore LP013: needs a code and a reason; ignored.\n")


def test_baseline_adopts_the_gate_and_fails_only_on_new_findings(tmp_path: Path) -> None:
    tree = copy_acme(tmp_path)
    baseline = tmp_path / "baseline.json"
    code, out, err = invoke(str(tree), "--no-git", "--baseline", str(baseline),
                            "--write-baseline")  # fmt: skip
    assert (code, out, err) == (0, "", f"Wrote 11 findings to {baseline}.\n")
    code, out, _err = invoke(str(tree), "--no-git", "--baseline", str(baseline))
    assert (code, out) == (0, "No findings; 11 in the baseline.\n")
    # Editing lines above the findings keeps them baselined; a new problem fails the gate.
    users = tree / "users.tf"
    users.write_text("\n\n" + users.read_text(encoding="utf-8") + """
resource "aws_iam_access_key" "ci" {
  user = "ci"
}
""", encoding="utf-8")  # fmt: skip
    code, out, _err = invoke(str(tree), "--no-git", "--baseline", str(baseline))
    assert code == 1
    assert [line.split()[1] for line in out.splitlines()[:-1]] == ["LP030", "LP031"]


def test_output_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    code, out, _err = invoke(*ACME, "--format", "json", "-o", str(target))
    assert (code, out) == (1, "")
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["summary"]["total"] == 16


def test_github_annotations_of_a_plan() -> None:
    code, out, _err = invoke("tests/data/check/plan", "--plan", "tests/data/check/plan/plan.json",
                             "--format", "github", "--select", "LP040")  # fmt: skip
    assert out == (
        "::error file=tests/data/check/plan/modules/bucket/main.tf,line=9,title=LP040::"
        "S3 bucket policy allows s3:GetObject to any AWS principal, with no condition that "
        "limits who (statement 'PublicRead') [module.bucket.aws_s3_bucket_policy.this]\n"
        "1 finding (1 critical).\n"
    )
    assert code == 1


def test_config_file_sets_defaults(tmp_path: Path) -> None:
    tree = copy_acme(tmp_path)
    (tree / ".lpgen.toml").write_text('[check]\nignore = ["LP011"]\nfail_on = "critical"\n')
    code, out, _err = invoke(str(tree), "--no-git")
    assert (code, out.splitlines()[-1]) == (0, "10 findings (2 high, 8 low).")


# --- docs and integration ------------------------------------------------------------------


@pytest.mark.parametrize("rule", check_rules(), ids=lambda r: r.code)
def test_every_check_rule_has_its_docs_page(rule: object) -> None:
    from lpgen.findings import Rule

    assert isinstance(rule, Rule)
    page = (DOCS / "checks" / f"{rule.code}.md").read_text(encoding="utf-8")
    assert page.startswith(f"# {rule.code}: {rule.title}\n")
    assert f"**Severity:** {rule.severity}" in page
    assert f"`{rule.name}`" in page
    assert "```hcl" in page


def test_check_guide_documents_every_option_and_code() -> None:
    guide = (DOCS / "check.md").read_text(encoding="utf-8")
    for param in main.commands["check"].params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--"):
                assert opt in guide, f"{opt} is not documented in docs/check.md"
    for rule in check_rules():
        assert f"[{rule.code}](checks/{rule.code}.md)" in guide


def test_pre_commit_hooks_run_lpgen_check() -> None:
    text = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    hooks = text.split("\n- ")[1:]
    by_id = {h.split("\n", 1)[0].removeprefix("id: "): h for h in hooks}
    assert sorted(by_id) == ["lpgen-check", "lpgen-trim-check"]
    assert "\n  entry: lpgen check --quiet\n" in by_id["lpgen-check"]
    for hook in hooks:
        for key in ("name", "entry", "language", "pass_filenames: false"):
            assert f"\n  {key}" in hook


def test_ci_recipes_cover_the_platforms() -> None:
    ci = (DOCS / "ci.md").read_text(encoding="utf-8")
    for needle in ("github/codeql-action/upload-sarif", "gl-code-quality-report", "atlantis",
                   "pre-commit", "terraform show -json"):  # fmt: skip
        assert needle in ci


def test_strict_turns_an_unparseable_file_into_an_error(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "aws_iam_user" "u" {\n  name = = 1\n}\n')
    code, out, err = invoke(str(tmp_path), "--ignore", "LP05")
    assert (code, out) == (0, "No findings.\n")
    assert err == "Warning: main.tf:2: cannot parse HCL: unexpected '=' (file skipped)\n"
    assert invoke(str(tmp_path), "--strict") == (
        2, "", "Error: main.tf:2: cannot parse HCL: unexpected '='\n"
    )


def test_inline_ignore_until_a_date(tmp_path: Path) -> None:
    tree = tmp_path / "acme"
    shutil.copytree(ROOT / "terraform_examples" / "acme", tree)
    policies = tree / "policies.tf"
    text = policies.read_text(encoding="utf-8")
    marked = text.replace(
        '"lambda:UpdateFunctionCode",',
        '"lambda:UpdateFunctionCode", # lpgen:ignore LP013 until=2000-01-01 deploys, OPS-9', 1,
    )
    assert marked != text
    policies.write_text(marked, encoding="utf-8")
    _code, out, err = invoke(str(tree), "--no-git")
    assert "LP013" in out  # expired: reported again
    assert "lpgen:ignore LP013: expired on 2000-01-01; the finding is reported again." in err
    policies.write_text(marked.replace("until=2000-01-01", "until=2999-01-01"), encoding="utf-8")
    _code, out, err = invoke(str(tree), "--no-git")
    assert "LP013" not in out and "expired" not in err


def test_the_sarif_anchor_is_looked_for_only_when_sarif_is_written(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Finding the provider block that anchors account-level SARIF results reads the tree's
    files; the other formats never show it, so they do not look for it."""
    import lpgen.paths as paths_mod

    asked: list[str] = []
    real = paths_mod.account_anchor
    monkeypatch.setattr(paths_mod, "account_anchor",
                        lambda path, root: asked.append(str(path)) or real(path, root))
    for fmt in ("text", "json", "markdown", "github"):
        invoke(*ACME, "--format", fmt, "--no-cache")
    assert asked == []
    sarif = tmp_path / "out.sarif"
    invoke(*ACME, "--format", "text", "--format", "sarif", "-o", f"sarif={sarif}", "--no-cache")
    assert asked == ["terraform_examples/acme"]
    assert json.loads(sarif.read_text())["runs"][0]["results"]
