"""The on-disk index of one corpus: SQLite (WAL) for chunk metadata and file hashes, FAISS and BM25 files
beside it, all under ``docintel.config.corpus_dir`` (never inside the corpus).

Crash safety by generation number: a writer builds ``vectors-<g+1>.faiss`` and ``lexical-<g+1>/`` under temp
names, renames them into place, and only then commits the SQLite transaction that sets ``generation = g+1``
together with every row change. Readers follow the committed generation, so a run killed at any point leaves
the previous index as it was; leftovers of a killed run are deleted by the next writer. The files of the
previous generation are kept one more round for readers that loaded it just before a commit.

One writer at a time: ``write_lock`` fails at once with IndexBusyError (we do not queue writers: the second
run would redo the first one's work; the message says to retry once the other finishes). Readers never lock.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from docintel.chunks import Chunk
from docintel.corpus import SourceSpan
from docintel.errors import IndexBusyError

SCHEMA_VERSION = "1"
DB_NAME = "index.sqlite3"
LOCK_NAME = "write.lock"
WRITER_NAME = "writer.json"
_GENERATION_FILE = re.compile(r"^(vectors|lexical)-(\d+)(\.faiss)?(\.tmp\d*)?$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, chunks INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    vid INTEGER PRIMARY KEY,   -- the FAISS id of this chunk's vector
    id TEXT NOT NULL,
    path TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    start_line INTEGER NOT NULL,
    end_line INTEGER NOT NULL,
    page INTEGER,
    clause TEXT,
    speaker TEXT,
    start_time REAL,
    end_time REAL,
    tokens INTEGER NOT NULL,
    unit TEXT NOT NULL,
    name TEXT,
    context TEXT NOT NULL,
    text TEXT NOT NULL,
    embed_hash TEXT NOT NULL  -- of the embedding input: equal hash, reusable vector
);
CREATE INDEX IF NOT EXISTS chunks_by_path ON chunks (path, start);
CREATE INDEX IF NOT EXISTS chunks_by_id ON chunks (id);
"""

CHUNK_COLUMNS = (
    'vid, id, path, start, "end", start_line, end_line, page, clause, speaker, start_time, end_time, '
    "tokens, unit, name, context, text, embed_hash"
)


def row_to_chunk(row: sqlite3.Row | tuple[Any, ...]) -> Chunk:
    (_vid, cid, path, start, end, sl, el, page, clause, speaker, st, et, tokens, unit, name, context, text) = tuple(
        row
    )[:17]
    span = SourceSpan(path, start, end, sl, el, page, clause, speaker, st, et)
    return Chunk(id=cid, text=text, span=span, tokens=tokens, unit=unit, name=name, context=context)


def chunk_to_row(vid: int, chunk: Chunk, embed_hash: str) -> tuple[Any, ...]:
    s = chunk.span
    return (
        vid, chunk.id, s.path, s.start, s.end, s.start_line, s.end_line, s.page, s.clause, s.speaker,
        s.start_time, s.end_time, chunk.tokens, chunk.unit, chunk.name, chunk.context, chunk.text, embed_hash,
    )  # fmt: skip


class Store:
    """SQLite metadata + generation-numbered files of one corpus index directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(directory / DB_NAME, timeout=30.0, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()  # one connection, shared by threads (TUI workers)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- reading -------------------------------------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        with self._lock:
            return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def generation(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    def files(self) -> dict[str, str]:
        with self._lock:
            return dict(self._db.execute("SELECT path, sha256 FROM files").fetchall())

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query inside sees one committed state."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield self._db
            finally:
                self._db.execute("COMMIT")

    def chunk_rows(self, where: str = "", params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(
                f"SELECT {CHUNK_COLUMNS} FROM chunks {where} ORDER BY path, start", tuple(params)
            ).fetchall()

    def chunks_by_vid(self, vids: list[int]) -> dict[int, Chunk]:
        out: dict[int, Chunk] = {}
        with self._lock:
            for i in range(0, len(vids), 500):
                part = vids[i : i + 500]
                marks = ",".join("?" * len(part))
                for row in self._db.execute(f"SELECT {CHUNK_COLUMNS} FROM chunks WHERE vid IN ({marks})", part):
                    out[int(row[0])] = row_to_chunk(row)
        return out

    def vector_path(self, generation: int) -> Path:
        return self.directory / f"vectors-{generation}.faiss"

    def lexical_path(self, generation: int) -> Path:
        return self.directory / f"lexical-{generation}"

    # -- writing -------------------------------------------------------------------------------------------
    @contextmanager
    def write_lock(self, what: str) -> Iterator[None]:
        """Hold the single-writer lock; IndexBusyError at once if another process holds it."""
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.directory / LOCK_NAME), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise IndexBusyError(
                f"another docintel process is updating the index of {what}{self._writer_hint()}; "
                "wait for it to finish, then run this again"
            ) from None
        try:
            (self.directory / WRITER_NAME).write_text(json.dumps({"pid": os.getpid(), "since": time.time()}))
            yield
        finally:
            lock.release()

    def _writer_hint(self) -> str:
        try:
            data = json.loads((self.directory / WRITER_NAME).read_text())
            return f" (pid {int(data['pid'])}, for {time.time() - float(data['since']):.0f} s)"
        except (OSError, ValueError, KeyError, TypeError):
            return ""

    def commit(
        self,
        *,
        generation: int,
        meta: dict[str, str],
        removed_paths: Iterable[str],
        removed_vids: Iterable[int],
        upserted_rows: list[tuple[Any, ...]],
        files: dict[str, tuple[str, int]],
        clear: bool = False,
    ) -> None:
        """Apply one update in one transaction. ``files``: path -> (sha256, chunk count) of added/changed files;
        ``clear`` empties the index first (a rebuild)."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                if clear:
                    db.execute("DELETE FROM chunks")
                    db.execute("DELETE FROM files")
                db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in removed_paths])
                db.executemany("DELETE FROM chunks WHERE vid = ?", [(v,) for v in removed_vids])
                db.executemany(
                    f"INSERT OR REPLACE INTO chunks ({CHUNK_COLUMNS}) VALUES ({','.join('?' * 18)})", upserted_rows
                )
                db.executemany(
                    "INSERT OR REPLACE INTO files (path, sha256, chunks) VALUES (?, ?, ?)",
                    [(p, sha, n) for p, (sha, n) in files.items()],
                )
                meta = {**meta, "generation": str(generation), "schema": SCHEMA_VERSION}
                db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", list(meta.items()))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def remove_stale_files(self, keep: set[int]) -> None:
        """Delete generation files not in ``keep`` (older rounds, leftovers of killed runs). Writers only."""
        for entry in self.directory.iterdir():
            match = _GENERATION_FILE.match(entry.name)
            if not match or (int(match.group(2)) in keep and not match.group(4)):
                continue
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
