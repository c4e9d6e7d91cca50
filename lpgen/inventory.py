"""Build the IAM inventory of a Terraform tree, and render it as text or JSON."""

from __future__ import annotations

import gc
import json
import os
import pickle
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from lpgen.model import (
    DECLARATION_LISTS,
    AccessKey,
    Attachment,
    DocumentSource,
    Group,
    Guardrail,
    Inventory,
    Location,
    LoginProfile,
    Membership,
    PasswordPolicy,
    Policy,
    PolicyDocument,
    Role,
    Unresolved,
    User,
)
from lpgen.policydoc import document_from_value
from lpgen.sso import SSO_DATA_TYPES, SSO_RESOURCE_TYPES, root_of
from lpgen.terraform.relevance import RESOURCE_POLICY_TYPES
from lpgen.terraform.values import SStr, Unknown

if TYPE_CHECKING:
    # The reader (and its parser) is imported when a tree is read, not by a run answered
    # from the cache.
    from lpgen.terraform.loader import Instance, LoadOptions

IAM_RESOURCE_TYPES = frozenset(
    {
        "aws_iam_group",
        "aws_iam_user",
        "aws_iam_role",
        "aws_iam_policy",
        "aws_iam_group_membership",
        "aws_iam_user_group_membership",
        "aws_iam_group_policy_attachment",
        "aws_iam_user_policy_attachment",
        "aws_iam_role_policy_attachment",
        "aws_iam_policy_attachment",
        "aws_iam_group_policy_attachments_exclusive",
        "aws_iam_user_policy_attachments_exclusive",
        "aws_iam_role_policy_attachments_exclusive",
        "aws_iam_group_policy",
        "aws_iam_user_policy",
        "aws_iam_role_policy",
        "aws_iam_access_key",
        "aws_iam_user_login_profile",
        "aws_iam_account_password_policy",
    }
)


# Account-wide guardrails the checks look for (LP050-LP053).
GUARDRAIL_TYPES = frozenset({"aws_cloudwatch_event_rule", "aws_accessanalyzer_analyzer"})


@dataclass(frozen=True)
class InventoryOptions:
    """How to read a tree: variable values, the account for ARNs, strictness."""

    var_files: tuple[str, ...] = ()
    variables: tuple[tuple[str, str], ...] = ()
    account_id: str | None = None
    partition: str = "aws"
    strict: bool = False
    # Where parse results are cached (None: no cache); worker processes for parsing.
    cache_dir: Path | None = None
    jobs: int | None = None
    # Glob patterns (relative to PATH) of files and directories not to read.
    exclude: tuple[str, ...] = ()
    # The selected workspace (terraform.workspace); None: not known.
    workspace: str | None = None
    # TF_VAR_<name> environment variables as (name, raw value).
    env_variables: tuple[tuple[str, str], ...] = ()
    # The order var_files and variables were given in ("file", "var", ...); () for all the
    # files, then all the variables.
    var_order: tuple[str, ...] = ()


def build_inventory(path: str | Path, *, options: InventoryOptions | None = None) -> Inventory:
    """Read every IAM declaration under ``path`` into an :class:`Inventory`.

    With ``options.cache_dir``, a tree whose files are all unchanged since an earlier run with
    the same options is answered from the cache without parsing or evaluating anything; after
    an edit, only the root modules that read an edited file are read again.
    """
    opts = options or InventoryOptions()
    if opts.cache_dir is None:
        return _build(Path(path), opts)
    from lpgen.terraform.cache import ResultCache

    cache = ResultCache(opts.cache_dir)
    root = Path(path).resolve()
    key = cache.tree_key(root, repr(opts), exclude=opts.exclude)
    cached = cache.load(key, root)
    if isinstance(cached, Inventory):
        return cached
    merged = _merged_from_cache(cache, root, cached, opts)
    if merged is not None:
        return merged
    parts: list[str] = []
    inv = _build(Path(path), opts, parts)
    if not inv.warnings:  # a tree with unparseable files is not worth keeping
        # Read root by root, every root's partial in the cache: the entry names them (the
        # merge is cheap), instead of holding the whole inventory again.
        cache.store(key, root, {"parts": parts} if parts else inv, inv.files)
    return inv


def _merged_from_cache(
    cache: Any, root: Path, entry: object, opts: InventoryOptions
) -> Inventory | None:
    """The inventory a whole-tree entry naming the partials of its roots stands for (merged
    as the read that stored them merged them); None when one of them is missing or stale."""
    if not (isinstance(entry, dict) and entry.keys() == {"parts"}):
        return None
    keys = entry["parts"]
    if not (isinstance(keys, list) and len(keys) >= 2 and all(type(k) is str for k in keys)):
        return None
    partials = []
    for k in keys:
        part = _partial_from_cache(cache.load(k, root, dict))
        if part is None:
            return None
        partials.append(part)
    return _merge(partials, opts)


# A tree needing less text than this parsed is read in one process (starting a worker, and
# pickling its partials back, costs more than it saves). With this process reading a group
# itself, 150 KB is enough: a module library's examples spend most of their time evaluating.
PARALLEL_MIN_CHARS = 150_000


@dataclass
class _Partial:
    """What reading some root modules gives, before policies are matched across them."""

    inv: Inventory
    policy_refs: list[tuple[Attachment, Any]]
    conditional_refs: list[tuple[Attachment, Any]]
    unresolved: list[Unresolved]
    warnings: list[Unresolved]
    not_followed: list[Unresolved]
    used_files: set[str]


def _load_options(opts: InventoryOptions, only_roots: tuple[Path, ...] | None) -> LoadOptions:
    from lpgen.terraform.loader import LoadOptions

    return LoadOptions(
        var_files=opts.var_files,
        variables=opts.variables,
        account_id=opts.account_id,
        partition=opts.partition,
        strict=opts.strict,
        cache_dir=opts.cache_dir,
        jobs=opts.jobs,
        exclude=opts.exclude,
        only_roots=only_roots,
        workspace=opts.workspace,
        env_variables=opts.env_variables,
        var_order=opts.var_order,
    )


def _collect(
    path: Path,
    opts: InventoryOptions,
    only_roots: tuple[Path, ...] | None,
    scanned: Any = None,
    release_all: bool = False,
) -> _Partial:
    # Parsing and evaluating allocate millions of small objects and free almost none of them
    # until the end: the cyclic garbage collector's passes over them find nothing and cost
    # more than half the time. It is paused while the tree is read, and what the reading
    # leaves alive (the inventory, caches) is kept out of its generations afterwards (see
    # lpgen.gcpause): its next pass would take as long again as the reading.
    from lpgen.gcpause import collector_paused

    with collector_paused():
        return _collect_unpaused(path, opts, only_roots, scanned, release_all)


def _collect_unpaused(
    path: Path,
    opts: InventoryOptions,
    only_roots: tuple[Path, ...] | None,
    scanned: Any = None,
    release_all: bool = False,
) -> _Partial:
    from lpgen.accounting import Accountant
    from lpgen.terraform.loader import load_tree, release, walk_instances

    tree, roots = load_tree(path, _load_options(opts, only_roots), scanned)
    inv = Inventory(root=str(tree.root), account_id=opts.account_id, partition=opts.partition)
    builder = _Builder(inv)
    inv.conditional = Inventory(
        root=inv.root, account_id=opts.account_id, partition=opts.partition
    )
    conditional = _Builder(inv.conditional)
    accountant = Accountant(inv, builder, conditional)
    read: list[Any] = []
    for mi in walk_instances(tree, roots):
        read.append(mi)
        for obj in mi.resource_objs("managed"):
            if (
                obj.rtype in IAM_RESOURCE_TYPES
                or obj.rtype in RESOURCE_POLICY_TYPES
                or obj.rtype in GUARDRAIL_TYPES
                or obj.rtype in SSO_RESOURCE_TYPES
            ):
                accountant.account(
                    obj, iam=obj.rtype in IAM_RESOURCE_TYPES or obj.rtype in SSO_RESOURCE_TYPES
                )
                obj.block.forget()  # a big file's block is read again if ever needed
        for obj in mi.resource_objs("data"):
            if obj.rtype == "aws_iam_policy_document":
                accountant.account(obj, iam=False)
                obj.block.forget()
            elif obj.rtype in SSO_DATA_TYPES:
                # Accounted for as the resources are: an unknown count counts, count 0 is
                # listed under "Not instantiated".
                accountant.account(obj, iam=True)
    from lpgen.declared_accounts import declared_accounts

    for mi in roots:
        inv.account_sources.extend(declared_accounts(mi))
    part = _Partial(
        inv, builder.policy_refs, conditional.policy_refs, tree.unresolved, tree.warnings,
        tree.not_followed, set(tree.used_files),
    )
    global _read_chars
    _read_chars += tree.parsed_chars
    if release_all or _read_chars >= RELEASE_AFTER_CHARS:
        release(read)  # freed by reference counting now, not by the collector's next pass
    return part


