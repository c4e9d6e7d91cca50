"""File digests are computed once per process, and never outlive a change of the file."""

from __future__ import annotations

import os
import time
from pathlib import Path

from lpgen.terraform import cache


def test_a_file_changed_after_hashing_gets_a_new_digest(tmp_path: Path) -> None:
    f = tmp_path / "main.tf"
    f.write_text("a = 1\n")
    old = time.time() - 60
    os.utime(f, (old, old))
    first = cache.file_digest(f)
    assert str(f) in cache._DIGESTS  # old enough to be remembered
    f.write_text("a = 2\n")  # same size, new content: the time of the change differs
    assert cache.file_digest(f) != first
    assert cache.file_digest(f) == cache.file_digest(f)


def test_a_file_written_just_now_is_hashed_every_time(tmp_path: Path) -> None:
    f = tmp_path / "main.tf"
    f.write_text("a = 1\n")
    first = cache.file_digest(f)
    assert str(f) not in cache._DIGESTS
    mtime = f.stat().st_mtime_ns
    f.write_text("a = 3\n")
    os.utime(f, ns=(mtime, mtime))  # rewritten within the same timestamp tick
    assert cache.file_digest(f) != first
