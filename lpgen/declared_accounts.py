"""The AWS accounts a Terraform root says it is applied to, read from its own code.

``provider "aws" { allowed_account_ids = [...] }`` is Terraform's own guard against applying
to the wrong account; ``assume_role { role_arn = "arn:aws:iam::ACCOUNT:role/..." }`` names
the account the provider works in; a root variable ``account_id`` / ``aws_account_id``
(usually set in tfvars) is the account by convention. Values are evaluated in the root
module, so ``var.account_id`` resolves from tfvars and defaults.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lark import Tree

from lpgen.errors import ParseError
from lpgen.model import AccountSource
from lpgen.terraform.evaluate import Scope
from lpgen.terraform.loader import Block, ModuleInstance, read_block
from lpgen.terraform.parse import SourceFile
from lpgen.terraform.values import Unknown

_PROVIDER = re.compile(r'^[ \t]*provider[ \t]+"?aws"?[ \t]*\{', re.M)
_ACCOUNT = re.compile(r"^\d{12}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/")
ACCOUNT_VARIABLES = ("account_id", "aws_account_id")


def _provider_blocks(mi: ModuleInstance) -> Iterator[Block]:
    """The ``provider "aws"`` blocks of the root's files, in file order. A file the reader
    parsed gives the blocks it read; a deferred file (nothing else in it mattered) is
    parsed here."""
    from lpgen.terraform.cache import parse_many

    mdir = mi.mdir
    read: dict[int, list[Block]] = {id(source): [] for source in mdir.files}
    for block in mdir.providers:
        read.setdefault(id(block.source), []).append(block)
    pending = [s for s in mdir.deferred if _PROVIDER.search(s.text)]
    trees = dict(zip(map(id, pending), parse_many([(s.text, s.rel) for s in pending]), strict=True))
    for source in [*mdir.files, *mdir.deferred]:
        if not _PROVIDER.search(source.text):
            continue
        if id(source) in read:
            yield from (b for b in read[id(source)] if b.labels == ["aws"])
        else:
            yield from _blocks_of(source, trees[id(source)])


def _blocks_of(source: SourceFile, tree: Tree[Any] | ParseError) -> Iterator[Block]:
    if isinstance(tree, ParseError):
        return  # the reader reports unparseable files; nothing to learn here
    for child in tree.children[0].children:
        if isinstance(child, Tree) and child.data == "block":
            block = read_block(child, source)
            if block.type == "provider" and block.labels == ["aws"]:
                yield block


def _strings(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if isinstance(v, str)]
    return [str(value)] if isinstance(value, str) else []


def declared_accounts(mi: ModuleInstance) -> list[AccountSource]:
    """The accounts a root module's code names as its own, with where each was written."""
    out: list[AccountSource] = []
    ev = mi.ev
    for block in _provider_blocks(mi):
        scope = Scope(mi, block.source, {})
        node = block.attrs.get("allowed_account_ids")
        if node is not None:
            for account in _strings(ev.eval(node, scope)):
                if _ACCOUNT.match(account):
                    out.append(AccountSource(account, "allowed_account_ids",
                                             block.attr_loc("allowed_account_ids")))  # fmt: skip
        for sub in block.sub("assume_role") + block.sub("assume_role_with_web_identity"):
            arn_node = sub.attrs.get("role_arn")
            if arn_node is None:
                continue
            arn = ev.eval(arn_node, scope)
            m = _ROLE_ARN.match(str(arn)) if isinstance(arn, str) else None
            if m is not None:
                out.append(AccountSource(m.group(1), f"{sub.type}.role_arn",
                                         sub.attr_loc("role_arn")))  # fmt: skip
    for name in ACCOUNT_VARIABLES:
        if name not in mi.mdir.variables:
            continue
        value = mi.variable(name)
        if isinstance(value, Unknown) or not isinstance(value, str):
            continue
        if _ACCOUNT.match(str(value)):
            loc = getattr(value, "loc", None) or mi.mdir.variables[name].loc
            out.append(AccountSource(str(value), f"var.{name}", loc))
    return out
