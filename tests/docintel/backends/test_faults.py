"""Backends under faults: the real Anthropic and OpenAI SDKs against a localhost server that misbehaves on purpose
(misbehaving_server.py speaks each wire format byte by byte): keep-alive pings that never end, an in-band
``overloaded_error`` after HTTP 200, event streams that are not JSON, a "vLLM" that answers HTML. Each ends in one
line that names the server, within the deadline times the attempts, with the number of requests asserted."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the server lives beside this file
from misbehaving_server import Handler, MisbehavingServer

from docintel.answer import TextDelta, UsageEvent
from docintel.backends.retry import Backoff
from docintel.corpus import SourceSpan
from docintel.errors import BackendError
from docintel.prompt import CitedSpan, Prompt, PromptBlock

MODEL = "claude-sonnet-4-6"
KEY = "sk-ant-test-key"
MESSAGES = ("POST", "/v1/messages")


def prompt() -> Prompt:
    text = "The notice period is thirty days.\n"
    cited = (CitedSpan("1", SourceSpan("terms.txt", 0, len(text), 1, 1), text),)
    blocks = (
        PromptBlock("instructions", "Answer from the corpus only.\n"),
        PromptBlock("corpus", f'<doc path="terms.txt">\n[1] {text}</doc>\n', cache_breakpoint=True),
        PromptBlock("question", "<question>\nWhat is the notice period?\n</question>\n"),
    )
    return Prompt(blocks, cited, "What is the notice period?", "full", max_output_tokens=64)


def anthropic_backend(server: MisbehavingServer, *, timeout_s: float = 30.0, retries: int = 2) -> Any:
    from docintel.backends.anthropic import AnthropicBackend

    backoff = Backoff(max_retries=retries, base_s=0.0, sleep=lambda s: None)
    return AnthropicBackend(MODEL, api_key=KEY, base_url=server.url, timeout_s=timeout_s, backoff=backoff)


def message_start(h: Handler) -> None:
    h.start_sse()
    h.event(
        "message_start",
        {
            "type": "message_start",
            "message": {
                "id": "msg_1", "type": "message", "role": "assistant", "model": MODEL, "content": [],
                "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 20, "output_tokens": 1},
            },
        },
    )  # fmt: skip


def good_stream(h: Handler, _body: dict[str, Any]) -> None:
    message_start(h)
    h.event(
        "content_block_start",
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    )
    h.event(
        "content_block_delta",
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Thirty days [1]."}},
    )
    h.event("content_block_stop", {"type": "content_block_stop", "index": 0})
    h.event(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": 5},
        },
    )
    h.event("message_stop", {"type": "message_stop"})
    h.end_sse()  # fmt: skip


def overloaded_in_band(h: Handler, _body: dict[str, Any]) -> None:
    message_start(h)
    h.event("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    h.end_sse()


def test_keepalive_pings_cannot_hold_a_call_past_its_deadline() -> None:
    """Pings every 0.3 s keep a per-read timeout from ever firing; the total deadline (1.5 s) ends the call."""
    with MisbehavingServer() as server:
        server.routes[MESSAGES] = lambda h, body: server.pings_forever(h, 0.3, first=message_start)
        backend = anthropic_backend(server, timeout_s=1.5, retries=2)
        import anthropic  # noqa: F401  - the SDK's first import takes seconds on a busy machine: not the call's time

        started = time.monotonic()
        with pytest.raises(BackendError) as caught:
            list(backend.generate(prompt()))
        elapsed = time.monotonic() - started
    message = str(caught.value)
    assert "1.5 s deadline" in message and server.url in message and "\n" not in message
    assert server.count(*MESSAGES) == 1  # a deadline is not retried: the wall time is one deadline
    assert elapsed < 1.5 * 3, f"{elapsed:.1f} s: not bounded by deadline x attempts"


def test_in_band_overloaded_error_after_200_is_retried_like_529() -> None:
    calls = []

    def route(h: Handler, body: dict[str, Any]) -> None:
        calls.append(1)
        (overloaded_in_band if len(calls) == 1 else good_stream)(h, body)

    with MisbehavingServer() as server:
        server.routes[MESSAGES] = route
        events = list(anthropic_backend(server).generate(prompt()))
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Thirty days [1]."
    assert isinstance(events[-1], UsageEvent)
    assert server.count(*MESSAGES) == 2


def test_in_band_overloaded_error_that_persists_is_one_line_after_the_retries() -> None:
    with MisbehavingServer() as server:
        server.routes[MESSAGES] = overloaded_in_band
        with pytest.raises(BackendError) as caught:
            list(anthropic_backend(server, retries=2).generate(prompt()))
    message = str(caught.value)
    assert "overloaded" in message and "after 3 attempts" in message and "(200)" not in message
    assert server.count(*MESSAGES) == 3


@pytest.mark.parametrize(
    "garbage",
    [
        b"event: message_start\ndata: {not json at all\n\n",
        b"event: content_block_delta\ndata: <html><body>502 Bad Gateway</body></html>\n\n",
    ],
    ids=["broken-json", "html"],
)
def test_garbage_event_stream_is_one_line_naming_the_server(garbage: bytes) -> None:
    def route(h: Handler, _body: dict[str, Any]) -> None:
        h.start_sse()
        h.chunk(garbage)
        h.end_sse()

    with MisbehavingServer() as server:
        server.routes[MESSAGES] = route
        with pytest.raises(BackendError) as caught:
            list(anthropic_backend(server).generate(prompt()))
    message = str(caught.value)
    assert server.url in message and "not the Messages API" in message and "\n" not in message
    assert server.count(*MESSAGES) == 1


# ---- vLLM (the OpenAI SDK) -------------------------------------------------------------------------------------

MODELS = ("GET", "/v1/models")
CHAT = ("POST", "/v1/chat/completions")


def models_ok(h: Handler, _body: dict[str, Any]) -> None:
    h.send_json(200, {"object": "list", "data": [{"id": "tiny", "object": "model", "max_model_len": 4096}]})


def vllm_backend(server: MisbehavingServer, *, timeout_s: float = 30.0) -> Any:
    from docintel.backends.vllm import VLLMBackend

    backoff = Backoff(max_retries=2, base_s=0.0, sleep=lambda s: None)
    return VLLMBackend(base_url=server.url, timeout_s=timeout_s, backoff=backoff)


def test_vllm_url_that_answers_html_is_one_line_naming_the_server() -> None:
    with MisbehavingServer() as server:
        server.routes[MODELS] = lambda h, b: h.send_raw(200, "text/html", b"<html><h1>It works!</h1></html>")
        with pytest.raises(BackendError) as caught:
            vllm_backend(server)
    message = str(caught.value)
    assert server.url in message and "did not answer like a vLLM" in message and "\n" not in message
    assert server.count(*MODELS) == 1


def test_vllm_garbage_answer_stream_is_one_line_naming_the_server() -> None:
    def route(h: Handler, _body: dict[str, Any]) -> None:
        h.start_sse()
        h.event(None, "{'choices': nonsense")
        h.end_sse()

    with MisbehavingServer() as server:
        server.routes[MODELS] = models_ok
        server.routes[CHAT] = route
        backend = vllm_backend(server)
        with pytest.raises(BackendError) as caught:
            list(backend.generate(prompt()))
    message = str(caught.value)
    assert server.url in message and "did not answer like a vLLM" in message and "\n" not in message
    assert server.count(*CHAT) == 1


def test_vllm_stream_kept_open_by_comments_ends_at_the_deadline() -> None:
    def route(h: Handler, _body: dict[str, Any]) -> None:
        h.start_sse()
        while not server.stop_event.is_set():
            h.chunk(b": keep-alive\n\n")
            time.sleep(0.3)

    with MisbehavingServer() as server:
        server.routes[MODELS] = models_ok
        server.routes[CHAT] = route
        backend = vllm_backend(server, timeout_s=1.5)
        started = time.monotonic()
        with pytest.raises(BackendError) as caught:
            list(backend.generate(prompt()))
        elapsed = time.monotonic() - started
    assert "1.5 s deadline" in str(caught.value) and server.url in str(caught.value)
    assert server.count(*CHAT) == 1
    assert elapsed < 1.5 * 3


def test_vllm_tokenize_that_trickles_or_answers_html_is_one_line() -> None:
    def trickle(h: Handler, _body: dict[str, Any]) -> None:
        h.send_response(200)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", "1000")
        h.end_headers()
        while not server.stop_event.is_set():
            h.wfile.write(b" ")
            h.wfile.flush()
            time.sleep(0.3)

    with MisbehavingServer() as server:
        server.routes[MODELS] = models_ok
        server.routes[("POST", "/tokenize")] = trickle
        backend = vllm_backend(server, timeout_s=1.5)
        started = time.monotonic()
        with pytest.raises(BackendError) as caught:
            backend.count_tokens(prompt())
        assert "1.5 s deadline" in str(caught.value) and time.monotonic() - started < 1.5 * 3
        server.routes[("POST", "/tokenize")] = lambda h, b: h.send_raw(200, "text/html", b"<html>nope</html>")
        with pytest.raises(BackendError) as caught:
            vllm_backend(server).count_tokens(prompt())
    assert "did not answer like a vLLM" in str(caught.value) and "POST /tokenize" in str(caught.value)