# Characters of .tf text read by this process's reads of root modules so far. Once a process
# has read this much, each root's read is freed as soon as it is done (its reference cycles
# broken, see lpgen.terraform.loader.release): freeing costs time, about a tenth of a read,
# which is not worth paying for a tree this small (what it keeps is a few hundred MB at most).
RELEASE_AFTER_CHARS = 2_000_000
_read_chars = 0


def _dedupe(items: Iterable[Unresolved], key: Any) -> list[Unresolved]:
    seen: set[Any] = set()
    out = []
    for u in items:
        k = key(u)
        if k not in seen:
            seen.add(k)
            out.append(u)
    return out


def _merge(partials: list[_Partial], opts: InventoryOptions) -> Inventory:
    """Join partial inventories (in root order) exactly as one sequential read would."""
    first = partials[0].inv
    inv = Inventory(root=first.root, account_id=opts.account_id, partition=opts.partition)
    for part in partials:
        for name in (*DECLARATION_LISTS, "unresolved", "not_instantiated", "account_sources"):
            getattr(inv, name).extend(getattr(part.inv, name))
        _merge_conditional(inv, part.inv)
    builder = _Builder(inv)
    builder.policy_refs = [ref for part in partials for ref in part.policy_refs]
    builder.finish()
    if inv.conditional is not None:
        cond = _Builder(inv.conditional)
        cond.policy_refs = [ref for part in partials for ref in part.conditional_refs]
        cond.finish(also=inv.policies, beside=inv)
    inv.unresolved.extend(
        _dedupe((u for p in partials for u in p.unresolved), lambda u: (u.address, u.message))
    )
    warnings = _dedupe(
        (w for p in partials for w in p.warnings),
        lambda w: (w.address, w.message, w.location.line if w.location else None),
    )
    inv.warnings.extend(
        sorted(warnings, key=lambda w: (w.address, w.location.line if w.location else 0))
    )
    inv.modules_not_followed.extend(
        _dedupe((u for p in partials for u in p.not_followed), lambda u: (u.address, u.message))
    )
    inv.files = sorted(set().union(*(p.used_files for p in partials)))
    return inv


def _merge_conditional(inv: Inventory, part: Inventory) -> None:
    if part.conditional is None:
        return
    if inv.conditional is None:
        inv.conditional = Inventory(
            root=inv.root, account_id=inv.account_id, partition=inv.partition
        )
    for name in (*DECLARATION_LISTS, "unresolved"):
        getattr(inv.conditional, name).extend(getattr(part.conditional, name))
    inv.conditions.update(part.conditions)


# Read in parallel only when the busiest worker has at most this share of the text a serial
# read parses: each worker parses every module its roots call, so roots sharing nearly all
# of their modules would parse them once per worker and save little. Below it, evaluating
# each root (its own module instances) is split even where parsing is partly repeated: a
# library's examples (terraform-aws-eks, 0.83 of its text in the busiest of two groups) are
# read in 0.39 s instead of 0.47 s.
PARALLEL_MAX_SHARE = 0.9


def _parallel_groups(
    plan: Any, roots: list[tuple[Path, int]], workers: int
) -> list[tuple[Path, ...]] | None:
    """How to split ``roots`` between ``workers`` processes, or None to read them in this one
    (too little text, or too much of it shared between the groups)."""
    if workers < 2 or len(roots) < 2:
        return None
    weight = {
        d: sum(len(i.source.text) for i in infos if i.relevant or i.defines)
        for d, infos in plan.infos.items()
    }

    def parsed(dirs: Iterable[Path]) -> int:  # the text a read of these roots parses
        return sum(weight[d] for d in plan.reachable(dirs))

    order = [d for d, _ in roots]
    whole = parsed(order)
    if whole < PARALLEL_MIN_CHARS:
        return None
    # Longest first, each root to the group whose text grows least with it (a module its
    # roots call already is not parsed again). Each group is read longest first too, so that
    # what another process may take from its end (_Claims) is its smallest roots; the partial
    # inventories are put back in tree order (_read_roots), so that they merge as one read
    # would.
    rank = {d: n for n, d in enumerate(order)}
    runs: list[list[Path]] = [[] for _ in range(workers)]
    sizes = [0] * workers
    for d in sorted(order, key=lambda d: (-parsed([d]), rank[d])):
        grown = [parsed([*run, d]) for run in runs]
        best = min(range(workers), key=lambda k: (grown[k], k))
        runs[best].append(d)
        sizes[best] = grown[best]
    groups = [tuple(run) for run in runs if run]
    if len(groups) < 2 or max(sizes) > whole * PARALLEL_MAX_SHARE:
        return None
    return groups


def _build(path: Path, opts: InventoryOptions, parts: list[str] | None = None) -> Inventory:
    """Read the tree; big trees with several root modules are read in parallel processes.
    Read root by root with every root's partial in the cache, their keys (in root order) are
    appended to ``parts``."""
    workers = opts.jobs if opts.jobs is not None else min(os.cpu_count() or 1, 8)
    if opts.cache_dir is not None:
        per_root = _build_per_root(path, opts, workers, parts)
        if per_root is not None:
            return per_root
    scanned: Any = None
    if workers > 1:
        from lpgen.terraform.loader import scan_tree

        root = path.resolve()
        if root.is_dir():
            scanned = scan_tree(root, opts.exclude)
            roots = scanned[2].roots()
            groups = _parallel_groups(scanned[2], roots, workers)
            if groups is not None:
                # Each worker reads its roots one by one, freeing each one's read before
                # the next (as with a cache, without storing anything): merged as a whole
                # read would be, with the memory of one root's read per worker.
                pairs = _read_roots(path, opts, roots, scanned, workers, groups)
                return _merge([part for _, part in pairs], opts)
    if scanned is None:
        from lpgen.terraform.loader import shared_scan

        scanned = shared_scan(path.resolve(), opts.exclude)
    return _merge([_collect(path, opts, None, scanned)], opts)


def _build_per_root(
    path: Path, opts: InventoryOptions, workers: int, parts: list[str] | None = None
) -> Inventory | None:
    """Read the tree root module by root module, each one's partial cached under the content
    of the files it reaches: after an edit only the roots that read the edited file are read
    again. None when the tree has fewer than two roots, or directories no root reaches (a
    module cycle): those are read whole, as before."""
    from lpgen.terraform.cache import ResultCache
    from lpgen.terraform.loader import scan_tree

    assert opts.cache_dir is not None
    root = path.resolve()
    if not root.is_dir():
        return None
    found, skipped, plan = scan_tree(root, opts.exclude)
    roots = plan.roots()
    reach = {d: plan.reachable([d]) for d, _ in roots}
    if len(roots) < 2 or set().union(*reach.values()) != plan.matter:
        return None
    cache = ResultCache(opts.cache_dir)
    keys = {
        d: cache.root_key(
            root,
            repr(opts),
            d,
            {r: [(i.source.rel, i.source.text) for i in plan.infos[r]] for r in reach[d]},
            skipped,
        )
        for d, _ in roots
    }
    partials: dict[Path, _Partial] = {}
    for d, _ in roots:
        found_part = _partial_from_cache(cache.load(keys[d], root, dict))
        if found_part is not None:
            partials[d] = found_part
    missing = [(d, w) for d, w in roots if d not in partials]
    scanned = (found, skipped, plan)
    kept = True
    for d, part in _read_roots(path, opts, missing, scanned, workers):
        partials[d] = part
        value = _partial_to_cache(part)
        stored = value is not None and not part.warnings
        if stored:
            stored = cache.store(keys[d], root, value, sorted(part.used_files))
        kept = kept and stored
    if kept and parts is not None:
        parts.extend(keys[d] for d, _ in roots)
    return _merge([partials[d] for d, _ in roots], opts)


