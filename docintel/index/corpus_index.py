"""The corpus index: chunks of a Corpus with their embeddings (FAISS) and BM25 terms, on disk, incremental.

``open_corpus(path)`` is what the front ends call: read the corpus, open its index, bring it up to date, and
hand both back. ``CorpusIndex.update`` re-embeds only what changed: files whose content hash differs, and inside
them only chunks whose embedding input (context + text) is new; vectors of unchanged chunks are kept even when
their offsets moved. See ``docintel.index.store`` for how a write stays atomic and single.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from docintel.config import corpus_dir
from docintel.corpus import Corpus, Document
from docintel.errors import DocintelError
from docintel.index.chunks import Chunk, build_chunks
from docintel.index.embedder import Embedder, QueryMemo, get_embedder
from docintel.index.fusion import reciprocal_rank_fusion
from docintel.index.store import SCHEMA_VERSION, Store, StoredChunk
from docintel.ingest.paths import portable_name

if TYPE_CHECKING:
    import numpy as np

    from docintel.index.lexical import LexicalIndex
    from docintel.index.vector_store import Vectors, VectorStoreSpec

Progress = Callable[[int, int, str], None]  # (chunks embedded, chunks to embed, current path)
SearchMode = Literal["fused", "vector", "lexical"]
SEARCH_MODES: tuple[SearchMode, ...] = ("fused", "vector", "lexical")
# What the model reads per chunk (Chunk.embed_text); another version means the stored vectors are of other inputs.
EMBED_INPUT_VERSION = "2"  # 2: the header names the file by base name (shared embedding cache)
QUERY_VECTORS = 64
CANDIDATES = 100  # per list before fusion: deep enough that RRF can lift a chunk ranked well by only one list


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float  # fused: RRF score (x boost); vector: cosine; lexical: BM25
    vector_rank: int | None = None  # 1-based rank in the vector list, None if not in it
    lexical_rank: int | None = None


@dataclass(frozen=True)
class UpdateReport:
    added_files: int
    changed_files: int
    removed_files: int
    unchanged_files: int
    embedded_chunks: int  # chunks whose vectors were computed in this update
    removed_chunks: int
    total_chunks: int
    seconds: float
    reused_chunks: int = 0  # chunks of changed files whose vector was kept (same context and text)
    cached_chunks: int = 0  # new chunks whose vector came from the shared embedding cache (docintel.index.embed_cache)
    rebuilt: bool = False  # the whole index was rebuilt (other model, other format)
    message: str | None = None  # why it was rebuilt, for the user
    model: str = ""
    vector_kind: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _embed_hash(chunk: Chunk) -> str:
    return hashlib.sha1(chunk.embed_text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class _Loaded:
    """The in-memory view of one committed generation."""

    generation: int
    vectors: Vectors | None
    lexical: LexicalIndex | None
    vids: np.ndarray  # lexical row -> vector id (chunks in (path, start) order)
    paths: list[str]  # lexical row -> document path
    pool: np.ndarray | None = None  # lexical row -> in the default retrieval pool; None: every row is


class CorpusIndex:
    def __init__(
        self,
        root: Path,
        store: Store,
        embedder: Embedder,
        *,
        target_tokens: int = 300,
        max_tokens: int = 400,
        hnsw_threshold: int | None = None,
        vector_store: str | VectorStoreSpec | None = None,
    ) -> None:
        from docintel.index.vector_index import HNSW_THRESHOLD
        from docintel.index.vector_store import VectorStoreSpec, chosen_vector_store

        # Where the vectors live: FAISS files (default) or Milvus (--vector-store, $DOCINTEL_VECTOR_STORE, else
        # the store this index was built with).
        if isinstance(vector_store, VectorStoreSpec):
            self.vector_spec = vector_store
        else:
            self.vector_spec = chosen_vector_store(vector_store, store.meta().get("vector_store"))

        self.root = root
        self.store = store
        self.embedder = embedder
        # One question is searched several times (a full prompt's passages, a retrieve prompt, an evaluation's
        # strategies): its embedding is computed once, whatever the embedder (a plug-in, Ray) memoizes itself.
        self._query_vectors = QueryMemo(QUERY_VECTORS)
        self.target_tokens = target_tokens
        self.max_tokens = max_tokens
        self.hnsw_threshold = hnsw_threshold or HNSW_THRESHOLD
        self._loaded: _Loaded | None = None
        self._load_lock = threading.Lock()

    @classmethod
    def open(cls, path: Path, *, model: str | None = None, **options: Any) -> CorpusIndex:
        """The index of the corpus at ``path`` (a folder or a file), under ``docintel.config.corpus_dir``."""
        path = Path(path).expanduser().resolve()
        return cls(path, Store(corpus_dir(path)), get_embedder(model), **options)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> CorpusIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def directory(self) -> Path:
        return self.store.directory

    def rebuild_reason(self, meta: Mapping[str, str] | None = None) -> str | None:
        """Why the stored index cannot be used with this embedder (None when it can, or when it is empty)."""
        meta = self.store.meta() if meta is None else meta
        if "generation" not in meta:
            return None
        if meta.get("schema") != SCHEMA_VERSION:
            return f"the index format changed ({meta.get('schema')} -> {SCHEMA_VERSION})"
        if meta.get("embed_input", "1") != EMBED_INPUT_VERSION:
            return "the embedding input changed (chunk headers name files by base name)"
        if meta.get("model") != self.embedder.model_id:
            return f"the index was built with embedding model {meta.get('model')!r}, now {self.embedder.model_id!r}"
        if meta.get("vector_store", "faiss") != self.vector_spec.label:
            return f"the vectors were kept in {meta.get('vector_store', 'faiss')}, now in {self.vector_spec.label}"
        return None

    # -- update --------------------------------------------------------------------------------------------
    def update(self, corpus: Corpus, progress: Progress | None = None) -> UpdateReport:
        """Bring the index in line with ``corpus``; re-embed only new chunk texts. IndexBusyError if another
        process is writing this index."""
        started = time.monotonic()
        if not self._needs_write(corpus):
            return self._report(corpus, started, embedded=0, reused=0, removed=0, rebuilt=None)
        with self.store.write_lock(str(self.root)):
            return self._update_locked(corpus, progress, started)

    def _needs_write(self, corpus: Corpus) -> bool:
        meta = self.store.meta()
        if "generation" not in meta or self.rebuild_reason(meta):
            return True
        stored = self.store.files()
        return stored != {d.path: d.sha256 for d in _indexed(corpus)}

    def _report(
        self,
        corpus: Corpus,
        started: float,
        *,
        embedded: int,
        reused: int,
        removed: int,
        rebuilt: str | None,
        diff: tuple[int, int, int, int] | None = None,
        cached: int = 0,
    ) -> UpdateReport:
        meta = self.store.meta()
        added, changed, removed_files, unchanged = diff or (0, 0, 0, len(_indexed(corpus)))
        with self.store.snapshot() as db:
            total = int(db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])
        return UpdateReport(
            added_files=added,
            changed_files=changed,
            removed_files=removed_files,
            unchanged_files=unchanged,
            embedded_chunks=embedded,
            removed_chunks=removed,
            total_chunks=total,
            seconds=round(time.monotonic() - started, 3),
            reused_chunks=reused,
            cached_chunks=cached,
            rebuilt=rebuilt is not None,
            message=f"rebuilding the whole index: {rebuilt}" if rebuilt else None,
            model=meta.get("model", self.embedder.model_id),
            vector_kind=meta.get("vector_kind", ""),
        )

    def _update_locked(self, corpus: Corpus, progress: Progress | None, started: float) -> UpdateReport:
        import numpy as np

        from docintel.index.lexical import LexicalIndex
        from docintel.index.vector_index import kind_for
        from docintel.index.vector_store import load_vectors, new_vectors

        store = self.store
        meta = store.meta()
        generation = int(meta.get("generation", "0"))
        store.remove_stale_files(keep={generation, generation - 1})  # leftovers of a killed run
        rebuild = self.rebuild_reason(meta)
        with store.snapshot() as db:
            old_total = int(db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])
        stored = {} if rebuild else store.files()
        current = {d.path: d for d in _indexed(corpus)}
        added = [p for p in current if p not in stored]
        changed = [p for p in current if p in stored and stored[p] != current[p].sha256]
        removed_paths = [p for p in stored if p not in current]
        unchanged = len(current) - len(added) - len(changed)
        diff = (len(added), len(changed), len(removed_paths), unchanged)

        # Old vectors of changed files, by embedding input: a chunk whose context and text are unchanged keeps its
        # vector even if edits above it moved its offsets.
        old_rows = (
            [] if rebuild else store.chunk_rows("WHERE path IN (SELECT value FROM json_each(?))", [_json(changed)])
        )
        reusable: dict[str, list[int]] = {}
        for row in old_rows:
            reusable.setdefault(row.embed_hash, []).append(row.vid)
        removed_vids: list[int] = []
        if removed_paths and not rebuild:
            removed_vids += [
                r.vid
                for r in store.chunk_rows("WHERE path IN (SELECT value FROM json_each(?))", [_json(removed_paths)])
            ]

        next_vid = int(meta.get("next_vid", "1")) if not rebuild else 1
        rows: list[StoredChunk] = []
        to_embed: list[tuple[int, Chunk]] = []
        files: dict[str, tuple[str, int, str]] = {}
        reused = 0
        for path in sorted(added + changed):
            doc = current[path]
            chunks = build_chunks(doc, self.target_tokens, self.max_tokens)
            files[path] = (doc.sha256, len(chunks), doc.kind)
            for chunk in chunks:
                h = _embed_hash(chunk)
                if reusable.get(h):
                    vid = reusable[h].pop()
                    reused += 1
                else:
                    vid, next_vid = next_vid, next_vid + 1
                    to_embed.append((vid, chunk))
                rows.append(StoredChunk(vid, chunk, h))
        removed_vids += [v for vids in reusable.values() for v in vids]

        def report_embedding(done: int, total: int) -> None:
            if progress:
                progress(done, total, to_embed[min(done, total) - 1][1].span.path if done else "")

        if progress:
            progress(0, len(to_embed), "")
        if to_embed:
            # The shared cache (by embedding input) first: a sub-folder or a copy of an indexed corpus embeds nothing.
            from docintel.index.embed_cache import embed_with_cache

            vectors_new, computed = embed_with_cache(
                self.embedder, [c.embed_text for _, c in to_embed], progress=report_embedding
            )
            dimension = int(vectors_new.shape[1])
        else:  # only deletions: no need to load the model
            computed = 0
            dimension = int(meta["dimension"]) if "dimension" in meta and not rebuild else self.embedder.dimension
            vectors_new = np.zeros((0, dimension), dtype=np.float32)

        # Vectors: the previous generation's file, edited; or a fresh index for a rebuild.
        if rebuild or generation == 0 or not store.vector_path(generation).exists():
            vectors = new_vectors(self.vector_spec, dimension, directory=store.directory)
        else:
            vectors = load_vectors(
                self.vector_spec,
                store.vector_path(generation),
                meta.get("vector_kind", "flat"),
                directory=store.directory,
                dimension=dimension,
            )
        vectors.remove(np.asarray(removed_vids, dtype=np.int64))
        vectors.add(np.asarray([v for v, _ in to_embed], dtype=np.int64), vectors_new)
        wanted_kind = kind_for(len(vectors), self.hnsw_threshold)
        if wanted_kind != vectors.kind:
            vectors.rebuild(wanted_kind)

        # Lexical: rebuilt from every chunk text of the new state (a few seconds for ~1M tokens; measured in
        # benchmarks/bench_retrieval.py), in (path, start) order like chunks().
        kept = (
            []
            if rebuild
            else store.chunk_rows(
                "WHERE path NOT IN (SELECT value FROM json_each(?))", [_json(changed + removed_paths)]
            )
        )
        # BM25 reads the context header too: a question naming the file ("the NDA between CopAcc and ToP
        # Mentors", "src/flask/sessions.py") then matches every chunk of that file.
        state = sorted(
            (r.chunk.span.path, r.chunk.span.start, r.vid, f"{r.chunk.context}\n{r.chunk.text}") for r in [*kept, *rows]
        )
        lexical = LexicalIndex([text for *_, text in state])
        new_generation = generation + 1
        vectors.save(store.vector_path(new_generation))
        lexical_path = store.lexical_path(new_generation)
        lexical.save(lexical_path)
        np.save(lexical_path / "vids.npy", np.asarray([vid for _, _, vid, _ in state], dtype=np.int64))

        store.commit(
            generation=new_generation,
            meta={
                "model": self.embedder.model_id,
                "embed_input": EMBED_INPUT_VERSION,
                "dimension": str(dimension),
                "vector_kind": vectors.kind,
                "vector_store": self.vector_spec.label,
                "next_vid": str(next_vid),
                "root": portable_name(str(self.root)),  # SQLite text: a folder name that is not UTF-8, escaped
            },
            removed_paths=removed_paths,
            removed_vids=removed_vids,
            upserted_rows=rows,
            files=files,
            clear=rebuild is not None,
        )
        vectors.committed()
        store.remove_stale_files(keep={new_generation, generation})
        return self._report(
            corpus,
            started,
            embedded=computed,
            cached=len(to_embed) - computed,
            reused=reused,
            removed=len(removed_vids) + old_total if rebuild else len(removed_vids),
            rebuilt=rebuild,
            diff=diff,
        )

    # -- reading -------------------------------------------------------------------------------------------
    def _current(self) -> _Loaded:
        """The loaded view of the latest committed generation (reloaded when another process committed)."""
        import numpy as np

        from docintel.index.lexical import LexicalIndex
        from docintel.index.vector_store import load_vectors

        with self._load_lock:
            with self.store.snapshot() as db:
                meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
                generation = int(meta.get("generation", "0"))
                if self._loaded and self._loaded.generation == generation:
                    return self._loaded
                rows = db.execute("SELECT vid, path FROM chunks ORDER BY path, start").fetchall()
            if generation == 0:
                self._loaded = _Loaded(0, None, None, np.zeros(0, dtype=np.int64), [])
                return self._loaded
            pool = _pool_mask([r[1] for r in rows], self.store.files_by_kind())
            try:
                vectors = load_vectors(
                    self.vector_spec,
                    self.store.vector_path(generation),
                    meta.get("vector_kind", "flat"),
                    directory=self.store.directory,
                    dimension=int(meta.get("dimension", "0") or 0),
                )
                lexical = LexicalIndex.load(self.store.lexical_path(generation))
                vids = np.load(self.store.lexical_path(generation) / "vids.npy")
            except (OSError, RuntimeError) as e:
                raise DocintelError(
                    f"the index in {self.directory} is damaged ({e}); delete that folder and index again"
                ) from None
            if len(vids) != len(rows) or not np.array_equal(vids, np.asarray([r[0] for r in rows], np.int64)):
                raise DocintelError(
                    f"the index in {self.directory} is inconsistent; delete that folder and index again"
                )
            vectors.restrict_to(vids)  # a shared store (Milvus) may hold ids of a run not yet committed
            self._loaded = _Loaded(generation, vectors, lexical, vids, [r[1] for r in rows], pool)
            return self._loaded

    def query_vector(self, query: str) -> Any:
        """The embedding of ``query`` (memoized: see ``_query_vectors``)."""
        return self._query_vectors.get(query, self.embedder.embed_query)

    def search(
        self,
        query: str,
        k: int = 10,
        *,
        mode: SearchMode = "fused",
        paths: Collection[str] | None = None,
        boost: Mapping[str, float] | None = None,
        include_aside: bool = False,
    ) -> list[Hit]:
        """Best ``k`` chunks for ``query``. ``paths`` limits the search to those documents; ``boost`` maps a
        chunk id or a document path to a factor applied to the fused score (``score * (1 + boost)``).
        Documents set aside from the corpus (data files, vendored libraries, generated code) are searched only
        with ``include_aside`` (``docintel search --include-data``)."""
        import numpy as np

        if mode not in SEARCH_MODES:
            raise DocintelError(f"unknown search mode {mode!r}; use one of {', '.join(SEARCH_MODES)}")
        loaded = self._current()
        if loaded.vectors is None or loaded.lexical is None or k <= 0 or not len(loaded.vids):
            return []
        allowed_rows: np.ndarray | None = None
        if paths is not None:
            wanted = set(paths)
            allowed_rows = np.fromiter((p in wanted for p in loaded.paths), dtype=bool, count=len(loaded.paths))
        if loaded.pool is not None and not include_aside:
            allowed_rows = loaded.pool if allowed_rows is None else allowed_rows & loaded.pool
        depth = max(k, CANDIDATES) if mode == "fused" else k

        vector_list: list[tuple[int, float]] = []
        if mode in ("fused", "vector"):
            reason = self.rebuild_reason()
            if reason:
                raise DocintelError(f"{reason}: run `docintel index {self.root}` to rebuild it")
            allowed_vids = loaded.vids[allowed_rows] if allowed_rows is not None else None
            vector_list = loaded.vectors.search(self.query_vector(query), depth, allowed_vids)
        lexical_list: list[tuple[int, float]] = []
        if mode in ("fused", "lexical"):
            lexical_list = [(int(loaded.vids[row]), s) for row, s in loaded.lexical.top(query, depth, allowed_rows)]

        ranked: list[tuple[int, float, int | None, int | None]]
        if mode == "vector":
            ranked = [(vid, score, rank, None) for rank, (vid, score) in enumerate(vector_list, 1)]
        elif mode == "lexical":
            ranked = [(vid, score, None, rank) for rank, (vid, score) in enumerate(lexical_list, 1)]
        else:
            chunk_of: dict[int, Chunk] = {}
            boost_of = None
            if boost:
                candidates = list(dict.fromkeys([v for v, _ in vector_list] + [v for v, _ in lexical_list]))
                chunk_of = self.store.chunks_by_vid(candidates)

                def boost_of(vid: int) -> float:
                    chunk = chunk_of.get(vid)
                    if chunk is None:
                        return 0.0
                    return float(boost.get(chunk.id, boost.get(chunk.span.path, 0.0)))

            fused = reciprocal_rank_fusion(
                {"vector": [v for v, _ in vector_list], "lexical": [v for v, _ in lexical_list]}, boost=boost_of
            )
            ranked = [(f.key, f.score, f.ranks.get("vector"), f.ranks.get("lexical")) for f in fused]
        ranked = ranked[:k]
        chunks = self.store.chunks_by_vid([vid for vid, *_ in ranked])
        return [Hit(chunks[vid], float(score), vrank, lrank) for vid, score, vrank, lrank in ranked if vid in chunks]

    def chunks(self) -> list[Chunk]:
        """Every chunk, in document order (path, start)."""
        return [r.chunk for r in self.store.chunk_rows()]

    def chunk_extents(self) -> list[tuple[str, int, int, int]]:
        """(path, start, end, tokens) of every chunk, without its text (cheap: sizing a prompt before it exists)."""
        return self.store.chunk_extents()

    def stats(self) -> dict[str, Any]:
        meta = self.store.meta()
        with self.store.snapshot() as db:
            files = int(db.execute("SELECT COUNT(*) FROM files").fetchone()[0])
            chunks = int(db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])
        return {
            "directory": str(self.directory),
            "files": files,
            "chunks": chunks,
            "generation": int(meta.get("generation", "0")),
            "model": meta.get("model"),
            "dimension": int(meta["dimension"]) if "dimension" in meta else None,
            "vector_kind": meta.get("vector_kind"),
        }


def _indexed(corpus: Corpus) -> tuple[Document, ...]:
    """Every document the index holds: the corpus and the documents set aside (searchable on request)."""
    return (*corpus.documents, *corpus.aside)


def _pool_mask(paths: list[str], kinds: Mapping[str, str]) -> np.ndarray | None:
    """Per lexical row: is its document in the default retrieval pool (None when all of them are)."""
    import numpy as np

    from docintel.kinds import get_kind

    aside = {kind for kind in set(kinds.values()) if not get_kind(kind).in_corpus}
    if not aside:
        return None
    return np.fromiter((kinds.get(p) not in aside for p in paths), dtype=bool, count=len(paths))


def _json(values: list[str]) -> str:
    import json

    return json.dumps(values)


def open_corpus(
    path: Path | str,
    *,
    progress: Progress | None = None,
    model: str | None = None,
    load_progress: Callable[[int, int, str], None] | None = None,
) -> tuple[Corpus, CorpusIndex]:
    """Read the corpus at ``path``, open its index and bring it up to date (what search, ask, the API and the
    TUI call). ``progress`` reports embedding (chunks), ``load_progress`` reading (files)."""
    from docintel.ingest import load_corpus
    from docintel.inputs import require_documents

    corpus = require_documents(load_corpus(path, progress=load_progress))  # before any index file is written
    index = CorpusIndex.open(Path(path), model=model)
    try:
        index.update(corpus, progress)
    except BaseException:
        index.close()
        raise
    return corpus, index
