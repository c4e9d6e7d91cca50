"""Measure lpgen on synthetic monorepos against the targets of the performance budget.

    python benchmarks/run.py [--scales 1,2,4] [--checkov] [--out benchmarks/out]

For each scale it generates a tree (benchmarks/gen_monorepo.py), then times, on that same
tree and in the same run: parsing every ``.tf`` once with python-hcl2 sequentially, through
its public API ``hcl2.loads`` (the baseline; the parse-tree stage alone is reported too);
``lpgen inventory``, ``lpgen trim --diff`` and ``lpgen check`` cold (empty cache),
warm (unchanged tree, cache filled by the cold run) and, at the first scale, with
``--no-cache`` (plus ``--jobs 1`` when lpgen has that option); the peak memory of each run;
and, with ``--checkov``, Checkov's IAM checks. It prints absolute times, ratios, scaling and
PASS/FAIL per target, checks that the cold, warm and no-cache outputs are byte-identical,
and writes ``OUT/results.json`` and ``OUT/results.md``.

Every run is a subprocess with a timeout; a command that does not exist yet, fails or times
out is reported as such, never crashes the runner. No network is used.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import gen_monorepo  # noqa: E402

COMMANDS = ("inventory", "trim", "check")
# Targets (issue 8), as ratios measured in the same run.
COLD_MAX = 0.2  # cold trim/check vs the sequential python-hcl2 baseline
WARM_MAX = 0.03  # warm (cache hit) vs the baseline
CHECKOV_MIN = 20.0  # Checkov's IAM checks / lpgen check
MEMORY_MAX_MB = 1024.0  # peak at 1x, and at every scale up to MEMORY_AT_MAX_TF_MB of .tf
MEMORY_AT_MAX_TF_MB = 21.0  # "under 1 GB at 20 MB of Terraform" (the 4x tree is 20.4 MB)
SCALING_SLACK = 1.1  # time(kx) <= 1.1 * k * time(1x)

# Checkov's Terraform checks on IAM resources (used when `checkov --list` cannot be read).
CHECKOV_IAM_FALLBACK = [
    "CKV_AWS_1", "CKV_AWS_9", "CKV_AWS_10", "CKV_AWS_11", "CKV_AWS_12", "CKV_AWS_13",
    "CKV_AWS_14", "CKV_AWS_15", "CKV_AWS_40", "CKV_AWS_49", "CKV_AWS_60", "CKV_AWS_61",
    "CKV_AWS_62", "CKV_AWS_63", "CKV_AWS_107", "CKV_AWS_108", "CKV_AWS_109", "CKV_AWS_110",
    "CKV_AWS_111", "CKV_AWS_273", "CKV_AWS_274", "CKV_AWS_275", "CKV_AWS_283", "CKV_AWS_286",
    "CKV_AWS_287", "CKV_AWS_288", "CKV_AWS_289", "CKV_AWS_290", "CKV_AWS_348", "CKV_AWS_355",
    "CKV_AWS_356", "CKV_AWS_358", "CKV_AWS_393", "CKV2_AWS_14", "CKV2_AWS_21", "CKV2_AWS_22",
]

BASELINE_SCRIPT = r"""
import json, os, sys, time
t0 = time.perf_counter()
import hcl2
t1 = time.perf_counter()
root = sys.argv[1]
files = []
for d, dirs, names in os.walk(root):
    dirs[:] = sorted(x for x in dirs if not x.startswith("."))
    files += [os.path.join(d, n) for n in sorted(names) if n.endswith(".tf")]
size = failed = 0
texts = []
for f in files:
    with open(f, encoding="utf-8") as fh:
        texts.append(fh.read())
    size += len(texts[-1].encode())
# The baseline: python-hcl2's public API, hcl2.loads (text to dict), every file once.
t1 = time.perf_counter()
c1 = time.process_time()
for text in texts:
    try:
        hcl2.loads(text)
    except Exception:
        failed += 1
t2 = time.perf_counter()
c2 = time.process_time()
# For reference: only the lark parse-tree stage of the same parse (what lpgen itself does).
for text in texts:
    try:
        hcl2.parses_to_tree(text)
    except Exception:
        pass
