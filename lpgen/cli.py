"""The lpgen command line: each command parses options, makes one library call, renders, exits."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from click.decorators import FC

from lpgen import __version__
from lpgen.config import default_map, find_config, read_config
from lpgen.errors import LpgenError

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
FINDINGS_FORMATS = ["text", "json", "sarif", "markdown", "github"]


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    ctx.meta[f"lpgen.{param.name}"] = value
    return value


def common_params() -> list[click.Parameter]:
    """Options every command takes (added by LpgenCommand, so each command has them)."""
    return [
        click.Option(
            ["-q", "--quiet"],
            is_flag=True,
            expose_value=False,
            callback=_remember,
            help="Print only the report, warnings and errors: no progress, notes or summary "
            "lines.",
        ),
        click.Option(
            ["-v", "--verbose"],
            is_flag=True,
            expose_value=False,
            callback=_remember,
            help="Also say which config file is used and what file names are relative to.",
        ),
        click.Option(
            ["--config"],
            metavar="FILE",
            expose_value=False,
            type=click.Path(dir_okay=False),
            help="Read settings from FILE (a .lpgen.toml, or a pyproject.toml with "
            "[tool.lpgen]) instead of looking for one from PATH upwards.",
        ),
        click.Option(
            ["--color/--no-color"],
            default=None,
            expose_value=False,
            callback=_remember,
            help="Colour the output [default: on a terminal, unless NO_COLOR is set].",
        ),
    ]


class LpgenCommand(click.Command):
    """A command with the common options (--quiet, --verbose, --color/--no-color)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(common_params())

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.BadParameter as exc:
            # A bad value from the config file: blame the file and key, not the flag.
            param = exc.param
            config = ctx.meta.get("lpgen.config_file")
            if param is None or param.name is None or config is None:
                raise
            if ctx.get_parameter_source(param.name) != click.core.ParameterSource.DEFAULT_MAP:
                raise
            from lpgen.config import config_key, key_line

            key = config_key(ctx.meta.get("lpgen.config_table", {}), self.name or "", param.name)
            raise LpgenError(
                f"invalid value for config key '{key}': {exc.message}",
                file=config,
                line=key_line(Path(config), key.rpartition(".")[2]),
            ) from None

    def invoke(self, ctx: click.Context) -> Any:
        config = ctx.meta.get("lpgen.config_file")
        verbose(f"config: {config}" if config else "config: none found")
        from lpgen.terraform.scans import shared_scans

        with shared_scans():  # the tree is scanned once per command (account map, inventory)
            return super().invoke(ctx)


def _meta(name: str) -> Any:
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(f"lpgen.{name}") if ctx is not None else None


def is_quiet() -> bool:
    return bool(_meta("quiet"))


def use_color(*, err: bool = False) -> bool:
    """--color/--no-color, else off when NO_COLOR is set (https://no-color.org), else a tty."""
    chosen = _meta("color")
    if chosen is not None:
        return bool(chosen)
    if os.environ.get("NO_COLOR"):
        return False
    stream = sys.stderr if err else sys.stdout
    return stream.isatty()


def note(text: str) -> None:
    """A line for the user on stderr (report age, what was written); not with --quiet."""
    if not is_quiet():
        click.echo(text, err=True)


def tell(line: str) -> None:
    """A library note: warnings always go to stderr, other notes not with --quiet."""
    if line.startswith(("Warning", "Error")):
        click.echo(line, err=True)
    else:
        note(line)


def verbose(text: str) -> None:
    """A line on stderr with --verbose only."""
    if _meta("verbose") and not is_quiet():
        click.echo(f"lpgen: {text}", err=True)


def _error_prefix() -> str:
    return click.style("Error:", fg="red", bold=True) if use_color(err=True) else "Error:"


def _config_arg(args: list[str]) -> Path | None:
    """``--config FILE`` among a command's arguments (read before the command parses them)."""
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--config" and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--config="):
            value = arg.partition("=")[2]
        else:
            continue
        path = Path(value)
        if not path.is_file():
            raise LpgenError("config file not found", file=value)
        return path
    return None


class LpgenGroup(click.Group):
    """Turns library exceptions into one-line messages and exit codes, in one place."""

    command_class = LpgenCommand
    group_class = type  # subgroups (snapshot) are LpgenGroups too

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LpgenError as exc:
            click.echo(f"{_error_prefix()} {exc}", err=True, color=use_color(err=True))
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
        # --var and --var-file apply in command-line order, as terraform's -var/-var-file.
        ctx.meta["lpgen.argv"] = list(args)
        # Config is looked up from the first path argument of the subcommand (or the
        # current directory) so that `lpgen trim infra/` honours infra/pyproject.toml.
        if ctx.default_map is None:
            start = Path.cwd()
            for arg in args[1:]:
                if not arg.startswith("-") and Path(arg).exists():
                    start = Path(arg)
                    break
            try:
                found = _config_arg(args) or find_config(start)
                if found is not None:
                    table = read_config(found)
                    ctx.default_map = default_map(table)
                    ctx.meta["lpgen.config_file"] = str(found)
                    ctx.meta["lpgen.config_table"] = table
            except LpgenError as exc:
                click.echo(f"{_error_prefix()} {exc}", err=True, color=use_color(err=True))
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


