"""`lpgen check`: run the IAM checks over a tree and/or a plan; select, suppress, baseline.

The checks (:mod:`lpgen.checks`) only find. Which codes run (``--select``/``--ignore``),
which findings an inline ``# lpgen:ignore CODE reason`` silences, and which are already in
the baseline are decided here, in one place; the exit code is :func:`lpgen.findings.exit_code`.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from lpgen.errors import InputError
from lpgen.findings import (
    Finding,
    Rule,
    apply_suppressions,
    commented_reader,
    filter_new,
    load_baseline,
    register,
    rule,
    select_findings,
    sort_findings,
    suppressions_near_lines,
)
from lpgen.gcpause import collector_paused
from lpgen.memo import remembering
from lpgen.model import DECLARATION_LISTS, Inventory, Location
from lpgen.paths import prefix_under_root, relative_to_root

if TYPE_CHECKING:
    from lpgen.checks import Check, CheckContext
    from lpgen.inventory import InventoryOptions
    from lpgen.snapshot import Snapshot
    from lpgen.usage import UsageIndex

__all__ = ["CheckOptions", "CheckResult", "check_rules", "merge_instances", "run_check"]


@dataclass(frozen=True)
class CheckOptions:
    """What `lpgen check` runs and how it filters (a cache key too)."""

    # Usage window, in days back from each snapshot's time (as trim).
    days: int = 90
    # Codes, code prefixes or rule names to run / leave out (flake8's longest-match rule).
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    # Actions trim always keeps, on top of its default keep list (LP001 follows trim).
    keep: tuple[str, ...] = ()
    # Keep actions git says were added less than the window ago (LP001 follows trim).
    use_git: bool = True
    # A baseline file: findings whose fingerprint it lists are left out.
    baseline: str | None = None
    # The values given are the ones applied: leave out findings on declarations they create
    # no instance of (count 0, an empty for_each). Declarations whose instances are not known
    # are still checked.
    as_applied: bool = False
    # The day ``lpgen:ignore ... until=`` dates are compared with (the CLI: today, UTC);
    # None: no comment expires.
    today: date | None = None

    def __post_init__(self) -> None:
        if self.days < 1:
            raise InputError(f"--days must be at least 1 (got {self.days})")


@dataclass(frozen=True)
class CheckResult:
    """The findings to show, and what was left out and why."""

    findings: tuple[Finding, ...]
    # Selected and not suppressed, before the baseline: what --write-baseline records.
    unbaselined: tuple[Finding, ...]
    # The rules that ran (SARIF lists them).
    rules: tuple[Rule, ...]
    suppressed: int = 0
    baselined: int = 0
    notes: tuple[str, ...] = ()
    # The Terraform tree read from PATH, when given (for warnings about skipped files). With
    # a cache directory, only what those warnings need: root, files, warnings, unresolved.
    inventory: Inventory | None = None
    skipped_checks: tuple[str, ...] = field(default=())


def check_rules() -> list[Rule]:
    """Every rule `lpgen check` can report, by code."""
    from lpgen.checks import CHECKS

    return [rule(code) for check in CHECKS for code in check.codes]


def _selected_codes(options: CheckOptions) -> set[str]:
    probes = [Finding(code=r.code, severity=r.severity, message="") for r in check_rules()]
    kept = select_findings(probes, select=options.select, ignore=options.ignore)
    return {f.code for f in kept}


_NEEDS_TEXT = {
    "usage": "--snapshot",
    "change": "--plan or --base",
    "change+usage": "--snapshot and --plan (or --base)",
    "source": "PATH (the Terraform source)",
}


def run_check(
    path: str | os.PathLike[str] | None,
    *,
    plan: str | os.PathLike[str] | None = None,
    snapshots: Sequence[Snapshot | str | os.PathLike[str]] = (),
    base: str | os.PathLike[str] | None = None,
    options: CheckOptions | None = None,
    inventory_options: InventoryOptions | None = None,
    names_root: Path | None = None,
) -> CheckResult:
    """Read the inputs, run every selected check whose inputs are given, filter, sort.

    A source-only run (no plan, no base) with a cache directory is answered from the cache
    when the tree, the snapshot files, the baseline file and the options are unchanged.
    """
    cache_dir = inventory_options.cache_dir if inventory_options is not None else None
    if (
        cache_dir is None
        or path is None
        or plan is not None
        or base is not None
        or any(not isinstance(s, (str, os.PathLike)) for s in snapshots)
    ):
        return _run_check(path, plan=plan, snapshots=snapshots, base=base, options=options,
                          inventory_options=inventory_options,
                          names_root=names_root)  # fmt: skip
    from lpgen.terraform.cache import cached_result, file_digest, git_head

    opts = options or CheckOptions()
    root = Path(path).resolve()
    parts = [
        "check",
        os.fspath(path),
        repr(opts),
        repr(inventory_options),
        str(names_root),
        *(file_digest(Path(s)) for s in snapshots),  # type: ignore[arg-type]
        file_digest(Path(opts.baseline)) if opts.baseline is not None else "",
        git_head(root) if opts.use_git and snapshots else "",
    ]
    result: CheckResult = cached_result(
        cache_dir,
        root,
        parts,
        lambda: _for_reports(
            _run_check(
                path,
                snapshots=snapshots,
                options=opts,
                inventory_options=inventory_options,
                names_root=names_root,
            )
        ),
        files_of=lambda r: r.inventory.files if r.inventory is not None else [],
        exclude=inventory_options.exclude if inventory_options is not None else (),
        expected=CheckResult,
    )
    # A result read from the cache was made without importing the checks, which register
    # their rules (reports name each finding's rule): its rules are the ones that ran.
    for r in result.rules:
        register(r)
    return result


def _for_reports(result: CheckResult) -> CheckResult:
    """``result`` with only what its report needs of the tree: the root, the files read, the
    files skipped and the declarations not fully evaluated (the warnings).

    A cached result is kept and read back whole on every run; the entities of a big tree
    would be most of it, and nothing reads them once the findings are made.
    """
    inv = result.inventory
    if inv is None:
        return result
    kept = Inventory(
        root=inv.root,
        account_id=inv.account_id,
        partition=inv.partition,
        unresolved=list(inv.unresolved),
        warnings=list(inv.warnings),
        files=list(inv.files),
    )
    return replace(result, inventory=kept)


def _run_check(
    path: str | os.PathLike[str] | None,
    *,
    plan: str | os.PathLike[str] | None = None,
    snapshots: Sequence[Snapshot | str | os.PathLike[str]] = (),
    base: str | os.PathLike[str] | None = None,
    options: CheckOptions | None = None,
    inventory_options: InventoryOptions | None = None,
    names_root: Path | None = None,
) -> CheckResult:
    from lpgen.checks import CHECKS, CheckContext
    from lpgen.checks.context import short_list
    from lpgen.inventory import InventoryOptions, build_inventory

    opts = options or CheckOptions()
    if path is None and plan is None:
        raise InputError("give the Terraform PATH, a --plan, or both")
    if base is not None and plan is not None:
        raise InputError("--base and --plan both give the state before the change: use one")
    if base is not None and path is None:
        raise InputError("--base compares against PATH: give PATH too")
    selected = _selected_codes(opts)
    loaded = _load_snapshots(snapshots)
    inv_opts = inventory_options or InventoryOptions()
    if inv_opts.account_id is None and loaded:
        inv_opts = replace(inv_opts, account_id=loaded[0].account_id,
                           partition=loaded[0].partition)  # fmt: skip
    accounts = {s.account_id for s in loaded}
    if inv_opts.account_id:
        accounts.add(inv_opts.account_id)

    source = build_inventory(Path(path), options=inv_opts) if path is not None else None
    if source is not None:
        accounts |= {a.account_id for a in source.account_sources}
    before: Inventory | None = None
    plan_file: str | None = None
    if plan is not None:
        from lpgen.plan import load_plan, plan_inventories

        parsed = load_plan(plan)
        plan_file = parsed.file
        accounts |= parsed.account_ids()
        before, inventory = plan_inventories(
            parsed, source=source, account_id=inv_opts.account_id, partition=inv_opts.partition
        )
    else:
        assert source is not None
        inventory = source
        if base is not None:
            before = build_inventory(Path(base), options=inv_opts)

    ctx = CheckContext(
        inventory=inventory,
        options=opts,
        source=source,
        before=before,
        usage=_usage_index(loaded),
        accounts=frozenset(accounts),
        root=Path(source.root) if source is not None else None,
        plan_file=plan_file,
        exclude=inv_opts.exclude,
    )
    findings: list[Finding] = []
    ran: list[Rule] = []
    skipped: list[str] = []
    unread = unreadable_documents(inventory)
    if unread:
        ctx.notes.append(
            f"Note: {len(unread)} policy document(s) hold values that are not known and were not "
            "judged: "
            + short_list(unread, 3)
            + "."
        )
    # What the checks judge of one policy or document is made once, though the declarations
    # of unknown count send the tree's declarations through the checks a second time. The
    # collector is paused meanwhile: the checks free what they allocate as they go, but the
    # action catalog they load (some MB of JSON, kept) would trigger its passes again and again.
    with remembering(), collector_paused():
        for check in CHECKS:
            codes = [c for c in check.codes if c in selected]
            if not codes:
                continue
            missing = [n for n in check.needs if not ctx.has(n)]
            if missing:
                skipped.extend(codes)
                if opts.select and any(c in selected for c in codes):
                    ctx.notes.append(
                        f"Note: {', '.join(codes)} not run: needs {_NEEDS_TEXT[missing[0]]}."
                    )
                continue
            ran.extend(rule(c) for c in codes)
            findings.extend(f for f in _run(check, ctx) if f.code in selected)
        if plan is None and source is not None:
            findings.extend(_conditional_findings(ctx, source, findings, selected, opts))

    # Files are named relative to ``root`` (the CLI passes the repository root, see
    # lpgen.paths); without one, relative to the current directory (PATH as typed).
    root = names_root or Path()
    if names_root is None:
        base_dir = None if path is None or os.path.normpath(path) == "." else os.fspath(path)
    else:
        base_dir = prefix_under_root(path, names_root) if path is not None else None
    findings = merge_instances(_rebase(f, base_dir, plan_file) for f in findings)
    if plan_file is not None:
        shown_plan = relative_to_root(plan_file, root) or plan_file
        findings = [replace(f, file=shown_plan) if f.file == plan_file else f for f in findings]
    findings = select_findings(findings, select=opts.select, ignore=opts.ignore)
    resources = _resource_locations(inventory, source, base_dir, plan_file)
    for address, loc in list(resources.items()):
        resources.setdefault(_INSTANCE_KEY.sub("", address), loc)
    kept, suppressed, warnings = _suppress(
        findings, resources, commented_reader(root), today=opts.today
    )
    notes = list(ctx.notes) + warnings
    shown = kept
    baselined = 0
    if opts.baseline is not None:
        shown, known = filter_new(kept, load_baseline(opts.baseline))
        baselined = len(known)
    return CheckResult(
        findings=tuple(sort_findings(shown)),
        unbaselined=tuple(sort_findings(kept)),
        rules=tuple(ran),
        suppressed=suppressed,
        baselined=baselined,
        notes=tuple(notes),
        inventory=source,
        skipped_checks=tuple(skipped),
    )


def _load_snapshots(snapshots: Sequence[Snapshot | str | os.PathLike[str]]) -> list[Snapshot]:
    if not snapshots:
        return []  # the snapshot reader is not even imported
    from lpgen.snapshot import Snapshot, load_snapshot

    return [s if isinstance(s, Snapshot) else load_snapshot(Path(s)) for s in snapshots]


def _usage_index(loaded: list[Snapshot]) -> UsageIndex | None:
    if not loaded:
        return None
    from lpgen.usage import UsageIndex

    return UsageIndex.from_snapshots(loaded)


# What a declaration grants, exposes or leaks on its own: judged also for declarations with no
# instance or an unknown number. Rules about relations between instances (members, repeated
# documents, users without groups) are not: a stand-in instance has none.
CONDITIONAL_CODES = frozenset(
    {
        "LP010", "LP011", "LP012", "LP013", "LP014", "LP015", "LP016", "LP017", "LP018",
        "LP028", "LP029", "LP030", "LP031", "LP035", "LP040", "LP041", "LP042", "LP043", "LP044",
    }
)  # fmt: skip


def _conditional_findings(
    ctx: CheckContext,
    source: Inventory,
    found: list[Finding],
    selected: set[str],
    opts: CheckOptions,
) -> list[Finding]:
    """Findings on declarations with no instance, or an unknown number, under the values given.

    They were evaluated once with what is known (``Inventory.conditional``); the checks that
    need nothing but the inventory run over it together with the rest of the tree, and what
    they find on those declarations is kept, marked with the reason.
    """
    from lpgen.accounting import declaration_of
    from lpgen.checks import CHECKS

    extra = source.conditional
    if extra is None or not source.conditions:
        return []
    not_instantiated = {u.address for u in source.not_instantiated}
    combined = replace(source, conditional=None)
    for name in DECLARATION_LISTS:
        setattr(combined, name, [*getattr(source, name), *getattr(extra, name)])
    cctx = replace(ctx, inventory=combined, source=combined, notes=[])
    seen = {f.fingerprint for f in found}
    # The same code already judged at an instance (another root, another module call):
    # nothing to add, and it is not one more instance.
    judged = {_judged_key(f) for f in found if f.address is not None}
    out: list[Finding] = []
    for check in CHECKS:
        codes = [c for c in check.codes if c in selected and c in CONDITIONAL_CODES]
        if check.needs or not codes:
            continue
        for f in _run(check, cctx):
            decl = declaration_of(f.address) if f.address else None
            reason = source.conditions.get(decl) if decl else None
            if reason is None or f.code not in codes or f.fingerprint in seen:
                continue
            if f.address is not None and _judged_key(f) in judged:
                continue
            if decl in not_instantiated:
                if opts.as_applied:
                    continue
                mark = f"not instantiated: {reason}"
            else:
                mark = f"instances not known: {reason}"
            seen.add(f.fingerprint)
            out.append(replace(f, message=f"{f.message} ({mark})"))
    return out


_INSTANCE_KEY = re.compile(r"\[[^\]]*\]")


def unreadable_documents(inv: Inventory) -> list[str]:
    """``file:line address (why)`` of every policy document the checks could not judge because
    a value in it is not known. One that can never be read is finding LP029 instead."""
    docs = [(p.address, p.location, p.document) for p in inv.policies]
    docs += [(r.address, r.location, r.assume_role_policy) for r in inv.roles]
    docs += [(p.address, p.location, p.document) for p in inv.resource_policies]
    docs += [(p.address, p.location, p.policy.document) for p in inv.permission_set_policies
             if p.policy is not None]  # fmt: skip
    out: list[str] = []
    for address, loc, doc in docs:
        if doc is None or doc.unknown_reason is None or doc.unknown_reason == "no policy document":
            continue
        if doc.invalid is not None:
            continue
        where = doc.location or loc
        out.append(f"{where.file}:{where.line} {address} ({doc.unknown_reason})")
    return list(dict.fromkeys(out))


def merge_instances(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per block and rule: the findings of one code at one place for several
    instances of a block (``count``/``for_each``, a module called several times or from
    several roots) become one, naming the instances.

    The merged finding takes the block's address with instance keys removed
    (``aws_iam_policy.team``); when the instances come from different module calls, the
    first of their addresses in order. Findings without an address are left as they are.
    """
    from lpgen.checks.context import short_list

    groups: dict[tuple[object, ...], list[Finding]] = {}
    order: list[tuple[object, ...]] = []
    for n, f in enumerate(findings):
        if f.address is None or f.file is None:
            key: tuple[object, ...] = ("single", n)
        else:
            key = _judged_key(f)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(f)
    out: list[Finding] = []
    for key in order:
        items = groups[key]
        first = items[0]
        distinct = list(dict.fromkeys(i.address or "" for i in items))
        if len(items) == 1 or len(distinct) == 1:
            # One instance reached from several roots (a shared module) is one finding.
            out.append(replace(first, severity=max(i.severity for i in items)))
            continue
        bases = sorted(dict.fromkeys(_INSTANCE_KEY.sub("", a) for a in distinct))
        if len(bases) == 1:
            shown = short_list((_instance_part(a) for a in distinct), 6)
        else:
            shown = short_list(distinct, 4)
        message = f"{first.message}; in {len(distinct)} instances: {shown}"
        worst = max(i.severity for i in items)
        out.append(replace(first, address=bases[0], severity=worst, message=message))
    return out


