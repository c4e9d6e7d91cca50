"""Roots -> accounts: read from providers, role ARNs and tfvars; config for the rest; shown by
inventory; used by collect --accounts to give each account the entities of its roots."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from lpgen.account_map import map_roots
from lpgen.cli import main
from lpgen.errors import InputError
from lpgen.snapshot import load_snapshot
from tests.iam_server import FakeEntity, FakeIam, FakeService

PROD, STAGING, DEV, SANDBOX = "111111111111", "222222222222", "333333333333", "444444444444"

ROLE = """
resource "aws_iam_role" "{name}" {{
  name               = "{name}"
  assume_role_policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "ec2.amazonaws.com" }} }}] }})
}}
resource "aws_iam_role_policy" "{name}" {{
  name   = "{name}"
  role   = aws_iam_role.{name}.id
  policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = "s3:*", Resource = "*" }}] }})
}}
"""

FILES = {
    "envs/prod/main.tf": """
variable "account_id" {}
provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = [var.account_id]
}
""" + ROLE.format(name="prod-app"),
    "envs/prod/terraform.tfvars": f'account_id = "{PROD}"\n',
    "envs/staging/main.tf": f"""
provider "aws" {{
  assume_role {{
    role_arn = "arn:aws:iam::{STAGING}:role/terraform"
  }}
}}
""" + ROLE.format(name="staging-app"),
    "envs/dev/main.tf": f"""
variable "aws_account_id" {{
  default = "{DEV}"
}}
""" + ROLE.format(name="dev-app"),
    "envs/sandbox/main.tf": ROLE.format(name="sandbox-app"),
    "envs/lab/main.tf": """
variable "lab_account" {}
provider "aws" {
  allowed_account_ids = [var.lab_account]
}
""" + ROLE.format(name="lab-app"),
    "envs/network/main.tf": 'resource "aws_vpc" "main" { cidr_block = "10.0.0.0/16" }\n',
    "pyproject.toml": f'[tool.lpgen.accounts]\n"envs/sandbox" = ["{SANDBOX}"]\n',
}


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return write(tmp_path / "infra", FILES)


def test_mapping_from_code_and_config(tree: Path) -> None:
    amap = map_roots(tree, config={"envs/sandbox": [SANDBOX]}, config_file="pyproject.toml")
    assert [(m.root, m.accounts, m.source, m.where) for m in amap.mapped] == [
        ("envs/dev", (DEV,), "tfvars", "envs/dev/main.tf"),
        ("envs/prod", (PROD,), "allowed_account_ids", "envs/prod/main.tf:3"),
        ("envs/sandbox", (SANDBOX,), "config", "pyproject.toml"),
        ("envs/staging", (STAGING,), "assume_role", "envs/staging/main.tf:2"),
    ]
    # The network root declares no IAM: not a root that matters. The lab's account is unknown.
    assert [(u.root, u.reason) for u in amap.unmapped] == [
        ("envs/lab", "allowed_account_ids in main.tf:3 is not known statically (var.lab_account)"),
    ]
    assert amap.roots_for(PROD) == ["envs/prod", "envs/lab"]


def test_one_root_per_environment_tfvars_file_maps_to_each_account(tmp_path: Path) -> None:
    """A root applied with -var-file env/prod.tfvars and -var-file env/staging.tfvars."""
    root = write(
        tmp_path / "infra",
        {
            "main.tf": """
