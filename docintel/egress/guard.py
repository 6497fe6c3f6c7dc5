"""The egress seam: every text that leaves the process passes through here, and secrets do not.

What leaves: the prompt handed to any backend (``wrap_backend``, applied by the backend factory to every backend it
returns), ``pack`` output (CLI, API, MCP), MCP tool results that carry corpus text (search hits, ask answers and
quotes, outline) and audit reports (``guard_text`` / ``guard_prompt``).

Policy per destination (README "Secrets"): ``DOCINTEL_REDACT=always|remote|never`` (default ``remote``).
- ``remote``: redact what goes to a remote model (Anthropic; a vLLM/llama.cpp URL that is not loopback) and what
  front ends hand to an agent (pack, MCP results, reports: their reader is usually a remote model);
  a local engine on loopback, or in process, gets the text as it is.
- ``always``: redact for every destination, local engines included.
- ``never``: redact nothing.
``--no-redact`` (``redact=False``) turns redaction off for one command, whatever the variable says; ``redact=True``
turns it on.

Fail closed: if the scanner cannot run, ScannerError (a one-line DocintelError) and nothing is sent.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Literal

from docintel.answer import BackendEvent
from docintel.egress.links import strip_invisible
from docintel.egress.redact import (
    Redaction,
    ScannerError,
    redact_prompt,
    redact_text,
    redaction_enabled,
    redaction_note,
    redaction_setting,
)
from docintel.prompt import Prompt

Policy = Literal["always", "remote", "never"]


def resolve_policy(no_redact: bool | None = None) -> Policy:
    """The policy in force: ``never`` when ``no_redact`` (``--no-redact``), else ``DOCINTEL_REDACT`` (default
    ``remote``). A bad value is a one-line error naming the valid ones."""
    if no_redact:
        return "never"
    return redaction_setting()  # type: ignore[return-value]  # checked against REDACT_SETTINGS there


def should_redact(*, remote: bool, redact: bool | None = None) -> bool:
    """Whether text for a destination is redacted; ``redact`` (an explicit option) beats the policy."""
    return redaction_enabled(remote=remote, override=redact)


def is_remote(backend: Any) -> bool:
    """Whether a backend's prompts leave the machine: its capabilities say so (a URL off loopback is remote)."""
    caps = getattr(backend, "capabilities", None)
    if caps is not None and hasattr(caps, "remote"):
        return bool(caps.remote)
    return getattr(backend, "name", "") == "anthropic"


def guard_prompt(prompt: Prompt, *, remote: bool = True, redact: bool | None = None) -> tuple[Prompt, list[Redaction]]:
    """The prompt as it may leave for a destination (``remote`` or not), and what was redacted."""
    if not should_redact(remote=remote, redact=redact):
        return prompt, []
    return redact_prompt(prompt)


def guard_text(text: str, *, remote: bool = True, redact: bool | None = None, path: str = "") -> str:
    """``text`` as it may leave (pack output, an MCP result, a report): zero-width and bidi-control characters
    stripped (always: they hide words from a reader), secrets replaced by placeholders (per the policy)."""
    text = strip_invisible(text)
    if not text or not should_redact(remote=remote, redact=redact):
        return text
    return redact_text(text, path)[0]


def guard_json(value: Any, *, remote: bool = True, redact: bool | None = None) -> Any:
    """``value`` (dicts, lists, strings) with every string guarded: for JSON and SARIF output, where redacting the
    serialized text could cut an escape (``\\"``) and break the document."""
    if isinstance(value, str):
        return guard_text(value, remote=remote, redact=redact)
    if isinstance(value, dict):
        return {k: guard_json(v, remote=remote, redact=redact) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [guard_json(v, remote=remote, redact=redact) for v in value]
    return value


def guard_texts(texts: Sequence[str], *, remote: bool = True, redact: bool | None = None) -> list[str]:
    return [guard_text(t, remote=remote, redact=redact) for t in texts]


class RedactingBackend:
    """A backend whose prompts are redacted before ``generate`` and ``count_tokens`` (the same redacted prompt
    for both, so the count is of what is sent). Everything else is the wrapped backend's."""

    def __init__(self, inner: Any, *, redact: bool | None = None) -> None:
        self.inner = inner
        self.redact_option = redact
        self.redactions: list[Redaction] = []
        self._notes: list[str] = []
        self._last: tuple[Prompt, Prompt, list[Redaction]] | None = None

    # the members front ends read, forwarded
    @property
    def name(self) -> str:
        return str(self.inner.name)

    @property
    def profile(self) -> Any:
        return self.inner.profile

    @property
    def capabilities(self) -> Any:
        return getattr(self.inner, "capabilities", None)

    @property
    def model(self) -> str:
        return str(getattr(self.inner, "model", None) or self.inner.profile.id)

    @property
    def notes(self) -> tuple[str, ...]:
        return (*self._notes, *tuple(getattr(self.inner, "notes", ()) or ()))

    @property
    def redacting(self) -> bool:
        return should_redact(remote=is_remote(self.inner), redact=self.redact_option)

    def __getattr__(self, attr: str) -> Any:  # options and helpers of the wrapped backend (base_url, close, ...)
        if attr == "inner":
            raise AttributeError(attr)
        return getattr(self.inner, attr)

    def __repr__(self) -> str:
        return f"RedactingBackend({self.inner!r}, redacting={self.redacting})"

    def outgoing(self, prompt: Prompt) -> tuple[Prompt, list[Redaction]]:
        """The prompt as sent. The last result is reused (count, then ask: one scan)."""
        if not self.redacting:
            return prompt, []
        last = self._last
        if last is not None and (last[0] is prompt or last[0] == prompt):
            return last[1], last[2]
        try:
            sent, redactions = redact_prompt(prompt)
        except ScannerError:
            raise
        except Exception as e:  # fail closed: an unscanned prompt never goes out
            raise ScannerError(f"the secret scanner failed ({type(e).__name__}: {e}); nothing was sent") from None
        self._last = (prompt, sent, redactions)
        return sent, redactions

    def generate(self, prompt: Prompt) -> Iterator[BackendEvent]:
        sent, redactions = self.outgoing(prompt)  # before the first byte: a scanner failure sends nothing
        self.redactions = redactions
        note = redaction_note(redactions)
        self._notes = [note] if note else []
        yield from self.inner.generate(sent)

    def count_tokens(self, prompt: Prompt) -> int:
        sent, _ = self.outgoing(prompt)
        return int(self.inner.count_tokens(sent))


def wrap_backend(backend: Any, *, redact: bool | None = None) -> Any:
    """``backend`` behind the egress policy. Idempotent: a wrapped backend is returned as it is (keeping its own
    ``redact`` option) unless a new ``redact`` is given."""
    if isinstance(backend, RedactingBackend):
        if redact is None:
            return backend
        backend = backend.inner
    return RedactingBackend(backend, redact=redact)


__all__ = [
    "Policy",
    "RedactingBackend",
    "guard_json",
    "guard_prompt",
    "guard_text",
    "guard_texts",
    "is_remote",
    "resolve_policy",
    "should_redact",
    "wrap_backend",
]