def _judged_key(f: Finding) -> tuple[object, ...]:
    """What merge_instances merges a finding by: one rule at one place of one block."""
    assert f.address is not None
    return (f.code, f.file, f.line, f.qualifier, f.subject, _block_of(f.address))


def _block_of(address: str) -> str:
    """``module.a["x"].aws_kms_key.k[0]`` -> ``aws_kms_key.k``: the block, wherever called."""
    parts = _INSTANCE_KEY.sub("", address).split(".")
    return ".".join(parts[-3:] if len(parts) >= 3 and parts[-3] == "data" else parts[-2:])


def _instance_part(address: str) -> str:
    """``module.team["a"].aws_iam_policy.p[0]`` -> ``["a"][0]``: what tells instances apart."""
    return "".join(_INSTANCE_KEY.findall(address)) or address


def _run(check: Check, ctx: CheckContext) -> Iterable[Finding]:
    return list(check.func(ctx))


def _rebase(f: Finding, base: str | None, plan_file: str | None) -> Finding:
    """Make a tree-relative file relative to the repository root (``base``: PATH under it)."""
    if f.file is None or f.file == plan_file or base is None or posixpath.isabs(f.file):
        return f
    joined = posixpath.normpath(posixpath.join(Path(base).as_posix(), f.file))
    return replace(f, file=joined)


