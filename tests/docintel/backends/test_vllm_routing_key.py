"""Several vLLM replicas behind a load balancer share no KV cache: the vLLM backend sends the corpus prefix hash in
``X-Docintel-Prefix`` so a balancer can route every question about one corpus to the same replica. The real OpenAI
SDK talks to a localhost server that speaks the chat-completions stream format and records each request's headers."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the server lives beside this file
from misbehaving_server import Handler, MisbehavingServer

from docintel.backends.retry import Backoff
from docintel.backends.vllm import ROUTING_HEADER, VLLMBackend
from docintel.corpus import SourceSpan
from docintel.prompt import CitedSpan, Prompt, PromptBlock

MODELS = ("GET", "/v1/models")
CHAT = ("POST", "/v1/chat/completions")


def corpus_prompt(corpus: str, question: str) -> Prompt:
    cited = (CitedSpan("1", SourceSpan("terms.txt", 0, len(corpus), 1, 1), corpus),)
    blocks = (
        PromptBlock("instructions", "Answer from the corpus only.\n"),
        PromptBlock("corpus", f'<doc path="terms.txt">\n[1] {corpus}</doc>\n', cache_breakpoint=True),
        PromptBlock("question", f"<question>\n{question}\n</question>\n"),
    )
    return Prompt(blocks, cited, question, "full", max_output_tokens=16)


def models(h: Handler, _body: dict[str, Any]) -> None:
    h.send_json(200, {"object": "list", "data": [{"id": "tiny", "object": "model", "max_model_len": 4096}]})


def answer(h: Handler, _body: dict[str, Any]) -> None:
    base = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "tiny"}
    h.start_sse()
    h.event(None, {**base, "choices": [{"index": 0, "delta": {"content": "Thirty days [1]."}, "finish_reason": None}]})
    h.event(None, {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    usage = {"prompt_tokens": 40, "completion_tokens": 5, "total_tokens": 45}
    h.event(None, {**base, "choices": [], "usage": usage})
    h.event(None, "[DONE]")
    h.end_sse()


def test_each_corpus_prefix_travels_with_its_own_stable_routing_key() -> None:
    with MisbehavingServer() as server:
        server.routes[MODELS] = models
        server.routes[CHAT] = answer
        backend = VLLMBackend(base_url=server.url, backoff=Backoff(max_retries=0, base_s=0.0, sleep=lambda s: None))
        asked = [
            corpus_prompt("The notice period is thirty days.\n", "What is the notice period?"),
            corpus_prompt("The notice period is thirty days.\n", "Who may terminate?"),
            corpus_prompt("Fees are due monthly.\n", "When are fees due?"),
        ]
        for prompt in asked:
            assert "".join(getattr(e, "text", "") for e in backend.generate(prompt)) == "Thirty days [1]."
        keys = [h.get(ROUTING_HEADER.lower()) for (m, p), h in zip(server.requests, server.headers, strict=True)
                if (m, p) == CHAT]  # fmt: skip
    assert keys == [asked[0].prefix_hash, asked[1].prefix_hash, asked[2].prefix_hash]
    assert keys[0] == keys[1] != keys[2]  # same corpus, same replica; another corpus may go elsewhere