t3 = time.perf_counter()
print(json.dumps({"files": len(files), "bytes": size, "failed": failed,
                  "import_s": t1 - t0, "parse_s": t2 - t1, "parse_cpu_s": c2 - c1,
                  "tree_only_s": t3 - t2}))
"""


# --------------------------------------------------------------------------------------------
# Running one subprocess: wall time, exit code, peak memory


@dataclass
class Run:
    """One measured subprocess."""

    label: str
    argv: list[str]
    status: str = "ok"  # ok | failed | timeout | missing | skipped
    exit_code: int | None = None
    seconds: float | None = None
    peak_rss_mb: float | None = None  # largest single process (wait4 ru_maxrss)
    tree_rss_mb: float | None = None  # sampled sum over the process tree
    cpu_seconds: float | None = None  # user + system, its own and its waited children's
    stdout_sha256: str | None = None
    stdout_bytes: int | None = None
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def peak_mb(self) -> float | None:
        vals = [v for v in (self.peak_rss_mb, self.tree_rss_mb) if v is not None]
        return max(vals) if vals else None


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: ppid follows the last ')'.
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def _tree_rss_bytes(pid: int, page: int) -> int:
    kids = _children_map()
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            pass
        stack.extend(kids.get(p, ()))
    return total


class TreeSampler(threading.Thread):
    """Samples the resident memory of a process and all its descendants."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self.stop = threading.Event()
        self.page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

    def run(self) -> None:
        if not Path("/proc").is_dir():
            return
        while not self.stop.wait(self.interval):
            try:
                self.peak = max(self.peak, _tree_rss_bytes(self.pid, self.page))
            except Exception:  # a vanished process while scanning /proc: try again
                continue


def measure(label: str, argv: list[str], *, cwd: Path, env: dict[str, str], stdout: Path,
            stderr: Path, timeout: float) -> Run:
    """Run ``argv`` to completion (or ``timeout``), measuring wall time and peak memory."""
    run = Run(label, argv)
    stdout.parent.mkdir(parents=True, exist_ok=True)
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err,
                                    start_new_session=True)
        except OSError as exc:
            run.status, run.note = "missing", str(exc)
            return run
        sampler = TreeSampler(proc.pid)
        sampler.start()
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        # wait4 gives this child's own rusage: ru_maxrss is the largest resident set of the
        # child and of the descendants it waited for.
        _, status, usage = os.wait4(proc.pid, 0)
        run.seconds = time.perf_counter() - start
        timer.cancel()
        sampler.stop.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    run.exit_code = proc.returncode
    run.peak_rss_mb = usage.ru_maxrss / 1024.0  # kilobytes on Linux
    run.cpu_seconds = usage.ru_utime + usage.ru_stime
    run.tree_rss_mb = sampler.peak / 2**20 if sampler.peak else None
    data = stdout.read_bytes()
    run.stdout_sha256 = hashlib.sha256(data).hexdigest()
    run.stdout_bytes = len(data)
    if timed_out.is_set():
        run.status, run.note = "timeout", f"killed after {timeout:.0f} s"
    return run


def tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])[:300]


# --------------------------------------------------------------------------------------------
# What the installed lpgen offers


@dataclass
class CommandInfo:
    name: str
    available: bool
    flags: set[str] = field(default_factory=set)
    note: str = ""


