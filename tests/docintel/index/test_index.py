"""CorpusIndex with the real model, real FAISS files and real SQLite under a temp DOCINTEL_HOME."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from docintel.errors import DocintelError, IndexBusyError
from docintel.index.chunks import build_chunks
from docintel.index.corpus_index import SEARCH_MODES, CorpusIndex, open_corpus
from docintel.index.embedder import Embedder, EmbedProgress, get_embedder
from docintel.index.store import Store
from docintel.ingest import load_corpus


class RecordingEmbedder:
    """The real embedder, recording what it was asked to embed (not a fake: vectors come from the model)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.embedded: list[str] = []

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed(self, texts: Sequence[str], *, progress: EmbedProgress | None = None) -> np.ndarray:
        self.embedded.extend(texts)
        return self.inner.embed(texts, progress=progress)

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)


def _function(name: str, topic: str) -> str:
    body = "".join(f"    {topic}_{i} = compute_{topic}(record, step={i})  # {topic} step {i}\n" for i in range(14))
    return f'def {name}(record):\n    """Handle the {topic} of a record."""\n{body}    return record\n\n\n'


def _write_corpus(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "billing.py").write_text(_function("charge_card", "invoice") + _function("refund", "refund"))
    (root / "shipping.py").write_text(_function("pack_parcel", "parcel") + _function("track", "tracking"))
    (root / "notes.txt").write_text("The zebra migration happens every spring across the river delta.\n")
    (root / "legal.txt").write_text("Either party may terminate this agreement with ninety days written notice.\n")


def _open(root: Path, embedder: Embedder | None = None, **options: object) -> CorpusIndex:
    from docintel.config import corpus_dir

    return CorpusIndex(root.resolve(), Store(corpus_dir(root)), embedder or get_embedder(), **options)  # type: ignore[arg-type]


def _consistent(index: CorpusIndex) -> None:
    """SQLite rows, FAISS ids and the BM25 row map describe the same chunks."""
    loaded = index._current()
    chunk_rows = index.store.chunk_rows()
    vids = sorted(r.vid for r in chunk_rows)
    assert loaded.vectors is not None
    assert sorted(loaded.vectors.ids().tolist()) == vids
    assert sorted(loaded.vids.tolist()) == vids


