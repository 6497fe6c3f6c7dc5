"""A self-hosted vLLM server through its OpenAI-compatible API, with vLLM's automatic prefix caching doing the work.

Prompt layout: the cacheable prefix (instructions, corpus map, corpus) is the system message and the volatile
suffix (passages, question) the user message, sent through the chat endpoint so the model's own chat template
applies. The prefix is therefore the first text after the template's fixed header, byte-identical for an unchanged
corpus, and the template's end-of-message marker (a special token in every chat template) ends it, so its tokens do
not depend on the question: vLLM finds the same KV blocks by hash and reports them as
``usage.prompt_tokens_details.cached_tokens`` (the server needs ``--enable-prompt-tokens-details``). A model without
a chat template can be driven with ``endpoint="completions"``: the raw ``prompt.text`` (prefix first) is sent.

Usage: ``input_tokens`` = the server's ``prompt_tokens``; ``cache_read_tokens`` = ``cached_tokens``;
``cache_write_tokens`` = the tokens the request added to the prefix cache where the server reports them
(``created_cache_tokens``), else 0. Exact counts come from the server's ``/tokenize`` for the same messages.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, Literal

from docintel.answer import BackendEvent, TextDelta, Usage, UsageEvent
from docintel.backends import BackendCapabilities, BackendOption, is_loopback
from docintel.backends.deadline import DEFAULT_TIMEOUT_S, deadline_message, deadline_transport
from docintel.backends.retry import Backoff, call_with_retries, retry_after_seconds
from docintel.errors import BackendError, MissingExtraError, PromptTooLongError
from docintel.profiles import ModelProfile, get_profile
from docintel.prompt import Prompt

DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"
# The request header that carries the corpus prefix hash, for load balancers that route by a header (docs/scaling.md).
ROUTING_HEADER = "X-Docintel-Prefix"
_PROMPT_TOKENS = re.compile(r"(?:contains at least|prompt \(length) (\d+)")
_TOO_LONG = re.compile(r"maximum (?:context|model) length|longer than the maximum model length", re.I)


def _import_openai() -> Any:
    try:
        import openai
    except ImportError as e:  # the optional extra is missing
        raise MissingExtraError("openai", "vllm") from e
    return openai


class VLLMBackend:
    name = "vllm"
    capabilities = BackendCapabilities(prefix_cache="automatic_prefix", needs="url")
    default_profile = "vllm"
    options = (
        BackendOption("model", help="Served model name (default: the server's first model)."),
        BackendOption(
            "base_url", "url", default=DEFAULT_BASE_URL, env="DOCINTEL_VLLM_URL", help="The vLLM server's address."
        ),
        BackendOption("api_key", default="EMPTY", env="VLLM_API_KEY", secret=True, help="The server's --api-key."),
        BackendOption(
            "timeout_s", "float", default=DEFAULT_TIMEOUT_S, help="Deadline in seconds per request, in total."
        ),
        BackendOption("temperature", "float", default=0.0, help="Sampling temperature."),
        BackendOption("endpoint", default="chat", choices=("chat", "completions"), help="OpenAI route to call."),
    )

    def __init__(
        self,
        model: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        profile: ModelProfile | None = None,
        api_key: str = "EMPTY",
        timeout_s: float = DEFAULT_TIMEOUT_S,
        temperature: float = 0.0,
        endpoint: Literal["chat", "completions"] = "chat",
        backoff: Backoff | None = None,
    ) -> None:
        openai = _import_openai()
        self._openai = openai
        self.base_url = base_url.rstrip("/")
        if urllib.parse.urlsplit(self.base_url).path in ("", "/"):
            self.base_url += "/v1"  # a bare server address: vLLM's OpenAI routes live under /v1
        # /tokenize, /health and /metrics live at the server root, beside /v1.
        self.root_url = self.base_url[: -len("/v1")] if self.base_url.endswith("/v1") else self.base_url
        self.capabilities = replace(VLLMBackend.capabilities, remote=not is_loopback(self.base_url))
        self.notes: tuple[str, ...] = ()
        self.timeout_s = timeout_s
        self.temperature = temperature
        self.endpoint = endpoint
        self.backoff = backoff or Backoff(max_retries=3, base_s=1.0, cap_s=20.0)
        # The SDK's own retries are off: connection refused must fail at once with our message, and 429/5xx retries
        # are bounded by docintel's Backoff.
        import httpx

        self._httpx = httpx
        # timeout_s is a total deadline per request (docintel.backends.deadline), not a per-read timeout
        http_client = httpx.Client(transport=deadline_transport(httpx, timeout_s), timeout=timeout_s)
        self._client = openai.OpenAI(
            base_url=self.base_url, api_key=api_key, timeout=timeout_s, max_retries=0, http_client=http_client
        )
        self.model, self.max_model_len = self._discover(model)
        base = profile or get_profile("vllm")
        if self.max_model_len and (base.context_window == 0 or base.context_window > self.max_model_len):
            base = base.with_window(self.max_model_len)
        self.profile = base

    # --- discovery ----------------------------------------------------------------------------------------------

    def _discover(self, model: str | None) -> tuple[str, int]:
        """The served model (the first one when none is named) and its max_model_len, from ``/v1/models``."""
        try:
            page = self._client.models.list()
        except self._openai.APITimeoutError:
            raise BackendError(f"vLLM server at {self.base_url}: {deadline_message(self.timeout_s)}") from None
        except self._openai.APIConnectionError as e:
            raise self._down_error() from e
        except self._openai.APIError as e:
            raise BackendError(f"vLLM server at {self.base_url} did not list its models: {_message(e)}") from e
        except (AttributeError, TypeError, ValueError, KeyError) as e:  # HTML or plain text where JSON belongs
            raise BackendError(self._garbage_message("GET /models", e)) from None
        try:
            served = [(str(m.id), int((m.model_extra or {}).get("max_model_len") or 0)) for m in page.data]
        except (AttributeError, TypeError, ValueError, KeyError) as e:  # HTML, plain text, another API's JSON
            raise BackendError(self._garbage_message("GET /models", e)) from None
        if not served:
            raise BackendError(f"vLLM server at {self.base_url} serves no model")
        if model is None:
            return served[0]
        for mid, window in served:
            if mid == model:
                return mid, window
        names = ", ".join(mid for mid, _ in served)
        raise BackendError(f"vLLM server at {self.base_url} does not serve {model!r}; it serves: {names}")

    def _garbage_message(self, what: str, e: Exception) -> str:
        detail = " ".join(str(e).split())[:120]
        return (
            f"the server at {self.base_url} did not answer like a vLLM (OpenAI-compatible) server ({what}: "
            f"{type(e).__name__}: {detail}); check --base-url"
        )

    def _down_error(self) -> BackendError:
        return BackendError(
            f"no vLLM server at {self.base_url}: start one with `docintel serve vllm --model MODEL` "
            "or pass --base-url of a running server"
        )

    # --- the prompt ---------------------------------------------------------------------------------------------

    def messages(self, prompt: Prompt) -> list[dict[str, str]]:
        """System message = the cacheable prefix, user message = the suffix (all of it when there is no prefix)."""
        prefix, suffix = prompt.prefix, prompt.suffix
        if not prefix:
            return [{"role": "user", "content": prompt.text}]
        return [{"role": "system", "content": prefix}, {"role": "user", "content": suffix}]

    def _request(self, prompt: Prompt) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": prompt.max_output_tokens,
            "temperature": self.temperature,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if self.endpoint == "chat":
            body["messages"] = self.messages(prompt)
        else:
            body["prompt"] = prompt.text
        if prompt.prefix:
            # Several replicas behind a load balancer share no KV cache: a stable key per corpus prefix lets the
            # balancer send every question about one corpus to the same replica (session affinity).
            body["extra_headers"] = {ROUTING_HEADER: prompt.prefix_hash}
        return body

    # --- the Backend protocol -----------------------------------------------------------------------------------

    def count_tokens(self, prompt: Prompt) -> int:
        """Exact prompt tokens, chat template included, from the server's ``/tokenize``."""
        body: dict[str, Any] = {"model": self.model}
        if self.endpoint == "chat":
            body.update(messages=self.messages(prompt), add_generation_prompt=True)
        else:
            body["prompt"] = prompt.text
        answer = self._post_json("/tokenize", body)
        if not isinstance(answer.get("count"), int):
            raise BackendError(self._garbage_message("POST /tokenize", KeyError("no integer 'count'")))
        return int(answer["count"])

    def generate(self, prompt: Prompt) -> Iterator[BackendEvent]:
        openai = self._openai
        started = time.monotonic()
        create = self._client.chat.completions.create if self.endpoint == "chat" else self._client.completions.create
        try:
            stream = call_with_retries(
                lambda: create(**self._request(prompt)), backoff=self.backoff, retry_after=_retry
            )
        except openai.APIConnectionError as e:
            if isinstance(e, openai.APITimeoutError):
                raise BackendError(f"vLLM server at {self.base_url}: {deadline_message(self.timeout_s)}") from e
            raise self._down_error() from e
        except openai.APIStatusError as e:
            raise self._status_error(e) from e

        ttft: float | None = None
        usage: Any = None
        stop_reason: str | None = None
        try:
            for chunk in stream:
                if chunk.usage is not None:
                    usage = chunk.usage
                for choice in chunk.choices:
                    text = choice.delta.content if self.endpoint == "chat" else choice.text
                    if choice.finish_reason:
                        stop_reason = choice.finish_reason
                    if text:
                        if ttft is None:
                            ttft = time.monotonic() - started
                        yield TextDelta(text)
                    elif ttft is None and choice.finish_reason:
                        ttft = time.monotonic() - started  # an empty answer: the first token was end-of-text
        except openai.APITimeoutError:
            raise BackendError(f"vLLM server at {self.base_url}: {deadline_message(self.timeout_s)}") from None
        except openai.APIError as e:
            raise BackendError(f"vLLM stream from {self.base_url} failed mid-answer: {_message(e)}") from e
        except self._httpx.TimeoutException:
            raise BackendError(f"vLLM server at {self.base_url}: {deadline_message(self.timeout_s)}") from None
        except self._httpx.HTTPError as e:
            raise BackendError(f"vLLM stream from {self.base_url} broke mid-answer ({type(e).__name__})") from None
        except (ValueError, KeyError, AttributeError, TypeError) as e:  # not JSON, or not the chunks' shape
            raise BackendError(self._garbage_message("the answer stream", e)) from None
        finally:
            stream.close()
        if usage is None:
            raise BackendError(f"vLLM stream from {self.base_url} ended without a usage report; the answer is partial")
        yield UsageEvent(self._usage(usage, ttft, time.monotonic() - started), stop_reason=stop_reason)

    def _usage(self, raw: Any, ttft: float | None, total_s: float) -> Usage:
        details = raw.prompt_tokens_details
        cached = int(getattr(details, "cached_tokens", None) or 0) if details is not None else 0
        created = int(getattr(details, "created_cache_tokens", None) or 0) if details is not None else 0
        prompt_tokens = int(raw.prompt_tokens or 0)
        output = int(raw.completion_tokens or 0)
        created = min(created, prompt_tokens - cached)
        cost = self.profile.cost(
            uncached=prompt_tokens - cached - created, cache_write=created, cache_read=cached, output=output
        )
        return Usage(
            input_tokens=prompt_tokens,
            cache_write_tokens=created,
            cache_read_tokens=cached,
            output_tokens=output,
            ttft_s=ttft,
            total_s=total_s,
            cost_usd=cost,
        )

    # --- errors and plain HTTP ----------------------------------------------------------------------------------

    def _status_error(self, e: Any) -> Exception:
        message = _message(e)
        if e.status_code == 400 and _TOO_LONG.search(message):
            return self._too_long(message)
        if e.status_code == 404:
            return BackendError(f"vLLM server at {self.base_url}: {message}")
        if e.status_code in (401, 403):
            return BackendError(f"vLLM server at {self.base_url} refused the API key ({e.status_code}); pass --api-key")
        return BackendError(f"vLLM server at {self.base_url} answered {e.status_code}: {message}")

    def _too_long(self, message: str) -> PromptTooLongError:
        found = _PROMPT_TOKENS.search(message)
        tokens = int(found.group(1)) if found else 0
        size = f"of {tokens:,} tokens " if tokens else ""
        return PromptTooLongError(
            f"the prompt {size}does not fit {self.model}'s window of {self.max_model_len:,} tokens on the vLLM "
            "server; retrieve instead of a full pass, or serve the model with a larger --max-model-len",
            tokens=tokens,
            window=self.max_model_len,
        )

    def _post_json(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            self.root_url + path,
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json", "accept": "application/json"},
            method="POST",
        )
        try:
            ends = time.monotonic() + self.timeout_s  # the same total deadline as the SDK calls (backends.deadline)
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                parts = []
                while part := response.read1(65536):  # what has arrived: a trickle cannot block the check
                    parts.append(part)
                    if time.monotonic() > ends:
                        raise BackendError(f"vLLM server at {self.root_url}{path}: {deadline_message(self.timeout_s)}")
                data = json.loads(b"".join(parts))
        except ValueError as e:
            raise BackendError(self._garbage_message(f"POST {path}", e)) from None
        except urllib.error.HTTPError as e:
            detail = e.read().decode("utf-8", "replace")[:300]
            if _TOO_LONG.search(detail):
                raise self._too_long(detail) from e
            raise BackendError(f"vLLM server at {self.root_url}{path} answered {e.code}: {detail}") from e
        except (urllib.error.URLError, OSError) as e:
            raise self._down_error() from e
        if not isinstance(data, dict):
            raise BackendError(self._garbage_message(f"POST {path}", TypeError(f"a JSON {type(data).__name__}")))
        return data


def _message(e: Any) -> str:
    body = getattr(e, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if body.get("message"):
            return str(body["message"])
    return str(getattr(e, "message", None) or e).splitlines()[0]


def _retry(exc: Exception) -> float | bool | None:
    """Retry 429 and 5xx (an overloaded server) with backoff, honouring retry-after; nothing else."""
    status = getattr(exc, "status_code", None)
    if status == 429 or (isinstance(status, int) and status >= 500):
        response = getattr(exc, "response", None)
        return retry_after_seconds(response.headers) if response is not None else None
    return False
