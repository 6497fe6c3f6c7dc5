"""The backend contract: capabilities, option schemas, and validation before anything is loaded.

Regression tests for the bugs of issue 12: llamacpp without a model file crashed with a raw TypeError (CLI ask,
audit, TUI); ``--backend anthropic`` with no key failed only after loading and planning; the API built a backend
just to plan. The CLI runs in a real subprocess where what matters is what it imported before failing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import docintel
from docintel.backends import (
    REGISTRY,
    Backend,
    BackendCapabilities,
    capabilities_of,
    open_backend,
    options_schema,
    parse_option_pairs,
    resolve_options,
)
from docintel.errors import DocintelError
from docintel.session import BackendConfig, resolve_profile

from ..qa_corpus import write_corpus

HEAVY = ("torch", "sentence_transformers", "faiss", "anthropic", "openai", "llama_cpp", "bm25s")


def test_every_backend_declares_capabilities_and_a_schema() -> None:
    for name in REGISTRY:
        caps = capabilities_of(name)
        assert isinstance(caps, BackendCapabilities), name
        for option in options_schema(name):
            assert option.help, (name, option.name)
    assert capabilities_of("extractive") == BackendCapabilities(
        streams=False, exact_token_count=False, generative=False
    )
    assert capabilities_of("anthropic").remote and capabilities_of("anthropic").needs == "key"
    assert capabilities_of("anthropic").prefix_cache == "explicit_breakpoints"
    assert capabilities_of("llamacpp").needs == "model_file" and not capabilities_of("llamacpp").remote
    # a vLLM server is remote exactly when its address is not loopback
    assert not capabilities_of("vllm", {"base_url": "http://127.0.0.1:8000/v1"}).remote
    assert not capabilities_of("vllm", {"base_url": "http://localhost:8000"}).remote
    assert capabilities_of("vllm", {"base_url": "http://10.1.2.3:8000/v1"}).remote


def test_missing_required_options_are_one_line_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(DocintelError) as llama:
        resolve_options("llamacpp", {})
    assert str(llama.value) == (
        "pass --backend-option model=... to use the llamacpp backend (or choose another --backend)"
    )
    with pytest.raises(DocintelError, match=r"^set ANTHROPIC_API_KEY \(or pass --backend-option api_key=\.\.\.\)"):
        resolve_options("anthropic", {})
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    assert resolve_options("anthropic", {})["api_key"] == "sk-test"  # the environment variable fills it
    # planning needs no key or model file
    assert resolve_options("llamacpp", {}, required=False)["model"] is None


def test_option_values_are_typed_and_checked(tmp_path: Path) -> None:
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    resolved = resolve_options("llamacpp", parse_option_pairs([f"model={gguf}", "n-ctx=4096"]))
    assert resolved["n_ctx"] == 4096 and resolved["model"] == str(gguf) and resolved["n_batch"] == 512
    for given, message in (
        ({"model": str(gguf), "n_ctx": "lots"}, "llamacpp option n_ctx takes a number, not 'lots'"),
        ({"model": str(tmp_path / "none.gguf")}, "llamacpp option model: file not found"),
        ({"model": str(gguf), "base_url": "http://x"}, "the llamacpp backend has no option 'base_url'"),
    ):
        with pytest.raises(DocintelError, match=message):
            resolve_options("llamacpp", given)
    with pytest.raises(DocintelError, match="vllm option endpoint takes one of chat, completions"):
        resolve_options("vllm", {"endpoint": "grpc"})
    with pytest.raises(DocintelError, match="vllm option base_url takes an http"):
        resolve_options("vllm", {"base_url": "localhost:8000"})
    with pytest.raises(DocintelError, match="is not KEY=VALUE"):
        parse_option_pairs(["n_ctx"])


def test_open_backend_builds_the_declared_members() -> None:
    backend = open_backend("extractive")
    assert isinstance(backend, Backend)
    assert backend.name == "extractive" and backend.model == "extractive" and tuple(backend.notes) == ()
    assert backend.capabilities.generative is False
    with pytest.raises(DocintelError, match="unknown backend 'nope'; choose one of: extractive"):
        open_backend("nope")


def test_profiles_resolve_the_same_way_for_plan_and_ask() -> None:
    assert resolve_profile(None, "extractive").id == "extractive"
    assert resolve_profile(None, "anthropic").id == "claude-sonnet-4-6"
    assert resolve_profile(None, "anthropic", {"model": "claude-haiku-4-5"}).id == "claude-haiku-4-5"
    assert resolve_profile("claude-opus-4-6", "vllm").id == "claude-opus-4-6"
    assert resolve_profile(None, "llamacpp", {"model": "/models/x.gguf"}).id == "llamacpp"


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("contract-qa") / "corpus")


def _cli(args: list[str], home: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], float, list[str]]:
    """Run the CLI in a fresh interpreter; returns the process, its wall time, and the heavy modules it imported
    before exiting (the proof that it failed before reading, indexing or loading anything)."""
    code = (
        "import sys, json\n"
        "from docintel.cli.main import main\n"
        f"sys.argv = ['docintel', *{args!r}]\n"
        "try:\n    main()\nfinally:\n"
        f"    heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "    print(json.dumps(heavy), file=sys.stdout)\n"
    )
    full_env = {k: v for k, v in os.environ.items() if k != "ANTHROPIC_API_KEY"}
    full_env.update({"DOCINTEL_HOME": str(home), "HF_HUB_OFFLINE": "1", **env})
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full_env, timeout=120)
    seconds = time.monotonic() - started
    heavy = json.loads(proc.stdout.strip().splitlines()[-1])
    return proc, seconds, heavy


@pytest.mark.parametrize(
    "args,expected",
    [
        (["ask", "{corpus}", "Which law governs?", "--backend", "llamacpp"], "pass --backend-option model="),
        (["audit", "{corpus}", "--backend", "llamacpp"], "pass --backend-option model="),
        (["tui", "{corpus}", "--backend", "llamacpp"], "pass --backend-option model="),
        (["mcp", "--root", "{corpus}", "--backend", "llamacpp"], "pass --backend-option model="),
        (["ask", "{corpus}", "Which law governs?", "--backend", "anthropic"], "set ANTHROPIC_API_KEY"),
        (["ask", "{corpus}", "q", "--backend", "llamacpp", "--model", "/nope.gguf"], "model: file not found"),
    ],
)
def test_cli_fails_fast_before_loading_anything(
    corpus_dir: Path, tmp_path: Path, args: list[str], expected: str
) -> None:
    home = tmp_path / "home"
    proc, seconds, heavy = _cli([a.format(corpus=corpus_dir) for a in args], home)
    print(f"{args[0]} --backend {args[args.index('--backend') + 1]}: exit {proc.returncode} in {seconds:.2f} s")
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("docintel: error: ") and expected in lines[0], proc.stderr
    assert "TypeError" not in proc.stderr and "Traceback" not in proc.stderr
    assert heavy == []  # no model, SDK, embedder or index library was imported
    assert not home.exists() or not [p for p in home.rglob("*") if p.is_file()]  # nothing was read or indexed


def test_plan_builds_no_backend(corpus_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Planning for llamacpp needs no GGUF, for vllm no server, for anthropic no key: the profile is enough."""
    monkeypatch.setenv("DOCINTEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with docintel.open(corpus_dir) as session:
        for backend, profile in (("llamacpp", "llamacpp"), ("vllm", "vllm"), ("anthropic", "claude-sonnet-4-6")):
            plan = session.plan("Which law governs this agreement?", backend=backend)
            assert plan.profile == profile
        assert session._backends == {}  # nothing was constructed
        # asking is where the missing model file is an error: one line, not a TypeError (the TUI shows it)
        with pytest.raises(DocintelError, match=r"^pass --backend-option model=\.\.\. to use the llamacpp backend"):
            session.ask("Which law governs this agreement?", backend="llamacpp")
        with pytest.raises(DocintelError, match="unknown backend"):
            session.configure(BackendConfig("nope"))


def test_backends_command_lists_capabilities_and_options() -> None:
    from typer.testing import CliRunner

    from docintel.cli.main import app

    result = CliRunner().invoke(app, ["backends", "--json"])
    assert result.exit_code == 0, result.stderr
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert set(rows) >= {"extractive", "anthropic", "vllm", "llamacpp"}
    assert rows["extractive"]["capabilities"]["generative"] is False and rows["extractive"]["options"] == []
    key = next(o for o in rows["anthropic"]["options"] if o["name"] == "api_key")
    assert key["env"] == "ANTHROPIC_API_KEY" and key["required"] and key["default"] is None
    assert {o["name"] for o in rows["llamacpp"]["options"]} >= {"model", "n_ctx"}