def _read_roots(
    path: Path,
    opts: InventoryOptions,
    roots: list[tuple[Path, int]],
    scanned: Any,
    workers: int,
    groups: list[tuple[Path, ...]] | None = None,
) -> list[tuple[Path, _Partial]]:
    """One partial per root module, read in parallel processes when there is enough text
    (``groups``: the split, when the caller has made it already)."""
    if groups is None:
        groups = _parallel_groups(scanned[2], roots, workers)
    if groups is None:
        return _read_here(path, opts, [d for d, _ in roots], scanned)
    from lpgen.terraform.parse import preload

    global _CLAIMS
    preload()  # load the reader once, before the workers fork
    _CLAIMS = _Claims.made(groups)  # inherited by the workers forked below
    if _CLAIMS is not None:
        _CLAIMS.read = (path, opts, groups, scanned)
    try:
        results = _read_in_parallel(path, opts, groups, scanned, _CLAIMS)
    finally:
        _CLAIMS = None
    rank = {d: n for n, (d, _) in enumerate(roots)}
    return sorted((pair for result in results for pair in result),
                  key=lambda pair: rank[pair[0]])  # fmt: skip


def _read_in_parallel(
    path: Path,
    opts: InventoryOptions,
    groups: list[tuple[Path, ...]],
    scanned: Any,
    claims: _Claims | None,
) -> list[list[tuple[Path, _Partial]]]:
    """The partials of ``groups``: the first read here, the others by worker processes
    (see _Claims for who reads what)."""
    from concurrent.futures import ProcessPoolExecutor

    from lpgen.terraform import workers as kept_workers

    pool = ProcessPoolExecutor(max_workers=len(groups) - 1)
    kept = False
    try:
        # Forked workers find what to read in the claims they inherit (the scan holds every
        # file's text: pickled to them, it would reach them late); others are sent it.
        futures = [pool.submit(_collect_roots_worker,
                               k if claims is not None else (path, opts, groups, k, scanned))
                   for k in range(1, len(groups))]  # fmt: skip
        keep = claims is not None and kept_workers.wanted()
        if keep:
            # trim checks the files it rewrites next: each worker, done reading, loads the
            # checker at once, while this process ends its reads and plans the edits (see
            # lpgen.terraform.workers).
            from lpgen.terraform.parse import preload_verifier

            for _ in range(len(groups) - 1):
                pool.submit(preload_verifier)
        # One group is read here meanwhile (this process would only wait, and its partials
        # need not be pickled back), each read freed as it goes: what stays in this process
        # is copied into every process forked later. Between them, what the workers have
        # sent so far is taken in.
        sent: list[tuple[Path, _Partial]] = []
        try:
            results = [_read_here(path, opts, _receiving(_take(groups, 0), claims, sent),
                                  scanned, release_all=True, shared=groups[0])]  # fmt: skip
        except BaseException:
            if claims is not None:
                claims.stop()  # the workers take no more roots
            raise
        count = 0
        for f in futures:
            n, returned = f.result()
            count += n
            results.append(returned)
        if claims is not None:
            claims.receive(sent, count)
        results.append(sent)
        if keep:
            kept_workers.keep(pool)
            kept = True
        return results
    finally:
        if not kept:
            pool.shutdown(wait=True)


class _Claims:
    """Which roots of a parallel read a process has taken, shared by the processes forked
    for it: each process reads its own group (longest first), then takes what is left of the
    other groups from their ends, so that no process waits while another still has roots to read
    (the split by text size is only an estimate of what a read costs). Every root is read
    exactly once, by whichever process takes it; the partials are merged in tree order."""

    def __init__(self, groups: Sequence[tuple[Path, ...]]) -> None:
        import multiprocessing

        self.index = {d: i for i, d in enumerate(d for g in groups for d in g)}
        self.taken = multiprocessing.RawArray("b", len(self.index))
        self.lock = multiprocessing.Lock()
        # The workers' partials, sent one by one as they are read (not all at the end, when
        # the other process would wait for their pickling).
        self.partials: Any = multiprocessing.Queue()
        self.received = 0
        # What the processes read (path, options, groups, scan), inherited by the workers.
        self.read: tuple[Path, InventoryOptions, Sequence[tuple[Path, ...]], Any] | None = None

    @classmethod
    def made(cls, groups: Sequence[tuple[Path, ...]]) -> _Claims | None:
        """Claims for ``groups``; None where workers are not forked (they would not share
        them): each process then reads exactly its own group."""
        import multiprocessing

        return cls(groups) if multiprocessing.get_start_method() == "fork" else None

    def claim(self, root: Path) -> bool:
        i = self.index[root]
        with self.lock:
            if self.taken[i]:
                return False
            self.taken[i] = 1
            return True

    def stop(self) -> None:
        """Leave no root for any process to take (this read has failed)."""
        with self.lock:
            for i in range(len(self.taken)):
                self.taken[i] = 1

    def receive(self, into: list[tuple[Path, _Partial]], sent: int | None = None) -> None:
        """Append to ``into`` the partials the workers have sent so far; with ``sent`` (how
        many they sent in all), wait for those still on their way."""
        import queue

        enabled = gc.isenabled()
        gc.disable()  # unpickling builds many objects: see _collect
        try:
            while sent is None or self.received < sent:
                try:
                    data = self.partials.get() if sent is not None else self.partials.get_nowait()
                except queue.Empty:
                    return
                into.append(pickle.loads(data))
                self.received += 1
        finally:
            if enabled:
                gc.enable()


_CLAIMS: _Claims | None = None


def _take(groups: Sequence[tuple[Path, ...]], k: int) -> Iterator[Path]:
    """The roots process ``k`` reads: its group, then what no other process has taken of
    the others (see _Claims); exactly its group without claims."""
    claims = _CLAIMS
    if claims is None:
        yield from groups[k]
        return
    for d in groups[k]:
        if claims.claim(d):
            yield d
    for j in [*range(k + 1, len(groups)), *range(k)]:
        for d in reversed(groups[j]):
            if claims.claim(d):
                yield d


def _receiving(
    roots: Iterator[Path], claims: _Claims | None, into: list[tuple[Path, _Partial]]
) -> Iterator[Path]:
    """``roots``, taking in the workers' partials sent meanwhile after each one is read."""
    for d in roots:
        yield d
        if claims is not None:
            claims.receive(into)


def _read_here(
    path: Path, opts: InventoryOptions, roots: Iterable[Path], scanned: Any,
    release_all: bool = False, shared: Sequence[Path] | None = None,
) -> list[tuple[Path, _Partial]]:
    """The partial of each of ``roots``, read one after the other in this process (with
    ``release_all``, each read freed once done, see loader.release). ``shared``: the roots
    whose common directories' readings are kept meanwhile (``roots`` when not given)."""
    from lpgen.terraform.cache import shared_parses

    if shared is None:
        roots = shared = list(roots)
    with shared_parses(_read_by_several(scanned, shared)):
        return [(d, _freed(_collect(path, opts, (d,), scanned, release_all))) for d in roots]


