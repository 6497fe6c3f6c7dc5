"""Model profiles: window, effective window, prices and cache rules, from packaged and user TOML files.

Packaged profiles live in ``docintel/data/profiles.toml``; a user adds or overrides profiles in
``$DOCINTEL_HOME/profiles.toml`` (same format).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from docintel.errors import DocintelError


@dataclass(frozen=True)
class ModelProfile:
    id: str  # the API model name where there is one ("claude-sonnet-4-6")
    backend: str  # anthropic | vllm | llamacpp | extractive
    context_window: int  # tokens; 0 = read from the server / GGUF at run time
    effective_window: int  # tokens up to which the model is known to use context well
    max_output_tokens: int = 4096
    input_per_mtok: float = 0.0  # USD per million tokens
    output_per_mtok: float = 0.0
    cache_write_per_mtok: float = 0.0
    cache_read_per_mtok: float = 0.0
    min_cacheable_tokens: int = 0
    cache_ttl_s: int = 300
    tokenizer: str = "cl100k"  # how docintel estimates; backends count exactly
    token_margin: float = 1.15  # estimate x margin when budgeting (cl100k under-counts Claude)
    description: str = ""
    # Long-context pricing: a request whose input exceeds this many tokens pays every input price x the input
    # factor and the output price x the output factor (0 = no such tier).
    long_context_tokens: int = 0
    long_context_input_factor: float = 1.0
    long_context_output_factor: float = 1.0

    def cost(self, *, uncached: int = 0, cache_write: int = 0, cache_read: int = 0, output: int = 0) -> float:
        """USD for one request with these token counts."""
        long = bool(self.long_context_tokens) and uncached + cache_write + cache_read > self.long_context_tokens
        inp = self.long_context_input_factor if long else 1.0
        out = self.long_context_output_factor if long else 1.0
        return (
            inp * uncached * self.input_per_mtok
            + inp * cache_write * self.cache_write_per_mtok
            + inp * cache_read * self.cache_read_per_mtok
            + out * output * self.output_per_mtok
        ) / 1_000_000

    def with_window(self, window: int) -> ModelProfile:
        """This profile with a window learned at run time (vLLM's max_model_len, a GGUF's context length)."""
        eff = min(self.effective_window, window) if self.effective_window else window
        return replace(self, context_window=window, effective_window=eff)


def _read(path_or_text: str) -> dict[str, ModelProfile]:
    data = tomllib.loads(path_or_text)
    out: dict[str, ModelProfile] = {}
    for pid, fields in data.get("profiles", {}).items():
        try:
            out[pid] = ModelProfile(id=pid, **fields)
        except TypeError as e:
            raise DocintelError(f"profile {pid!r} has an unknown or missing field ({e}); see docs") from e
    return out


def load_profiles(user_file: Path | None = None) -> dict[str, ModelProfile]:
    from docintel.config import home

    text = resources.files("docintel").joinpath("data/profiles.toml").read_text(encoding="utf-8")
    profiles = _read(text)
    user = user_file or home() / "profiles.toml"
    if user.is_file():
        try:
            profiles.update(_read(user.read_text(encoding="utf-8")))
        except tomllib.TOMLDecodeError as e:
            raise DocintelError(f"{user}: not valid TOML ({e}); fix or remove it") from e
    return profiles


def get_profile(profile_id: str) -> ModelProfile:
    profiles = load_profiles()
    if profile_id not in profiles:
        known = ", ".join(sorted(profiles))
        raise DocintelError(f"unknown profile {profile_id!r}; known profiles: {known}")
    return profiles[profile_id]