@pytest.mark.usefixtures("hash_embedder")  # index mechanics, not embeddings
def test_incremental_update_embeds_only_changed_chunks(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    _write_corpus(root)
    recorder = RecordingEmbedder(get_embedder())
    index = _open(root, recorder)
    first = index.update(load_corpus(root))
    assert (first.added_files, first.changed_files, first.removed_files) == (4, 0, 0)
    assert first.embedded_chunks == first.total_chunks == len(recorder.embedded) >= 6
    before = {c.id: c for c in index.chunks()}
    _consistent(index)

    # edit billing.py (a new function at the top shifts every offset), add one file, delete one
    old_billing = (root / "billing.py").read_text()
    (root / "billing.py").write_text(_function("apply_discount", "discount") + old_billing)
    (root / "pricing.txt").write_text("Prices are listed in euros and include value added tax.\n")
    (root / "notes.txt").unlink()
    recorder.embedded.clear()
    corpus = load_corpus(root)
    report = index.update(corpus)
    assert (report.added_files, report.changed_files, report.removed_files, report.unchanged_files) == (1, 1, 1, 2)

    # exactly the chunks whose embedding input is new were embedded
    old_inputs = {c.embed_text for c in before.values()}
    new_chunks = [c for d in corpus.documents if d.path in ("billing.py", "pricing.txt") for c in build_chunks(d)]
    expected = sorted(c.embed_text for c in new_chunks if c.embed_text not in old_inputs)
    assert sorted(recorder.embedded) == expected
    assert report.embedded_chunks == len(expected) == 2  # apply_discount's chunk + pricing.txt
    moved = [c for c in new_chunks if c.span.path == "billing.py" and c.embed_text in old_inputs]
    assert moved and report.reused_chunks == len(moved)
    assert all(c.id not in before for c in moved)  # offsets moved: new ids, kept vectors

    after = {c.id: c for c in index.chunks()}
    assert {c.span.path for c in after.values()} == {"billing.py", "legal.txt", "pricing.txt", "shipping.py"}
    assert {i for i, c in before.items() if c.span.path == "shipping.py"} <= set(after)  # untouched
    assert report.removed_chunks == 1  # notes.txt's chunk
    assert report.total_chunks == len(after)
    _consistent(index)
    assert index.search("zebra migration", 3, mode="lexical") == []
    top = index.search("discount for a record", 1)[0]
    assert top.chunk.name == "apply_discount"
    text = (root / "billing.py").read_text()
    assert text[top.chunk.span.start : top.chunk.span.end] == top.chunk.text

    # nothing changed: no write, no embedding
    recorder.embedded.clear()
    again = index.update(load_corpus(root))
    assert again.embedded_chunks == 0 and again.unchanged_files == 4 and recorder.embedded == []
    index.close()


@pytest.mark.usefixtures("hash_embedder")  # index mechanics, not embeddings
def test_search_modes_filter_and_boost(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    _write_corpus(root)
    corpus, index = open_corpus(root)
    try:
        for mode in SEARCH_MODES:
            hits = index.search("terminate the agreement with notice", 3, mode=mode)
            assert hits[0].chunk.span.path == "legal.txt", mode
        fused = index.search("parcel tracking", 4)
        assert fused[0].chunk.span.path == "shipping.py"
        assert fused[0].vector_rank is not None and fused[0].lexical_rank is not None
        assert [h.score for h in fused] == sorted((h.score for h in fused), reverse=True)
        only = index.search("parcel tracking", 4, paths={"billing.py", "notes.txt"})
        assert only and {h.chunk.span.path for h in only} <= {"billing.py", "notes.txt"}
        boosted = index.search("parcel tracking", 4, boost={"notes.txt": 5.0})
        assert boosted[0].chunk.span.path == "notes.txt"
        assert index.search("parcel tracking", 2, mode="lexical", paths=set()) == []
        with pytest.raises(DocintelError):
            index.search("x", mode="semantic")  # type: ignore[arg-type]
        chunks = index.chunks()
        assert [(c.span.path, c.span.start) for c in chunks] == sorted((c.span.path, c.span.start) for c in chunks)
        for c in chunks:
            assert corpus.document(c.span.path).text[c.span.start : c.span.end] == c.text
    finally:
        index.close()


@pytest.mark.usefixtures("hash_embedder")  # index mechanics, not embeddings
def test_hnsw_above_threshold_and_removal(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    _write_corpus(root)
    index = _open(root, hnsw_threshold=3)
    report = index.update(load_corpus(root))
    assert report.vector_kind == "hnsw" and index.stats()["vector_kind"] == "hnsw"
    (root / "shipping.py").unlink()
    report = index.update(load_corpus(root))
    assert report.removed_files == 1
    _consistent(index)
    assert index.search("parcel tracking", 5, mode="vector")[0].chunk.span.path != "shipping.py"
    assert index.search("terminate agreement", 1, mode="vector")[0].chunk.span.path == "legal.txt"
    index.close()


@pytest.mark.usefixtures("hash_embedder")  # index mechanics, not embeddings
def test_crash_before_commit_leaves_previous_generation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "corpus"
    _write_corpus(root)
    index = _open(root)
    index.update(load_corpus(root))
    generation = index.store.generation()
    (root / "legal.txt").write_text("This agreement renews automatically every year unless cancelled.\n")

    def crash(**_: object) -> None:
        raise KeyboardInterrupt  # the process dies after writing the new files, before the SQLite commit

    with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr(index.store, "commit", crash)
        index.update(load_corpus(root))
    assert index.store.vector_path(generation + 1).exists()  # written, but never committed
    reopened = _open(root)
    assert reopened.store.generation() == generation
    assert reopened.search("terminate with ninety days notice", 1)[0].chunk.span.path == "legal.txt"
    assert "ninety days" in reopened.search("terminate with ninety days notice", 1)[0].chunk.text
    report = reopened.update(load_corpus(root))
    assert report.changed_files == 1 and reopened.store.generation() == generation + 1
    assert "renews automatically" in reopened.search("automatic renewal", 1)[0].chunk.text
    index.close()
    reopened.close()


_INDEX_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from docintel.index.corpus_index import CorpusIndex
    from docintel.ingest import load_corpus

    root = Path(sys.argv[1])
    index = CorpusIndex.open(root)
    index.update(load_corpus(root), lambda done, total, path: print(f"embedding {done}/{total}", flush=True))
    print("done", flush=True)
    """
)


def test_kill_during_index_run_and_concurrent_writer(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    _write_corpus(root)
    index = _open(root)
    index.update(load_corpus(root))
    before = [c.id for c in index.chunks()]
    # a second version big enough that embedding takes a while: 40 files of distinct prose
    big = root / "big"
    big.mkdir()
    for n in range(40):
        paragraphs = [
            f"Section {n}.{p}. Report {n} paragraph {p} describes shipment batch {n * 100 + p} of widget "
            f"model W{n}{p}, inspected by team {p} in warehouse {n}, with {n + p} defects found and logged.\n\n" * 6
            for p in range(6)
        ]
        (big / f"report_{n:02d}.txt").write_text("".join(paragraphs))

    proc = subprocess.Popen(
        [sys.executable, "-c", _INDEX_SCRIPT, str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        deadline = time.monotonic() + 240
        assert proc.stdout is not None
        while True:  # wait until the other process has embedded its first batch
            line = proc.stdout.readline()
            assert line, f"index run ended early: {proc.stderr.read() if proc.stderr else ''}"
            if line.startswith("embedding ") and not line.startswith("embedding 0/"):
                break
            assert time.monotonic() < deadline
        total = int(line.split("/")[1])
        assert total > 100

        # a second writer is refused at once, with a message that says what to do
        with pytest.raises(IndexBusyError) as busy:
            index.update(load_corpus(root))
        message = str(busy.value)
        assert "another docintel process" in message and f"pid {proc.pid}" in message and "wait" in message
        # readers are not blocked and see the previous index
        assert index.search("ninety days notice", 1)[0].chunk.span.path == "legal.txt"

        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()

    reopened = _open(root)
    assert [c.id for c in reopened.chunks()] == before
    assert reopened.search("widget inspected in warehouse", 3, mode="lexical") == []
    assert reopened.search("parcel tracking", 1)[0].chunk.span.path == "shipping.py"
    _consistent(reopened)
    # the next writer gets the lock (released by the kernel) and finishes a smaller update
    for extra in sorted(big.iterdir())[1:]:
        extra.unlink()
    report = reopened.update(load_corpus(root))
    assert report.added_files == 1 and report.unchanged_files == 4
    hit = reopened.search("widget model W03 inspected in warehouse 0", 1)[0]
    assert hit.chunk.span.path == "big/report_00.txt"
    _consistent(reopened)
    leftovers = [p.name for p in reopened.directory.iterdir() if ".tmp" in p.name]
    assert leftovers == []
    index.close()
    reopened.close()


@pytest.fixture(scope="session")
def small_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real, different sentence-transformers model: the bundled MiniLM plus a seeded 384->64 projection."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Dense, Normalize

    base = get_embedder(kind="sentence-transformers").model  # type: ignore[attr-defined]
    torch.manual_seed(0)
    dense = Dense(384, 64, activation_function=torch.nn.Identity())
    model = SentenceTransformer(modules=[base[0], base[1], dense, Normalize()], device="cpu")
    path = tmp_path_factory.mktemp("models") / "minilm-64"
    model.save(str(path))
    return path


def test_model_change_forces_rebuild(tmp_path: Path, small_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "corpus"
    _write_corpus(root)
    first = CorpusIndex.open(root)
    report = first.update(load_corpus(root))
    assert report.rebuilt is False and first.stats()["dimension"] == 384
    first.close()

    other = CorpusIndex.open(root, model=str(small_model_dir))
    assert other.embedder.model_id != report.model
    with pytest.raises(DocintelError, match="built with embedding model"):
        other.search("parcel tracking", 3)
    assert other.search("parcel tracking", 1, mode="lexical")[0].chunk.span.path == "shipping.py"  # no vectors
    rebuilt = other.update(load_corpus(root))
    assert rebuilt.rebuilt and rebuilt.message and "built with embedding model" in rebuilt.message
    assert str(small_model_dir) in rebuilt.message
    assert rebuilt.embedded_chunks == rebuilt.total_chunks == report.total_chunks
    assert other.stats()["dimension"] == 64 and other.stats()["model"] == f"dir:{small_model_dir.resolve()}"
    _consistent(other)
    assert other.search("terminate agreement notice", 1)[0].chunk.span.path == "legal.txt"
    other.close()

    # the environment variable selects the model too: the same model as stored, nothing to redo
    monkeypatch.setenv("DOCINTEL_EMBED_MODEL", str(small_model_dir))
    via_env = CorpusIndex.open(root)
    assert via_env.update(load_corpus(root)).embedded_chunks == 0
    via_env.close()
    # back to the default model: another rebuild
    monkeypatch.delenv("DOCINTEL_EMBED_MODEL")
    back = CorpusIndex.open(root)
    again = back.update(load_corpus(root))
    assert again.rebuilt and back.stats()["dimension"] == 384
    back.close()
