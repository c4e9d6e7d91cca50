"""The lpgen command line: each command parses options, makes one library call, renders, exits."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from lpgen import __version__
from lpgen.config import default_map, find_config, read_config
from lpgen.errors import LpgenError

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class LpgenGroup(click.Group):
    """Turns library exceptions into one-line messages and exit codes, in one place."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LpgenError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # Output piped into `head` and closed early: not an error worth a message.
            sys.stderr.close()
            ctx.exit(EXIT_OK)
        except Exception as exc:
            if os.environ.get("LPGEN_DEBUG"):
                traceback.print_exc()
            where = ""
            tb = exc.__traceback__
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            if tb is not None:
                where = f" ({Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno})"
            click.echo(
                f"Internal error: {type(exc).__name__}: {exc}{where}. "
                "Set LPGEN_DEBUG=1 for a traceback and please report it.",
                err=True,
            )
            ctx.exit(EXIT_INTERNAL)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # Config is looked up from the first path argument of the subcommand (or the
        # current directory) so that `lpgen trim infra/` honours infra/pyproject.toml.
        if ctx.default_map is None:
            start = Path.cwd()
            for arg in args[1:]:
                if not arg.startswith("-") and Path(arg).exists():
                    start = Path(arg)
                    break
            try:
                found = find_config(start)
                if found is not None:
                    ctx.default_map = default_map(read_config(found))
            except LpgenError as exc:
                click.echo(f"Error: {exc}", err=True)
                ctx.exit(EXIT_USAGE)
        return super().parse_args(ctx, args)


@click.group(cls=LpgenGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="lpgen")
def main() -> None:
    """Least-privilege AWS IAM for Terraform.

    Read the IAM a Terraform tree declares, collect Access Advisor usage, trim what is
    unused as a reviewable diff, draw who-is-in-which-group, and check IAM before apply.

    Shell completion: eval "$(_LPGEN_COMPLETE=bash_source lpgen)" (zsh_source, fish_source).
    """


# --- inventory -------------------------------------------------------------------------
# (commands are added below, one section each)


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    ctx.meta[f"lpgen.{param.name}"] = value
    return value


def tree_options(func: Any) -> Any:
    """Options every command that reads a Terraform tree shares."""
    func = click.option(
        "--no-cache",
        "no_cache",
        is_flag=True,
        expose_value=False,
        callback=_remember,
        help="Parse every file again instead of using the parse cache.",
    )(func)
    func = click.option(
        "--cache-dir",
        "cache_dir",
        type=click.Path(file_okay=False),
        expose_value=False,
        callback=_remember,
        envvar="LPGEN_CACHE_DIR",
        show_envvar=True,
        help="Where parse results are cached [default: ~/.cache/lpgen].",
    )(func)
    func = click.option(
        "--var",
        "variables",
        multiple=True,
        metavar="NAME=VALUE",
        help="Set a root module variable, as terraform -var does (repeatable).",
    )(func)
    func = click.option(
        "--var-file",
        "var_file",
        multiple=True,
        type=click.Path(dir_okay=False),
        help="Read variable values from a .tfvars file (repeatable).",
    )(func)
    return func


def inventory_options(
    var_file: tuple[str, ...] | list[str],
    variables: tuple[str, ...],
    *,
    account_id: str | None = None,
    partition: str = "aws",
    strict: bool = False,
) -> Any:
    from lpgen.inventory import InventoryOptions
    from lpgen.terraform.cache import default_cache_dir
    from lpgen.terraform.loader import parse_cli_var

    if isinstance(var_file, str):
        var_file = (var_file,)
    meta = click.get_current_context().meta
    cache_dir: Path | None = None
    if not meta.get("lpgen.no_cache"):
        cache_dir = (
            Path(meta["lpgen.cache_dir"]) if meta.get("lpgen.cache_dir") else (default_cache_dir())
        )
    return InventoryOptions(
        var_files=tuple(var_file),
        variables=tuple(parse_cli_var(v) for v in variables),
        account_id=account_id,
        partition=partition,
        strict=strict,
        cache_dir=cache_dir,
    )


def warn_skipped(inv: Any) -> None:
    """Read-only commands go on without unparseable files, saying so on stderr."""
    for w in inv.warnings:
        click.echo(f"Warning: {w.location}: {w.message} (file skipped)", err=True)


@main.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option("--account-id", help="AWS account id, to give every entity its ARN.")
@click.option("--partition", default="aws", show_default=True, help="AWS partition for ARNs.")
@click.option("--strict", is_flag=True, help="Fail (exit 2) on a file that cannot be parsed.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE.")
@tree_options
def inventory(
    path: str,
    fmt: str,
    account_id: str | None,
    partition: str,
    strict: bool,
    output: str | None,
    var_file: tuple[str, ...],
    variables: tuple[str, ...],
) -> None:
    """List the IAM groups, users, roles, policies, memberships and attachments in PATH."""
    from lpgen.inventory import build_inventory, render_json, render_text

    inv = build_inventory(
        path,
        options=inventory_options(
            var_file, variables, account_id=account_id, partition=partition, strict=strict
        ),
    )
    warn_skipped(inv)
    text = render_json(inv) if fmt == "json" else render_text(inv)
    write_output(text, output)


def write_output(text: str, output: str | None) -> None:
    """Print, or write FILE atomically."""
    if output is None:
        click.echo(text, nl=False)
        return
    from lpgen.fsutil import write_atomic

    write_atomic(Path(output), text)