# After a root is read, its garbage is collected once this many objects have piled up since
# the last collection (about 150 MB): a tree that small is not worth the cost of freeing.
FREE_AFTER_OBJECTS = 1_000_000


def _freed(part: _Partial) -> _Partial:
    """``part``, once what the reads of roots built and no longer need is freed.

    Module instances, their resources and instances refer to each other, so a root's parse
    trees and values are held in reference cycles after its read: with the collector paused
    during reads, they would pile up root after root (most of the peak memory of a big
    tree; a worker process would hold them until it exits). Collecting the youngest
    generation frees them, in one pass over what the reads since the last collection
    allocated (none of it was collected or promoted meanwhile). That pass and the freeing
    cost about 10% of a read, so it is done only once :data:`FREE_AFTER_OBJECTS` objects have
    piled up."""
    if gc.get_count()[0] >= FREE_AFTER_OBJECTS:
        gc.collect(0)
    return part


def _read_by_several(scanned: Any, roots: Iterable[Path]) -> set[Path]:
    """The directories more than one of ``roots`` reads (their files' readings are kept
    while the roots are read one after the other; the others are freed once read)."""
    plan = scanned[2]
    seen: set[Path] = set()
    several: set[Path] = set()
    for d in roots:
        reach = plan.reachable([d])
        several |= seen & reach
        seen |= reach
    return several


def _collect_roots_worker(
    job: int | tuple[Path, InventoryOptions, Sequence[tuple[Path, ...]], int, Any],
) -> tuple[int, list[tuple[Path, _Partial]]]:
    """Read the roots process ``k`` takes: ``(count sent, [])`` when each partial was sent
    through the claims' queue as soon as read, else ``(0, the partials)``. ``job``: ``k``
    alone when the rest is in the claims this process inherited, else everything."""
    from lpgen.terraform.cache import shared_parses

    claims = _CLAIMS
    if isinstance(job, int):
        assert claims is not None and claims.read is not None
        k = job
        path, opts, groups, scanned = claims.read
    else:
        path, opts, groups, k, scanned = job

    # A worker lives for one read (and, in trim, the checks of the files it rewrites): its
    # collector stays off, also while the partials are pickled (lpgen frees each root's read
    # itself, see _freed).
    gc.disable()
    if claims is not None:
        # A read that failed in the parent takes nothing more from the queue: this process
        # must not wait, when it exits, for what it sent to be taken.
        claims.partials.cancel_join_thread()
    out: list[tuple[Path, _Partial]] = []
    count = 0
    with shared_parses(_read_by_several(scanned, groups[k])):
        for d in _take(groups, k):
            pair = (d, _freed(_collect_unpaused(path, opts, (d,), scanned)))
            if claims is None:
                out.append(pair)
            else:
                # Pickled here, where an error is this read's (the queue's thread would
                # only print it, and the partial never come).
                claims.partials.put(pickle.dumps(pair, protocol=pickle.HIGHEST_PROTOCOL))
                count += 1
    return count, out


_PARTIAL_KEYS = frozenset(
    {"inv", "refs", "conditional_refs", "unresolved", "warnings", "not_followed", "used_files"}
)


def _partial_to_cache(part: _Partial) -> dict[str, Any] | None:
    """A partial as a cache value: policy references name their attachment by its index
    (the attachment itself must stay the one in the inventory). None when one does not."""

    def refs(pairs: list[tuple[Attachment, Any]], inv: Inventory | None) -> list[Any] | None:
        index = {id(a): i for i, a in enumerate(inv.attachments if inv else [])}
        out: list[Any] = []
        for att, arn in pairs:
            if id(att) not in index:
                return None
            out.append([index[id(att)], arn])
        return out

    policy_refs = refs(part.policy_refs, part.inv)
    conditional_refs = refs(part.conditional_refs, part.inv.conditional)
    if policy_refs is None or conditional_refs is None:
        return None
    return {
        "inv": part.inv,
        "refs": policy_refs,
        "conditional_refs": conditional_refs,
        "unresolved": part.unresolved,
        "warnings": part.warnings,
        "not_followed": part.not_followed,
        "used_files": sorted(part.used_files),
    }


def _partial_from_cache(value: Any) -> _Partial | None:
    """The partial a cache value stands for; None (a miss) for a value of the wrong shape."""
    if not (isinstance(value, dict) and set(value) == _PARTIAL_KEYS):
        return None
    inv = value["inv"]
    if not isinstance(inv, Inventory):
        return None

    def refs(pairs: Any, of: Inventory | None) -> list[tuple[Attachment, Any]] | None:
        atts = of.attachments if of is not None else []
        if not isinstance(pairs, list):
            return None
        out = []
        for pair in pairs:
            if not (isinstance(pair, list) and len(pair) == 2 and type(pair[0]) is int):
                return None
            if not 0 <= pair[0] < len(atts) or not isinstance(atts[pair[0]], Attachment):
                return None
            out.append((atts[pair[0]], pair[1]))
        return out

    def problems(items: Any) -> list[Unresolved] | None:
        ok = isinstance(items, list) and all(isinstance(u, Unresolved) for u in items)
        return items if ok else None

    policy_refs = refs(value["refs"], inv)
    conditional_refs = refs(value["conditional_refs"], inv.conditional)
    unresolved = problems(value["unresolved"])
    warnings = problems(value["warnings"])
    not_followed = problems(value["not_followed"])
    used = value["used_files"]
    if (
        policy_refs is None
        or conditional_refs is None
        or unresolved is None
        or warnings is None
        or not_followed is None
        or not (isinstance(used, list) and all(isinstance(f, str) for f in used))
    ):
        return None
    return _Partial(
        inv, policy_refs, conditional_refs, unresolved, warnings, not_followed, set(used)
    )


def _name(value: Any) -> str | None:
    return str(value) if isinstance(value, str) else None


def _names(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, Unknown):
        return [value]
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return list(value)
    return [Unknown("not a list")]


def _entry_location(values: Any, index: int, value: Any) -> Location | None:
    """Where a membership list names one entry: the literal element when the list is written
    out in place, else where the value itself was written (a local, a tfvars file, ...)."""
    item_locs = getattr(values, "item_locs", None)
    if item_locs is not None and index < len(item_locs):
        loc: Location = item_locs[index]
        return loc
    return getattr(value, "loc", None)


def _matches_root_activity(pattern: Any) -> bool:
    """An EventBridge pattern that matches events whose ``userIdentity.type`` is ``Root``."""
    if not isinstance(pattern, dict):
        return False
    detail = pattern.get("detail")
    identity = detail.get("userIdentity") if isinstance(detail, dict) else None
    types = identity.get("type") if isinstance(identity, dict) else None
    if isinstance(types, str):
        types = [types]
    return isinstance(types, list) and any(str(t) == "Root" for t in types)


