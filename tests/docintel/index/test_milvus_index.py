"""The vector-store seam with Milvus behind it: Milvus Lite (a real local Milvus that pymilvus starts) gives the same
chunk ids and the same exact search results as the FAISS files on a real corpus (NDAs from shared/eval), through the
same incremental updates; a run that dies before the store commits leaves nothing a reader can see."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from docintel.errors import UsageError
from docintel.index.corpus_index import CorpusIndex
from docintel.index.vector_store import parse_vector_store, spec_from_label
from docintel.ingest import load_corpus

pytest.importorskip("pymilvus")

QUERIES = (
    "definition of confidential information",
    "return or destruction of materials",
    "governing law and jurisdiction",
    "term of the agreement",
    "remedies for breach, injunctive relief",
    "no license granted",
    "disclosure required by law",
    "non-solicitation of employees",
)


def test_vector_store_values_parse_and_bad_ones_are_usage_errors(tmp_path: Path) -> None:
    assert parse_vector_store(None).engine == "faiss"
    assert parse_vector_store("milvus://db.internal:19530").uri == "http://db.internal:19530"
    assert parse_vector_store("milvus+https://z.cloud:443").uri == "https://z.cloud:443"
    assert parse_vector_store("milvus-lite").lite
    assert parse_vector_store(f"milvus-lite://{tmp_path}/v.db").uri == str(tmp_path / "v.db")
    assert parse_vector_store("milvus://h:1").label == "milvus:http://h:1"
    for value in ("faiss", "milvus-lite", f"milvus-lite://{tmp_path}/v.db", "milvus+https://z:443"):
        spec = parse_vector_store(value)
        assert spec_from_label(spec.label) == spec  # what an index records reopens the same store
    for bad in ("chroma://x", "milvus://", "milvus-lite:///tmp/x.sqlite"):
        with pytest.raises(UsageError):
            parse_vector_store(bad)


def _top(index: CorpusIndex, query: str, k: int = 10) -> list[tuple[str, int, float]]:
    return [(h.chunk.span.path, h.chunk.span.start, h.score) for h in index.search(query, k=k, mode="vector")]


@pytest.mark.slow
def test_milvus_lite_matches_faiss_exactly_through_incremental_updates(
    eval_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = eval_dir / "corpora" / "contracts-nda"
    corpus_dir = tmp_path / "ndas"
    corpus_dir.mkdir()
    for path in sorted(source.iterdir())[:8]:
        shutil.copy(path, corpus_dir / path.name)

    monkeypatch.setenv("DOCINTEL_HOME", str(tmp_path / "home-faiss"))
    faiss = CorpusIndex.open(corpus_dir)
    monkeypatch.setenv("DOCINTEL_HOME", str(tmp_path / "home-milvus"))
    milvus = CorpusIndex.open(corpus_dir, vector_store="milvus-lite")
    try:
        for round_ in range(2):
            corpus = load_corpus(corpus_dir)
            report_f = faiss.update(corpus)
            report_m = milvus.update(corpus)
            # The same chunks needed vectors (computed here or found in the shared embedding cache).
            assert (
                report_m.embedded_chunks + report_m.cached_chunks == report_f.embedded_chunks + report_f.cached_chunks
            )
            assert report_m.vector_kind == "milvus" and report_f.vector_kind == "flat"
            # Same chunk ids: the store assigns them, whatever keeps the vectors.
            assert [r.vid for r in milvus.store.chunk_rows("")] == [r.vid for r in faiss.store.chunk_rows("")]
            for query in QUERIES:
                got, want = _top(milvus, query), _top(faiss, query)
                assert [(p, s) for p, s, _ in got] == [(p, s) for p, s, _ in want], (round_, query)
                assert np.allclose([s for *_, s in got], [s for *_, s in want], atol=1e-5)
            # Deletions reach Milvus once the store committed: it holds exactly the committed chunks.
            assert len(milvus._current().vectors) == len(milvus.store.chunk_rows(""))  # type: ignore[arg-type]
            # Round 2: one file edited, one deleted, one added (incremental update on both engines).
            files = sorted(corpus_dir.iterdir())
            files[0].write_text(files[0].read_text(encoding="utf-8") + "\n\nADDENDUM. Notices go by e-mail.\n")
            files[1].unlink()
            shutil.copy(sorted(source.iterdir())[9], corpus_dir / "added.txt")
    finally:
        faiss.close()
        milvus.close()


@pytest.mark.slow
def test_vectors_of_an_uncommitted_run_are_never_returned(examples_dir: Path, tmp_path: Path) -> None:
    corpus_dir = tmp_path / "contract"
    shutil.copytree(examples_dir / "contract", corpus_dir)
    index = CorpusIndex.open(corpus_dir, vector_store="milvus-lite")
    try:
        index.update(load_corpus(corpus_dir))
        before = _top(index, "which law governs this agreement", k=5)
        loaded = index._current()
        assert loaded.vectors is not None
        # A run killed after upserting its new vectors but before the store committed: ids above every committed
        # id, with a vector equal to the query's (it would rank first if a reader could see it).
        query_vector = index.embedder.embed_query("which law governs this agreement")
        ghost = int(loaded.vids.max()) + 1000
        loaded.vectors.add(np.asarray([ghost]), query_vector.reshape(1, -1))
        assert _top(index, "which law governs this agreement", k=5) == before
        assert ghost not in {vid for vid, _ in loaded.vectors.search(query_vector, 5)}
    finally:
        index.close()
    # A later command that names no store keeps using the one the index was built with (no silent FAISS rebuild).
    again = CorpusIndex.open(corpus_dir)
    try:
        assert again.vector_spec.label == "milvus-lite" and again.rebuild_reason() is None
        assert _top(again, "which law governs this agreement", k=5) == before
    finally:
        again.close()