def tree_options(func: Any) -> Any:
    """Options every command that reads a Terraform tree shares."""
    func = click.option(
        "--exclude",
        "exclude",
        multiple=True,
        metavar="GLOB",
        expose_value=False,
        callback=_remember,
        help="Skip files and directories whose path under PATH matches GLOB (repeatable).",
    )(func)
    func = click.option(
        "--no-cache",
        "no_cache",
        is_flag=True,
        expose_value=False,
        callback=_remember,
        help="Read the tree again instead of using cached results.",
    )(func)
    func = click.option(
        "--cache-dir",
        "cache_dir",
        type=click.Path(file_okay=False),
        expose_value=False,
        callback=_remember,
        envvar="LPGEN_CACHE_DIR",
        show_envvar=True,
        help="Where results are cached [default: ~/.cache/lpgen].",
    )(func)
    func = click.option(
        "--workspace",
        "workspace",
        metavar="NAME",
        expose_value=False,
        callback=_remember,
        envvar="TF_WORKSPACE",
        show_envvar=True,
        help="The Terraform workspace (terraform.workspace); unset, it is not known.",
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

    if variables:  # the reader (and its parser) only when --var needs it
        from lpgen.terraform.loader import parse_cli_var
    if isinstance(var_file, str):
        var_file = (var_file,)
    meta = click.get_current_context().meta
    cache_dir: Path | None = None
    if not meta.get("lpgen.no_cache"):
        cache_dir = (
            Path(meta["lpgen.cache_dir"]) if meta.get("lpgen.cache_dir") else (default_cache_dir())
        )
    from lpgen.catalog import use_index_dir

    use_index_dir(cache_dir)  # the action catalog's index of names lives there too
    return InventoryOptions(
        var_files=tuple(var_file),
        variables=tuple(parse_cli_var(v) for v in variables),
        account_id=account_id,
        partition=partition,
        strict=strict,
        cache_dir=cache_dir,
        exclude=_globs(meta.get("lpgen.exclude")),
        workspace=meta.get("lpgen.workspace") or None,
        var_order=_var_order(meta.get("lpgen.argv") or [], len(var_file), len(variables)),
        env_variables=tuple(
            sorted(
                (k[len("TF_VAR_") :], v)
                for k, v in os.environ.items()
                if k.startswith("TF_VAR_") and len(k) > len("TF_VAR_")
            )
        ),
    )


def _var_order(argv: list[str], files: int, values: int) -> tuple[str, ...]:
    """``("file", "var", ...)``: the order --var-file and --var were given in."""
    order: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            break
        if arg in ("--var-file", "--var"):
            order.append("file" if arg == "--var-file" else "var")
            i += 2
            continue
        if arg.startswith("--var-file="):
            order.append("file")
        elif arg.startswith("--var="):
            order.append("var")
        i += 1
    if order.count("file") != files or order.count("var") != values:
        return ()  # from a config file or a caller: files first, then variables
    return tuple(order)


def _globs(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def warn_skipped(inv: Any, *, strict: bool = False) -> bool:
    """Read-only commands go on without unparseable files, saying so on stderr (the file
    named relative to the repository root, as in the reports).

    They also say, in one line, when IAM declarations could not be fully evaluated. Returns
    True when that makes a ``--strict`` run fail (exit 2, once the output is written).
    """
    from lpgen.accounting import summary_line
    from lpgen.paths import display_root, prefix_under_root

    prefix = prefix_under_root(inv.root, display_root(inv.root)) if inv.warnings else None
    for w in inv.warnings:
        where = w.location
        if prefix and where is not None:
            where = f"{prefix}/{where}"
        click.echo(f"Warning: {where}: {w.message} (file skipped)", err=True)
    line = summary_line(inv)
    if line is not None:
        click.echo(f"{'Error' if strict else 'Warning'}: {line}", err=True)
    return strict and line is not None


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
@click.option(
    "--snapshot",
    "snapshots",
    multiple=True,
    type=click.Path(),
    help="Take the account id and partition from this snapshot (file or directory).",
)
@click.option("--strict", is_flag=True, help="Fail (exit 2) on a file that cannot be parsed "
              "or an IAM declaration that cannot be fully evaluated.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE.")
@tree_options
def inventory(
    path: str,
    fmt: str,
    account_id: str | None,
    partition: str,
    snapshots: tuple[str, ...],
    strict: bool,
    output: str | None,
    var_file: tuple[str, ...],
    variables: tuple[str, ...],
) -> None:
    """List the IAM groups, users, roles, policies, memberships and attachments in PATH."""
    from lpgen.inventory import build_inventory, render_text

    snapshots = snapshot_args(snapshots)
    if snapshots and not account_id:
        from lpgen.snapshot import load_snapshot

        snap = load_snapshot(snapshots[0])
        account_id, partition = snap.account_id, snap.partition
    inv = build_inventory(
        path,
        options=inventory_options(
            var_file, variables, account_id=account_id, partition=partition, strict=strict
        ),
    )
    failed = warn_skipped(inv, strict=strict)
    from lpgen.paths import display_root, prefix_under_root, shown_locations

    shown = shown_locations(inv, prefix_under_root(path, display_root(path)))
    amap = root_accounts(path)
    if fmt == "json":
        import json

        from lpgen.account_map import account_map_to_json
        from lpgen.inventory import inventory_to_json

        data = inventory_to_json(shown)
        data["accounts"] = account_map_to_json(amap)
        text = json.dumps(data, indent=2) + "\n"
    else:
        from lpgen.account_map import render_account_map

        text = render_text(shown) + render_account_map(amap)
    write_output(text, output)
    if failed:
        click.get_current_context().exit(EXIT_USAGE)


def root_accounts(path: str) -> Any:
    """Which root module goes to which accounts: code, then [tool.lpgen.accounts]."""
    from lpgen.account_map import map_roots

    ctx = click.get_current_context()
    table = (ctx.default_map or {}).get("accounts") or {}
    found = find_config(Path(path)) if table else None
    opts = inventory_options((), ())
    return map_roots(
        path,
        config=table,
        config_file=str(found or ""),
        exclude=opts.exclude,
        cache_dir=opts.cache_dir,
    )


def snapshot_args(values: tuple[str, ...], *, covering: str | None = None) -> tuple[str, ...]:
    """--snapshot values with each directory (one snapshot per account) expanded.

    With ``covering`` (the tree trim or check judges): a root applied to several accounts
    must have a snapshot of each of them (see lpgen.account_map.check_coverage).
    """
    if not values:
        return values
    from lpgen.snapshots_dir import expand_snapshot_args, snapshot_accounts

    expanded = tuple(expand_snapshot_args(values))
    if covering is not None:
        from lpgen.account_map import check_coverage

        amap = root_accounts(covering)
        if amap:
            for warning in check_coverage(amap, snapshot_accounts(expanded)):
                click.echo(f"Warning: {warning}", err=True)
    return expanded


def format_option(choices: list[str], help: str = "Output format") -> Callable[[FC], FC]:
    """``--format``, repeatable: several reports from one run (see output_option)."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        multiple=True,
        help=f"{help} [default: text]; repeatable, each format but one with -o FORMAT=FILE.",
    )


def output_option(what: str = "the report") -> Callable[[FC], FC]:
    """``-o FILE`` or ``-o FORMAT=FILE`` (repeatable), as Checkov's ``-o cli -o sarif``."""
    return click.option(
        "-o",
        "--output",
        "output",
        multiple=True,
        metavar="[FORMAT=]FILE",
        help=f"Write {what} to FILE instead of stdout; FORMAT=FILE writes that format to "
        "FILE, beside the others (repeatable).",
    )


def plan_outputs(
    formats: tuple[str, ...] | str, outputs: tuple[str, ...] | str, choices: list[str]
) -> list[tuple[str, str | None]]:
    """Which format goes where: ``[(format, FILE or None for stdout)]``, in a stable order.

    ``-o FORMAT=FILE`` adds FORMAT (no --format needed); a plain ``-o FILE`` takes the one
    --format that has no file. At most one format goes to stdout.
    """
    formats = (formats,) if isinstance(formats, str) else tuple(formats)
    outputs = (outputs,) if isinstance(outputs, str) else tuple(outputs)
    files: dict[str, str] = {}
    plain: list[str] = []
    for item in outputs:
        name, sep, file = item.partition("=")
        if sep and name in choices:
            if not file:
                raise click.BadParameter(f"no file after '{name}='", param_hint="'-o'")
            if name in files:
                raise click.BadParameter(f"{name} given twice", param_hint="'-o'")
            files[name] = file
        else:
            plain.append(item)
    wanted = list(dict.fromkeys(formats))
    unfiled = [f for f in wanted if f not in files]
    if not wanted or (not unfiled and plain):
        unfiled = ["text"] if "text" not in files else []
        wanted = [*unfiled, *wanted]
    if len(plain) > 1:
        raise click.UsageError("-o FILE given more than once: use -o FORMAT=FILE for each")
    if plain:
        if len(unfiled) != 1:
            raise click.UsageError("-o FILE needs exactly one --format without a file")
        files[unfiled[0]] = plain[0]
        unfiled = []
    if len(unfiled) > 1:
        raise click.UsageError(
            f"--format {' and '.join(unfiled)} would all go to stdout: "
            "give -o FORMAT=FILE for all but one"
        )
    order = [*wanted, *(f for f in files if f not in wanted)]
    return [(f, files.get(f)) for f in order]


def emit(plan: list[tuple[str, str | None]], render_one: Callable[[str, bool], str]) -> None:
    """Render each planned format once (``render_one(fmt, color)``) and write it."""
    for fmt, file in plan:
        if file is None:
            color = fmt == "text" and use_color()
            click.echo(render_one(fmt, color), nl=False, color=color)
        else:
            write_output(render_one(fmt, False), file)


def write_output(text: str, output: str | None) -> None:
    """Print, or write FILE atomically."""
    if output is None:
        click.echo(text, nl=False)
        return
    from lpgen.fsutil import write_atomic

    write_atomic(Path(output), text)


def category_option(func: Any) -> Any:
    """``--category``: the SARIF automationDetails category (one per tree and job)."""
    return click.option(
        "--category",
        metavar="NAME",
        help="SARIF category (automationDetails.id), so that runs over different trees "
        "keep their own alerts [default: lpgen/COMMAND, plus PATH under the repository root].",
    )(func)


def report_context(
    command: str, path: str | None, category: str | None, *, evidence: str | None = None,
    sarif: bool = True,
) -> dict[str, Any]:
    """Where report file names are relative to, the SARIF anchor (looked for only when
    ``sarif``: no other format shows it, and finding it reads the tree's files) and the
    category."""
    from lpgen.paths import account_anchor, display_root, file_anchor, prefix_under_root

    root = display_root(path)
    anchor = account_anchor(path, root) if path is not None and sarif else None
    if anchor is None and sarif:
        anchor = file_anchor(evidence, root)
    if category is None:
        under = prefix_under_root(path, root) if path is not None else None
        category = f"lpgen/{command}" + (f"/{under}" if under else "")
    return {"root": str(root), "anchor": anchor, "category": category}


def _days_option(name: str, help: str) -> Callable[[FC], FC]:
    """A number of days, 90 by default (the audit thresholds)."""
    return click.option(
        name, type=click.IntRange(min=0), default=90, show_default=True, metavar="DAYS", help=help
    )


# --- audit -----------------------------------------------------------------------------


@main.command()
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False))
@click.option(
    "--credential-report",
    "credential_report",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Read the credential report from FILE (the CSV, or the JSON `aws iam "
    "get-credential-report` prints) instead of asking AWS for it.",
)
@format_option(["text", "json", "sarif", "markdown", "github"])
@click.option(
    "--fail-on",
    type=click.Choice(["info", "low", "medium", "high", "critical", "never"], case_sensitive=False),
    default="high",
    show_default=True,
    help="Exit 1 when a finding is at or above this severity.",
)
@_days_option("--max-key-age", "Report active access keys older than this.")
@_days_option("--max-password-age", "Report console passwords not changed for longer than this.")
@_days_option(
    "--inactive-days", "Report passwords, access keys and users not used for longer than this."
)
@_days_option("--root-password-days", "Report a root password sign-in within this many days.")
@click.option(
    "--now",
    "now_text",
    metavar="TIME",
    help="Measure ages at this ISO 8601 time. Default: when the report was "
    "generated; for a bare CSV file, the newest time the report records.",
)
@click.option(
    "--select",
    multiple=True,
    metavar="CODES",
    help="Report only findings of these codes, code prefixes or rule names "
    "(comma separated, repeatable).",
)
@click.option(
    "--ignore",
    multiple=True,
    metavar="CODES",
    help="Leave out findings of these codes, code prefixes or rule names "
    "(comma separated, repeatable).",
)
@click.option("--baseline", type=click.Path(dir_okay=False), metavar="FILE",
              help="Leave out the findings listed in FILE (see --write-baseline).")