class _Builder:
    def __init__(self, inv: Inventory) -> None:
        self.inv = inv
        self.policy_refs: list[tuple[Attachment, Any]] = []

    def unknown(self, address: str, what: str, value: Unknown, loc: Location) -> str:
        message = f"{what} is not known: {value.reason}"
        from lpgen.model import Unresolved

        self.inv.unresolved.append(Unresolved(address, message, loc))
        return message

    def doc_unknowns(self, address: str, what: str, doc: PolicyDocument, loc: Location) -> None:
        """Name what could not be read in a policy document (the document, a statement,
        its actions), so every unresolved part shows under "Not resolved"."""
        from lpgen.model import Unresolved

        if doc.unknown_reason:
            message = f"{what} is not known: {doc.unknown_reason}"
            self.inv.unresolved.append(Unresolved(address, message, doc.location or loc))
            return
        for st in doc.statements:
            for reason in dict.fromkeys(st.unknown):
                where = st.location or doc.location or loc
                label = f"statement {st.sid!r}" if st.sid else f"statement {st.index + 1}"
                self.inv.unresolved.append(Unresolved(address, f"{what}, {label}: {reason}", where))

    def add(self, inst: Instance) -> None:
        rtype = inst.obj.rtype
        if rtype in SSO_RESOURCE_TYPES:
            from lpgen.sso import add_resource

            add_resource(self.inv, inst)
            return
        getattr(self, "_" + rtype, self._resource_policy)(inst)

    def _base(self, inst: Instance, name_attr: str = "name") -> tuple[str | None, str, list[str]]:
        loc = inst.block.loc
        unknown: list[str] = []
        name_value = inst.get_attr(name_attr) if name_attr == "name" else inst.attr(name_attr)
        name = _name(name_value)
        if isinstance(name_value, Unknown):
            unknown.append(self.unknown(inst.address, "name", name_value, loc))
        path_value = inst.attr("path")
        path = "/"
        if isinstance(path_value, str):
            path = str(path_value)
        elif isinstance(path_value, Unknown):
            unknown.append(self.unknown(inst.address, "path", path_value, loc))
        return name, path, unknown

    def _arn(self, kind: str, name: str | None, path: str) -> str | None:
        if not self.inv.account_id or name is None:
            return None
        from lpgen.model import iam_arn

        return iam_arn(self.inv.partition, self.inv.account_id, kind, name, path)

    def _aws_iam_group(self, inst: Instance) -> None:
        name, path, unknown = self._base(inst)
        self.inv.groups.append(
            Group(inst.address, name, inst.block.loc, path, self._arn("group", name, path), unknown)
        )

    def _aws_iam_user(self, inst: Instance) -> None:
        name, path, unknown = self._base(inst)
        fd = inst.attr("force_destroy")
        self.inv.users.append(
            User(
                inst.address,
                name,
                inst.block.loc,
                path,
                self._arn("user", name, path),
                unknown,
                force_destroy=fd if isinstance(fd, bool) else None,
            )
        )

    def _aws_iam_role(self, inst: Instance) -> None:
        name, path, unknown = self._base(inst)
        trust = document_from_value(
            inst.attr("assume_role_policy"), where=inst.block.attr_loc("assume_role_policy")
        )
        self.doc_unknowns(inst.address, "assume_role_policy", trust, inst.block.loc)
        role = Role(
            inst.address,
            name,
            inst.block.loc,
            path,
            self._arn("role", name, path),
            unknown,
            assume_role_policy=trust,
        )
        self.inv.roles.append(role)
        # Inline policies declared inside the role, and the legacy managed_policy_arns.
        for i, blk in enumerate(inst.block.sub("inline_policy")):
            pname = inst.attr("name", blk)
            policy_value = inst.attr("policy", blk)
            doc = document_from_value(policy_value, where=blk.loc)
            if policy_value is not None:
                self.doc_unknowns(f"{inst.address}.inline_policy[{i}]", "policy", doc, blk.loc)
            self.inv.policies.append(
                Policy(
                    f"{inst.address}.inline_policy[{i}]",
                    _name(pname),
                    blk.loc,
                    "/",
                    None,
                    [],
                    kind="inline",
                    document=doc,
                    owner_type="role",
                    owner=name,
                    owner_address=inst.address,
                    owner_arn=role.arn,
                    root=root_of(inst),
                )
            )
        arns = inst.attr("managed_policy_arns")
        for arn in _names(arns):
            self._attach(inst, arn, "role", name, "aws_iam_role.managed_policy_arns")

    def _aws_iam_policy(self, inst: Instance) -> None:
        name, path, unknown = self._base(inst)
        doc = document_from_value(inst.attr("policy"), where=inst.block.attr_loc("policy"))
        self.doc_unknowns(inst.address, "policy", doc, inst.block.loc)
        desc = inst.attr("description")
        self.inv.policies.append(
            Policy(
                inst.address,
                name,
                inst.block.loc,
                path,
                self._arn("policy", name, path),
                unknown,
                kind="managed",
                document=doc,
                description=str(desc) if isinstance(desc, str) else None,
                root=root_of(inst),
            )
        )

    def _inline(self, inst: Instance, owner_type: Literal["group", "user", "role"]) -> None:
        owner_value = inst.attr(owner_type)
        owner = _name(owner_value)
        loc = inst.block.loc
        unknown: list[str] = []
        if isinstance(owner_value, Unknown):
            unknown.append(self.unknown(inst.address, owner_type, owner_value, loc))
        pname_value = inst.attr("name")
        if pname_value is None:
            pname_value = Unknown("the policy name is generated by AWS (no name set)")
        pname = _name(pname_value)
        if isinstance(pname_value, Unknown):
            unknown.append(self.unknown(inst.address, "name", pname_value, loc))
        doc = document_from_value(inst.attr("policy"), where=inst.block.attr_loc("policy"))
        self.doc_unknowns(inst.address, "policy", doc, loc)
        self.inv.policies.append(
            Policy(
                inst.address,
                pname,
                loc,
                "/",
                None,
                unknown,
                kind="inline",
                document=doc,
                owner_type=owner_type,
                owner=owner,
                owner_address=getattr(owner_value, "ref", None),
                root=root_of(inst),
            )
        )

    def _aws_iam_group_policy(self, inst: Instance) -> None:
        self._inline(inst, "group")

    def _aws_iam_user_policy(self, inst: Instance) -> None:
        self._inline(inst, "user")

    def _aws_iam_role_policy(self, inst: Instance) -> None:
        self._inline(inst, "role")

    def _aws_iam_group_membership(self, inst: Instance) -> None:
        group = inst.attr("group")
        users = inst.attr("users")
        loc = inst.block.loc
        if isinstance(group, Unknown):
            self.unknown(inst.address, "group", group, loc)
        if isinstance(users, Unknown):
            self.unknown(inst.address, "users", users, loc)
            return
        for i, user in enumerate(_names(users)):
            if isinstance(user, Unknown):
                self.unknown(inst.address, "a member", user, loc)
                if user.ref is None:
                    continue
            self.inv.memberships.append(
                Membership(
                    _name(user),
                    _name(group),
                    inst.address,
                    loc,
                    entry_location=_entry_location(users, i, user),
                    resource_type="aws_iam_group_membership",
                    user_address=getattr(user, "ref", None),
                    group_address=getattr(group, "ref", None),
                )
            )

    def _aws_iam_user_group_membership(self, inst: Instance) -> None:
        user = inst.attr("user")
        groups = inst.attr("groups")
        loc = inst.block.loc
        if isinstance(user, Unknown):
            self.unknown(inst.address, "user", user, loc)
        if isinstance(groups, Unknown):
            self.unknown(inst.address, "groups", groups, loc)
            return
        for i, group in enumerate(_names(groups)):
            if isinstance(group, Unknown):
                self.unknown(inst.address, "a group", group, loc)
                if group.ref is None:
                    continue
            self.inv.memberships.append(
                Membership(
                    _name(user),
                    _name(group),
                    inst.address,
                    loc,
                    entry_location=_entry_location(groups, i, group),
                    resource_type="aws_iam_user_group_membership",
                    user_address=getattr(user, "ref", None),
                    group_address=getattr(group, "ref", None),
                )
            )

    def _attach(
        self,
        inst: Instance,
        arn: Any,
        target_type: Literal["group", "user", "role"],
        target: Any,
        rtype: str,
    ) -> None:
        loc = inst.block.loc
        if isinstance(target, Unknown):
            self.unknown(inst.address, target_type, target, loc)
        att = Attachment(
            policy=None,
            policy_arn=_name(arn),
            target_type=target_type,
            target=_name(target),
            address=inst.address,
            location=loc,
            resource_type=rtype,
            target_address=getattr(target, "ref", None),
        )
        self.inv.attachments.append(att)
        self.policy_refs.append((att, arn))

    def _aws_iam_group_policy_attachment(self, inst: Instance) -> None:
        self._attach(
            inst,
            inst.attr("policy_arn"),
            "group",
            inst.attr("group"),
            "aws_iam_group_policy_attachment",
        )

    def _aws_iam_user_policy_attachment(self, inst: Instance) -> None:
        self._attach(
            inst,
            inst.attr("policy_arn"),
            "user",
            inst.attr("user"),
            "aws_iam_user_policy_attachment",
        )

    def _aws_iam_role_policy_attachment(self, inst: Instance) -> None:
        self._attach(
            inst,
            inst.attr("policy_arn"),
            "role",
            inst.attr("role"),
            "aws_iam_role_policy_attachment",
        )

    def _aws_iam_policy_attachment(self, inst: Instance) -> None:
        arn = inst.attr("policy_arn")
        for attr, kind in (("groups", "group"), ("users", "user"), ("roles", "role")):
            for target in _names(inst.attr(attr)):
                self._attach(inst, arn, kind, target, "aws_iam_policy_attachment")  # type: ignore[arg-type]

    def _exclusive(self, inst: Instance, kind: Literal["group", "user", "role"]) -> None:
        target = inst.attr(f"{kind}_name")
        for arn in _names(inst.attr("policy_arns")):
            self._attach(inst, arn, kind, target, f"aws_iam_{kind}_policy_attachments_exclusive")

    def _aws_iam_group_policy_attachments_exclusive(self, inst: Instance) -> None:
        self._exclusive(inst, "group")

    def _aws_iam_user_policy_attachments_exclusive(self, inst: Instance) -> None:
        self._exclusive(inst, "user")

    def _aws_iam_role_policy_attachments_exclusive(self, inst: Instance) -> None:
        self._exclusive(inst, "role")

    def _aws_iam_access_key(self, inst: Instance) -> None:
        user = inst.attr("user")
        if isinstance(user, Unknown):
            self.unknown(inst.address, "user", user, inst.block.loc)
        status = inst.attr("status")
        self.inv.access_keys.append(
            AccessKey(
                _name(user),
                inst.address,
                inst.block.loc,
                has_pgp_key=inst.attr("pgp_key") is not None,
                status=str(status) if isinstance(status, str) else None,
            )
        )

    def _aws_iam_user_login_profile(self, inst: Instance) -> None:
        user = inst.attr("user")
        if isinstance(user, Unknown):
            self.unknown(inst.address, "user", user, inst.block.loc)
        prr = inst.attr("password_reset_required")
        self.inv.login_profiles.append(
            LoginProfile(
                _name(user),
                inst.address,
                inst.block.loc,
                password_reset_required=prr if isinstance(prr, bool) else None,
            )
        )

    def _aws_iam_account_password_policy(self, inst: Instance) -> None:
        settings: dict[str, Any] = {}
        unknown: list[str] = []
        for key in inst.block.attrs:
            value = inst.attr(key)
            if not isinstance(value, Unknown):
                settings[key] = value if not isinstance(value, str) else str(value)
            else:
                unknown.append(key)
        self.inv.password_policies.append(
            PasswordPolicy(inst.address, inst.block.loc, settings, unknown)
        )

    def _resource_policy(self, inst: Instance) -> None:
        attr = RESOURCE_POLICY_TYPES.get(inst.obj.rtype)
        if attr is None or attr not in inst.block.attrs:
            return
        doc = document_from_value(inst.attr(attr), where=inst.block.attr_loc(attr))
        self.doc_unknowns(inst.address, attr, doc, inst.block.loc)
        self.inv.resource_policies.append(
            Policy(
                inst.address,
                None,
                inst.block.loc,
                "/",
                None,
                [],
                kind="inline",
                document=doc,
                owner=inst.address,
                description=inst.obj.rtype,
                root=root_of(inst),
                vpc_only=bool(inst.block.sub("vpc_options")),
            )
        )

    def _aws_lambda_permission(self, inst: Instance) -> None:
        from lpgen.resource_policies import lambda_permission_policy

        values = {k: inst.attr(k) for k in inst.block.attrs}
        self.inv.resource_policies.append(
            lambda_permission_policy(inst.address, values, inst.block.loc)
        )

    def _aws_accessanalyzer_analyzer(self, inst: Instance) -> None:
        kind = inst.attr("type")
        detail = str(kind) if isinstance(kind, str) else "ACCOUNT"
        self.inv.guardrails.append(
            Guardrail("access-analyzer", inst.address, inst.block.loc, detail)
        )

    def _aws_cloudwatch_event_rule(self, inst: Instance) -> None:
        pattern = inst.attr("event_pattern")
        if isinstance(pattern, Unknown):
            # Not knowable here; say nothing rather than claim the alert is missing.
            self.inv.guardrails.append(
                Guardrail("root-activity-alert", inst.address, inst.block.loc, "pattern unknown")
            )
            return
        data = getattr(pattern, "value", None)
        if data is None and isinstance(pattern, str):
            try:
                data = json.loads(str(pattern))
            except ValueError:
                return
        if _matches_root_activity(data):
            self.inv.guardrails.append(
                Guardrail("root-activity-alert", inst.address, inst.block.loc, "userIdentity Root")
            )

    def add_document(self, inst: Instance) -> None:
        if inst.obj.rtype in SSO_DATA_TYPES:
            from lpgen.sso import add_data_source

            add_data_source(self.inv, inst)
            return
        doc = document_from_value(inst.get_attr("json"), where=inst.block.loc)
        self.inv.documents.append(DocumentSource(inst.address, inst.block.loc, doc))

    def finish(self, also: Iterable[Policy] = (), beside: Inventory | None = None) -> None:
        """Match references across the tree; ``beside``: the inventory this conditional one
        is evaluated beside (its policies are ``also``)."""
        from lpgen.sso import link_permission_sets

        if beside is None:
            link_permission_sets(self.inv)
        else:
            link_permission_sets(self.inv, known=beside.permission_sets, report=False)
        known = [*also, *self.inv.policies]
        by_arn = {p.arn: p for p in known if p.arn}
        by_address = {p.address: p for p in known}
        for att, arn in self.policy_refs:
            ref = getattr(arn, "ref", None)
            if ref and ref in by_address:
                att.policy = ref
            elif isinstance(arn, str) and arn in by_arn:
                att.policy = by_arn[arn].address
            elif isinstance(arn, Unknown) and not ref:
                self.unknown(att.address, "policy_arn", arn, att.location)
            if att.policy and att.policy_arn is None:
                att.policy_arn = by_address[att.policy].arn
        # Inline policy owners: resolve their ARNs from the declared entities.
        # One index per kind, the first entity of each name winning (as a scan in order
        # would): a lookup per policy, not a scan of every user for each of them.
        tables: dict[str, dict[Any, Any]] = {}
        for kind, entities in (
            ("group", self.inv.groups),
            ("user", self.inv.users),
            ("role", self.inv.roles),
        ):
            index: dict[Any, Any] = {}
            for e in entities:
                if e.name is not None:
                    index.setdefault(e.name, e)
            tables[kind] = index
        for p in self.inv.policies:
            if p.kind == "inline" and p.owner_type and p.owner_arn is None and p.owner:
                owner = tables[p.owner_type].get(p.owner)
                if owner is not None:
                    p.owner_arn = owner.arn
                    p.owner_address = p.owner_address or owner.address
                elif self.inv.account_id:
                    from lpgen.model import iam_arn

                    p.owner_arn = iam_arn(
                        self.inv.partition, self.inv.account_id, p.owner_type, p.owner, "/"
                    )


