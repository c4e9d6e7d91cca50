"""`lpgen baseline`: the guardrail module it writes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import hcl2
import pytest
from click.testing import CliRunner

from lpgen.baseline import (
    MFA_SELF_MANAGE_ACTIONS,
    PARTS,
    ROOT_ACTIVITY_PATTERN,
    BaselineOptions,
    fmt,
    generate,
)
from lpgen.cli import main
from lpgen.inventory import build_inventory
from tests.hashicorp import hashicorp_parse

GOLDEN = Path(__file__).parent / "data" / "baseline" / "default"
ARGS = ["--console-group", "developers", "--console-group", "ops", "--alert-email",
        "security@example.com"]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["baseline", *args])
    return result.exit_code, result.stdout, result.stderr


def test_module_matches_golden(tmp_path: Path) -> None:
    code, out, _ = run("--out", str(tmp_path / "gr"), *ARGS)
    assert code == 0
    assert out.splitlines()[0] == f"wrote {tmp_path / 'gr' / 'versions.tf'}"
    written = sorted(p.name for p in (tmp_path / "gr").iterdir())
    if os.environ.get("LPGEN_UPDATE_GOLDEN"):  # pragma: no cover - regenerate on purpose
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for name in written:
            (GOLDEN / name).write_text((tmp_path / "gr" / name).read_text())
    assert written == sorted(p.name for p in GOLDEN.iterdir())
    for name in written:
        assert (tmp_path / "gr" / name).read_text() == (GOLDEN / name).read_text(), name


def test_second_run_changes_nothing_and_edits_are_protected(tmp_path: Path) -> None:
    out_dir = tmp_path / "gr"
    run("--out", str(out_dir), *ARGS)
    code, out, _ = run("--out", str(out_dir), *ARGS)
    assert (code, out) == (0, f"{out_dir} is up to date\n")
    (out_dir / "mfa.tf").write_text("# edited by hand\n")
    code, out, err = run("--out", str(out_dir), *ARGS)
    assert code == 2
    assert err == f"Error: {out_dir}: would overwrite mfa.tf (use --force)\n"
    assert (out_dir / "mfa.tf").read_text() == "# edited by hand\n"
    code, _, _ = run("--out", str(out_dir), *ARGS, "--force")
    assert code == 0 and "edited by hand" not in (out_dir / "mfa.tf").read_text()


def test_only_and_skip_choose_parts(tmp_path: Path) -> None:
    run("--out", str(tmp_path / "a"), "--only", "mfa", "--only", "password-policy")
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [
        "README.md", "mfa.tf", "outputs.tf", "password_policy.tf", "variables.tf", "versions.tf",
    ]
    run("--out", str(tmp_path / "b"), "--skip", "config-rules", "--skip", "root-alert")
    assert "config_rules.tf" not in {p.name for p in (tmp_path / "b").iterdir()}
    variables = (tmp_path / "b" / "variables.tf").read_text()
    assert "max_access_key_age" not in variables and "alert_email" not in variables
    code, _, err = run("--out", str(tmp_path / "c"), "--only", "nope")
    assert code == 2
    assert err.startswith("Error: unknown baseline part 'nope'")


@pytest.mark.parametrize("parts", [PARTS, ("mfa",), ("root-alert", "config-rules")])
def test_every_file_parses_with_python_hcl2_and_hashicorp(tmp_path: Path, parts: tuple[str, ...]) -> None:
    files = generate(BaselineOptions(parts=parts, console_groups=("a",)))
    paths = []
    for name, text in files.items():
        if name.endswith(".tf"):
            (tmp_path / name).write_text(text)
            hcl2.loads(text)
            paths.append(tmp_path / name)
    assert hashicorp_parse(paths) == {str(p): None for p in paths}


def test_options_fill_the_variables() -> None:
    files = generate(BaselineOptions(max_access_key_age=45, analyzer_type="ORGANIZATION",
                                     unused_access_analyzer=True, console_groups=("ops",)))
    variables = hcl2.loads(files["variables.tf"])["variable"]
    defaults = {k.strip('"'): v["default"] for block in variables for k, v in block.items()}
    assert defaults["max_access_key_age"] == 45
    assert defaults["analyzer_type"] == '"ORGANIZATION"'  # python-hcl2 keeps the quotes
    assert defaults["unused_access_analyzer"] is True
    assert defaults["console_groups"] == ['"ops"']


def test_root_activity_pattern_is_what_aws_documents(tmp_path: Path) -> None:
    # Root activity: console sign-in and API calls whose userIdentity.type is Root.
    assert ROOT_ACTIVITY_PATTERN == {
        "detail-type": ["AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail"],
        "detail": {"userIdentity": {"type": ["Root"]}},
    }
    (tmp_path / "r.tf").write_text(generate(BaselineOptions(parts=("root-alert",)))["root_activity.tf"])
    inv_tree = tmp_path
    from lpgen.terraform.loader import LoadOptions, load_tree

    _tree, roots = load_tree(inv_tree, LoadOptions())
    (rule,) = [o for o in roots[0].resource_objs() if o.rtype == "aws_cloudwatch_event_rule"]
    pattern = rule.instances()[""].attr("event_pattern")
    assert json.loads(str(pattern)) == ROOT_ACTIVITY_PATTERN


def test_mfa_policy_denies_everything_but_mfa_setup_without_mfa(tmp_path: Path) -> None:
    (tmp_path / "mfa.tf").write_text(generate(BaselineOptions(parts=("mfa",)))["mfa.tf"])
    inv = build_inventory(tmp_path)
    (policy,) = inv.policies
    assert policy.document is not None
    deny = [s for s in policy.document.statements if s.effect == "Deny"]
    assert len(deny) == 1
    assert sorted(a.value for a in deny[0].not_actions or []) == sorted(MFA_SELF_MANAGE_ACTIONS)
    assert deny[0].conditions == {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    allowed = {a.value for s in policy.document.statements if s.is_allow for a in s.actions or []}
    # Everything the user may do before MFA is something the deny lets through.
    assert allowed <= set(MFA_SELF_MANAGE_ACTIONS)
    assert policy.document.statements[1].resources == [
        "arn:aws:iam::*:mfa/${aws:username}",
        "arn:aws:iam::*:user/${aws:username}",
    ]


def test_fmt_aligns_runs_like_terraform_fmt() -> None:
    text = 'x {\n  a = 1\n  long_name = 2\n\n  p = jsonencode({\n    k = 1\n  })\n  b = 3\n}'
    assert fmt(text) == (
        'x {\n  a         = 1\n  long_name = 2\n\n  p = jsonencode({\n    k = 1\n  })\n  b = 3\n}'
    )
