"""The accounts a root's own code names: from files the reader parsed and from deferred ones.

A file the reader parsed (it declares IAM or variables) gives the provider blocks already
read; a file that only holds providers is deferred by the reader and parsed for them alone.
Either way the accounts, their order and their locations are those of the code.
"""

from __future__ import annotations

from pathlib import Path

from lpgen.inventory import InventoryOptions, build_inventory

MAIN = """\
provider "aws" {
  allowed_account_ids = ["111122223333"]
}

resource "aws_iam_user" "ci" {
  name = "ci"
}
"""
PROVIDERS = """\
terraform {
  required_version = ">= 1.5"
}

provider "google" {
  project = "x"
}

provider "aws" {
  alias = "deploy"
  assume_role {
    role_arn = "arn:aws:iam::${var.deploy_account}:role/deploy"
  }
}
"""
VARIABLES = """\
variable "deploy_account" {
  default = "444455556666"
}

variable "account_id" {
  default = "777788889999"
}

provider "aws" {
  alias               = "other"
  allowed_account_ids = [var.account_id, "not-an-account"]
}
"""


def _sources(root: Path, *, cache: Path | None = None) -> list[tuple[str, str, str, int]]:
    inv = build_inventory(root, options=InventoryOptions(cache_dir=cache))
    return [
        (a.account_id, a.what, a.location.file if a.location else "", a.location.line if a.location else 0)
        for a in inv.account_sources
    ]


def test_accounts_from_parsed_and_deferred_files(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(MAIN)
    (tmp_path / "providers.tf").write_text(PROVIDERS)
    (tmp_path / "variables.tf").write_text(VARIABLES)
    (tmp_path / "broken.tf").write_text('provider "aws" {\n  region = \n')
    expected = [
        # The parsed files first, then the deferred ones; variables last.
        ("111122223333", "allowed_account_ids", "main.tf", 2),
        ("777788889999", "allowed_account_ids", "variables.tf", 11),
        ("444455556666", "assume_role.role_arn", "providers.tf", 12),
        ("777788889999", "var.account_id", "variables.tf", 6),
    ]
    assert _sources(tmp_path) == expected
    # Read root by root (a cache directory, two roots): the same.
    other = tmp_path / "other"
    other.mkdir()
    (other / "main.tf").write_text(MAIN.replace("111122223333", "999988887777"))
    assert _sources(tmp_path, cache=tmp_path / ".cache") == [
        *expected,
        ("999988887777", "allowed_account_ids", "other/main.tf", 2),
    ]


def test_a_provider_in_a_file_read_for_an_expression_is_read_once(tmp_path: Path) -> None:
    # providers.tf is deferred, then parsed because an IAM value needs its local.
    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_user" "ci" {\n  name = local.user\n}\n'
    )
    (tmp_path / "providers.tf").write_text(
        'locals {\n  user = "ci"\n}\n\nprovider "aws" {\n'
        '  allowed_account_ids = ["111122223333"]\n}\n'
    )
    assert _sources(tmp_path) == [("111122223333", "allowed_account_ids", "providers.tf", 6)]