@click.option("--write-baseline", is_flag=True,
              help="Record the current findings in the --baseline FILE and exit 0.")
@click.option("--profile", help="AWS profile (when the report is fetched from AWS).")
@click.option("--region", help="AWS region (when the report is fetched from AWS).")
@output_option()
@category_option
@tree_options
def audit(
    path: str | None,
    credential_report: str | None,
    fmt: tuple[str, ...],
    fail_on: str,
    max_key_age: int,
    max_password_age: int,
    inactive_days: int,
    root_password_days: int,
    now_text: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    baseline: str | None,
    write_baseline: bool,
    profile: str | None,
    region: str | None,
    output: tuple[str, ...],
    category: str | None,
    var_file: tuple[str, ...],
    variables: tuple[str, ...],
) -> None:
    """Audit the account's IAM hygiene from its credential report.

    Reports root access keys and missing MFA, console users without MFA, old and unused
    passwords and access keys, and inactive users. With PATH, each finding points at the
    aws_iam_user, aws_iam_access_key or aws_iam_user_login_profile that declares it, and
    users the Terraform does not declare are listed as unmanaged.

    Exit status: 0 no finding at or above --fail-on, 1 some, 2 bad input.
    """
    from dataclasses import replace
    from datetime import datetime, timezone

    from lpgen.audit import AuditOptions, audit_rules, describe_timing, run_audit
    from lpgen.credreport import make_iam_client, parse_time
    from lpgen.findings import exit_code
    from lpgen.findings import write_baseline as save_baseline
    from lpgen.paths import display_root
    from lpgen.render import Report, render

    outputs = plan_outputs(fmt, output, FINDINGS_FORMATS)
    now = None
    if now_text:
        try:
            now = parse_time(now_text)
        except ValueError:
            raise click.BadParameter(
                f"not an ISO 8601 time: {now_text!r}", param_hint="'--now'"
            ) from None
    if write_baseline and not baseline:
        raise click.UsageError("--write-baseline needs --baseline FILE")
    options = AuditOptions(
        max_key_age=max_key_age,
        max_password_age=max_password_age,
        inactive_days=inactive_days,
        root_password_days=root_password_days,
        now=now,
        ignore=_codes(ignore),
        select=_codes(select),
        baseline=None if write_baseline else baseline,
    )
    result = run_audit(
        path,
        options=options,
        report_file=credential_report,
        iam_client_factory=lambda: make_iam_client(profile=profile, region=region),
        inventory_options=inventory_options(var_file, variables) if path else None,
        root=display_root(path),
    )
    if result.inventory is not None:
        warn_skipped(result.inventory)
    for line in (*result.notes, *describe_timing(result, wall_clock=datetime.now(timezone.utc))):
        tell(line)
    if write_baseline:
        assert baseline is not None
        count = save_baseline(baseline, result.unbaselined)
        note(f"Wrote {count} finding{'s' if count != 1 else ''} to {baseline}.")
        return
    report = Report(
        findings=result.findings,
        command="audit",
        rules=audit_rules(),
        suppressed=result.suppressed,
        baselined=result.baselined,
        quiet=is_quiet(),
        **report_context("audit", path, category, evidence=credential_report,
                         sarif=any(f == "sarif" for f, _ in outputs)),
    )
    verbose(f"file names are relative to {report.root}")
    emit(outputs, lambda f, color: render(f, replace(report, color=color)))
    click.get_current_context().exit(exit_code(result.findings, fail_on))