# --- rendering ---------------------------------------------------------------------------


def _loc(loc: Location | None) -> dict[str, Any]:
    return {"file": loc.file if loc else None, "line": loc.line if loc else None}


def inventory_to_json(inv: Inventory) -> dict[str, Any]:
    """The `inventory --format json` document (DESIGN.md contract, plus extra keys)."""

    def entity(e: Any) -> dict[str, Any]:
        return {
            "address": e.address,
            "name": e.name,
            "path": e.path,
            "arn": e.arn,
            **_loc(e.location),
        }

    policies = []
    for p in inv.policies:
        rec = entity(p)
        rec["kind"] = p.kind
        if p.kind == "inline":
            rec["owner_type"] = p.owner_type
            rec["owner"] = p.owner
        doc = p.document
        rec["style"] = doc.style if doc else "unknown"
        rec["statements"] = len(doc.statements) if doc else 0
        if doc and doc.unknown_reason:
            rec["unknown"] = doc.unknown_reason
        policies.append(rec)
    return {
        "account_id": inv.account_id,
        "groups": [entity(g) for g in inv.groups],
        "users": [entity(u) for u in inv.users],
        "roles": [entity(r) for r in inv.roles],
        "policies": policies,
        "memberships": [
            {
                "user": m.user,
                "group": m.group,
                "address": m.address,
                **_loc(m.location),
                "user_address": m.user_address,
                "group_address": m.group_address,
            }
            for m in inv.memberships
        ],
        "attachments": [
            {
                "policy": a.policy,
                "policy_arn": a.policy_arn,
                "target_type": a.target_type,
                "target": a.target,
                "address": a.address,
                **_loc(a.location),
                "target_address": a.target_address,
            }
            for a in inv.attachments
        ],
        "access_keys": [
            {"user": k.user, "address": k.address, "pgp_key": k.has_pgp_key, **_loc(k.location)}
            for k in inv.access_keys
        ],
        "login_profiles": [
            {"user": lp.user, "address": lp.address, **_loc(lp.location)}
            for lp in inv.login_profiles
        ],
        "password_policies": [
            {"address": pp.address, **_loc(pp.location)} for pp in inv.password_policies
        ],
        **identity_center_json(inv),
        "declared_accounts": [
            {"account_id": a.account_id, "source": a.what, **_loc(a.location)}
            for a in inv.account_sources
        ],
        "unresolved": [
            {"address": u.address, "message": u.message, **_loc(u.location)} for u in inv.unresolved
        ],
        "modules_not_followed": [
            {"address": u.address, "message": u.message, **_loc(u.location)}
            for u in inv.modules_not_followed
        ],
        "not_instantiated": [
            {"address": u.address, **_loc(u.location), "reason": u.message}
            for u in inv.not_instantiated
        ],
        "warnings": [
            {
                "file": u.address,
                "message": u.message,
                "line": u.location.line if u.location else None,
            }
            for u in inv.warnings
        ],
    }


