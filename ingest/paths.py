"""File names that are not valid UTF-8: one printable, reversible spelling for every later stage.

Linux file names are bytes; Python hands a name with a byte that is not UTF-8 (``bad\\xff.txt``) over as a string
with a lone surrogate (``'bad\\udcff.txt'``), which SQLite, JSON writers, tokenizers and HTTP clients refuse. The
walk therefore names such a file ``bad\\xff.txt`` (a literal backslash escape, as ``ls -b`` prints it): a valid
Unicode string that every stage can store, hash, print and send. ``fs_path`` maps it back to the real file.
Valid UTF-8 names are left exactly as they are.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_ESCAPE = re.compile(rb"\\x([0-9a-f]{2})")


def portable_name(name: str) -> str:
    """``name`` as the corpus spells it: unchanged when it is valid UTF-8, else its bytes with ``\\xNN`` escapes."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")
    return name


def is_escaped(rel: str) -> bool:
    """True when ``rel`` may hold ``\\xNN`` escapes written by ``portable_name``."""
    return "\\x" in rel


def fs_path(root: Path, rel: str) -> Path:
    """The file on disk that corpus path ``rel`` names (the inverse of ``portable_name``)."""
    plain = root / rel
    if not is_escaped(rel) or plain.exists():
        return plain
    raw = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), rel.encode("utf-8"))
    return root / os.fsdecode(raw)
