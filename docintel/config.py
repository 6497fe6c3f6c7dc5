"""Where docintel keeps its state: never inside the user's corpus."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def home() -> Path:
    """``$DOCINTEL_HOME`` or the user cache directory."""
    env = os.environ.get("DOCINTEL_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("docintel"))


def corpus_dir(root: Path) -> Path:
    """The state directory of one corpus (index, cache records), keyed by its resolved path."""
    resolved = root.expanduser().resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:16]
    return home() / "corpora" / f"{resolved.name or 'root'}-{digest}"
