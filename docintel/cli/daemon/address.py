"""Where the background process of this caller listens: one per user, ``$DOCINTEL_HOME``, code and settings.

Imported by the launcher before anything else, so only the standard library is used here.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

ENV_SWITCH = "DOCINTEL_DAEMON"  # 0/off: never; anything else (default): use it, starting it when needed
ENV_IDLE = "DOCINTEL_DAEMON_IDLE"
DEFAULT_IDLE_S = 600.0
FORWARDED_COMMANDS = frozenset({"ask", "search", "pack", "plan"})
# Settings read when a module is imported or a model is loaded: a caller with other values gets its own process.
# Every other variable (API keys, DOCINTEL_REDACT...) is read per command from the caller's environment.
_SETTINGS_PREFIXES = ("DOCINTEL_", "HF_", "OMP_", "ONNX", "PYTHON")
_NOT_SETTINGS = frozenset({ENV_SWITCH, ENV_IDLE, "DOCINTEL_QUIET", "DOCINTEL_PROGRESS_INTERVAL", "PYTHONUNBUFFERED"})


def enabled(env: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    return env.get(ENV_SWITCH, "1").strip().lower() not in ("0", "off", "false", "no")


def idle_seconds() -> float:
    try:
        return max(1.0, float(os.environ.get(ENV_IDLE, DEFAULT_IDLE_S)))
    except ValueError:
        return DEFAULT_IDLE_S


def home() -> Path:
    env = os.environ.get("DOCINTEL_HOME")
    if env:
        return Path(env).expanduser()
    from docintel.config import home as configured  # platformdirs: only when no DOCINTEL_HOME is set

    return configured()


def _code_stamp() -> str:
    """Names, sizes and mtimes of docintel's own source files: an edited or upgraded install gets a new process."""
    package = Path(__file__).resolve().parents[2]  # docintel/
    roots = [package, *(package.parent / name for name in ("routers", "ingest", "tui"))]  # editable checkout layout
    h = hashlib.sha256(sys.executable.encode())
    for root in roots:
        if not root.is_dir():
            continue
        stack = [str(root)]
        while stack:
            for entry in os.scandir(stack.pop()):
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        stack.append(entry.path)
                elif entry.name.endswith((".py", ".md", ".toml", ".json")):
                    st = entry.stat()
                    h.update(f"{entry.path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def key() -> str:
    settings = sorted(
        (k, v) for k, v in os.environ.items() if k.startswith(_SETTINGS_PREFIXES) and k not in _NOT_SETTINGS
    )
    h = hashlib.sha256(f"{os.getuid()}\0{home().resolve()}\0{_code_stamp()}\0{settings!r}".encode())
    return h.hexdigest()[:20]


def folder() -> Path:
    """A folder only this user can enter (unix socket paths must stay under ~100 bytes, so not under the home)."""
    # tempfile.gettempdir()'s first choices, without importing tempfile (10 ms of every command)
    base = next((os.environ[v] for v in ("TMPDIR", "TEMP", "TMP") if os.path.isdir(os.environ.get(v, ""))), "/tmp")
    return Path(base) / f"docintel-{os.getuid()}"


def socket_path(k: str | None = None) -> Path:
    return folder() / f"{k or key()}.sock"


def is_private(path: Path) -> bool:
    """``path`` is owned by this user and nobody else may enter or read it (checked by the caller too: a folder
    another user made in /tmp must not receive this user's environment, API keys included)."""
    try:
        st = path.stat()
    except OSError:
        return False
    return st.st_uid == os.getuid() and not st.st_mode & 0o077


def make_folder() -> Path:
    path = folder()
    path.mkdir(mode=0o700, exist_ok=True)
    if not is_private(path):
        raise PermissionError(f"{path} is not private to this user")
    return path