# --- collect / snapshot ----------------------------------------------------------------


@main.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--out",
    "-o",
    "out",
    required=True,
    type=click.Path(),
    metavar="SNAPSHOT",
    help="Write the snapshot to this file (atomically); with --org/--accounts, the "
    "directory to write one snapshot per account into.",
)
@click.option("--profile", help="AWS profile (default: the standard credential chain).")
@click.option("--region", help="AWS region of the IAM and STS endpoints.")
@click.option("--role-arn", help="Assume this role first, e.g. in another account.")
@click.option(
    "--external-id",
    help="External id to pass when assuming --role-arn, or with --org/--accounts the role "
    "in each account.",
)
@click.option(
    "--granularity",
    type=click.Choice(["action", "service"]),
    default="action",
    show_default=True,
    help="Access Advisor detail: last use per action (where AWS tracks actions) "
    "or per service only.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 32),
    default=4,
    show_default=True,
    help="API calls in flight, across every account of the run (up to 8x as many "
    "Access Advisor jobs run meanwhile).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=1800,
    show_default=True,
    metavar="SECONDS",
    help="Stop waiting after this long; unfinished entities are recorded as errors.",
)
@click.option(
    "--org",
    is_flag=True,
    help="Collect every ACTIVE account of the AWS Organization (from the management or a "
    "delegated administrator account); --out is then a directory.",
)
@click.option(
    "--accounts",
    "account_ids",
    multiple=True,
    metavar="IDS",
    help="Collect these accounts (comma separated, repeatable); --out is then a directory.",
)
@click.option(
    "--include-account",
    multiple=True,
    metavar="SELECTOR",
    help="With --org: only accounts matching an account id, an OU or root id (ou-..., r-...: "
    "the whole subtree) or a name glob (repeatable).",
)
@click.option(
    "--exclude-account",
    multiple=True,
    metavar="SELECTOR",
    help="With --org: leave out accounts matching SELECTOR, as --include-account (repeatable).",
)
@click.option(
    "--role-name",
    default="lpgen-collector",
    show_default=True,
    help="With --org/--accounts: the role (name, or path/name) to assume in each account.",
)
@click.option(
    "--session-name",
    default="lpgen-collect",
    show_default=True,
    help="With --org/--accounts: the role session name.",
)
@click.option(
    "--duration",
    type=click.IntRange(900, 43200),
    default=3600,
    show_default=True,
    metavar="SECONDS",
    help="With --org/--accounts: the role session duration.",
)
@click.option(
    "--shard",
    metavar="K/N",
    help="With --org/--accounts: collect only shard K of N (accounts sorted by id, every "
    "N-th), e.g. one CI job each.",
)
@click.option(
    "--max-age",
    metavar="AGE",
    help="With --org/--accounts: skip accounts whose snapshot in --out is younger than AGE "
    "(90m, 12h, 2d).",
)
@click.option(
    "--progress-interval",
    type=click.FloatRange(min=0.1),
    default=30,
    show_default=True,
    metavar="SECONDS",
    help="When stderr is not a terminal (CI), print a progress line this often.",
)
@tree_options
def collect(
    path: str,
    out: str,
    profile: str | None,
    region: str | None,
    role_arn: str | None,
    external_id: str | None,
    granularity: str,
    concurrency: int,
    timeout: float,
    progress_interval: float,
    var_file: tuple[str, ...],
    variables: tuple[str, ...],
    org: bool = False,
    account_ids: tuple[str, ...] = (),
    include_account: tuple[str, ...] = (),
    exclude_account: tuple[str, ...] = (),
    role_name: str = "lpgen-collector",
    session_name: str = "lpgen-collect",
    duration: int = 3600,
    shard: str | None = None,
    max_age: str | None = None,
) -> None:
    """Collect IAM Access Advisor data for everything PATH declares into a snapshot.

    Covers every customer-managed policy, every group, and every user and role with inline
    policies. The snapshot is what trim, graph and check read offline (--snapshot).

    With --org or --accounts: one snapshot per account in the --out directory, assuming
    --role-name in each; an account that fails is recorded there (<id>.error.json) and
    the others go on.

    Exit status: 0 every entity (of every account) collected or missing in AWS, 1
    snapshots written but some entities or accounts have no data (failed, timed out,
    errors, role not assumed), 2 bad input or no AWS access.
    """
    from lpgen.collect import (
        AwsOptions,
        CollectOptions,
        open_clients,
        render_collect_summary,
        run_collect,
    )
    from lpgen.inventory import build_inventory
    from lpgen.progress import progress_for

    options = CollectOptions(
        granularity="SERVICE_LEVEL" if granularity == "service" else "ACTION_LEVEL",
        concurrency=concurrency,
        timeout=timeout,
    )
    many = org or bool(account_ids)
    if org and account_ids:
        raise click.UsageError("--org and --accounts are mutually exclusive")
    if not org and (include_account or exclude_account):
        raise click.UsageError("--include-account/--exclude-account need --org")
    if not many and (shard or max_age):
        raise click.UsageError("--shard and --max-age need --org or --accounts")
    if many:
        if Path(out).is_file():
            raise click.UsageError(
                f"--out {out} is a file: with --org/--accounts it is a directory"
            )
        from lpgen.accounts import AssumeOptions, parse_shard
        from lpgen.snapshots_dir import parse_age

        assume = AssumeOptions(
            role_name=role_name,
            external_id=external_id,
            session_name=session_name,
            duration=duration,
        )
        shard_kn = parse_shard(shard) if shard else None
        age = parse_age(max_age) if max_age else None
    elif Path(out).is_dir():
        raise click.UsageError(f"--out {out} is a directory: give a snapshot file")
    inv = build_inventory(path, options=inventory_options(var_file, variables))
    warn_skipped(inv)
    if many:
        from lpgen.org_collect import OrgOptions, collect_accounts, render_org_summary

        org_result = collect_accounts(
            inv,
            aws=AwsOptions(
                profile=profile, region=region, role_arn=role_arn, concurrency=concurrency
            ),
            org=org,
            account_ids=account_ids,
            include=include_account,
            exclude=exclude_account,
            options=options,
            org_options=OrgOptions(
                out_dir=Path(out), assume=assume, max_age=age, shard=shard_kn
            ),
            progress=progress_for(
                sys.stderr,
                quiet=is_quiet(),
                interval=None if sys.stderr.isatty() else progress_interval,
            ),
            account_map=root_accounts(path),
        )
        click.echo(render_org_summary(org_result))
        click.get_current_context().exit(EXIT_OK if org_result.all_ok else EXIT_FINDINGS)
    clients = open_clients(
        AwsOptions(
            profile=profile,
            region=region,
            role_arn=role_arn,
            external_id=external_id,
            concurrency=concurrency,
        )
    )
    progress = progress_for(sys.stderr, quiet=is_quiet(),
                            interval=None if sys.stderr.isatty() else progress_interval)
    result = run_collect(inv, clients=clients, options=options, out=out, progress=progress)
    click.echo(render_collect_summary(result))
    click.get_current_context().exit(EXIT_FINDINGS if result.problems else EXIT_OK)


