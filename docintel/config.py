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
    from docintel.ingest.paths import portable_name

    resolved = root.expanduser().resolve()
    # surrogateescape / portable_name: a folder name that is not UTF-8 still gets a key and a printable state folder
    digest = hashlib.sha256(str(resolved).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return home() / "corpora" / f"{portable_name(resolved.name) or 'root'}-{digest}"
