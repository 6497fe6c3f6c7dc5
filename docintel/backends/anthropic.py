"""The Anthropic backend: the Messages API through the official SDK, with prompt caching.

Layout (shared/DESIGN.md): instructions, corpus map and corpus become system blocks; the block a Prompt marks
with ``cache_breakpoint`` carries ``cache_control: {"type": "ephemeral", "ttl": "5m"|"1h"}`` (at most 4, the
last ones win); the salient passages and the question follow in the user message, outside the cached prefix.

Redaction is not done here: the backend factory wraps every backend at the egress seam (docintel.egress.guard), so
the prompt this backend receives is already what may leave. After ``generate()`` has been consumed,
``backend.notes`` holds one-line notes for ``Answer.notes`` (a prefix too short to be cached); reset by each call.

Retries: the SDK's own retries are off; 429/529/5xx are retried here with bounded exponential backoff and jitter
(docintel.backends.retry), honouring ``retry-after``, as long as no text has been streamed yet. A stream that
ends before ``message_stop`` (the SDK does not retry it) is retried once if nothing was streamed, otherwise it
is a BackendError. "prompt is too long" becomes PromptTooLongError, so the pipeline can fall back to retrieval.
An ``overloaded_error`` event inside a 200 stream is retried like a 529. ``timeout_s`` is a total deadline per
request (docintel.backends.deadline), so keep-alive pings cannot hold a call open; a stream that is not the
Messages API's (not JSON, wrong shape) is a one-line error naming the server.
"""

from __future__ import annotations

import importlib.util
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, Literal

from docintel.answer import BackendEvent, TextDelta, Usage, UsageEvent
from docintel.backends import BackendCapabilities, BackendOption
from docintel.backends.deadline import DEFAULT_TIMEOUT_S, deadline_message, deadline_transport
from docintel.backends.retry import Backoff, call_with_retries, retry_after_seconds
from docintel.errors import BackendError, DocintelError, MissingExtraError, PromptTooLongError
from docintel.profiles import ModelProfile, get_profile
from docintel.prompt import Prompt
from docintel.tokens import count_tokens as estimate_tokens

CacheTTL = Literal["5m", "1h"]
DEFAULT_MODEL = "claude-sonnet-4-6"
SYSTEM_ROLES = frozenset({"instructions", "corpus_map", "corpus"})
MAX_BREAKPOINTS = 4
RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
# Error events inside a 200 stream that mean "try again" (the API's overloaded_error, reported as 529 when it comes
# before the stream starts).
IN_BAND_RETRYABLE = frozenset({"overloaded_error", "rate_limit_error", "api_error"})
_TOO_LONG = re.compile(r"prompt is too long: (\d+) tokens > (\d+) maximum")


@dataclass(frozen=True)
class MessagesRequest:
    """What goes to ``messages.stream`` / ``messages.count_tokens`` (besides model and max_tokens)."""

    system: list[dict[str, Any]]
    messages: list[dict[str, Any]]


def build_request(prompt: Prompt, cache_ttl: CacheTTL = "5m") -> MessagesRequest:
    """Map a Prompt's blocks onto system blocks and one user message, with ``cache_control`` at breakpoints."""
    # The API rejects empty text blocks: a breakpoint on an empty block moves to the last non-empty one before it.
    marked: set[int] = set()
    last_text = -1
    for i, block in enumerate(prompt.blocks):
        if block.text:
            last_text = i
        if block.cache_breakpoint and last_text >= 0:
            marked.add(last_text)
    keep = set(sorted(marked)[-MAX_BREAKPOINTS:])

    system: list[dict[str, Any]] = []
    user: list[dict[str, Any]] = []
    for i, block in enumerate(prompt.blocks):
        if not block.text:
            continue
        part: dict[str, Any] = {"type": "text", "text": block.text}
        if i in keep:
            part["cache_control"] = {"type": "ephemeral", "ttl": cache_ttl}
        (system if block.role in SYSTEM_ROLES else user).append(part)
    if not user:
        user.append({"type": "text", "text": prompt.question or "(no question)"})
    return MessagesRequest(system=system, messages=[{"role": "user", "content": user}])