@main.group("snapshot")
def snapshot_group() -> None:
    """Inspect snapshot files and assemble them from AWS CLI output."""


@snapshot_group.command("show")
@click.argument("file", type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
def snapshot_show(file: str, fmt: str) -> None:
    """Summarise a snapshot: entities, status, oldest and newest data, problems.

    FILE may be a directory of per-account snapshots: each is summarised, and accounts
    with only an error record are listed with their error.
    """
    import json

    from lpgen.snapshot import load_snapshot, render_summary, summarise, summary_to_dict

    if Path(file).is_dir():
        from lpgen.snapshots_dir import load_error, scan_dir

        contents = scan_dir(Path(file))
        summaries = [summarise(load_snapshot(p)) for _, p in sorted(contents.snapshots.items())]
        failed = [load_error(contents.errors[a]) for a in contents.failed()]
        if fmt == "json":
            data = {
                "snapshots": [summary_to_dict(s) for s in summaries],
                "failed": [r.to_dict() for r in failed],
            }
            click.echo(json.dumps(data, indent=2))
        else:
            parts = [render_summary(s) for s in summaries]
            parts += [f"Account {r.account_id}: no snapshot: {r.error}" for r in failed]
            click.echo("\n\n".join(parts))
        return
    summary = summarise(load_snapshot(file))
    if fmt == "json":
        click.echo(json.dumps(summary_to_dict(summary), indent=2))
    else:
        click.echo(render_summary(summary))


@snapshot_group.command("import")
@click.argument(
    "details",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, allow_dash=True),
)
@click.option(
    "--arn", required=True, help="The user, group, role or managed policy the report is about."
)
@click.option(
    "--snapshot",
    "snapshot_file",
    default="lpgen-snapshot.json",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Snapshot to add to (created if absent).",
)
@click.option("--create-date", metavar="TIME", help="The entity's creation time (ISO 8601).")
@click.option(
    "--collected-at",
    metavar="TIME",
    help="Time the data reflects (default: the job's JobCompletionDate).",
)
def snapshot_import(
    details: tuple[str, ...],
    arn: str,
    snapshot_file: str,
    create_date: str | None,
    collected_at: str | None,
) -> None:
    """Add `aws iam get-service-last-accessed-details` output (DETAILS, - for stdin) to a
    snapshot. Give every page of a truncated report, in order."""
    from lpgen.snapshot import import_details

    pages = []
    for name in details:
        with click.open_file(name, encoding="utf-8") as handle:
            pages.append(("<stdin>" if name == "-" else name, handle.read()))
    result = import_details(
        snapshot_file, arn, pages, create_date=create_date, collected_at=collected_at
    )
    entity = result.snapshot.entity(arn)
    services = len(entity.details.get("ServicesLastAccessed") or []) if entity else 0
    click.echo(
        f"{'Created' if result.created else 'Updated'} {snapshot_file}: "
        f"{'replaced' if result.replaced else 'added'} {arn} "
        f"({services} service{'' if services == 1 else 's'}, "
        f"{entity.effective_status if entity else '?'})."
    )


