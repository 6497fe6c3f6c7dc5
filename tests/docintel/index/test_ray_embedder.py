"""Distributed embedding with Ray Data: `docintel index PATH --ray auto` against a local Ray that the test starts on
this machine. The vectors equal the local path's, the index is the same index (same model id, no rebuild), and only
new chunk texts go to the cluster on an incremental update."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from typer.testing import CliRunner

from docintel.cli.main import app
from docintel.index.corpus_index import CorpusIndex
from docintel.index.embedder import get_embedder
from docintel.index.ray_embedder import RayEmbedder

ray = pytest.importorskip("ray")


@pytest.fixture(autouse=True)
def fp32_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    """fp32 ONNX: its vectors do not depend on which texts share a batch (int8's dynamically quantized activations
    do, by ~1e-2), so "the same vectors" can be checked to 1e-5 however Ray batches the texts."""
    monkeypatch.setenv("DOCINTEL_EMBEDDER", "onnx")


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """A real Ray on this machine (2 CPUs), started here and shut down after the module."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


class CountingRayEmbedder(RayEmbedder):
    """Counts the texts sent to the cluster (the real Ray path runs unchanged)."""

    sent: ClassVar[list[str]] = []

    def embed(self, texts, *, progress=None):  # type: ignore[no-untyped-def]
        CountingRayEmbedder.sent.extend(texts)
        return super().embed(texts, progress=progress)


@pytest.mark.slow
def test_ray_vectors_equal_the_local_ones(local_ray: None) -> None:
    texts = [f"Section {i}. This Agreement is governed by the laws of the State of Delaware." for i in range(40)]
    texts += ["def retry(request, attempts=3):\n    return session.send(request)"] * 3
    local = get_embedder()
    on_ray = RayEmbedder(local, "auto", batch_size=16).embed(texts)
    assert on_ray.shape == (len(texts), local.dimension)
    assert np.allclose(on_ray, local.embed(texts), atol=1e-5)


@pytest.mark.slow
def test_index_with_ray_is_the_same_index_and_incremental(
    local_ray: None, examples_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "contract"
    shutil.copytree(examples_dir / "contract", corpus)
    monkeypatch.setenv("DOCINTEL_EMBED_CACHE", "0")  # every new chunk must really be embedded (no shared cache)
    runner = CliRunner()
    first = runner.invoke(app, ["index", str(corpus), "--ray", "auto", "--json"])
    assert first.exit_code == 0, first.output
    with CorpusIndex.open(corpus) as index:
        assert index.rebuild_reason() is None  # same model id as the local embedder: no rebuild without Ray
        rows = index.store.chunk_rows("")
        loaded = index._current()
        assert loaded.vectors is not None
        ids, vectors = loaded.vectors.vectors()  # type: ignore[attr-defined]
        by_vid = dict(zip(ids.tolist(), vectors, strict=True))
        local = get_embedder().embed([r.chunk.embed_text for r in rows])
        assert np.allclose(np.stack([by_vid[r.vid] for r in rows]), local, atol=1e-5)

    # One clause edited: only that file's new chunk texts go to the cluster.
    target = sorted(p for p in corpus.rglob("*") if p.is_file())[0]
    target.write_text(target.read_text(encoding="utf-8") + "\n\n13. NOTICES. Notices go by e-mail.\n", encoding="utf-8")
    monkeypatch.setattr("docintel.index.ray_embedder.RayEmbedder", CountingRayEmbedder)
    CountingRayEmbedder.sent = []
    second = runner.invoke(app, ["index", str(corpus), "--ray", "auto", "--json"])
    assert second.exit_code == 0, second.output
    with CorpusIndex.open(corpus) as index:
        report_rows = index.store.chunk_rows("")
        new_texts = {r.chunk.embed_text for r in report_rows} - {r.chunk.embed_text for r in rows}
    assert new_texts and set(CountingRayEmbedder.sent) == new_texts