def profile_for_ttl(profile: ModelProfile, cache_ttl: CacheTTL) -> ModelProfile:
    """The profile as the router should price it: a 1-hour cache write costs 2x input (5 min: the profile's)."""
    if cache_ttl == "1h":
        return replace(profile, cache_ttl_s=3600, cache_write_per_mtok=2 * profile.input_per_mtok)
    return replace(profile, cache_ttl_s=300)


class AnthropicBackend:
    name = "anthropic"
    capabilities = BackendCapabilities(prefix_cache="explicit_breakpoints", needs="key", remote=True)
    default_profile = DEFAULT_MODEL
    options = (
        BackendOption("model", help="Claude model id (default: the profile's id, else claude-sonnet-4-6)."),
        BackendOption(
            "api_key", env="ANTHROPIC_API_KEY", required=True, secret=True, help="API key ($ANTHROPIC_API_KEY)."
        ),
        BackendOption("base_url", "url", env="ANTHROPIC_BASE_URL", help="API address (default: Anthropic's)."),
        BackendOption("cache_ttl", default="5m", choices=("5m", "1h"), help="Prompt-cache lifetime."),
        BackendOption("max_retries", "int", default=3, help="Retries of 429/5xx before the first streamed text."),
        BackendOption(
            "timeout_s", "float", default=DEFAULT_TIMEOUT_S, help="Deadline in seconds per request, in total."
        ),
    )

    def __init__(
        self,
        model: str | None = None,
        *,
        profile: ModelProfile | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        cache_ttl: CacheTTL = "5m",
        max_retries: int = 3,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        backoff: Backoff | None = None,
    ) -> None:
        """``model`` defaults to the profile's id (else claude-sonnet-4-6)."""
        if importlib.util.find_spec("anthropic") is None:
            raise MissingExtraError("anthropic", "anthropic")
        if cache_ttl not in ("5m", "1h"):
            raise DocintelError(f"cache TTL {cache_ttl!r} is not supported; use 5m or 1h")
        self.model = model or (profile.id if profile is not None else DEFAULT_MODEL)
        self.cache_ttl: CacheTTL = cache_ttl
        self._prices = profile or get_profile(self.model)  # 5-minute cache-write price, as in profiles.toml
        self.profile = profile_for_ttl(self._prices, cache_ttl)
        self.backoff = backoff or Backoff(max_retries=max_retries)
        self.timeout_s = timeout_s
        self.notes: list[str] = []
        self._api_key = api_key
        self._base_url = base_url
        self._sdk_client: Any = None

    # ---- the Backend protocol -------------------------------------------------------------------------
    def generate(self, prompt: Prompt) -> Iterator[BackendEvent]:
        import anthropic
        import httpx2

        self.notes = [n for n in (self._cache_note(prompt),) if n]
        request = build_request(prompt, self.cache_ttl)
        client = self._client()
        kwargs: dict[str, Any] = {
            "model": self.model,
            "max_tokens": max(1, min(prompt.max_output_tokens, self.profile.max_output_tokens)),
            "system": request.system,
            "messages": request.messages,
            "extra_body": {"temperature": 0},  # messages.create has no temperature argument (FACTS.md)
        }
        started = time.perf_counter()
        ttft: float | None = None
        retries = 0
        cut_retried = False
        while True:
            streamed_chars = 0
            saw_stop = False
            message: Any = None
            try:
                with client.messages.stream(**kwargs) as stream:
                    for event in stream:
                        if event.type == "text" and event.text:
                            if ttft is None:
                                ttft = time.perf_counter() - started
                            streamed_chars += len(event.text)
                            yield TextDelta(event.text)
                        elif event.type == "message_stop":
                            saw_stop = True
                    if saw_stop:
                        message = stream.get_final_message()
            except anthropic.APIStatusError as e:
                if streamed_chars == 0 and self._retryable(e) and retries < self.backoff.max_retries:
                    self.backoff.wait(retries, retry_after_seconds(e.response.headers))
                    retries += 1
                    continue
                raise self._status_error(e, retries) from None
            except anthropic.APITimeoutError:
                raise BackendError(self._timeout_message()) from None
            except anthropic.APIConnectionError as e:
                raise BackendError(self._connection_message(e)) from None
            except httpx2.TimeoutException:
                raise BackendError(self._timeout_message()) from None
            except httpx2.HTTPError:
                saw_stop = False  # the connection broke mid-stream: same as a stream cut short
            except (ValueError, KeyError, AttributeError, TypeError) as e:  # not JSON, or not the events' shape
                raise BackendError(self._garbage_message(e)) from None
            if saw_stop and message is not None:
                break
            if streamed_chars == 0 and not cut_retried:
                cut_retried = True
                continue
            raise BackendError(
                f"anthropic: the answer stream from {self._client_url()} ended before message_stop after "
                f"{streamed_chars} characters; the answer is incomplete, ask again"
            )

        usage = self._usage(message.usage, ttft=ttft, total_s=time.perf_counter() - started)
        yield UsageEvent(usage, stop_reason=message.stop_reason)

    def count_tokens(self, prompt: Prompt) -> int:
        """Exact input tokens from ``messages.count_tokens`` (of the prompt as received: what is sent)."""
        import anthropic

        request = build_request(prompt, self.cache_ttl)
        client = self._client()

        def call() -> int:
            result = client.messages.count_tokens(model=self.model, system=request.system, messages=request.messages)
            return int(result.input_tokens)

        def retry_after(exc: Exception) -> float | bool | None:
            if isinstance(exc, anthropic.APIStatusError) and self._retryable(exc):
                return retry_after_seconds(exc.response.headers)
            return False

        try:
            return call_with_retries(call, backoff=self.backoff, retry_after=retry_after)
        except anthropic.APIStatusError as e:
            raise self._status_error(e, self.backoff.max_retries) from None
        except anthropic.APITimeoutError:
            raise BackendError(self._timeout_message()) from None
        except anthropic.APIConnectionError as e:
            raise BackendError(self._connection_message(e)) from None
        except (ValueError, KeyError, AttributeError, TypeError) as e:
            raise BackendError(self._garbage_message(e)) from None

    # ---- helpers --------------------------------------------------------------------------------------
    def _client(self) -> Any:
        if self._sdk_client is None:
            try:
                import anthropic
            except ImportError as e:  # pragma: no cover - checked in __init__
                raise MissingExtraError("anthropic", "anthropic") from e
            key = self._api_key or os.environ.get("ANTHROPIC_API_KEY")
            if not key:
                raise BackendError("set ANTHROPIC_API_KEY to use the anthropic backend (or choose another --backend)")
            import httpx2

            # timeout_s is a total deadline per request, not per read: keep-alive pings cannot hold a call open
            http_client = httpx2.Client(transport=deadline_transport(httpx2, self.timeout_s), timeout=self.timeout_s)
            self._sdk_client = anthropic.Anthropic(
                api_key=key, base_url=self._base_url, max_retries=0, timeout=self.timeout_s, http_client=http_client
            )
        return self._sdk_client

    def _client_url(self) -> str:
        url = str(self._sdk_client.base_url) if self._sdk_client is not None else (self._base_url or "")
        return url.rstrip("/")

    def _cache_note(self, prompt: Prompt) -> str:
        if not any(b.cache_breakpoint for b in prompt.blocks):
            return ""
        estimate = int(estimate_tokens(prompt.prefix) * self.profile.token_margin)
        minimum = self.profile.min_cacheable_tokens
        if estimate >= minimum:
            return ""
        return (
            f"cacheable prefix is ~{estimate} tokens, below {self.model}'s minimum of {minimum}: nothing will be cached"
        )

    def _usage(self, raw: Any, *, ttft: float | None, total_s: float) -> Usage:
        write = int(getattr(raw, "cache_creation_input_tokens", 0) or 0)
        read = int(getattr(raw, "cache_read_input_tokens", 0) or 0)
        uncached = int(raw.input_tokens or 0)
        output = int(raw.output_tokens or 0)
        split = getattr(raw, "cache_creation", None)
        write_5m = int(getattr(split, "ephemeral_5m_input_tokens", 0) or 0) if split is not None else 0
        write_1h = int(getattr(split, "ephemeral_1h_input_tokens", 0) or 0) if split is not None else 0
        if write_5m + write_1h != write:  # no split reported: it was written with the TTL we asked for
            write_5m, write_1h = (write, 0) if self.cache_ttl == "5m" else (0, write)
        p = self._prices
        cost = p.cost(uncached=uncached, cache_write=write_5m, cache_read=read, output=output)
        cost += write_1h * 2 * p.input_per_mtok / 1_000_000
        return Usage(
            input_tokens=uncached + write + read,
            cache_write_tokens=write,
            cache_read_tokens=read,
            output_tokens=output,
            ttft_s=ttft,
            total_s=total_s,
            cost_usd=cost,
        )

    @staticmethod
    def _retryable(e: Any) -> bool:
        if _in_band_error(e) in IN_BAND_RETRYABLE:  # an error event after HTTP 200: retried like its status
            return True
        should = e.response.headers.get("x-should-retry")
        if should in ("true", "false"):
            return bool(should == "true")
        return int(e.status_code) in RETRYABLE_STATUS

    def _status_error(self, e: Any, retries: int) -> DocintelError:
        status = int(e.status_code)
        detail = " ".join(str(e.api_message or e.message or "").split())[:300]
        too_long = _TOO_LONG.search(detail)
        if status == 413 or (status == 400 and "prompt is too long" in detail):
            tokens, window = (int(too_long.group(1)), int(too_long.group(2))) if too_long else (0, 0)
            return PromptTooLongError(f"prompt is too long for {self.model}: {detail}", tokens=tokens, window=window)
        tries = f" after {retries + 1} attempts" if retries else ""
        in_band = _in_band_error(e)
        if in_band == "overloaded_error":
            return BackendError(
                f"anthropic: the API is overloaded (overloaded_error in the stream after HTTP 200){tries}; "
                "try again later"
            )
        if in_band:
            return BackendError(f"anthropic: {self._client_url()} sent an error event ({in_band}){tries}: {detail}")
        if status == 401:
            return BackendError("anthropic: authentication failed (401): check ANTHROPIC_API_KEY")
        if status == 403:
            return BackendError(f"anthropic: permission denied (403): {detail}")
        if status == 404:
            return BackendError(f"anthropic: not found (404) — is {self.model!r} a model this key can use? {detail}")
        if status == 429:
            return BackendError(f"anthropic: rate limited (429){tries}; wait a minute and try again")
        if status == 529:
            return BackendError(f"anthropic: the API is overloaded (529){tries}; try again later")
        if status >= 500:
            return BackendError(f"anthropic: server error ({status}){tries}: {detail}")
        return BackendError(f"anthropic: request rejected ({status}): {detail}")

    def _timeout_message(self) -> str:
        return f"anthropic: {deadline_message(self.timeout_s)} from {self._client_url()}; try again or raise --timeout"

    def _garbage_message(self, e: Exception) -> str:
        detail = " ".join(str(e).split())[:120]
        return (
            f"anthropic: {self._client_url()} sent a response that is not the Messages API's "
            f"({type(e).__name__}: {detail}); check --base-url"
        )

    def _connection_message(self, e: Exception) -> str:
        cause = e.__cause__ or e.__context__
        reason = f" ({' '.join(str(cause).split())[:120]})" if cause else ""
        return f"cannot reach {self._client_url()}: is it up?{reason}"


def _in_band_error(e: Any) -> str | None:
    """The error type of an ``event: error`` sent after HTTP 200 (the SDK raises it with status 200), else None."""
    if int(getattr(e, "status_code", 0) or 0) != 200:
        return None
    body = getattr(e, "body", None)
    inner = body.get("error", body) if isinstance(body, dict) else None
    kind = inner.get("type") if isinstance(inner, dict) else None
    return str(kind) if kind else "error"