@snapshot_group.command("merge")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Directory to write the combined per-account snapshots into.",
)
def snapshot_merge(inputs: tuple[str, ...], out: str) -> None:
    """Combine the snapshot directories (or files) of several collect runs, e.g. CI shards.

    Every input must be a valid snapshot or error record; two inputs for one account must
    be identical, else nothing is written. Exit status: 0 merged, 1 merged but some
    accounts have only an error record, 2 bad or conflicting input.
    """
    from lpgen.snapshots_dir import merge_dirs

    result = merge_dirs(inputs, Path(out))
    for account, file in result.superseded:
        click.echo(f"Note: {file}: account {account} has a snapshot in another input", err=True)
    click.echo(
        f"Merged {result.accounts} account{'s' if result.accounts != 1 else ''} into {out}: "
        f"{len(result.written)} snapshot{'s' if len(result.written) != 1 else ''}, "
        f"{len(result.errors)} error record{'s' if len(result.errors) != 1 else ''}."
    )
    click.get_current_context().exit(EXIT_FINDINGS if result.errors else EXIT_OK)


# --- graph -----------------------------------------------------------------------------

GRAPH_FORMATS = ("dot", "graphml", "json", "mermaid", "svg", "png")
ANALYSIS_FORMATS = ("text", "json", "markdown")


@main.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--snapshot",
    "snapshots",
    multiple=True,
    type=click.Path(),
    metavar="SNAPSHOT",
    help="Access Advisor snapshot, to show which edges are used (repeatable; a directory "
    "of per-account snapshots counts as all of them).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted({*GRAPH_FORMATS, "text", "markdown"})),
    help="Graph: dot (default), graphml, json, mermaid, svg, png. With --analyze or "
    "--who-can: text (default), json, markdown.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE.")
@click.option(
    "--analyze",
    is_flag=True,
    help="Report users in no group, empty groups, unattached policies, direct "
    "policies, groups with identical policies, effective services per user.",
)
@click.option(
    "--who-can",
    "who_can",
    metavar="ACTION",
    help="Which users and roles can perform ACTION (e.g. s3:PutObject), and how.",
)
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=90,
    show_default=True,
    help="Usage window, in days back from each snapshot's time.",
)
@click.option("--account-id", help="AWS account id for ARNs (default: the first snapshot's).")
@click.option("--strict", is_flag=True, help="Fail (exit 2) on a file that cannot be parsed "
              "or an IAM declaration that cannot be fully evaluated.")
@tree_options
def graph(
    path: str,
    snapshots: tuple[str, ...],
    fmt: str | None,
    output: str | None,
    analyze: bool,
    who_can: str | None,
    days: int,
    account_id: str | None,
    strict: bool,
    var_file: tuple[str, ...],
    variables: tuple[str, ...],
) -> None:
    """Draw who is in which group with which policies reaching which services, or analyse it."""
    from lpgen.graph import GraphOptions, check_action, find_who_can, graph_of_tree
    from lpgen.graph import analyze as run_analysis
    from lpgen.graph_export import export_graph, render_analysis, render_who_can, write_binary

    asking = analyze or who_can is not None
    fmt = fmt or ("text" if asking else "dot")
    allowed = ANALYSIS_FORMATS if asking else GRAPH_FORMATS
    if fmt not in allowed:
        what = "--analyze/--who-can" if asking else "a graph export"
        raise click.UsageError(
            f"--format {fmt} is not available for {what} (choose from {', '.join(allowed)})"
        )
    if who_can is not None:
        check_action(who_can)
    if fmt == "png" and output is None and sys.stdout.isatty():
        raise click.UsageError("PNG is binary: write it to a file with -o FILE")
    result = graph_of_tree(
        path,
        snapshots=snapshot_args(snapshots),
        options=GraphOptions(days=days),
        inventory_options=inventory_options(
            var_file, variables, account_id=account_id, strict=strict
        ),
    )
    from lpgen.paths import display_root, prefix_under_root, shown_graph_files

    prefix = prefix_under_root(path, display_root(path))
    shown_graph_files(result.graph, prefix)
    for warning in result.warnings:
        click.echo(f"Warning: {prefix + '/' if prefix else ''}{warning}", err=True)
    if result.unevaluated is not None:
        click.echo(f"{'Error' if strict else 'Warning'}: {result.unevaluated}", err=True)
    data: str | bytes
    if analyze:
        data = render_analysis(result.graph, run_analysis(result, who_can=who_can), fmt)
    elif who_can is not None:
        data = render_who_can(result.graph, find_who_can(result, who_can), fmt)
    else:
        data = export_graph(result.graph, fmt)
    if isinstance(data, str):
        write_output(data, output)
    elif output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        write_binary(output, data)
    if strict and result.unevaluated is not None:
        click.get_current_context().exit(EXIT_USAGE)


# --- trim ------------------------------------------------------------------------------


