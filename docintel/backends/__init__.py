"""The Backend seam: one Protocol, one module per engine, a plain registry with lazy imports.

A backend class declares, at class level, what it can do (``capabilities``) and what it can be told
(``options``: name, type, default, environment variable, help, when it is required). Every front end (CLI, TUI,
MCP server, audit, eval) configures a backend the same way: a name and a mapping of option values, validated by
``resolve_options`` before anything is imported, loaded or contacted, then built by ``open_backend``. Reading the
schema imports only the backend's own module (its SDK is imported when the backend is constructed).
"""

from __future__ import annotations

import importlib
import ipaddress
import os
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from docintel.answer import BackendEvent
from docintel.errors import DocintelError
from docintel.profiles import ModelProfile
from docintel.prompt import Prompt

PrefixCache = Literal["explicit_breakpoints", "automatic_prefix", "slot_reuse"]
Need = Literal["key", "url", "model_file"]
OptionType = Literal["str", "int", "float", "bool", "path", "url"]


@dataclass(frozen=True)
class BackendCapabilities:
    """What a backend can do; front ends and core modules read these instead of testing a backend's name."""

    streams: bool = True  # text arrives in pieces as it is generated
    exact_token_count: bool = True  # count_tokens() is the model's own tokenizer (else an estimate)
    prefix_cache: PrefixCache | None = None  # how a repeated prompt prefix is reused, if at all
    needs: Need | None = None  # what a user must supply before it can answer
    remote: bool = False  # prompts leave the machine (a third-party API, a server that is not on loopback)
    generative: bool = True  # a language model writes the answer (False: evidence is quoted, nothing is judged)


@dataclass(frozen=True)
class BackendOption:
    """One thing a backend can be told. ``required_when`` (given the other resolved options) makes it required
    only sometimes; ``required`` always."""

    name: str
    type: OptionType = "str"
    default: Any = None
    env: str | None = None  # read when the option is not given
    help: str = ""
    required: bool = False
    required_when: Callable[[Mapping[str, Any]], bool] | None = None
    choices: tuple[str, ...] = ()
    secret: bool = False  # never echoed in messages

    @property
    def flag(self) -> str:
        return self.name.replace("_", "-")


# Accepted by every backend: whether the egress wrapper redacts secrets (None: DOCINTEL_REDACT decides).
REDACT_OPTION = BackendOption("redact", "bool", help="Redact secrets before sending (default: $DOCINTEL_REDACT).")


@runtime_checkable
class Backend(Protocol):
    name: str
    profile: ModelProfile
    capabilities: BackendCapabilities

    @property
    def model(self) -> str:
        """The model that answers (API id, GGUF file name, "extractive")."""
        ...

    @property
    def notes(self) -> Sequence[str]:
        """One-line notes for Answer.notes about the last generate() (reset by each call)."""
        ...

    def generate(self, prompt: Prompt) -> Iterator[BackendEvent]:
        """Stream TextDelta events, then exactly one UsageEvent."""
        ...

    def count_tokens(self, prompt: Prompt) -> int:
        """Exact prompt tokens as this backend bills them (an estimate where capabilities say so)."""
        ...


# name -> "module:Class"; the module (and its SDK) is imported only when the backend is asked for.
REGISTRY: dict[str, str] = {
    "extractive": "docintel.backends.extractive:ExtractiveBackend",
    "anthropic": "docintel.backends.anthropic:AnthropicBackend",
    "vllm": "docintel.backends.vllm:VLLMBackend",
    "llamacpp": "docintel.backends.llamacpp:LlamaCppBackend",
}
DEFAULT_BACKEND = "extractive"


def register_backend(name: str, target: str) -> None:
    """Add (or replace) backend ``name`` implemented by ``"module:Class"``; see CONTRIBUTING.md."""
    if ":" not in target:
        raise DocintelError(f"backend target {target!r} must be 'module:Class'")
    REGISTRY[name] = target


def check_backend_name(name: str) -> str:
    if name not in REGISTRY:
        raise DocintelError(f"unknown backend {name!r}; choose one of: {', '.join(REGISTRY)}")
    return name


def backend_class(name: str) -> type[Any]:
    """The class of backend ``name`` (its module imported, its SDK not)."""
    module_name, cls_name = REGISTRY[check_backend_name(name)].split(":")
    cls: type[Any] = getattr(importlib.import_module(module_name), cls_name)
    return cls


def options_schema(name: str) -> tuple[BackendOption, ...]:
    return tuple(getattr(backend_class(name), "options", ()))


def default_profile_id(name: str) -> str:
    """The profile a backend plans with when the user names none (a class attribute; no backend is built)."""
    return str(getattr(backend_class(name), "default_profile", name))


# --------------------------------------------------------------------------------------------- option values
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _convert(backend: str, option: BackendOption, value: Any) -> Any:
    where = f"{backend} option {option.name}"
    if value is None:
        return None
    try:
        if option.type == "int":
            return value if isinstance(value, int) and not isinstance(value, bool) else int(str(value))
        if option.type == "float":
            return float(value)
    except ValueError:
        raise DocintelError(f"{where} takes a number, not {value!r}") from None
    if option.type == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text not in _TRUE | _FALSE:
            raise DocintelError(f"{where} takes true or false, not {value!r}")
        return text in _TRUE
    text = str(value)
    if option.choices and text not in option.choices:
        raise DocintelError(f"{where} takes one of {', '.join(option.choices)}, not {text!r}")
    if option.type == "path":
        path = Path(text).expanduser()
        if not path.is_file():
            raise DocintelError(f"{where}: file not found: {path}")
        return str(path)
    if option.type == "url":
        parts = urllib.parse.urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise DocintelError(f"{where} takes an http(s) URL, not {text!r}")
    return text


