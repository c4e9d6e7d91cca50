"""Compare lpgen's two Terraform readers on real trees: same trees, and how much faster.

    python benchmarks/readers.py DIR [DIR ...] [--out FILE.json]

For every ``.tf`` file under each DIR (each DIR is one row of the report; use the trees
``benchmarks/real_repos.py`` extracts), in one run: python-hcl2's lark parse (the reference
reader, what lpgen used alone before), the fast reader (tree-sitter's HCL grammar turned into
the same lark trees), and whether their trees are the same node by node and position by
position. A file the fast reader declines is read by python-hcl2 in lpgen; "declined" counts
them. "mismatch" must be 0: any other figure is a bug. Times are process CPU seconds with the
garbage collector paused (as lpgen reads), so a busy machine distorts them less.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from lpgen.terraform.fastparse import first_difference, parse_fast  # noqa: E402
from lpgen.terraform.parse import _parser, for_parser  # noqa: E402


def measure(tree: Path) -> dict[str, object]:
    texts = []
    for path in sorted(tree.rglob("*.tf")):
        if not path.is_file() or any(p.startswith(".") for p in path.relative_to(tree).parts):
            continue
        try:
            texts.append((path, for_parser(path.read_bytes().decode("utf-8"))))
        except (OSError, UnicodeDecodeError):
            continue
    ref_time = fast_time = 0.0
    same = declined = rejected = 0
    mismatches: list[str] = []
    parser = _parser()
    gc.disable()
    try:
        for path, text in texts:
            t0 = time.process_time()
            try:
                ref = parser.parse(text)
            except Exception:
                ref = None
            t1 = time.process_time()
            fast = parse_fast(text)
            t2 = time.process_time()
            ref_time += t1 - t0
            fast_time += t2 - t1
            if ref is None:
                rejected += 1
                if fast is not None:
                    mismatches.append(f"{path}: read, but python-hcl2 rejects it")
            elif fast is None:
                declined += 1
            elif (where := first_difference(fast, ref)) is not None:
                mismatches.append(f"{path}: trees differ at character {where}")
            else:
                same += 1
            del ref, fast
    finally:
        gc.enable()
    return {
        "tree": tree.name,
        "files": len(texts),
        "MB": round(sum(len(t.encode()) for _, t in texts) / 1e6, 2),
        "python-hcl2 (s)": round(ref_time, 2),
        "fast reader (s)": round(fast_time, 2),
        "speed-up": round(ref_time / fast_time, 1) if fast_time else None,
        "same": same,
        "declined": declined,
        "python-hcl2 rejects": rejected,
        "mismatch": len(mismatches),
        "mismatches": mismatches[:20],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("trees", nargs="+", type=Path)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    rows = [measure(t) for t in args.trees]
    cols = ["tree", "files", "MB", "python-hcl2 (s)", "fast reader (s)", "speed-up", "same",
            "declined", "python-hcl2 rejects", "mismatch"]  # fmt: skip
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for row in rows:
        print("| " + " | ".join(str(row[c]) for c in cols) + " |")
    total_ref = sum(float(r["python-hcl2 (s)"]) for r in rows)  # type: ignore[arg-type]
    total_fast = sum(float(r["fast reader (s)"]) for r in rows)  # type: ignore[arg-type]
    print(f"\nwhole set: python-hcl2 {total_ref:.2f} s, fast reader {total_fast:.2f} s "
          f"({total_ref / total_fast:.1f}x)" if total_fast else "")
    for row in rows:
        for m in row["mismatches"]:  # type: ignore[attr-defined]
            print("MISMATCH", m)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2) + "\n")
    return 1 if any(r["mismatch"] for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