_ACCOUNT_ID = re.compile(r"^\d{12}$")


def identity_center_json(inv: Inventory) -> dict[str, Any]:
    """The IAM Identity Center keys of the inventory JSON."""
    from lpgen.sso import name_of, permission_set_index, reference_key

    by_key = permission_set_index(inv)

    def permission_set_name(a: Any) -> str | None:
        key = reference_key(a)
        ps = by_key.get(key) if key is not None else None
        return ps.name if ps is not None else None

    def account_id(a: Any) -> str | None:
        return a.account if a.account and _ACCOUNT_ID.match(a.account) else None

    def inline_json(inline: Any) -> dict[str, Any]:
        doc = inline.document
        return {
            "address": inline.address,
            **_loc(inline.location),
            "style": doc.style if doc else "unknown",
            "statements": len(doc.statements) if doc else 0,
        }

    def ps_json(ps: Any) -> dict[str, Any]:
        inline = ps.inline_policy
        boundary = ps.boundary
        return {
            "address": ps.address,
            "name": ps.name,
            **_loc(ps.location),
            "session_duration": ps.session_duration,
            # Not declared in this tree: looked up (data source) or named by its ARN.
            "managed_elsewhere": ps.managed_elsewhere,
            "arn": ps.arn,
            "inline_policy": None if inline is None else inline_json(inline),
            # Every inline policy given (AWS allows one: more is listed under "Not resolved").
            "inline_policies": [inline_json(p) for p in ps.inline_policies],
            "managed_policy_arns": [p.arn for p in ps.policies if p.kind == "managed"],
            # The same, each with the attachment that gives it.
            "managed_policies": [
                {"arn": p.arn, "address": p.address, **_loc(p.location)}
                for p in ps.policies if p.kind == "managed"
            ],
            "customer_managed_policies": [
                {"name": p.name, "path": p.path, "address": p.address, **_loc(p.location)}
                for p in ps.policies if p.kind == "customer_managed"
            ],
            "permissions_boundary": None if boundary is None else (boundary.arn or boundary.name),
            "permissions_boundary_attachment": None if boundary is None else {
                "address": boundary.address, **_loc(boundary.location),
            },
        }  # fmt: skip

    return {
        "permission_sets": [ps_json(ps) for ps in inv.permission_sets],
        "account_assignments": [
            {
                "address": a.address,
                "permission_set": a.permission_set,
                "permission_set_name": permission_set_name(a),
                "principal_type": a.principal_type,
                "principal": a.principal,
                "principal_name": name_of(inv, a.principal),
                "account": account_id(a),
                # What target_id is when it is not an account id: the reference, as written.
                "account_reference": None if account_id(a) else a.account,
                **_loc(a.location),
            }
            for a in inv.account_assignments
        ],
        "identity_store": [
            {"kind": e.kind, "name": e.name, "address": e.address, **_loc(e.location)}
            for e in inv.identity_store
        ],
        "identity_store_memberships": [
            {"group": m.group, "user": m.user, "address": m.address, **_loc(m.location)}
            for m in inv.identity_memberships
        ],
    }


def render_json(inv: Inventory) -> str:
    return json.dumps(inventory_to_json(inv), indent=2) + "\n"


class _RefIndex:
    """Items referring to an entity by name, or by address when the name is unknown (two
    unknown names are not the same name), looked up in their original order."""

    def __init__(self, items: Iterable[Any], ref: Any) -> None:
        self.by_name: dict[str, list[tuple[int, Any]]] = {}
        self.by_address: dict[str, list[tuple[int, Any]]] = {}
        for i, item in enumerate(items):
            name, address = ref(item)
            if name is not None:
                self.by_name.setdefault(name, []).append((i, item))
            elif address is not None:
                self.by_address.setdefault(address, []).append((i, item))

    def of(self, entity: Any) -> list[Any]:
        found = [
            *(self.by_name.get(entity.name, []) if entity.name is not None else []),
            *(self.by_address.get(entity.address, []) if entity.address is not None else []),
        ]
        return [item for _, item in sorted(found, key=lambda x: x[0])]