@main.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--snapshot",
    "snapshots",
    multiple=True,
    required=True,
    type=click.Path(),
    metavar="SNAPSHOT",
    help="Access Advisor snapshot (repeatable: one per account the code is "
    "applied to; usage is the union), or a directory of per-account snapshots.",
)
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=90,
    show_default=True,
    help="An action unused for this many days before the snapshot goes.",
)
@click.option("--write", is_flag=True, help="Edit the files in place.")
@click.option(
    "--diff",
    is_flag=True,
    help="Print a unified diff (for git apply); the summary goes to stderr.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Write a trimmed copy of the tree to DIR.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Exit 1 when edits are pending (for CI); nothing is written.",
)
@format_option(["text", "json", "markdown"], "Report format")
@click.option(
    "--keep",
    multiple=True,
    metavar="ACTION",
    help="Always keep this action or pattern, on top of the default keep list "
    "and the config's (repeatable).",
)
@click.option(
    "--git/--no-git",
    "git",
    default=True,
    show_default=True,
    help="Keep actions whose line git says was added less than --days ago.",
)
@click.option(
    "--memberships",
    is_flag=True,
    help="Also remove users from groups whose grants they did not use in the window.",
)
@click.option(
    "--replace-aws-managed",
    is_flag=True,
    help="Replace each AWS-managed attachment of which only part was used by a "
    "customer-managed policy holding that part, written next to it.",
)
@click.option("--account-id", help="AWS account id for ARNs (default: the first snapshot's).")
@click.option(
    "--max-snapshot-age",
    type=click.IntRange(min=0),
    default=7,
    show_default=True,
    envvar="LPGEN_MAX_SNAPSHOT_AGE",
    show_envvar=True,
    metavar="DAYS",
    help="Warn when a snapshot is older than this (0: never).",
)
@output_option()
@tree_options
def trim(
    path: str,
    snapshots: tuple[str, ...],
    days: int,
    write: bool,
    diff: bool,
    out_dir: str | None,
    check: bool,
    fmt: tuple[str, ...],
    keep: tuple[str, ...],
    git: bool,
    memberships: bool,
    replace_aws_managed: bool,
    account_id: str | None,
    max_snapshot_age: int,
    output: tuple[str, ...],
    var_file: tuple[str, ...],
    variables: tuple[str, ...],
) -> None:
    """Remove the permissions Access Advisor shows unused from the policies in PATH.

    Decides per action with the evidence (last use, window, snapshot), then edits only the
    spans that hold removed actions. Without --write, --diff, --out or --check it only
    reports; --check prints one line per policy with edits pending (the full report with
    --format or -o). Exit status: 0 done (or nothing to do), 1 with --check when edits are
    pending, 2 bad input or a file that cannot be edited safely (then nothing is written).
    """
    from lpgen.paths import display_root, prefix_under_root
    from lpgen.rewrite import render_diff, write_copy, write_in_place
    from lpgen.trim import TrimOptions, run_trim
    from lpgen.trim_report import pending_lines, render_trim, shown_under, summary_line

    ctx = click.get_current_context()
    if write + diff + check + (out_dir is not None) > 1:
        raise click.UsageError("--write, --diff, --out and --check are mutually exclusive")
    mode = "write" if write else "diff" if diff else "check" if check else None
    if isinstance(fmt, str):
        fmt = (fmt,)
    if isinstance(output, str):
        output = (output,)
    outputs = plan_outputs(fmt, output, ["text", "json", "markdown"])
    if mode == "diff":  # stdout holds the diff: reports go to files only
        outputs = [(f, file) for f, file in outputs if file is not None]
    elif mode == "check" and not fmt:
        # A hook: one line per pending policy on stdout, unless --format asks for a report.
        outputs = [("pending", None), *((f, file) for f, file in outputs if file is not None)]
    config_keep = (ctx.default_map or {}).get("keep") or ()
    if isinstance(config_keep, str):
        config_keep = (config_keep,)
    if isinstance(keep, str):
        keep = (keep,)
    options = TrimOptions(
        days=days, keep=(*config_keep, *keep), use_git=git, memberships=memberships,
        replace_aws_managed=replace_aws_managed,
    )
    from lpgen.filetx import leftovers, recover

    # What an interrupted --write left: undone by the next --write, reported otherwise.
    for leftover in recover(Path(path)) if mode == "write" else leftovers(Path(path)):
        click.echo(f"Warning: {leftover}", err=True)
    result = run_trim(
        Path(path),
        snapshot_args(snapshots, covering=path),
        options=options,
        inventory_options=inventory_options(
            var_file, variables, account_id=account_id, strict=mode is not None or bool(out_dir)
        ),
    )
    from lpgen.snapshot import age_warning

    for info in result.snapshots:
        stale = age_warning(info, max_age_days=max_snapshot_age)
        if stale:
            click.echo(f"Warning: {stale}", err=True)
    for warning in result.warnings:
        click.echo(f"Warning: {warning} (file skipped)", err=True)
    if result.unevaluated is not None:
        click.echo(f"Warning: {result.unevaluated}", err=True)
    root = display_root(path)
    verbose(f"file names are relative to {root}")
    shown = shown_under(result, prefix_under_root(path, root))

    def render_one(f: str, _color: bool) -> str:
        return pending_lines(shown) if f == "pending" else render_trim(f, shown)

    if mode == "diff":
        click.echo(render_diff(result.changes), nl=False)
        emit(outputs, render_one)
        note(summary_line(result))
        return
    if mode == "write":
        written = write_in_place(result.root, result.changes)
        note(f"Wrote {len(written)} file{'s' if len(written) != 1 else ''}.")
    elif out_dir is not None:
        written = write_copy(result.root, Path(out_dir), result.changes)
        note(
            f"Wrote a copy of the tree to {out_dir} ({len(written)} file"
            f"{'s' if len(written) != 1 else ''} changed)."
        )
    emit(outputs, render_one)
    if mode == "check" and outputs[0][0] == "pending":
        note(summary_line(result))
    if mode == "check" and result.pending:
        ctx.exit(EXIT_FINDINGS)


# --- baseline ----------------------------------------------------------------------------


@main.command()
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Directory to write the Terraform module into.")
@click.option("--only", multiple=True, metavar="PART",
              help="Write only these parts: root-alert, password-policy, mfa, "
                   "access-analyzer, config-rules (repeatable).")
@click.option("--skip", multiple=True, metavar="PART", help="Leave these parts out (repeatable).")
@click.option("--name-prefix", default="iam-guardrails", show_default=True,
              help="Prefix of every resource name.")
@click.option("--alert-email", default="", help="Email subscribed to root-activity alerts.")
@click.option("--console-group", "console_groups", multiple=True,
              help="Group of console users that gets the MFA-enforcing policy (repeatable).")
@click.option("--analyzer-type", type=click.Choice(["account", "organization"]),
              default="account", show_default=True, help="Access Analyzer zone of trust.")
@click.option("--unused-access", is_flag=True, help="Also create an unused-access analyzer.")
@click.option("--max-key-age", type=click.IntRange(1, 3650), default=90, show_default=True,
              help="Days before an access key must be rotated (Config rule).")
@click.option("--max-credential-age", type=click.IntRange(1, 3650), default=90,
              show_default=True, help="Days without use before a credential counts as unused.")
@click.option("--password-min-length", type=click.IntRange(6, 128), default=14,
              show_default=True, help="Minimum password length.")
