"""The anthropic backend: the real SDK against a localhost server speaking the Messages wire format.

No key, no network: the server (fake_messages_server.py) records each request and reports usage the way the API
does, so these tests assert what docintel sends (where cache_control sits, what was redacted) and how it accounts
for what comes back.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the fake server lives beside this file
from fake_messages_server import FakeMessagesServer, Fault

from docintel.answer import TextDelta, UsageEvent
from docintel.backends import get_backend
from docintel.backends.anthropic import AnthropicBackend, build_request
from docintel.backends.retry import Backoff
from docintel.corpus import SourceSpan
from docintel.errors import BackendError, MissingExtraError, PromptTooLongError
from docintel.profiles import get_profile
from docintel.prompt import CitedSpan, Prompt, PromptBlock
from docintel.tokens import count_tokens

MODEL = "claude-sonnet-4-6"
INSTRUCTIONS = "Answer from the corpus only. Cite every claim with its [id].\n"


def _module_text(n: int) -> str:
    """A file of varied code, ~25 tokens a line."""
    return "".join(
        f"def handler_{n}_{i}(request, retries={i % 7}):\n    return dispatch('route_{n}_{i}', request, retries)\n"
        for i in range(40)
    )


def _spans(files: dict[str, str], *, first_line: int = 1) -> list[CitedSpan]:
    out = []
    for i, (path, text) in enumerate(files.items(), start=1):
        lines = text.count("\n") + (0 if text.endswith("\n") else 1)
        out.append(CitedSpan(str(i), SourceSpan(path, 0, len(text), first_line, first_line + lines - 1), text))
    return out


def make_prompt(files: dict[str, str], question: str, *, passages: bool = True) -> Prompt:
    """A full-pass Prompt laid out as docintel.assemble.context does: the corpus block ends the cacheable prefix."""
    cited = _spans(files)
    corpus = "".join(f'<doc path="{c.span.path}">\n[{c.id}] {c.text}</doc>\n' for c in cited)
    corpus_map = "<corpus_map>\n" + "".join(f"{c.span.path}\n" for c in cited) + "</corpus_map>\n"
    blocks = [
        PromptBlock("instructions", INSTRUCTIONS),
        PromptBlock("corpus_map", corpus_map),
        PromptBlock("corpus", f"<corpus>\n{corpus}</corpus>\n", cache_breakpoint=True),
    ]
    if passages:
        blocks.append(PromptBlock("passages", f"<passages>\n[1] {cited[0].text[:80]}\n</passages>\n"))
    blocks.append(PromptBlock("question", f"<question>\n{question}\n</question>\n"))
    return Prompt(tuple(blocks), tuple(cited), question, "full", max_output_tokens=512)


@pytest.fixture()
def corpus_files() -> dict[str, str]:
    return {f"app/module_{n}.py": _module_text(n) for n in range(3)}  # ~3,000 tokens: above Sonnet's minimum


@pytest.fixture()
def server() -> Iterator[FakeMessagesServer]:
    with FakeMessagesServer() as srv:
        yield srv


def backend_for(server: FakeMessagesServer, **options: object) -> AnthropicBackend:
    options.setdefault("backoff", Backoff(max_retries=3, base_s=0.0, sleep=lambda s: None))
    return AnthropicBackend(MODEL, api_key=server.api_key, base_url=server.base_url, **options)  # type: ignore[arg-type]


def run(backend: AnthropicBackend, prompt: Prompt) -> tuple[str, list[str], UsageEvent]:
    events = list(backend.generate(prompt))
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    usage_events = [e for e in events if isinstance(e, UsageEvent)]
    assert len(usage_events) == 1 and events[-1] is usage_events[0], "exactly one UsageEvent, last"
    return "".join(deltas), deltas, usage_events[0]


# ---- (1) where cache_control sits ----------------------------------------------------------------------
@pytest.mark.parametrize("ttl", ["5m", "1h"])
def test_cache_control_sits_on_the_corpus_block_and_the_question_follows_uncached(
    server: FakeMessagesServer, corpus_files: dict[str, str], ttl: str
) -> None:
    prompt = make_prompt(corpus_files, "Which handler dispatches route_1_3?")
    run(backend_for(server, cache_ttl=ttl), prompt)

    [request] = server.message_requests()
    body = request.body
    assert [b["text"] for b in body["system"]] == [b.text for b in prompt.blocks[:3]]
    assert [b.get("cache_control") for b in body["system"]] == [None, None, {"type": "ephemeral", "ttl": ttl}]
    [message] = body["messages"]
    assert message["role"] == "user"
    assert [part["text"] for part in message["content"]] == [prompt.blocks[3].text, prompt.blocks[4].text]
    assert all("cache_control" not in part for part in message["content"])
    assert body["temperature"] == 0 and body["stream"] is True and body["model"] == MODEL
    assert body["max_tokens"] == 512
    assert request.headers["authorization"] == f"Bearer {server.api_key}"


def test_at_most_four_breakpoints_and_none_on_empty_blocks() -> None:
    blocks = [PromptBlock("instructions", f"part {i}\n", cache_breakpoint=True) for i in range(6)]
    blocks.append(PromptBlock("corpus_map", "", cache_breakpoint=True))  # empty: its breakpoint moves back one
    blocks.append(PromptBlock("question", "why?\n"))
    request = build_request(Prompt(tuple(blocks), (), "why?", "full"), "1h")
    marked = [b["text"] for b in request.system if "cache_control" in b]
    assert marked == ["part 2\n", "part 3\n", "part 4\n", "part 5\n"]
    assert all(b["text"] for b in request.system)  # the API rejects empty text blocks
    assert request.messages == [{"role": "user", "content": [{"type": "text", "text": "why?\n"}]}]


# ---- (2) cache write, then read; usage and cost --------------------------------------------------------
def test_first_question_writes_the_cache_and_the_second_reads_it(
    server: FakeMessagesServer, corpus_files: dict[str, str]
) -> None:
    backend = backend_for(server)
    first = make_prompt(corpus_files, "Which handler dispatches route_1_3?")
    second = make_prompt(corpus_files, "What is the default retry count of handler_2_5?")
    prefix_tokens = sum(count_tokens(b.text) for b in first.blocks[:3])
    output_tokens = count_tokens(server.reply)  # type: ignore[arg-type]
    price = get_profile(MODEL)

    _, _, e1 = run(backend, first)
    _, _, e2 = run(backend, second)

    suffix1 = sum(count_tokens(b.text) for b in first.blocks[3:])
    assert e1.usage.cache_write_tokens == prefix_tokens and e1.usage.cache_read_tokens == 0
    assert e1.usage.uncached_tokens == suffix1
    assert e1.usage.input_tokens == prefix_tokens + suffix1
    assert e1.usage.output_tokens == output_tokens
    assert e1.usage.cost_usd == pytest.approx((suffix1 * 3.0 + prefix_tokens * 3.75 + output_tokens * 15.0) / 1e6)
    assert price.cache_write_per_mtok == 3.75

    suffix2 = sum(count_tokens(b.text) for b in second.blocks[3:])
    assert e2.usage.cache_read_tokens == prefix_tokens and e2.usage.cache_write_tokens == 0
    assert e2.usage.uncached_tokens == suffix2
    assert e2.usage.cost_usd == pytest.approx((suffix2 * 3.0 + prefix_tokens * 0.3 + output_tokens * 15.0) / 1e6)
    assert e2.usage.cost_usd < e1.usage.cost_usd / 5

    # docintel's numbers are the ones the server reported, normalized (input = uncached + write + read)
    for event, reported in zip((e1, e2), server.reported_usage, strict=True):
        assert event.usage.cache_write_tokens == reported["cache_creation_input_tokens"]
        assert event.usage.cache_read_tokens == reported["cache_read_input_tokens"]
        assert event.usage.uncached_tokens == reported["input_tokens"]
        assert event.usage.output_tokens == reported["output_tokens"]
    assert e1.stop_reason == "end_turn"


def test_cache_expires_after_its_ttl_and_1h_writes_cost_twice_input(
    server: FakeMessagesServer, corpus_files: dict[str, str]
) -> None:
    prompt = make_prompt(corpus_files, "q?")
    prefix_tokens = sum(count_tokens(b.text) for b in prompt.blocks[:3])

    five = backend_for(server, cache_ttl="5m")
    run(five, prompt)
    server.advance(301)  # past the 5-minute TTL: written again
    _, _, again = run(five, prompt)
    assert again.usage.cache_write_tokens == prefix_tokens and again.usage.cache_read_tokens == 0

    hour = backend_for(server, cache_ttl="1h")
    other = make_prompt({**{"extra.py": "x = 1\n"}, **_corpus_copy(prompt)}, "q?")
    _, _, written = run(hour, other)
    other_prefix = sum(count_tokens(b.text) for b in other.blocks[:3])
    suffix = written.usage.uncached_tokens
    out = written.usage.output_tokens
    assert written.usage.cache_write_tokens == other_prefix
    assert written.usage.cost_usd == pytest.approx((suffix * 3.0 + other_prefix * 6.0 + out * 15.0) / 1e6)
    assert hour.profile.cache_write_per_mtok == 6.0 and hour.profile.cache_ttl_s == 3600
    server.advance(1800)  # within the hour: still cached
    _, _, read = run(hour, other)
    assert read.usage.cache_read_tokens == other_prefix


def _corpus_copy(prompt: Prompt) -> dict[str, str]:
    return {c.span.path: c.text for c in prompt.citations}


def test_prefix_below_the_models_minimum_warns_that_nothing_is_cached(server: FakeMessagesServer) -> None:
    server.min_cacheable_tokens = get_profile(MODEL).min_cacheable_tokens
    backend = backend_for(server)
    _, _, event = run(backend, make_prompt({"small.py": "x = 1\n"}, "what is x?"))
    assert any("below claude-sonnet-4-6's minimum of 2048: nothing will be cached" in n for n in backend.notes)
    assert event.usage.cache_write_tokens == 0  # and the server indeed cached nothing


def test_no_warning_when_the_prefix_is_long_enough(server: FakeMessagesServer, corpus_files: dict[str, str]) -> None:
    backend = backend_for(server)
    run(backend, make_prompt(corpus_files, "q?"))
    assert backend.notes == []


# ---- (3) streaming ------------------------------------------------------------------------------------
def test_streamed_deltas_arrive_in_order_and_make_the_answer(
    server: FakeMessagesServer, corpus_files: dict[str, str]
) -> None:
    server.reply = "Handler handler_1_3 [2] dispatches route_1_3, with 3 retries [2]."
    text, deltas, event = run(backend_for(server), make_prompt(corpus_files, "q?"))
    assert text == server.reply
    assert len(deltas) == len(server.reply.split()) > 5
    assert deltas[0] == "Handler " and deltas[-1] == "[2]."
    assert event.usage.ttft_s is not None and 0 < event.usage.ttft_s <= event.usage.total_s


# ---- (4) errors ---------------------------------------------------------------------------------------
def test_overloaded_twice_then_success_is_retried_honouring_retry_after(
    server: FakeMessagesServer, corpus_files: dict[str, str]
) -> None:
    waits: list[float] = []
    server.fail(529, times=2, retry_after=0.25)
    backend = backend_for(server, backoff=Backoff(max_retries=3, base_s=0.0, sleep=waits.append))
    text, _, _ = run(backend, make_prompt(corpus_files, "q?"))
    assert text == server.reply
    assert len(server.message_requests()) == 3
    assert waits == [0.25, 0.25]


def test_overload_retries_are_bounded(server: FakeMessagesServer, corpus_files: dict[str, str]) -> None:
    waits: list[float] = []
    server.fail(529, times=10)
    backend = backend_for(server, backoff=Backoff(max_retries=2, base_s=1.0, cap_s=4.0, sleep=waits.append))
    with pytest.raises(BackendError) as info:
        run(backend, make_prompt(corpus_files, "q?"))
    assert str(info.value) == "anthropic: the API is overloaded (529) after 3 attempts; try again later"
    assert len(server.message_requests()) == 3
    assert len(waits) == 2 and 0 <= waits[0] <= 1.0 and 0 <= waits[1] <= 2.0  # exponential with full jitter


def test_rate_limit_maps_to_one_line(server: FakeMessagesServer, corpus_files: dict[str, str]) -> None:
    server.fail(429, times=5, retry_after=0)
    with pytest.raises(BackendError, match=r"rate limited \(429\) after 4 attempts") as info:
        run(backend_for(server), make_prompt(corpus_files, "q?"))
    assert "\n" not in str(info.value)


def test_wrong_key_is_an_authentication_error_not_retried(
    server: FakeMessagesServer, corpus_files: dict[str, str]
) -> None:
    backend = AnthropicBackend(
        MODEL, api_key="sk-ant-wrong", base_url=server.base_url, backoff=Backoff(sleep=lambda s: None)
    )
    with pytest.raises(BackendError) as info:
        run(backend, make_prompt(corpus_files, "q?"))
    assert str(info.value) == "anthropic: authentication failed (401): check ANTHROPIC_API_KEY"
    assert len(server.message_requests()) == 1


def test_missing_key_says_what_to_set(monkeypatch: pytest.MonkeyPatch, corpus_files: dict[str, str]) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    backend = AnthropicBackend(MODEL, base_url="http://127.0.0.1:9")
    assert backend.profile.id == MODEL  # the profile is usable (the router plans) without a key
    with pytest.raises(BackendError, match=r"^set ANTHROPIC_API_KEY"):
        run(backend, make_prompt(corpus_files, "q?"))


def test_stream_cut_before_any_text_is_retried_once(server: FakeMessagesServer, corpus_files: dict[str, str]) -> None:
    server.cut_stream(after_deltas=0)
    text, _, event = run(backend_for(server), make_prompt(corpus_files, "q?"))
    assert text == server.reply and event.stop_reason == "end_turn"
    assert len(server.message_requests()) == 2


@pytest.mark.parametrize("mode", ["abort", "eof"])
def test_stream_cut_after_text_is_a_clear_error(
    server: FakeMessagesServer, corpus_files: dict[str, str], mode: str
) -> None:
    server.cut_stream(after_deltas=2, mode=mode)  # type: ignore[arg-type]
    received: list[str] = []
    with pytest.raises(BackendError) as info:
        for event in backend_for(server).generate(make_prompt(corpus_files, "q?")):
            assert isinstance(event, TextDelta)
            received.append(event.text)
    assert received == ["The ", "retry "]
    assert str(info.value) == (
        f"anthropic: the answer stream from {server.base_url} ended before message_stop after 10 characters; "
        "the answer is incomplete, ask again"
    )
    assert len(server.message_requests()) == 1  # text was already shown: not silently repeated


def test_prompt_too_long_becomes_prompt_too_long_error(
    server: FakeMessagesServer, corpus_files: dict[str, str]
) -> None:
    server.max_input_tokens = 1000
    prompt = make_prompt(corpus_files, "q?")
    total = sum(count_tokens(b.text) for b in prompt.blocks)
    with pytest.raises(PromptTooLongError) as info:
        run(backend_for(server), prompt)
    assert info.value.tokens == total and info.value.window == 1000
    assert str(info.value) == f"prompt is too long for {MODEL}: prompt is too long: {total} tokens > 1000 maximum"
    assert len(server.message_requests()) == 1  # not retried


def test_server_down_is_one_line(corpus_files: dict[str, str]) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    backend = AnthropicBackend(MODEL, api_key="k", base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(BackendError) as info:
        run(backend, make_prompt(corpus_files, "q?"))
    message = str(info.value)
    assert message.startswith(f"cannot reach http://127.0.0.1:{port}: is it up?") and "\n" not in message


def test_missing_sdk_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "anthropic" else real(name, *a))
    with pytest.raises(MissingExtraError, match=r"pip install 'docintel\[anthropic\]'"):
        AnthropicBackend(MODEL)


# ---- (5) exact token counts ---------------------------------------------------------------------------
def test_count_tokens_asks_the_count_tokens_endpoint_with_the_same_request(
    server: FakeMessagesServer, corpus_files: dict[str, str]
) -> None:
    backend = backend_for(server)
    prompt = make_prompt(corpus_files, "q?")
    n = backend.count_tokens(prompt)
    run(backend, prompt)
    count_request, message_request = server.requests
    assert count_request.path == "/v1/messages/count_tokens"
    assert n == server.input_tokens(count_request.body) == sum(count_tokens(b.text) for b in prompt.blocks)
    assert count_request.body["system"] == message_request.body["system"]
    assert count_request.body["messages"] == message_request.body["messages"]
    assert count_request.body["model"] == MODEL


def test_count_tokens_retries_overload_then_answers(server: FakeMessagesServer, corpus_files: dict[str, str]) -> None:
    server.faults.append(Fault("status", status=529, path="/v1/messages/count_tokens"))
    assert backend_for(server).count_tokens(make_prompt(corpus_files, "q?")) > 1000
    assert [r.path for r in server.requests] == ["/v1/messages/count_tokens"] * 2


def test_registry_builds_the_backend(server: FakeMessagesServer) -> None:
    backend = get_backend("anthropic", model="claude-haiku-4-5", api_key="k", base_url=server.base_url)
    assert isinstance(backend.inner, AnthropicBackend) and backend.profile.context_window == 200_000  # egress-wrapped
    by_profile = AnthropicBackend(
        profile=get_profile("claude-opus-4-6"), api_key=server.api_key, base_url=server.base_url
    )
    assert by_profile.model == "claude-opus-4-6"  # --profile alone picks the model it prices
    run(by_profile, make_prompt({"a.py": "x = 1\n"}, "q?"))
    assert server.message_requests()[-1].body["model"] == "claude-opus-4-6"
