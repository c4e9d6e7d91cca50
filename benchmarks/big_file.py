"""Time lpgen on one big file: thousands of managed policies and users with inline policies.

    python benchmarks/big_file.py [--policies 5000] [--users 20000] [--work DIR]

Writes one ``main.tf`` with ``--policies`` customer-managed policies (``jsonencode``) and
``--users`` users, each with an inline policy naming its user by literal name and a group
membership, once at a quarter of the size and once at full size, and times ``lpgen inventory
--format json``, ``lpgen inventory`` (text) and ``lpgen check`` with ``--no-cache`` on both.
Growth must stay linear: the full size at most 4.4 times the quarter size; and peak memory
(of the whole process tree) must stay under 1 GB at both sizes. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from run import MEMORY_MAX_MB, measure, tail  # noqa: E402

SLACK = 1.1


def write_tree(out: Path, policies: int, users: int) -> int:
    out.mkdir(parents=True, exist_ok=True)
    parts = ['resource "aws_iam_group" "all" {\n  name = "all"\n}\n']
    for i in range(policies):
        parts.append(
            f'resource "aws_iam_policy" "p{i}" {{\n  name   = "policy-{i}"\n'
            f'  policy = jsonencode({{\n    Version = "2012-10-17"\n    Statement = [{{\n'
            f'      Effect   = "Allow"\n      Action   = ["s3:GetObject", "sqs:Send*"]\n'
            f'      Resource = "arn:aws:s3:::bucket-{i}/*"\n    }}]\n  }})\n}}\n')
    for i in range(users):
        parts.append(
            f'resource "aws_iam_user" "u{i}" {{\n  name = "user-{i}"\n}}\n'
            f'resource "aws_iam_user_policy" "u{i}" {{\n  name   = "own"\n'
            f'  user   = "user-{i}"\n  policy = jsonencode({{\n'
            f'    Version   = "2012-10-17"\n'
            f'    Statement = [{{ Effect = "Allow", Action = "s3:ListBucket", Resource = "*" }}]\n'
            f'  }})\n}}\n'
            f'resource "aws_iam_user_group_membership" "u{i}" {{\n'
            f'  user   = aws_iam_user.u{i}.name\n  groups = [aws_iam_group.all.name]\n}}\n')
    text = "".join(parts)
    (out / "main.tf").write_text(text, encoding="utf-8")
    return len(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--policies", type=int, default=5000)
    ap.add_argument("--users", type=int, default=20000)
    ap.add_argument("--work", type=Path)
    ap.add_argument("--timeout", type=float, default=1800.0)
    args = ap.parse_args(argv)
    work = (args.work or Path(tempfile.mkdtemp(prefix="lpgen-big-"))).resolve()
    env = dict(os.environ, PYTHONPATH=str(REPO), LPGEN_CACHE_DIR=str(work / "cache"))
    commands = {
        "inventory json": ["inventory", "--format", "json", "--no-cache"],
        "inventory text": ["inventory", "--no-cache"],
        "check": ["check", "--format", "json", "--fail-on", "critical", "--no-cache"],
    }
    times: dict[tuple[str, str], float | None] = {}
    peaks: dict[tuple[str, str], float | None] = {}
    print("| size | command | seconds | peak MB | exit |\n|---|---|---|---|---|")
    for label, k in (("1/4", 4), ("1", 1)):
        tree = work / f"x{k}"
        size = write_tree(tree, args.policies // k, args.users // k)
        for name, cmd in commands.items():
            argv_ = [sys.executable, "-m", "lpgen", cmd[0], str(tree), *cmd[1:]]
            stem = f"x{k}.{name.replace(' ', '-')}"
            run = measure(name, argv_, cwd=work, env=env, stdout=work / f"{stem}.out",
                          stderr=work / f"{stem}.err", timeout=args.timeout)
            ok = run.ok and run.exit_code in (0, 1)
            times[(label, name)] = run.seconds if ok else None
            peaks[(label, name)] = run.peak_mb if ok else None
            peak = f"{run.peak_mb:.0f}" if run.peak_mb else "-"
            secs = f"{run.seconds:.2f}" if run.seconds is not None else "-"
            note = "" if ok else f" {run.status}: {tail(work / f'{stem}.err')}"
            print(f"| {label} ({args.policies // k} policies, {args.users // k} users, "
                  f"{size / 1e6:.1f} MB) | {name} | {secs} | {peak} | {run.exit_code}{note} |",
                  flush=True)
    failed = False
    print("\n| command | full ÷ quarter | limit | result |\n|---|---|---|---|")
    for name in commands:
        a, b = times.get(("1/4", name)), times.get(("1", name))
        if not a or not b:
            print(f"| {name} | - | {4 * SLACK:.1f} | n/a |")
            failed = True
            continue
        ratio = b / a
        failed |= ratio > 4 * SLACK
        print(f"| {name} | {ratio:.2f} | {4 * SLACK:.1f} | "
              f"{'PASS' if ratio <= 4 * SLACK else 'FAIL'} |")
    print("\n| size | command | peak MB | limit | result |\n|---|---|---|---|---|")
    for (label, name), peak in peaks.items():
        ok = peak is not None and peak < MEMORY_MAX_MB
        failed |= not ok
        shown = f"{peak:.0f}" if peak is not None else "-"
        print(f"| {label} | {name} | {shown} | {MEMORY_MAX_MB:.0f} | "
              f"{'PASS' if ok else 'FAIL' if peak is not None else 'n/a'} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
