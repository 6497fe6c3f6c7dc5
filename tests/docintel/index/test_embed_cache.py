"""The shared embedding cache: a sub-folder, a single file or a copy of an indexed corpus embeds nothing new;
concurrent writers (real processes on one SQLite file) lose nothing. Real files, real index, real SQLite."""

from __future__ import annotations

import multiprocessing
import shutil
from pathlib import Path

import numpy as np
import pytest

from docintel.index.corpus_index import CorpusIndex, UpdateReport
from docintel.index.embed_cache import EmbeddingCache, cache_path, text_key
from docintel.index.embedder import get_embedder
from docintel.ingest import load_corpus


def _write_corpus(root: Path) -> None:
    (root / "contracts").mkdir(parents=True)
    (root / "code").mkdir()
    for n in range(3):
        (root / "contracts" / f"nda_{n}.md").write_text(
            f"# Mutual NDA {n}\n\n## 1. Confidential Information\n\nParty {n} shall keep the disclosed "
            f"information secret for {n + 2} years after termination.\n\n## 2. Governing Law\n\n"
            f"This agreement is governed by the laws of State {n}.\n"
        )
        (root / "code" / f"module_{n}.py").write_text(
            f"def handler_{n}(request):\n    '''Serve request kind {n}.'''\n    return respond(request, code={n})\n\n\n"
            f"class Store{n}:\n    def load(self, key):\n        return self.rows[key]\n"
        )


def _index(path: Path) -> UpdateReport:
    with CorpusIndex.open(path) as index:
        return index.update(load_corpus(path))


@pytest.mark.usefixtures("hash_embedder")  # the cache, not the model, is under test
def test_subfolder_single_file_and_copy_embed_nothing_new(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    _write_corpus(root)
    full = _index(root)
    assert full.embedded_chunks == full.total_chunks >= 6 and full.cached_chunks == 0

    sub = _index(root / "contracts")
    assert (sub.embedded_chunks, sub.cached_chunks) == (0, sub.total_chunks)
    assert sub.total_chunks >= 3

    single = _index(root / "code" / "module_1.py")
    assert (single.embedded_chunks, single.cached_chunks) == (0, single.total_chunks)

    copy = tmp_path / "elsewhere" / "copy"
    shutil.copytree(root, copy)
    copied = _index(copy)
    assert (copied.embedded_chunks, copied.cached_chunks) == (0, copied.total_chunks)
    assert copied.total_chunks == full.total_chunks

    # An edited file embeds only its new text; the cached vectors are the ones the model gives.
    (copy / "code" / "module_2.py").write_text("def brand_new_function():\n    return 'never seen before'\n")
    edited = _index(copy)
    assert edited.embedded_chunks == 1
    with CorpusIndex.open(copy) as index:
        hit = index.search("brand new function never seen", 1, mode="vector")[0]
        assert hit.chunk.span.path == "code/module_2.py"
        stored = EmbeddingCache(index.embedder.model_id, index.embedder.dimension).get_many(
            [text_key(hit.chunk.embed_text)]
        )
        assert np.allclose(next(iter(stored.values())), index.embedder.embed([hit.chunk.embed_text])[0])


@pytest.mark.usefixtures("hash_embedder")
def test_cache_off_embeds_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "corpus"
    _write_corpus(root)
    _index(root)
    monkeypatch.setenv("DOCINTEL_EMBED_CACHE", "0")
    sub = _index(root / "contracts")
    assert sub.embedded_chunks == sub.total_chunks and sub.cached_chunks == 0


def _writer(path: str, worker: int, rounds: int) -> None:
    rng = np.random.default_rng(worker)
    with EmbeddingCache("test-model", 8, Path(path)) as cache:
        for r in range(rounds):
            # half the keys are shared by every worker (the race), half are this worker's own
            keys = [f"shared-{r}-{i}" for i in range(5)] + [f"w{worker}-{r}-{i}" for i in range(5)]
            cache.put_many(keys, rng.standard_normal((10, 8)).astype(np.float32))


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    EmbeddingCache("test-model", 8, path).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(path), w, 20)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(120)
    assert [p.exitcode for p in workers] == [0, 0, 0, 0]
    with EmbeddingCache("test-model", 8, path) as cache:
        assert len(cache) == 20 * 5 + 4 * 20 * 5
        own = cache.get_many([f"w3-{r}-{i}" for r in range(20) for i in range(5)])
        assert len(own) == 100 and all(v.shape == (8,) for v in own.values())


def test_one_cache_file_per_model_under_home(docintel_home: Path) -> None:
    assert cache_path("all-MiniLM-L6-v2 (gt 0.1.0)").parent == docintel_home / "embeddings"
    assert cache_path("model a") != cache_path("model b")
    # a vector stored under another dimension is not returned as this model's
    with EmbeddingCache("m", 4) as cache:
        cache.put_many(["k"], np.ones((1, 4), np.float32))
    with EmbeddingCache("m", 8) as cache:
        assert cache.get_many(["k"]) == {}


def test_real_model_vectors_round_trip(tmp_path: Path) -> None:
    embedder = get_embedder()
    texts = ["Either party may terminate with ninety days notice.", "def load(self, key): return self.rows[key]"]
    from docintel.index.embed_cache import embed_with_cache

    first, computed = embed_with_cache(embedder, texts)
    again, computed_again = embed_with_cache(embedder, [*texts, texts[0]])
    assert (computed, computed_again) == (2, 0)
    assert np.array_equal(again[:2], first) and np.array_equal(again[2], first[0])