def render_text(inv: Inventory) -> str:
    lines: list[str] = []
    add = lines.append
    n_managed = sum(1 for p in inv.policies if p.kind == "managed")
    n_inline = len(inv.policies) - n_managed
    # Identity Center is counted only where the tree declares it, so IAM-only trees read
    # as before.
    n_sets, n_assignments = len(inv.permission_sets), len(inv.account_assignments)
    n_elsewhere = sum(1 for ps in inv.permission_sets if ps.managed_elsewhere)
    sso = (
        f", {n_sets} permission set{'' if n_sets == 1 else 's'}"
        f"{f' ({n_elsewhere} managed elsewhere)' if n_elsewhere else ''}, "
        f"{n_assignments} account assignment{'' if n_assignments == 1 else 's'}"
        if n_sets or n_assignments
        else ""
    )
    n_groups = sum(1 for e in inv.identity_store if e.kind == "group")
    n_users = len(inv.identity_store) - n_groups
    store = (
        f", {n_groups} identity store group{'' if n_groups == 1 else 's'} and "
        f"{n_users} user{'' if n_users == 1 else 's'}"
        if inv.identity_store
        else ""
    )
    add(
        f"{len(inv.groups)} groups, {len(inv.users)} users, {len(inv.roles)} roles, "
        f"{n_managed} managed and {n_inline} inline policies, "
        f"{len(inv.memberships)} memberships, {len(inv.attachments)} attachments{sso}{store} "
        f"in {len(inv.files)} files"
    )

    def shown(name: str | None, address: str | None = None) -> str:
        if name is not None:
            return name
        return f"(unknown: {address})" if address else "(unknown)"

    # Who refers to whom, indexed once: a scan of every attachment, inline policy and
    # membership for each entity is quadratic (minutes at 20,000 users).
    attachments_of = {
        kind: _RefIndex(
            [a for a in inv.attachments if a.target_type == kind],
            lambda a: (a.target, a.target_address),
        )
        for kind in ("group", "user", "role")
    }
    inline_of = {
        kind: _RefIndex(
            [p for p in inv.policies if p.kind == "inline" and p.owner_type == kind],
            lambda p: (p.owner, p.owner_address if p.owner is None else None),
        )
        for kind in ("group", "user", "role")
    }
    members_of = _RefIndex(inv.memberships, lambda m: (m.group, m.group_address))
    groups_of = _RefIndex(inv.memberships, lambda m: (m.user, m.user_address))
    with_key = {k.user for k in inv.access_keys}
    policy_by_address: dict[str, Policy] = {}
    for p in inv.policies:
        policy_by_address.setdefault(p.address, p)
    with_login = {lp.user for lp in inv.login_profiles}

    def attached_to(kind: str, entity: Any) -> list[str]:
        out = []
        for a in attachments_of[kind].of(entity):
            if a.policy:
                pol = policy_by_address.get(a.policy)
                out.append(shown(pol.name, a.policy) if pol else a.policy)
            else:
                out.append(a.policy_arn or "(unknown policy)")
        out += [f"{shown(p.name, p.address)} (inline)" for p in inline_of[kind].of(entity)]
        return out

    if inv.groups:
        add("")
        add("Groups")
        for g in sorted(inv.groups, key=lambda g: (g.name or "", g.address)):
            members = sorted(
                {shown(m.user, m.user_address) for m in members_of.of(g)}
            )
            add(f"  {shown(g.name)}  ({g.address}, {g.location})")
            add(f"    members:  {', '.join(members) if members else '(none)'}")
            pols = attached_to("group", g)
            add(f"    policies: {', '.join(pols) if pols else '(none)'}")
    if inv.users:
        add("")
        add("Users")
        for u in sorted(inv.users, key=lambda u: (u.name or "", u.address)):
            groups = sorted(
                {shown(m.group, m.group_address) for m in groups_of.of(u)}
            )
            extra = []
            direct = attached_to("user", u)
            if direct:
                extra.append(f"direct policies: {', '.join(direct)}")
            if u.name is not None and u.name in with_key:
                extra.append("access key")
            if u.name is not None and u.name in with_login:
                extra.append("console")
            tail = f"; {'; '.join(extra)}" if extra else ""
            member_of = ", ".join(groups) if groups else "(no group)"
            add(f"  {shown(u.name, u.address)}: {member_of}{tail}")
    if inv.roles:
        add("")
        add("Roles")
        for r in sorted(inv.roles, key=lambda r: (r.name or "", r.address)):
            pols = attached_to("role", r)
            add(f"  {shown(r.name)}  ({r.address}): {', '.join(pols) if pols else '(no policies)'}")
    if inv.policies:
        add("")
        add("Policies")
        for p in sorted(inv.policies, key=lambda p: (p.kind, p.name or "", p.address)):
            doc = p.document
            style = doc.style if doc else "unknown"
            n = len(doc.statements) if doc else 0
            if p.kind == "managed":
                where = sorted(
                    f"{a.target_type} {shown(a.target, a.target_address)}"
                    for a in inv.attachments
                    if a.policy == p.address
                )
                target = f"attached to {', '.join(where)}" if where else "attached to nothing"
            else:
                target = f"inline in {p.owner_type} {shown(p.owner, p.owner_address)}"
            add(f"  {shown(p.name)} [{p.kind}, {style}, {n} statements] {target}  ({p.location})")
    aws_managed = sorted(
        {a.policy_arn for a in inv.attachments if a.policy is None and a.policy_arn}
    )
    if aws_managed:
        add("")
        add("Policies referenced by ARN")
        for arn in aws_managed:
            targets = sorted(
                f"{a.target_type} {shown(a.target, a.target_address)}"
                for a in inv.attachments
                if a.policy is None and a.policy_arn == arn
            )
            add(f"  {arn}: {', '.join(targets)}")
    lines.extend(_identity_center_text(inv))
    lines.extend(_identity_store_text(inv))
    problems = list(inv.unresolved) + list(inv.modules_not_followed)
    if problems or inv.warnings:
        add("")
        add("Not resolved")
        for w in inv.warnings:
            add(f"  {w.location or w.address}: {w.message} (file skipped)")
        for prob in problems:
            at = f"{prob.location}: " if prob.location else ""
            add(f"  {at}{prob.address}: {prob.message}")
    if inv.not_instantiated:
        add("")
        add("Not instantiated (no instance under the values given)")
        for ni in inv.not_instantiated:
            at = f"{ni.location}: " if ni.location else ""
            add(f"  {at}{ni.address}: {ni.message}")
    return "\n".join(lines) + "\n"


def _identity_center_text(inv: Inventory) -> list[str]:
    """The "Permission sets" section of the text inventory (none when there are none)."""
    from lpgen.sso import name_of, refers_to

    if not inv.permission_sets:
        return []
    out = ["", "Permission sets"]
    for ps in sorted(inv.permission_sets, key=lambda p: (p.name or "", p.address)):
        pols = [
            "inline" if p.kind == "inline"
            else (p.arn or p.name or "(unknown)") + (" (boundary)" if p.kind == "boundary" else "")
            for p in ps.policies
        ]  # fmt: skip
        if not ps.managed_elsewhere:
            out.append(f"  {ps.name or '(unknown)'}  ({ps.address}, {ps.location})")
        elif ps.referred_only and ps.arn == ps.address:
            # An ARN written out: where it is first referred to.
            out.append(
                f"  {ps.arn}  (referred to at {ps.location}; known by its ARN only, "
                "not declared in this tree)"
            )
        elif ps.referred_only:
            out.append(
                f"  {ps.name or '(unknown)'}  ({ps.address}, referred to at {ps.location}; "
                "a lookup not read, not declared in this tree)"
            )
        else:
            out.append(
                f"  {ps.name or ps.arn or '(unknown)'}  ({ps.address}, {ps.location}; "
                "looked up, not declared in this tree)"
            )
        out.append(f"    policies: {', '.join(pols) if pols else '(none)'}")
        assigned = sorted(
            f"{(a.principal_type or '?').lower()} {name_of(inv, a.principal)} in "
            f"{a.account or '(unknown)'}"
            for a in inv.account_assignments
            if refers_to(a, ps)
        )
        out.append(f"    assigned: {', '.join(assigned) if assigned else '(nobody)'}")
    return out


def _identity_store_text(inv: Inventory) -> list[str]:
    """The "Identity store" section: its groups (with their members) and users, declared or
    looked up (none when there are none)."""
    if not inv.identity_store and not inv.identity_memberships:
        return []
    names = {e.address: e.name for e in inv.identity_store}

    def shown(ref: str | None) -> str:
        return (names.get(ref) or ref) if ref else "(unknown)"

    out = ["", "Identity store"]
    for e in sorted(inv.identity_store, key=lambda e: (e.kind, e.name or "", e.address)):
        data = e.address.startswith("data.") or ".data." in e.address
        looked_up = "; looked up" if data else ""
        out.append(f"  {e.kind} {e.name or '(unknown)'}  ({e.address}, {e.location}{looked_up})")
        if e.kind == "group":
            members = sorted(
                shown(m.user) for m in inv.identity_memberships if m.group == e.address
            )
            out.append(f"    members: {', '.join(members) if members else '(none in this tree)'}")
    known = {e.address for e in inv.identity_store}
    for m in inv.identity_memberships:
        if m.group not in known:
            out.append(f"  membership of {shown(m.user)} in {shown(m.group)}  "
                       f"({m.address}, {m.location})")  # fmt: skip
    return out


__all__ = [
    "RESOURCE_POLICY_TYPES",
    "InventoryOptions",
    "SStr",
    "build_inventory",
    "render_json",
    "render_text",
]