def _resource_locations(
    inventory: Inventory, source: Inventory | None, base: str | None, plan_file: str | None
) -> dict[str, Location]:
    """Address -> the location of its resource block (rebased like findings)."""
    out: dict[str, Location] = {}
    conditional = source.conditional if source is not None else None
    for inv in (source, inventory, conditional):
        if inv is None:
            continue
        for items in (
            inv.groups, inv.users, inv.roles, inv.policies, inv.attachments, inv.memberships,
            inv.access_keys, inv.login_profiles, inv.password_policies, inv.resource_policies,
            inv.permission_sets, inv.permission_set_policies, inv.account_assignments,
        ):  # fmt: skip
            for item in items:
                loc = item.location
                if loc.file == plan_file or item.address in out:
                    continue
                file = loc.file
                if base is not None and not posixpath.isabs(file):
                    file = posixpath.normpath(posixpath.join(Path(base).as_posix(), file))
                out[item.address] = Location(file, loc.line)
    return out


_read_commented = commented_reader(Path())


def _suppress(
    findings: list[Finding],
    resources: dict[str, Location],
    read: Callable[[str], str | None] = _read_commented,
    *,
    today: date | None = None,
) -> tuple[list[Finding], int, list[str]]:
    """Inline ``lpgen:ignore`` comments, at the finding's line or at its resource's block."""
    outcome = apply_suppressions(findings, read, today=today)
    expired = list(outcome.expired)
    suppressed = len(outcome.suppressed)
    kept: list[Finding] = []
    texts: dict[str, list[str] | None] = {}  # each file split into lines once
    for f in outcome.kept:
        loc = resources.get(f.address) if f.address else None
        if loc is None or (loc.file, loc.line) == (f.file, f.line):
            kept.append(f)
            continue
        if loc.file not in texts:
            source = read(loc.file)
            texts[loc.file] = source.splitlines() if source else None
        text = texts[loc.file]
        near = suppressions_near_lines(text, loc.line, file=loc.file) if text else []
        if any(s.honours(f.code, today) for s in near):
            suppressed += 1
        else:
            expired += [s for s in near if s.honours(f.code) and s not in expired]
            kept.append(f)
    outcome.expired = expired
    return kept, suppressed, outcome.warnings()
