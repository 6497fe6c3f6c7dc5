"""Atomic file replacement: a failed write leaves the old file whole and no temp file behind."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from docintel.atomic import pickle_atomically, replace_atomically


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "state" / "cache.pickle"
    pickle_atomically(target, {"generation": 1})  # the folder is made
    assert pickle.loads(target.read_bytes()) == {"generation": 1}

    def half_then_fail(f) -> None:
        f.write(b"half a file")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        replace_atomically(target, half_then_fail, prefix=".cache-")
    assert pickle.loads(target.read_bytes()) == {"generation": 1}
    assert sorted(p.name for p in target.parent.iterdir()) == ["cache.pickle"]  # no temp file left
    pickle_atomically(target, {"generation": 2})
    assert pickle.loads(target.read_bytes()) == {"generation": 2}