def resolve_options(name: str, given: Mapping[str, Any] | None = None, *, required: bool = True) -> dict[str, Any]:
    """The options backend ``name`` will be built with: ``given`` (None values mean "not given"), else the
    environment variable, else the default; types converted, choices, files and required options checked.

    Fast and side-effect free: nothing is imported beyond the backend's module, nothing loaded or contacted.
    ``required=False`` skips the required check (planning needs no key or model file).
    Raises DocintelError with a one-line message naming the option (and the variable to set)."""
    schema = {o.name: o for o in options_schema(name)}
    supplied = {k.replace("-", "_"): v for k, v in (given or {}).items() if v is not None}
    if "redact" in supplied:  # the egress seam's option (open_backend hands it to the wrapper), for every backend
        _convert("egress", REDACT_OPTION, supplied.pop("redact"))
    unknown = sorted(set(supplied) - set(schema))
    if unknown:
        known = ", ".join(schema) or "none"
        raise DocintelError(f"the {name} backend has no option {unknown[0]!r} (its options: {known})")
    resolved: dict[str, Any] = {}
    for option in schema.values():
        value = supplied.get(option.name)
        if value is None and option.env:
            value = os.environ.get(option.env) or None
        if value is None:
            value = option.default
        resolved[option.name] = _convert(name, option, value)
    for option in schema.values() if required else ():
        needed = option.required or (option.required_when is not None and option.required_when(resolved))
        if needed and resolved[option.name] in (None, ""):
            ask = f"pass --backend-option {option.name}=..."
            if option.env:
                ask = f"set {option.env} (or {ask})"
            raise DocintelError(f"{ask} to use the {name} backend (or choose another --backend)")
    return resolved


def parse_option_pairs(pairs: Sequence[str]) -> dict[str, str]:
    """``["n_ctx=2048", "base-url=http://..."]`` -> ``{"n_ctx": "2048", "base_url": "http://..."}``."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise DocintelError(f"backend option {pair!r} is not KEY=VALUE (e.g. --backend-option n_ctx=4096)")
        out[key.strip().replace("-", "_")] = value
    return out


def is_loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def capabilities_of(name: str, options: Mapping[str, Any] | None = None) -> BackendCapabilities:
    """The capabilities backend ``name`` will have with ``options`` (a server off loopback is remote)."""
    caps: BackendCapabilities = backend_class(name).capabilities
    url = (options or {}).get("base_url")
    if caps.needs == "url" and isinstance(url, str) and url:
        caps = replace(caps, remote=caps.remote or not is_loopback(url))
    return caps


# ------------------------------------------------------------------------------------------------- factory
def open_backend(
    name: str, options: Mapping[str, Any] | None = None, *, profile: ModelProfile | None = None
) -> Backend:
    """Validate ``options`` (see ``resolve_options``), then construct backend ``name``, wrapped at the seam."""
    given = dict(options or {})
    redact = given.pop("redact", None)  # --no-redact: the egress seam's option, for every backend
    resolved = resolve_options(name, given)
    kwargs = {k: v for k, v in resolved.items() if v is not None}
    if profile is not None:
        kwargs["profile"] = profile
    backend: Backend = backend_class(name)(**kwargs)
    return _wrap(backend, redact)


def _wrap(backend: Backend, redact: Any = None) -> Backend:
    """Redaction (docintel.egress.guard) wraps every backend at the seam: ``redact`` None follows DOCINTEL_REDACT."""
    from docintel.egress.guard import wrap_backend

    if redact is not None and not isinstance(redact, bool):
        redact = _convert("egress", REDACT_OPTION, redact)
    wrapped: Backend = wrap_backend(backend, redact=redact)
    return wrapped


def get_backend(name: str, **options: Any) -> Backend:
    """``open_backend`` with keyword options (``profile=`` is the model profile, the rest the backend's)."""
    profile = options.pop("profile", None)
    return open_backend(name, options, profile=profile)


class BackendBase:
    """Optional base for backends: the declared members with their defaults. ``notes`` is per answer."""

    name: ClassVar[str]
    capabilities: BackendCapabilities = BackendCapabilities()
    options: ClassVar[tuple[BackendOption, ...]] = ()
    default_profile: ClassVar[str] = "extractive"
    notes: tuple[str, ...] = ()


__all__ = [
    "DEFAULT_BACKEND",
    "REGISTRY",
    "Backend",
    "BackendBase",
    "BackendCapabilities",
    "BackendOption",
    "backend_class",
    "capabilities_of",
    "check_backend_name",
    "default_profile_id",
    "get_backend",
    "is_loopback",
    "open_backend",
    "options_schema",
    "parse_option_pairs",
    "register_backend",
    "resolve_options",
]