def probe_lpgen(lpgen: list[str], env: dict[str, str]) -> dict[str, CommandInfo]:
    """Which commands exist, and which of their flags (--no-cache, --jobs, ...)."""
    info: dict[str, CommandInfo] = {}
    for name in COMMANDS:
        try:
            res = subprocess.run([*lpgen, name, "--help"], env=env, capture_output=True,
                                 text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as exc:
            info[name] = CommandInfo(name, False, note=str(exc))
            continue
        if res.returncode != 0:
            msg = (res.stderr or res.stdout).strip().splitlines()
            info[name] = CommandInfo(name, False, note=msg[-1] if msg else "no such command")
            continue
        flags = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", res.stdout))
        info[name] = CommandInfo(name, True, flags)
    return info


def command_argv(name: str, tree: Path, snapshot: Path, flags: set[str]) -> list[str]:
    if name == "inventory":
        return ["inventory", str(tree), "--snapshot", str(snapshot), "--format", "json"]
    if name == "trim":
        return ["trim", str(tree), "--snapshot", str(snapshot), "--diff"]
    argv = ["check", str(tree), "--format", "json"]
    if "--snapshot" in flags:
        argv += ["--snapshot", str(snapshot)]
    if "--fail-on" in flags:
        # Findings are expected in a synthetic tree; exit 1 would only mean "found some".
        argv += ["--fail-on", "critical"]
    return argv


# --------------------------------------------------------------------------------------------
# Checkov


def checkov_iam_checks(checkov: str, env: dict[str, str]) -> list[str]:
    """The ids of Checkov's Terraform checks on IAM: every resource type they apply to is an
    IAM one (``aws_iam_*``, or IAM Identity Center's ``aws_ssoadmin_*`` policies)."""
    try:
        res = subprocess.run([checkov, "--list", "--framework", "terraform"], env=env,
                             capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired):
        return list(CHECKOV_IAM_FALLBACK)
    entities: dict[str, set[str]] = {}
    for line in res.stdout.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 4 and re.fullmatch(r"CKV2?_AWS_\d+", cells[2]):
            entities.setdefault(cells[2], set()).add(cells[4])
    ids = [cid for cid, ents in entities.items()
           if any(e.startswith("aws_iam_") for e in ents)
           and all(e.startswith(("aws_iam_", "aws_ssoadmin_")) for e in ents)]
    return sorted(ids, key=lambda c: (c.startswith("CKV2"), int(c.rsplit("_", 1)[1]))) or list(
        CHECKOV_IAM_FALLBACK)


# --------------------------------------------------------------------------------------------
# The benchmark


@dataclass
class ScaleResult:
    scale: float
    tree: str
    manifest: dict[str, Any]
    baseline: Run | None = None
    baseline_detail: dict[str, Any] = field(default_factory=dict)
    check_static: Run | None = None
    runs: dict[str, dict[str, Run]] = field(default_factory=dict)  # command -> mode -> run
    checkov: Run | None = None
    identical: dict[str, str] = field(default_factory=dict)
    source: str = ""  # digest of lpgen's source when this scale was measured
    load: float | None = None  # 1-minute load average when this scale started


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.out: Path = args.out.resolve()
        self.work: Path = (args.work or Path(tempfile.mkdtemp(prefix="lpgen-bench-"))).resolve()
        self.lpgen: list[str] = shlex.split(args.lpgen) if args.lpgen else [
            sys.executable, "-m", "lpgen"]
        self.env = dict(os.environ)
        if not args.lpgen:
            # Measure this working copy, not whatever lpgen happens to be installed.
            self.env["PYTHONPATH"] = os.pathsep.join(
                [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
        self.env.pop("LPGEN_DEBUG", None)
        self.env["XDG_CACHE_HOME"] = str(self.work / "xdg-cache")
        self.results: list[ScaleResult] = []
        self.info: dict[str, CommandInfo] = {}

    def log(self, msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    def env_for(self, cache: Path) -> dict[str, str]:
        env = dict(self.env)
        env["LPGEN_CACHE_DIR"] = str(cache)
        return env

    def clear_caches(self, tree: Path, cache: Path) -> None:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(self.work / "xdg-cache", ignore_errors=True)
        for p in (tree / ".lpgen-cache", REPO / ".lpgen-cache", Path.cwd() / ".lpgen-cache"):
            shutil.rmtree(p, ignore_errors=True)

    def run_all(self) -> int:
        self.out.mkdir(parents=True, exist_ok=True)
        self.work.mkdir(parents=True, exist_ok=True)
        compile_lpgen(sys.executable)
        self.info = probe_lpgen(self.lpgen, self.env)
        for name, ci in self.info.items():
            state = "available" if ci.available else f"MISSING ({ci.note})"
            extra = [f for f in ("--no-cache", "--jobs", "--cache-dir") if f in ci.flags]
            self.log(f"lpgen {name}: {state}{'; flags ' + ' '.join(extra) if extra else ''}")
        for i, scale in enumerate(self.args.scales):
            self.results.append(self.run_scale(scale, first=(i == 0)))
            self.write_results()
        report = self.report()
        print(report)
        (self.out / "results.md").write_text(report + "\n", encoding="utf-8")
        self.write_results()
        return 0

    def run_scale(self, scale: float, *, first: bool) -> ScaleResult:
        a = self.args
        tree = self.work / f"tree-x{scale:g}"
        self.log(f"\n== scale {scale:g}: generating {tree}")
        manifest = gen_monorepo.generate(tree, scale=scale, seed=a.seed)
        snapshot = tree / "snapshot.json"
        c = manifest["counts"]
        self.log(f"   {c['files_tf']} .tf files ({c['files_iam_tf']} IAM), "
                 f"{c['bytes_tf'] / 1e6:.1f} MB, {c['users']} users, {c['groups']} groups, "
                 f"{c['policies']} policies")
        res = ScaleResult(scale, str(tree), manifest, source=source_digest(),
                          load=os.getloadavg()[0] if hasattr(os, "getloadavg") else None)
        logs = self.out / f"x{scale:g}"

        # The baseline: python-hcl2, every .tf once, one process, no cache.
        self.log("   baseline: python-hcl2 parse of every .tf, sequential")
        py = a.baseline_python or self.lpgen_python()
        runs = [measure("baseline", [py, "-c", BASELINE_SCRIPT, str(tree)], cwd=self.work,
                        env=self.env, stdout=logs / "baseline.out", stderr=logs / "baseline.err",
                        timeout=a.timeout) for _ in range(a.repeat)]
        res.baseline = best(runs)
        if res.baseline.ok and res.baseline.exit_code == 0:
            res.baseline_detail = json.loads((logs / "baseline.out").read_text())
            # The script also times the parse-tree stage alone, for reference: that part
            # is not the baseline.
            if res.baseline.seconds is not None:
                res.baseline.seconds -= res.baseline_detail.get("tree_only_s", 0.0)
        else:
            res.baseline.status = res.baseline.status if not res.baseline.ok else "failed"
            res.baseline.note = tail(logs / "baseline.err")
        self.log(f"   baseline: {fmt_s(res.baseline)}")

        for name in a.commands:
            ci = self.info.get(name)
            res.runs[name] = {}
            if ci is None or not ci.available:
                res.runs[name]["cold"] = Run(name, [], status="missing",
                                             note=ci.note if ci else "")
                self.log(f"   {name}: missing")
                continue
            argv = [*self.lpgen, *command_argv(name, tree, snapshot, ci.flags)]
            cache = self.work / f"cache-x{scale:g}-{name}"
            modes = ["cold", "warm"] + (["no-cache"] if first and not a.no_compare else [])
            for mode in modes:
                mode_argv = list(argv)
                if mode == "no-cache":
                    # Cache off and, when lpgen offers it, one worker: the plain sequential path.
                    if "--no-cache" in ci.flags:
                        mode_argv.append("--no-cache")
                    if "--jobs" in ci.flags:
                        mode_argv += ["--jobs", "1"]
                attempts = []
                # Warm runs take a fraction of a second, where noise matters most: best of 3.
                for _ in range(a.repeat if mode != "warm" else max(a.repeat, 3)):
                    if mode != "warm":
                        self.clear_caches(tree, cache)
                    attempts.append(self.run_lpgen(f"{name}-{mode}", mode_argv, logs, cache))
                run = best(attempts)
                res.runs[name][mode] = run
                self.log(f"   {name} {mode}: {fmt_s(run)}"
                         f"{'' if run.peak_mb is None else f', peak {run.peak_mb:.0f} MB'}"
                         f"{'' if run.ok else ' ' + run.note}")
                if not run.ok and mode == "cold":
                    break
            res.identical[name] = compare_outputs(res.runs[name])

        if a.checkov and (first or a.checkov_all_scales):
            res.checkov = self.run_checkov(tree, logs)
            ci = self.info.get("check")
            if ci is not None and ci.available:
                # Like for like: Checkov's IAM checks are static rules, so lpgen check is
                # timed without usage data as well (cold), beside the run with a snapshot.
                static = [*self.lpgen, "check", str(tree), "--format", "json",
                          "--fail-on", "critical"]
                cache = self.work / f"cache-x{scale:g}-check-static"
                self.clear_caches(tree, cache)
                res.check_static = self.run_lpgen("check-static", static, logs, cache)
                self.log(f"   check (no snapshot) cold: {fmt_s(res.check_static)}")
        if source_digest() != res.source:
            res.source = "changed"
            self.log("   WARNING: lpgen's source changed while this scale was measured")
        return res

    def lpgen_python(self) -> str:
        # python-hcl2 must be importable by the baseline: use lpgen's interpreter.
        return self.lpgen[0] if self.lpgen[0].endswith(("python", "python3")) or (
            "python" in Path(self.lpgen[0]).name) else sys.executable

    def run_lpgen(self, label: str, argv: list[str], logs: Path, cache: Path) -> Run:
        run = measure(label, argv, cwd=self.work, env=self.env_for(cache),
                      stdout=logs / f"{label}.out", stderr=logs / f"{label}.err",
                      timeout=self.args.timeout)
        if run.ok and run.exit_code not in (0, 1):
            run.status = "failed"
            run.note = f"exit {run.exit_code}: {tail(logs / f'{label}.err')}"
        return run

    def run_checkov(self, tree: Path, logs: Path) -> Run:
        checkov = self.args.checkov_bin or shutil.which("checkov")
        if not checkov or not Path(checkov).exists():
            self.log("   checkov: not installed (pass --checkov-bin)")
            return Run("checkov", [], status="missing", note="checkov not installed")
        ids = checkov_iam_checks(checkov, self.env)
        argv = [checkov, "-d", str(tree), "--framework", "terraform", "--check", ",".join(ids),
                "--quiet", "--compact", "--skip-download"]
        env = dict(self.env)
        env.pop("PYTHONPATH", None)
        env["BC_SKIP_MAPPING"] = "TRUE"
        self.log(f"   checkov: {len(ids)} IAM checks")
        run = measure("checkov", argv, cwd=self.work, env=env, stdout=logs / "checkov.out",
                      stderr=logs / "checkov.err", timeout=self.args.timeout)
        if run.ok and run.exit_code not in (0, 1):
            run.status, run.note = "failed", f"exit {run.exit_code}: {tail(logs / 'checkov.err')}"
        run.note = run.note or f"{len(ids)} checks: {','.join(ids)}"
        self.log(f"   checkov: {fmt_s(run)}")
        return run

    # --- results -----------------------------------------------------------------------

    def write_results(self) -> None:
        data = {
            "machine": machine_info(),
            "lpgen": {k: {"available": v.available, "note": v.note}
                      for k, v in self.info.items()},
            "targets": {"cold_max": COLD_MAX, "warm_max": WARM_MAX, "checkov_min": CHECKOV_MIN,
                        "memory_max_mb": MEMORY_MAX_MB, "scaling_slack": SCALING_SLACK},
            "scales": [
                {
                    "scale": r.scale,
                    "tree": r.tree,
                    "manifest": r.manifest,
                    "baseline": asdict(r.baseline) if r.baseline else None,
                    "baseline_detail": r.baseline_detail,
                    "runs": {c: {m: asdict(x) for m, x in modes.items()}
                             for c, modes in r.runs.items()},
                    "checkov": asdict(r.checkov) if r.checkov else None,
                    "check_static": asdict(r.check_static) if r.check_static else None,
                    "identical": r.identical,
                    "source": r.source,
                    "load_average": r.load,
                }
                for r in self.results
            ],
            "verdicts": [asdict(v) for v in self.verdicts()],
        }
        (self.out / "results.json").write_text(json.dumps(data, indent=2) + "\n",
                                               encoding="utf-8")

    def verdicts(self) -> list[Verdict]:
        out: list[Verdict] = []
        if not self.results:
            return out
        base = self.results[0]
        bsec = base.baseline.seconds if base.baseline and base.baseline.ok else None
        for name in self.args.commands:
            for mode, limit in (("cold", COLD_MAX), ("warm", WARM_MAX)):
                if name == "inventory" and mode == "cold":
                    continue  # the cold target is set for trim and check
                run = base.runs.get(name, {}).get(mode)
                target = f"{name} {mode} <= {limit}x baseline (x{base.scale:g})"
                if run is None or not run.ok or bsec is None or run.seconds is None:
                    out.append(Verdict(target, "n/a", None, run.status if run else "not run"))
                    continue
                ratio = run.seconds / bsec
                out.append(Verdict(target, "PASS" if ratio <= limit else "FAIL", ratio,
                                   f"{run.seconds:.2f} s / {bsec:.2f} s"))
        check = base.check_static or base.runs.get("check", {}).get("cold")
        if self.args.checkov:
            ck = base.checkov
            target = f"check >= {CHECKOV_MIN:g}x faster than Checkov IAM checks"
            with_usage = base.runs.get("check", {}).get("cold")
            if ck and ck.ok and check and check.ok and check.seconds and ck.seconds:
                ratio = ck.seconds / check.seconds
                detail = f"{ck.seconds:.2f} s / {check.seconds:.2f} s (check cold, static rules)"
                if with_usage and with_usage.ok and with_usage.seconds:
                    detail += (f"; with --snapshot: {ck.seconds / with_usage.seconds:.1f}x "
                               f"({with_usage.seconds:.2f} s)")
                out.append(Verdict(target, "PASS" if ratio >= CHECKOV_MIN else "FAIL", ratio,
                                   detail))
            else:
                why = "checkov " + (ck.status if ck else "not run") if not (ck and ck.ok) else (
                    "check " + (check.status if check else "not run"))
                out.append(Verdict(target, "n/a", None, why))
        # Peak memory: at the first scale, and at every scale up to about 20 MB of .tf.
        for res in self.results:
            mb = res.manifest.get("counts", {}).get("bytes_tf", 0) / 1e6
            if res is not base and mb > MEMORY_AT_MAX_TF_MB:
                continue
            peaks = [(f"{n} {m}", r.peak_mb) for n, modes in res.runs.items()
                     for m, r in modes.items() if r.ok and r.peak_mb is not None]
            if peaks:
                who, peak = max(peaks, key=lambda p: p[1] or 0.0)
                out.append(Verdict(f"peak memory < {MEMORY_MAX_MB:g} MB (x{res.scale:g}, "
                                   f"{mb:.1f} MB of .tf)",
                                   "PASS" if peak < MEMORY_MAX_MB else "FAIL", peak, who))
        for r in self.results[1:]:
            k = r.scale / base.scale
            for name in self.args.commands:
                a_run = base.runs.get(name, {}).get("cold")
                b_run = r.runs.get(name, {}).get("cold")
                target = (f"{name} cold x{r.scale:g} <= {SCALING_SLACK * k:g}x "
                          f"time of x{base.scale:g}")
                if a_run and b_run and a_run.ok and b_run.ok and a_run.seconds and b_run.seconds:
                    ratio = b_run.seconds / a_run.seconds
                    out.append(Verdict(target, "PASS" if ratio <= SCALING_SLACK * k else "FAIL",
                                       ratio, f"{b_run.seconds:.2f} s / {a_run.seconds:.2f} s"))
                else:
                    out.append(Verdict(target, "n/a", None, "not measured"))
        for name, verdict in base.identical.items():
            out.append(Verdict(f"{name} output identical cold/warm/no-cache",
                               "PASS" if verdict.startswith("identical") else (
                                   "n/a" if verdict.startswith("n/a") else "FAIL"),
                               None, verdict))
        return out

    def report(self) -> str:
        lines = ["## lpgen benchmark", "", f"Machine: {machine_info()['summary']}", ""]
        if len({r.source for r in self.results}) > 1:
            lines += ["**Warning: lpgen's source changed during the run; the numbers of "
                      "different scales come from different code and the scaling ratios "
                      "mean nothing. Run it again.**", ""]
        lines += ["| scale | .tf files | MB | users | groups | policies | baseline (s) | "
                  "baseline KB/s | load avg |", "|---|---|---|---|---|---|---|---|---|"]
        for r in self.results:
            c = r.manifest["counts"]
            b = r.baseline
            kbs = (c["bytes_tf"] / 1024 / b.seconds) if b and b.ok and b.seconds else None
            lines.append(f"| {r.scale:g}x | {c['files_tf']} | {c['bytes_tf'] / 1e6:.1f} | "
                         f"{c['users']} | {c['groups']} | {c['policies']} | {fmt_s(b)} | "
                         f"{'-' if kbs is None else f'{kbs:.0f}'} | "
                         f"{'-' if r.load is None else f'{r.load:.1f}'} |")
        lines += ["", "| scale | command | mode | seconds | x baseline | peak MB | exit |",
                  "|---|---|---|---|---|---|---|"]
        for r in self.results:
            bsec = r.baseline.seconds if r.baseline and r.baseline.ok else None
            for name, modes in r.runs.items():
                for mode, run in modes.items():
                    ratio = (f"{run.seconds / bsec:.3f}" if run.ok and run.seconds and bsec
                             else "-")
                    peak = f"{run.peak_mb:.0f}" if run.ok and run.peak_mb else "-"
                    code = "-" if run.exit_code is None else run.exit_code
                    lines.append(f"| {r.scale:g}x | {name} | {mode} | {fmt_s(run)} | {ratio} | "
                                 f"{peak} | {code} |")
            if r.check_static:
                cs = r.check_static
                ratio = f"{cs.seconds / bsec:.3f}" if cs.ok and cs.seconds and bsec else "-"
                peak = f"{cs.peak_mb:.0f}" if cs.ok and cs.peak_mb else "-"
                code = "-" if cs.exit_code is None else cs.exit_code
                lines.append(f"| {r.scale:g}x | check (no snapshot) | cold | {fmt_s(cs)} | "
                             f"{ratio} | {peak} | {code} |")
            if r.checkov:
                ck = r.checkov
                ratio = f"{ck.seconds / bsec:.3f}" if ck.ok and ck.seconds and bsec else "-"
                peak = f"{ck.peak_mb:.0f}" if ck.ok and ck.peak_mb else "-"
                code = "-" if ck.exit_code is None else ck.exit_code
                lines.append(f"| {r.scale:g}x | checkov (IAM checks) | - | {fmt_s(ck)} | "
                             f"{ratio} | {peak} | {code} |")
        if len(self.results) > 1:
            base = self.results[0]
            lines += ["", "Scaling (cold time relative to the first scale):", "",
                      "| scale | baseline | " + " | ".join(self.args.commands) + " |",
                      "|---|---|" + "---|" * len(self.args.commands)]
            for r in self.results[1:]:
                cells = [ratio_of(r.baseline, base.baseline)]
                cells += [ratio_of(r.runs.get(n, {}).get("cold"), base.runs.get(n, {}).get("cold"))
                          for n in self.args.commands]
                lines.append(f"| {r.scale / base.scale:g}x | " + " | ".join(cells) + " |")
        trees = [(r.scale, r.baseline_detail.get("tree_only_s")) for r in self.results]
        if any(t for _, t in trees):
            lines += ["", "For reference, python-hcl2's lark parse-tree stage alone",
                      "(`parses_to_tree`, what lpgen itself runs on the files it parses),",
                      "and cold runs against it:", "",
                      "| scale | parse trees only (s) | trim cold / that | check cold / that |",
                      "|---|---|---|---|"]
            for r in self.results:
                t = r.baseline_detail.get("tree_only_s")
                if not t:
                    continue
                cells = []
                for name in ("trim", "check"):
                    run = r.runs.get(name, {}).get("cold")
                    cells.append(f"{run.seconds / t:.3f}" if run and run.ok and run.seconds
                                 else "-")
                lines.append(f"| {r.scale:g}x | {t:.2f} | {cells[0]} | {cells[1]} |")
        lines += ["", "| target | result | measured | detail |", "|---|---|---|---|"]
        for v in self.verdicts():
            val = "-" if v.value is None else f"{v.value:.3f}"
            lines.append(f"| {v.target} | {v.result} | {val} | {v.detail} |")
        return "\n".join(lines)


@dataclass
class Verdict:
    target: str
    result: str  # PASS | FAIL | n/a
    value: float | None
    detail: str


def best(runs: list[Run]) -> Run:
    """The fastest successful attempt (the usual way to denoise wall times), else the last."""
    good = [r for r in runs if r.ok and r.seconds is not None]
    return min(good, key=lambda r: r.seconds or 0.0) if good else runs[-1]


def compare_outputs(modes: dict[str, Run]) -> str:
    done = {m: r for m, r in modes.items() if r.ok and r.stdout_sha256}
    if len(done) < 2:
        return "n/a (fewer than two runs succeeded)"
    digests = {r.stdout_sha256 for r in done.values()}
    names = "/".join(done)
    if len(digests) == 1:
        size = next(iter(done.values())).stdout_bytes
        return f"identical ({names}, {size} bytes)"
    return "DIFFERENT: " + ", ".join(f"{m}={r.stdout_sha256[:12]}"  # type: ignore[index]
                                     for m, r in done.items())


def ratio_of(a: Run | None, b: Run | None) -> str:
    if a and b and a.ok and b.ok and a.seconds and b.seconds:
        return f"{a.seconds / b.seconds:.2f}x"
    return "-"


def fmt_s(run: Run | None) -> str:
    if run is None:
        return "-"
    if not run.ok:
        return run.status
    return f"{run.seconds:.2f}" if run.seconds is not None else "-"


def compile_lpgen(python: str) -> None:
    """Byte-compile lpgen's modules before timing it, as installing it does.

    A checkout run with ``PYTHONDONTWRITEBYTECODE`` set (or a read-only one) would otherwise
    compile every module it imports on every run, about 0.1 s that an installed lpgen never
    pays and that would swamp the start-up and warm figures.
    """
    subprocess.run([python, "-m", "compileall", "-q", str(REPO / "lpgen")],
                   capture_output=True, check=False)  # fmt: skip


def source_digest() -> str:
    """A digest of lpgen's Python source, to notice code changing under a long run."""
    h = hashlib.sha256()
    for p in sorted((REPO / "lpgen").rglob("*.py")):
        h.update(p.relative_to(REPO).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:12]


def machine_info() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 2**20:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    try:
        from importlib.metadata import version

        hcl2v = version("python-hcl2")
    except Exception:
        hcl2v = "?"
    rev = ""
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        rev = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
    cores = os.cpu_count()
    summary = (f"{cores} cores ({cpu or platform.machine()}), {mem}, Python "
               f"{platform.python_version()}, python-hcl2 {hcl2v}, lpgen at {rev or '?'}")
    return {"cores": cores, "cpu": cpu, "memory": mem, "python": platform.python_version(),
            "python_hcl2": hcl2v, "git_rev": rev, "summary": summary}


def parse_scales(text: str) -> list[float]:
    try:
        scales = [float(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers like 1,2,4, got {text!r}") from None
    if not scales or any(s <= 0 for s in scales):
        raise argparse.ArgumentTypeError("scales must be positive")
    return scales


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scales", type=parse_scales, default=[1.0, 2.0, 4.0],
                    help="tree sizes to measure, the first is the reference (default 1,2,4)")
    ap.add_argument("--out", type=Path, default=HERE / "out",
                    help="where logs, outputs and results go (default benchmarks/out)")
    ap.add_argument("--work", type=Path,
                    help="where the trees and caches go (default a new temporary directory)")
    ap.add_argument("--commands", type=lambda s: [c for c in s.split(",") if c],
                    default=list(COMMANDS), help="lpgen commands to time (default all)")
    ap.add_argument("--lpgen", help="lpgen command line (default: python -m lpgen from this "
                    "checkout)")
    ap.add_argument("--baseline-python", help="interpreter with python-hcl2 for the baseline")
    ap.add_argument("--repeat", type=int, default=1, help="attempts per measurement; the "
                    "fastest counts (default 1; warm runs always at least 3)")
    ap.add_argument("--timeout", type=float, default=1800.0,
                    help="seconds before a run is killed (default 1800)")
    ap.add_argument("--seed", type=int, default=8, help="generator seed (default 8)")
    ap.add_argument("--no-compare", action="store_true",
                    help="skip the --no-cache (and --jobs 1) runs used for the output comparison")
    ap.add_argument("--checkov", action="store_true", help="also time Checkov's IAM checks")
    ap.add_argument("--checkov-bin", help="path of the checkov executable")
    ap.add_argument("--checkov-all-scales", action="store_true",
                    help="run Checkov at every scale, not only the first")
    args = ap.parse_args(argv)
    unknown = [c for c in args.commands if c not in COMMANDS]
    if unknown:
        ap.error(f"unknown command(s): {', '.join(unknown)}")
    if args.checkov_bin:
        args.checkov = True
    return Bench(args).run_all()


if __name__ == "__main__":
    sys.exit(main())
