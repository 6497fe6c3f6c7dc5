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
from dataclasses import asdict, dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any

from docintel.corpus import SPAN_CORE, SourceSpan, span_field_defaults
from docintel.errors import IndexBusyError
from docintel.index.chunks import Chunk

SCHEMA_VERSION = "2"  # 2: kind-specific span fields in one JSON column by name; files.kind
DB_NAME = "index.sqlite3"
LOCK_NAME = "write.lock"
WRITER_NAME = "writer.json"
_GENERATION_FILE = re.compile(r"^(vectors|lexical)-(\d+)(\.faiss)?(\.tmp\d*)?$")

_CHUNKS_TABLE = """
CREATE TABLE IF NOT EXISTS chunks (
    vid INTEGER PRIMARY KEY,   -- the FAISS id of this chunk's vector
    id TEXT NOT NULL,
    path TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    start_line INTEGER NOT NULL,
    end_line INTEGER NOT NULL,
    span_fields TEXT NOT NULL, -- JSON object: the span's kind-specific fields by name (page, clause, speaker, ...)
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
_FILES_TABLE = """
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, chunks INTEGER NOT NULL,
                                  kind TEXT NOT NULL DEFAULT 'text');
"""
_SCHEMA = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);" + _FILES_TABLE + _CHUNKS_TABLE

# Columns by name: rows are read with sqlite3.Row and written with named parameters, never by position.
CHUNK_COLUMNS = (
    "vid",
    "id",
    "path",
    "start",
    "end",
    "start_line",
    "end_line",
    "span_fields",
    "tokens",
    "unit",
    "name",
    "context",
    "text",
    "embed_hash",
)
_SELECT = ", ".join(f'"{c}"' for c in CHUNK_COLUMNS)
_INSERT = f"INSERT OR REPLACE INTO chunks ({_SELECT}) VALUES ({', '.join(':' + c for c in CHUNK_COLUMNS)})"


@dataclass(frozen=True)
class StoredChunk:
    """One row of the chunks table: the chunk, its FAISS id and the hash of its embedding input."""

    vid: int
    chunk: Chunk
    embed_hash: str


def span_fields_json(span: SourceSpan) -> str:
    """The span's kind-specific fields that differ from their defaults, as a JSON object (sorted keys)."""
    out: dict[str, Any] = {}
    for name, default in span_field_defaults().items():
        value = getattr(span, name)
        if value == default:
            continue
        if isinstance(value, tuple):  # a tuple of dataclasses (marks): a list of objects
            value = [asdict(v) if is_dataclass(v) and not isinstance(v, type) else v for v in value]
        out[name] = value
    return json.dumps(out, sort_keys=True, ensure_ascii=False)


def span_from_fields(path: str, start: int, end: int, start_line: int, end_line: int, data: str) -> SourceSpan:
    """The SourceSpan of a stored row; fields unknown to this version of SourceSpan are ignored."""
    known = {f.name: f for f in fields(SourceSpan)}
    values: dict[str, Any] = {}
    for name, value in json.loads(data or "{}").items():
        f = known.get(name)
        if f is None or name in SPAN_CORE:
            continue
        item = f.metadata.get("json_item")
        if item is not None and isinstance(value, list):
            value = tuple(item(**v) if isinstance(v, dict) else v for v in value)
        elif isinstance(value, list):
            value = tuple(value)
        values[name] = value
    return SourceSpan(path=path, start=start, end=end, start_line=start_line, end_line=end_line, **values)


def row_to_stored(row: sqlite3.Row) -> StoredChunk:
    span = span_from_fields(
        row["path"], row["start"], row["end"], row["start_line"], row["end_line"], row["span_fields"]
    )
    chunk = Chunk(
        id=row["id"],
        text=row["text"],
        span=span,
        tokens=row["tokens"],
        unit=row["unit"],
        name=row["name"],
        context=row["context"],
    )
    return StoredChunk(int(row["vid"]), chunk, row["embed_hash"])


def stored_to_params(stored: StoredChunk) -> dict[str, Any]:
    chunk, span = stored.chunk, stored.chunk.span
    return {
        "vid": stored.vid,
        "id": chunk.id,
        "path": span.path,
        "start": span.start,
        "end": span.end,
        "start_line": span.start_line,
        "end_line": span.end_line,
        "span_fields": span_fields_json(span),
        "tokens": chunk.tokens,
        "unit": chunk.unit,
        "name": chunk.name,
        "context": chunk.context,
        "text": chunk.text,
        "embed_hash": stored.embed_hash,
    }


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

    def files_by_kind(self) -> dict[str, str]:
        """path -> document kind of every indexed file."""
        with self._lock:
            try:
                return dict(self._db.execute("SELECT path, kind FROM files").fetchall())
            except sqlite3.OperationalError:  # an index of format 1 (no kind column) until it is rebuilt
                return {}

    def _rows(self, sql: str, params: Iterable[Any]) -> list[sqlite3.Row]:
        cursor = self._db.cursor()
        cursor.row_factory = sqlite3.Row
        return cursor.execute(sql, tuple(params)).fetchall()

    def chunk_rows(self, where: str = "", params: Iterable[Any] = ()) -> list[StoredChunk]:
        with self._lock:
            rows = self._rows(f"SELECT {_SELECT} FROM chunks {where} ORDER BY path, start", params)
        return [row_to_stored(r) for r in rows]

    def chunk_extents(self) -> list[tuple[str, int, int, int]]:
        """(path, start, end, tokens) of every chunk: what sizing needs, without the chunks' text."""
        with self._lock:
            rows = self._db.execute('SELECT path, start, "end", tokens FROM chunks').fetchall()
        return [(str(p), int(a), int(b), int(t)) for p, a, b, t in rows]

    def chunks_by_vid(self, vids: list[int]) -> dict[int, Chunk]:
        out: dict[int, Chunk] = {}
        with self._lock:
            for i in range(0, len(vids), 500):
                part = vids[i : i + 500]
                marks = ",".join("?" * len(part))
                for row in self._rows(f"SELECT {_SELECT} FROM chunks WHERE vid IN ({marks})", part):
                    out[int(row["vid"])] = row_to_stored(row).chunk
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
        upserted_rows: list[StoredChunk],
        files: dict[str, tuple[str, int, str]],
        clear: bool = False,
    ) -> None:
        """Apply one update in one transaction. ``files``: path -> (sha256, chunk count, kind) of added/changed
        files; ``clear`` empties the index first (a rebuild), recreating its tables in this version's format."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                if clear:  # an index of an older format has other columns: drop and recreate (DDL is transactional)
                    db.execute("DROP TABLE IF EXISTS chunks")
                    db.execute("DROP TABLE IF EXISTS files")
                    for statement in (_FILES_TABLE + _CHUNKS_TABLE).split(";"):
                        if statement.strip():
                            db.execute(statement)
                db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in removed_paths])
                db.executemany("DELETE FROM chunks WHERE vid = ?", [(v,) for v in removed_vids])
                db.executemany(_INSERT, [stored_to_params(r) for r in upserted_rows])
                db.executemany(
                    "INSERT OR REPLACE INTO files (path, sha256, chunks, kind) VALUES (?, ?, ?, ?)",
                    [(p, sha, n, kind) for p, (sha, n, kind) in files.items()],
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
