"""The llama.cpp backend with a tiny random-weight GGUF written in the test session with gguf.GGUFWriter.

Outputs are meaningless; the tests assert on token accounting, prefix reuse (checked against llama.cpp's own
performance counters), streaming and errors.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from docintel.answer import TextDelta, Usage, UsageEvent
from docintel.backends import get_backend
from docintel.backends.llamacpp import LlamaCppBackend
from docintel.errors import InputError, MissingExtraError, PromptTooLongError
from docintel.prompt import Prompt

from ...tiny_models import prefix_prompt

llama_cpp = pytest.importorskip("llama_cpp", reason="llama-cpp-python (the llamacpp extra) is not installed")


def run(backend: LlamaCppBackend, prompt: Prompt) -> tuple[list[TextDelta], Usage, str | None]:
    events = list(backend.generate(prompt))
    final = events[-1]
    assert isinstance(final, UsageEvent)
    deltas = [e for e in events[:-1] if isinstance(e, TextDelta)]
    assert len(deltas) == len(events) - 1
    return deltas, final.usage, final.stop_reason


def evaluated_so_far(backend: LlamaCppBackend) -> int:
    """Tokens llama.cpp has decoded in this context (prompt batches + single-token steps), from its perf counters."""
    perf = llama_cpp.llama_perf_context(backend._loaded.llm._ctx.ctx)
    return int(perf.n_p_eval + perf.n_eval)


@pytest.fixture(scope="module")
def backend(tiny_gguf: Path) -> LlamaCppBackend:
    return LlamaCppBackend(tiny_gguf)


def test_context_size_from_the_file_and_from_the_option(tiny_gguf: Path, backend: LlamaCppBackend) -> None:
    assert backend.trained_context_length == 40960  # llama.context_length in the GGUF
    assert backend.n_ctx == 40960
    assert backend.profile.backend == "llamacpp"
    assert backend.profile.context_window == 40960
    small = get_backend("llamacpp", model=str(tiny_gguf), n_ctx=2048)
    assert small.profile.context_window == 2048
    assert small.profile.effective_window == 2048
    assert isinstance(small.inner, LlamaCppBackend) and small.n_ctx == 2048  # egress-wrapped


def test_same_model_file_shares_one_llama(tiny_gguf: Path, backend: LlamaCppBackend) -> None:
    again = LlamaCppBackend(tiny_gguf)
    assert again._loaded.llm is backend._loaded.llm  # the context (and its prefix KV) outlives the backend object


def test_count_tokens_equals_llama_tokenize(backend: LlamaCppBackend, tiny_models: Any) -> None:
    prompt = prefix_prompt(tiny_models.synthetic_text(400, seed=7), "Which party pays the invoice?")
    llm = backend._loaded.llm
    rendered = backend._render(
        [{"role": "system", "content": prompt.prefix}, {"role": "user", "content": prompt.suffix}]
    )
    assert rendered.startswith("<s><|system|>\n")  # the GGUF's chat template, BOS included
    whole = llm.tokenize(rendered.encode(), add_bos=False, special=True)
    assert whole[0] == llm.token_bos()
    assert backend.count_tokens(prompt) == len(whole)
    _, usage, _ = run(backend, prompt)
    assert usage.input_tokens == len(whole)


def test_second_question_reuses_the_corpus_prefix(backend: LlamaCppBackend, tiny_models: Any) -> None:
    corpus = tiny_models.synthetic_text(2000, seed=8)  # ~2.7K tokens, new to this context
    first = prefix_prompt(corpus, "Which law governs the agreement?")
    second = prefix_prompt(corpus, "When may the customer terminate for breach?")
    llm = backend._loaded.llm
    prefix_tokens = len(
        llm.tokenize(
            backend._render([{"role": "system", "content": first.prefix}]).encode(), special=True, add_bos=False
        )
    )
    assert prefix_tokens > 2000

    before = evaluated_so_far(backend)
    _, usage1, _ = run(backend, first)
    middle = evaluated_so_far(backend)
    _, usage2, _ = run(backend, second)
    after = evaluated_so_far(backend)

    assert usage1.cache_read_tokens < 0.1 * prefix_tokens  # a new corpus: at most the template header is reused
    assert usage2.cache_read_tokens >= 0.9 * prefix_tokens
    assert usage2.cache_read_tokens < usage2.input_tokens
    # llama.cpp's own counters: the second call decoded only the tokens docintel says were not reused (plus one
    # step per generated token after the first).
    assert after - middle == usage2.input_tokens - usage2.cache_read_tokens + usage2.output_tokens - 1
    assert middle - before >= usage1.input_tokens - usage1.cache_read_tokens - 2
    assert usage2.uncached_tokens == usage2.input_tokens - usage2.cache_read_tokens


def test_streaming_deltas_concatenate_to_the_answer(backend: LlamaCppBackend, tiny_models: Any) -> None:
    prompt = prefix_prompt(tiny_models.synthetic_text(100, seed=9), "Summarise clause 1.", max_output_tokens=10)
    deltas, usage, stop_reason = run(backend, prompt)
    llm = backend._loaded.llm
    text = "".join(d.text for d in deltas)
    assert len(deltas) >= 2
    assert 1 <= usage.output_tokens <= 10
    if stop_reason == "length":
        assert usage.output_tokens == 10
    # The context now holds prompt + answer (all but the last sampled token were fed back): the streamed text is
    # exactly the detokenized answer tokens.
    answer_ids = llm.input_ids[usage.input_tokens : llm.n_tokens].tolist()
    assert len(answer_ids) == usage.output_tokens - 1
    fed_back = llm.detokenize(answer_ids, prev_tokens=llm.input_ids[: usage.input_tokens].tolist())
    # Random weights emit stray byte tokens: compare as text decoded with replacement, minus an unfinished tail.
    assert text.startswith(fed_back.decode("utf-8", "replace").rstrip("\ufffd"))
    assert usage.ttft_s is not None and 0 < usage.ttft_s <= usage.total_s


def test_prompt_over_n_ctx_is_prompt_too_long(tiny_gguf: Path, tiny_models: Any) -> None:
    small = LlamaCppBackend(tiny_gguf, n_ctx=512)
    prompt = prefix_prompt(tiny_models.synthetic_text(600, seed=10), "Anything?")
    with pytest.raises(PromptTooLongError) as info:
        list(small.generate(prompt))
    assert info.value.window == 512
    assert info.value.tokens == small.count_tokens(prompt) > 512
    assert "--n-ctx" in str(info.value) and "\n" not in str(info.value)


def test_missing_file_and_missing_extra(tmp_path: Path, tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="GGUF model not found"):
        LlamaCppBackend(tmp_path / "nope.gguf")
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    with pytest.raises(MissingExtraError, match=r"docintel\[llamacpp\]"):
        LlamaCppBackend(tiny_gguf, n_ctx=777)  # not loaded yet in this process: needs the import
