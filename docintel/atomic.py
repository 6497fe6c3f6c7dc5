"""Files replaced in one step: written beside the target, then renamed over it, so a reader (or a process killed
mid-write) sees the old file or the whole new one, never half of one."""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


def replace_atomically(path: Path, write: Callable[[IO[bytes]], object], *, prefix: str = ".tmp-") -> None:
    """Create ``path``'s folder, call ``write`` on a temp file in it (same filesystem), then rename it to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def pickle_atomically(path: Path, value: Any, *, prefix: str = ".tmp-") -> None:
    replace_atomically(path, lambda f: pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL), prefix=prefix)