variable "account_id" {}
variable "environment" {}
provider "aws" {
  allowed_account_ids = [var.account_id]
  assume_role {
    role_arn = "arn:aws:iam::${var.account_id}:role/terraform-${var.environment}"
  }
}
""" + ROLE.format(name="app"),
            "env/prod.tfvars": f'account_id  = "{PROD}"\nenvironment = "prod"\n',
            "env/staging.tfvars": f'account_id  = "{STAGING}"\nenvironment = "staging"\n',
            "env/README.tfvars.example": "not read",
        },
    )
    amap = map_roots(root)
    assert [(m.root, m.accounts, m.source, m.where) for m in amap.mapped] == [
        (".", (PROD, STAGING), "allowed_account_ids",
         "main.tf:4 with env/prod.tfvars, env/staging.tfvars"),
    ]  # fmt: skip
    assert amap.unmapped == ()


def test_config_naming_no_root_is_an_error(tree: Path) -> None:
    with pytest.raises(InputError, match=r"accounts\.envs/gone: not a root module"):
        map_roots(tree, config={"envs/gone": [PROD]}, config_file="pyproject.toml")
    with pytest.raises(InputError, match="must be a list of 12-digit account ids"):
        map_roots(tree, config={"envs/sandbox": ["12"]}, config_file="pyproject.toml")


def test_inventory_shows_the_mapping(tree: Path) -> None:
    result = CliRunner().invoke(main, ["inventory", str(tree)])
    assert result.exit_code == 0, result.output
    tail = result.stdout[result.stdout.index("Accounts per root module"):]
    config = tree / "pyproject.toml"
    assert tail == (
        "Accounts per root module\n"
        f"  envs/dev: {DEV} (tfvars, envs/dev/main.tf)\n"
        f"  envs/prod: {PROD} (allowed_account_ids, envs/prod/main.tf:3)\n"
        f"  envs/sandbox: {SANDBOX} (config, {config})\n"
        f"  envs/staging: {STAGING} (assume_role, envs/staging/main.tf:2)\n"
        "  envs/lab: not mapped (allowed_account_ids in main.tf:3 is not known statically "
        "(var.lab_account))\n"
    )
    data = json.loads(CliRunner().invoke(main, ["inventory", str(tree), "--format", "json"]).stdout)
    assert data["accounts"]["mapped"][1] == {
        "root": "envs/prod",
        "accounts": [PROD],
        "source": "allowed_account_ids",
        "where": "envs/prod/main.tf:3",
    }
    assert data["accounts"]["unmapped"] == [
        {"root": "envs/lab", "reason": "allowed_account_ids in main.tf:3 is not known "
         "statically (var.lab_account)"},
    ]  # fmt: skip
    assert len(data["roles"]) == 5  # the mapping adds, never removes


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeIam]:
    used = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with FakeIam("999999999999", seed=5) as fake:
        monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", fake.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", fake.url)
        for account, name in [(PROD, "prod-app"), (STAGING, "staging-app"), (PROD, "lab-app")]:
            fake.add(
                FakeEntity(
                    "role", name, account=account,
                    services=[FakeService("s3", last_authenticated=used)],
                )
            )  # fmt: skip
        yield fake


def test_collect_gives_each_account_the_entities_of_its_roots(
    tree: Path, endpoint: FakeIam, tmp_path: Path
) -> None:
    out = tmp_path / "snaps"
    result = CliRunner().invoke(
        main, ["collect", str(tree), "--out", str(out), "--accounts", f"{PROD},{STAGING}"]
    )
    assert result.exit_code == 0, result.output
    prod = load_snapshot(out / f"{PROD}.json")
    staging = load_snapshot(out / f"{STAGING}.json")
    # prod: its own root and the unmapped lab root; staging: its root and the lab root.
    assert sorted((e.parts.name, e.effective_status) for e in prod.entities) == [
        ("lab-app", "COMPLETED"),
        ("prod-app", "COMPLETED"),
    ]
    assert sorted((e.parts.name, e.effective_status) for e in staging.entities) == [
        ("lab-app", "missing"),
        ("staging-app", "COMPLETED"),
    ]
    assert endpoint.calls["GetRole"] == 4


def test_the_cached_mapping_follows_the_files(tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = map_roots(tree, cache_dir=cache)
    assert map_roots(tree, cache_dir=cache) == first == map_roots(tree)
    (tree / "envs/prod/terraform.tfvars").write_text(f'account_id = "{SANDBOX}"\n')
    changed = map_roots(tree, cache_dir=cache)
    assert [m.accounts for m in changed.mapped if m.root == "envs/prod"] == [(SANDBOX,)]


def snapshot_of(account: str) -> str:
    return json.dumps({
        "format": "lpgen.snapshot/1", "account_id": account, "partition": "aws",
        "collected_at": "2026-11-20T00:00:00+00:00", "entities": [],
    })  # fmt: skip


def test_a_root_of_several_accounts_needs_a_snapshot_of_each(tmp_path: Path) -> None:
    root = write(
        tmp_path / "infra",
        {
            "main.tf": 'variable "account_id" {}\nprovider "aws" {\n  allowed_account_ids = [var.account_id]\n}\n'
            + ROLE.format(name="app"),
            "env/prod.tfvars": f'account_id = "{PROD}"\n',
            "env/staging.tfvars": f'account_id = "{STAGING}"\n',
        },
    )
    snaps = tmp_path / "snaps"
    snaps.mkdir()
    (snaps / f"{PROD}.json").write_text(snapshot_of(PROD))
    runner = CliRunner()
    for command in (["trim", str(root)], ["check", str(root), "--fail-on", "never"]):
        result = runner.invoke(main, [*command, "--snapshot", str(snaps)])
        assert result.exit_code == 2, result.output
        assert result.stderr == (
            f"Error: . is applied to {STAGING} too (allowed_account_ids, main.tf:2 with "
            "env/prod.tfvars, env/staging.tfvars), with no snapshot: what only there was used "
            f"would look unused; collect it (lpgen collect --accounts {STAGING}) or give its "
            "--snapshot\n"
        )
    (snaps / f"{STAGING}.json").write_text(snapshot_of(STAGING))
    result = runner.invoke(main, ["trim", str(root), "--snapshot", str(snaps)])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    # A snapshot of another account only: said on stderr, the run goes on.
    other = tmp_path / "other.json"
    other.write_text(snapshot_of(SANDBOX))
    result = runner.invoke(main, ["trim", str(root), "--snapshot", str(other)])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"Warning: . is applied to {PROD}, {STAGING}, which no --snapshot covers: its entities "
        "are judged only where another account's snapshot has the same name\n"
    )


def test_provider_and_variable_blocks_read_only_for_what_the_map_needs() -> None:
    """Only the arguments the map reads are turned into values; they are python-hcl2's."""
    import hcl2

    from lpgen.account_map import _loads

    text = (
        'provider "aws" {\n  region = "eu-west-1"\n  allowed_account_ids = [var.acct, "111122223333"]\n'
        '  default_tags {\n    tags = { team = "x" }\n  }\n'
        '  assume_role {\n    role_arn = "arn:aws:iam::${var.acct}:role/ci"\n  }\n}\n'
        'variable "acct" {\n  type = string\n  default = "444455556666"\n'
        '  validation {\n    condition = length(var.acct) == 12\n    error_message = "no"\n  }\n}\n'
    )
    full = hcl2.loads(text)
    kept = _loads(text, blocks_only=True)
    (fp,), (kp,) = full["provider"], kept["provider"]
    aws, acct = '"aws"', '"acct"'  # python-hcl2 keeps labels quoted
    assert set(kp[aws]) - {"__is_block__"} == {"allowed_account_ids", "assume_role"}
    assert kp[aws]["allowed_account_ids"] == fp[aws]["allowed_account_ids"]
    assert kp[aws]["assume_role"] == fp[aws]["assume_role"]
    (fv,), (kv,) = full["variable"], kept["variable"]
    assert {k: v for k, v in kv[acct].items() if k != "__is_block__"} == {
        "default": fv[acct]["default"]}
    assert _loads(text) == full  # without blocks_only: everything, as python-hcl2 gives it
