"""The ONNX Runtime embedder against the sentence-transformers (torch) path, both with the real bundled
all-MiniLM-L6-v2 weights: same vectors, and a query that never imports torch."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from docintel.index.embedder import get_embedder
from docintel.index.embedders.onnx_export import UnsupportedModel
from docintel.index.embedders.onnx_runtime import OnnxEmbedder


def _sample_texts(examples_dir: Path) -> list[str]:
    """Real material of each kind, cut into chunk-sized pieces, plus a long one past the 256-piece window."""
    texts: list[str] = []
    for path in sorted(p for p in examples_dir.rglob("*") if p.is_file() and p.suffix in {".md", ".py", ".vtt"}):
        text = path.read_text(encoding="utf-8", errors="replace")
        texts += [text[i : i + 900] for i in range(0, min(len(text), 2700), 900) if text[i : i + 900].strip()]
    texts += ["Which law governs this agreement?", "x", "def f(): return 1 " * 200]
    return texts


@pytest.mark.parametrize("kind", ["onnx", "onnx-fp32"])  # the default (8-bit weights) and fp32
def test_onnx_vectors_match_the_torch_path(examples_dir: Path, kind: str) -> None:
    texts = _sample_texts(examples_dir)
    assert len(texts) >= 12
    onnx = get_embedder(kind=kind)
    torch_path = get_embedder(kind="sentence-transformers")
    assert onnx.model_id == torch_path.model_id  # same vectors: indexes built either way stay valid
    ours, theirs = onnx.embed(texts), torch_path.embed(texts)
    assert ours.shape == theirs.shape == (len(texts), 384)
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() >= 0.999, cosines
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    question = "Who may terminate the agreement, and with how much notice?"
    assert float(onnx.embed_query(question) @ torch_path.embed_query(question)) >= 0.999


def test_default_weights_are_8bit_and_vectors_do_not_depend_on_the_batch(examples_dir: Path) -> None:
    """The default quantises weights only: a text's vector is the same alone or among others (dynamic int8 is not),
    and it is not the fp32 graph under another name."""
    texts = _sample_texts(examples_dir)
    default, fp32 = get_embedder(kind="onnx"), get_embedder(kind="onnx-fp32")
    assert "int8-weights" in default.ensure_model_file().name  # type: ignore[attr-defined]
    assert default.ensure_model_file().stat().st_size < 0.8 * fp32.ensure_model_file().stat().st_size  # type: ignore[attr-defined]
    together = default.embed(texts)
    alone = np.vstack([default.embed([t]) for t in texts])
    assert (together * alone).sum(axis=1).min() >= 0.99999
    assert (together * fp32.embed(texts)).sum(axis=1).min() < 0.999999  # quantised


def test_int8_vectors_stay_close_and_have_their_own_model_id(examples_dir: Path) -> None:
    texts = _sample_texts(examples_dir)[:8]
    fp32, int8 = get_embedder(kind="onnx-fp32"), get_embedder(kind="onnx-int8")
    assert int8.model_id == fp32.model_id + " int8"
    cosines = (fp32.embed(texts) * int8.embed(texts)).sum(axis=1)
    assert cosines.min() >= 0.95, cosines  # measured 0.977-1.0 on real text; retrieval held (docs/performance.md)
    assert cosines.min() < 0.99999  # it is quantised, not the fp32 graph again


def test_unknown_architecture_falls_back_or_says_why(tmp_path: Path) -> None:
    model = tmp_path / "not-bert"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"model_type": "t5"}))
    with pytest.raises(UnsupportedModel, match="not a BERT encoder"):
        OnnxEmbedder(str(model))
    with pytest.raises(UnsupportedModel, match="not a local model folder"):
        OnnxEmbedder("some-hub-name")


def test_query_embedding_never_imports_torch(tmp_path: Path) -> None:
    """A fresh process embeds a query (the CLI's path) with the ONNX file already written: no torch, no
    transformers, no sentence-transformers in sys.modules afterwards."""
    embedder = get_embedder()  # the default: ONNX, 8-bit weights
    assert isinstance(embedder, OnnxEmbedder) and embedder.precision == "int8-weights"
    home = tmp_path / "home"
    model_file = embedder.ensure_model_file()
    target = home / "models" / model_file.name
    target.parent.mkdir(parents=True)
    shutil.copy(model_file, target)
    code = (
        "import sys; from docintel.index.embedder import get_embedder; "
        "v = get_embedder().embed_query('notice period'); "
        "print(len(v), sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))"
    )
    env = {**os.environ, "DOCINTEL_HOME": str(home)}
    env.pop("DOCINTEL_EMBEDDER", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["384", "[]"]


def test_query_vectors_are_memoized_per_text() -> None:
    from docintel.index.embedder import QueryMemo

    runs: list[str] = []

    def compute(text: str) -> np.ndarray:
        runs.append(text)
        return np.full(3, float(len(runs)), dtype=np.float32)

    memo = QueryMemo(size=2)
    first = memo.get("a", compute)
    first[:] = -1  # callers may scribble on what they get: the memo keeps its own copy
    assert memo.get("a", compute).tolist() == [1.0, 1.0, 1.0]
    memo.get("b", compute)
    memo.get("c", compute)  # evicts "a", the least recently used
    memo.get("a", compute)
    assert runs == ["a", "b", "c", "a"]
    embedder = get_embedder(kind="onnx")
    assert np.array_equal(embedder.embed_query("notice period"), embedder.embed_query("notice period"))


def test_lexical_search_loads_no_model(tmp_path: Path) -> None:
    """A lexical-only search of an indexed corpus, in a fresh process: no ONNX session, no torch."""
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "terms.md").write_text("# Terms\n\nEither party may terminate this agreement with ninety days notice.\n")
    from docintel.index.corpus_index import CorpusIndex
    from docintel.ingest import load_corpus

    with CorpusIndex.open(root) as index:
        index.update(load_corpus(root))
    code = (
        "import sys; from docintel.index.corpus_index import CorpusIndex; from docintel.ingest import load_corpus; "
        f"index = CorpusIndex.open({str(root)!r}); index.update(load_corpus({str(root)!r})); "
        "hits = index.search('terminate notice', 1, mode='lexical'); "
        "print(hits[0].chunk.span.path, sorted(m for m in ('onnxruntime', 'torch') if m in sys.modules))"
    )
    env = {**os.environ}
    env.pop("DOCINTEL_EMBEDDER", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["terms.md", "[]"]


def test_writing_the_model_leaves_logging_alone(tmp_path: Path) -> None:
    """onnxruntime's 8-bit quantiser calls logging.basicConfig(INFO) when imported: after the model is written, a
    library's DEBUG line must still not reach the user's stderr."""
    code = (
        "import logging; from docintel.index.embedder import get_embedder; "
        "get_embedder(kind='onnx').embed(['warm']); "
        "chatty = logging.getLogger('some.library'); chatty.setLevel(logging.DEBUG); chatty.debug('DEBUG LINE')"
    )
    env = {**os.environ, "DOCINTEL_HOME": str(tmp_path), "DOCINTEL_QUIET": "1"}
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert list((tmp_path / "models").glob("*int8-weights*.onnx"))  # the model was written in this process
    assert "DEBUG LINE" not in run.stderr and "[INFO]" not in run.stderr, run.stderr