@click.option("--force", is_flag=True, help="Overwrite files in --out that differ.")
def baseline(
    out_dir: str,
    only: tuple[str, ...],
    skip: tuple[str, ...],
    name_prefix: str,
    alert_email: str,
    console_groups: tuple[str, ...],
    analyzer_type: str,
    unused_access: bool,
    max_key_age: int,
    max_credential_age: int,
    password_min_length: int,
    force: bool,
) -> None:
    """Write a Terraform module with the IAM guardrails the best practices call for."""
    from lpgen.baseline import BaselineOptions, select_parts, write_module

    options = BaselineOptions(
        parts=select_parts(only, skip),
        name_prefix=name_prefix,
        alert_email=alert_email,
        console_groups=console_groups,
        analyzer_type=analyzer_type.upper(),
        unused_access_analyzer=unused_access,
        max_access_key_age=max_key_age,
        max_credential_usage_age=max_credential_age,
        password_min_length=password_min_length,
    )
    written = write_module(Path(out_dir), options, force=force)
    if written:
        for path in written:
            click.echo(f"wrote {path}")
    else:
        click.echo(f"{out_dir} is up to date")


# --- check -----------------------------------------------------------------------------


def _codes(values: tuple[str, ...] | list[str] | str) -> tuple[str, ...]:
    """``--select LP01,LP02 --select LP1`` (or a config string/list) -> codes."""
    items = (values,) if isinstance(values, str) else tuple(values)
    return tuple(c.strip() for item in items for c in str(item).split(",") if c.strip())


@main.command()
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False))
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False),
              metavar="PLAN.json",
              help="A plan as JSON (terraform show -json PLAN): check what will be applied, "
              "and what the change adds and removes.")
@click.option("--snapshot", "snapshots", multiple=True, type=click.Path(),
              metavar="SNAPSHOT",
              help="Access Advisor snapshot: turns on the usage checks (repeatable; or a "
              "directory of per-account snapshots).")
@click.option("--base", "base_dir", type=click.Path(exists=True, file_okay=False),
              metavar="DIR",
              help="The tree before the change (e.g. a checkout of the target branch), to "
              "compare PATH against without a plan.")
@click.option("--days", type=click.IntRange(min=1), default=90, show_default=True,
              help="Usage window, in days back from each snapshot's time.")
@format_option(["text", "json", "sarif", "markdown", "github"])
@click.option("--fail-on", type=click.Choice(["info", "low", "medium", "high", "critical",
              "never"], case_sensitive=False), default="high", show_default=True,
              help="Exit 1 when a finding is at or above this severity.")
@click.option("--select", multiple=True, metavar="CODES",
              help="Run only these codes, code prefixes or rule names (comma separated, "
              "repeatable).")
@click.option("--ignore", multiple=True, metavar="CODES",
              help="Leave out these codes, code prefixes or rule names (comma separated, "
              "repeatable).")
@click.option("--baseline", type=click.Path(dir_okay=False), metavar="FILE",
              help="Leave out the findings listed in FILE (see --write-baseline).")
@click.option("--write-baseline", is_flag=True,
              help="Record the current findings in the --baseline FILE and exit 0.")
@click.option("--account-id", help="AWS account id the tree is applied to (default: the "
              "first snapshot's); tells this account from others in trust policies.")
@click.option("--git/--no-git", "git", default=True, show_default=True,
              help="As trim: keep actions whose line git says was added less than --days ago.")
@click.option("--strict", is_flag=True,
              help="Fail (exit 2) on a .tf file that cannot be parsed or an IAM declaration "
              "that cannot be fully evaluated, instead of warning.")
@click.option("--as-applied", is_flag=True,
              help="The variable values given are the ones applied: leave out findings on "
              "declarations they create no instance of (count 0, an empty for_each).")
@output_option()
@category_option
@tree_options
def check(
    path: str | None,
    plan_file: str | None,
    snapshots: tuple[str, ...],
    base_dir: str | None,
    days: int,
    fmt: tuple[str, ...],
    fail_on: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    baseline: str | None,
    write_baseline: bool,
    account_id: str | None,
    git: bool,
    strict: bool,
    as_applied: bool,
    output: tuple[str, ...],
    category: str | None,
    var_file: tuple[str, ...],
    variables: tuple[str, ...],
) -> None:
    """Check the IAM of a Terraform tree (PATH) and/or a plan before apply.

    Reports full admin and service-wide wildcards, privilege escalation, policies on users,
    access keys, console users without MFA enforcement, trust and resource policies open to
    other accounts, and keys written in the code. With --snapshot: permissions unused in the
    window (what trim would remove); with --plan or --base: new high-risk grants, and
    removals of what was used.

    Exit status: 0 no finding at or above --fail-on, 1 some, 2 bad input.
    """
    from dataclasses import replace
    from datetime import datetime, timezone

    from lpgen.check import CheckOptions, run_check
    from lpgen.findings import exit_code
    from lpgen.findings import write_baseline as save_baseline
    from lpgen.paths import display_root
    from lpgen.render import Report, render

    ctx = click.get_current_context()
    if path is None and plan_file is None:
        raise click.UsageError("give the Terraform PATH, --plan PLAN.json, or both")
    if write_baseline and not baseline:
        raise click.UsageError("--write-baseline needs --baseline FILE")
    outputs = plan_outputs(fmt, output, FINDINGS_FORMATS)
    options = CheckOptions(
        days=days,
        select=_codes(select),
        ignore=_codes(ignore),
        keep=_codes((ctx.default_map or {}).get("keep") or ()),
        use_git=git,
        baseline=None if write_baseline else baseline,
        as_applied=as_applied,
        today=datetime.now(timezone.utc).date(),
    )
    result = run_check(
        path,
        plan=plan_file,
        snapshots=snapshot_args(snapshots, covering=path),
        base=base_dir,
        options=options,
        inventory_options=inventory_options(
            var_file, variables, account_id=account_id, strict=strict
        ),
        names_root=display_root(path),
    )
    failed = False
    if result.inventory is not None:
        failed = warn_skipped(result.inventory, strict=strict)
    for line in result.notes:
        tell(line)
    if write_baseline:
        assert baseline is not None
        count = save_baseline(baseline, result.unbaselined)
        note(f"Wrote {count} finding{'s' if count != 1 else ''} to {baseline}.")
        return
    report = Report(findings=result.findings, command="check", rules=result.rules,
                    suppressed=result.suppressed, baselined=result.baselined,
                    quiet=is_quiet(),
                    **report_context("check", path, category, evidence=plan_file,
                                     sarif=any(f == "sarif" for f, _ in outputs)))
    verbose(f"file names are relative to {report.root}")
    emit(outputs, lambda f, color: render(f, replace(report, color=color)))
    ctx.exit(EXIT_USAGE if failed else exit_code(result.findings, fail_on))
