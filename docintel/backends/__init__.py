"""The Backend seam: one Protocol, one module per engine, a plain registry with lazy imports."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

from docintel.answer import BackendEvent
from docintel.errors import DocintelError
from docintel.profiles import ModelProfile
from docintel.prompt import Prompt


@runtime_checkable
class Backend(Protocol):
    name: str
    profile: ModelProfile

    def generate(self, prompt: Prompt) -> Iterator[BackendEvent]:
        """Stream TextDelta events, then exactly one UsageEvent."""
        ...

    def count_tokens(self, prompt: Prompt) -> int:
        """Exact prompt tokens as this backend bills them."""
        ...


# name -> "module:Class"; the module (and its SDK) is imported only when the backend is asked for.
REGISTRY: dict[str, str] = {
    "extractive": "docintel.backends.extractive:ExtractiveBackend",
    "anthropic": "docintel.backends.anthropic:AnthropicBackend",
    "vllm": "docintel.backends.vllm:VLLMBackend",
    "llamacpp": "docintel.backends.llamacpp:LlamaCppBackend",
}


def get_backend(name: str, **options: Any) -> Backend:
    """Construct backend ``name``; options are the backend's own (model, base_url, profile, ...)."""
    if name not in REGISTRY:
        raise DocintelError(f"unknown backend {name!r}; choose one of: {', '.join(REGISTRY)}")
    module_name, cls_name = REGISTRY[name].split(":")
    module = importlib.import_module(module_name)
    redact = options.pop("redact", None)  # --no-redact: the egress seam's option, for every backend
    backend: Backend = getattr(module, cls_name)(**options)
    from docintel.egress import wrap_backend

    wrapped: Backend = wrap_backend(backend, redact=redact)  # every backend leaves through the egress seam
    return wrapped
