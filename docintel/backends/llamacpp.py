"""llama.cpp in-process (llama-cpp-python) from a GGUF file, reusing the corpus prefix's KV between questions.

Prefix reuse: one ``Llama`` per (model path, n_ctx, n_threads) per process. ``Llama.generate`` compares the new
prompt's tokens with the tokens already evaluated in its context (``_input_ids[:n_tokens]``), drops the KV cells
after the longest common prefix and evaluates only the rest. So a second question over the same corpus evaluates
only the question, as long as the prefix tokens are identical; docintel makes them identical by construction: the
prompt is rendered with the GGUF's chat template (system message = the cacheable prefix, user message = the suffix)
and tokenized in pieces (template text, prefix, template text, suffix, template text), so the prefix's tokens never
depend on what follows it. The reused count is that common prefix (what ``generate`` skips), reported as
``Usage.cache_read_tokens``. (``Llama.set_cache(LlamaRAMCache())`` is only consulted by ``create_completion``; the
in-context prefix match above is what serves consecutive questions, and it costs no extra memory.)
"""

from __future__ import annotations

import atexit
import codecs
import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docintel.answer import BackendEvent, TextDelta, Usage, UsageEvent
from docintel.backends import BackendCapabilities, BackendOption
from docintel.errors import BackendError, InputError, MissingExtraError, PromptTooLongError
from docintel.profiles import ModelProfile, get_profile
from docintel.prompt import Prompt

# Placeholders rendered through the chat template, then replaced by the real texts (tokenized without special-token
# parsing, so a corpus that contains "<s>" or "<|im_end|>" cannot inject control tokens).
_PREFIX_MARK = "\x00DOCINTEL-PREFIX\x00"
_SUFFIX_MARK = "\x00DOCINTEL-SUFFIX\x00"


def _import_llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError as e:
        raise MissingExtraError("llama-cpp-python", "llamacpp") from e
    return llama_cpp


@dataclass
class _Loaded:
    llm: Any
    lock: threading.Lock


_LOADED: dict[tuple[str, int, int | None], _Loaded] = {}
_LOADED_LOCK = threading.Lock()


def _load(path: Path, n_ctx: int, n_threads: int | None, n_batch: int) -> _Loaded:
    """One Llama per model file, window and thread count in this process: its context holds the reusable prefix."""
    key = (str(path.resolve()), n_ctx, n_threads)
    with _LOADED_LOCK:
        loaded = _LOADED.get(key)
        if loaded is None:
            llama_cpp = _import_llama_cpp()
            try:
                llm = llama_cpp.Llama(
                    model_path=str(path),
                    n_ctx=n_ctx,  # 0: the file's context length (llama.context_length)
                    n_threads=n_threads,
                    n_batch=n_batch,
                    verbose=False,
                )
            except (ValueError, RuntimeError) as e:
                raise InputError(
                    f"{path}: llama.cpp could not load this GGUF ({e}); is it a complete model file?"
                ) from e
            loaded = _Loaded(llm, threading.Lock())
            if not _LOADED:
                atexit.register(_close_all)
            _LOADED[key] = loaded
        return loaded


def _close_all() -> None:
    """Free the models while llama_cpp is still importable (its __del__ fails during interpreter teardown)."""
    with _LOADED_LOCK:
        for loaded in _LOADED.values():
            with contextlib.suppress(Exception):
                loaded.llm.close()
        _LOADED.clear()


class LlamaCppBackend:
    name = "llamacpp"
    capabilities = BackendCapabilities(prefix_cache="slot_reuse", needs="model_file")
    default_profile = "llamacpp"
    options = (
        BackendOption("model", "path", required=True, help="The GGUF model file."),
        BackendOption("n_ctx", "int", help="Context size in tokens (default: the GGUF's)."),
        BackendOption("n_threads", "int", help="CPU threads (default: llama.cpp's)."),
        BackendOption("n_batch", "int", default=512, help="Prompt tokens evaluated per batch."),
        BackendOption("temperature", "float", default=0.0, help="Sampling temperature."),
    )
    notes: tuple[str, ...] = ()

    def __init__(
        self,
        model: str | Path,
        *,
        n_ctx: int | None = None,
        profile: ModelProfile | None = None,
        n_threads: int | None = None,
        n_batch: int = 512,
        temperature: float = 0.0,
    ) -> None:
        path = Path(model).expanduser()
        if not path.is_file():
            raise InputError(f"GGUF model not found: {path}; pass --model FILE.gguf")
        self.path = path
        self.model = path.name
        self.temperature = temperature
        self._loaded = _load(path, n_ctx or 0, n_threads, n_batch)
        llm = self._loaded.llm
        self.n_ctx: int = int(llm.n_ctx())
        arch = llm.metadata.get("general.architecture", "llama")
        self.trained_context_length = int(llm.metadata.get(f"{arch}.context_length", 0) or 0)
        base = profile or get_profile("llamacpp")
        if base.context_window == 0 or base.context_window > self.n_ctx:
            base = base.with_window(self.n_ctx)
        self.profile = base
        self._template = llm.metadata.get("tokenizer.chat_template")
        self._bos_text = llm._model.token_get_text(llm.token_bos()) if llm.token_bos() != -1 else ""
        self._eos_text = llm._model.token_get_text(llm.token_eos()) if llm.token_eos() != -1 else ""

    # --- the prompt as tokens -----------------------------------------------------------------------------------

    def pieces(self, prompt: Prompt) -> list[tuple[str, bool]]:
        """(text, is_template) pieces in order; template text may contain special tokens, prompt text may not."""
        prefix, suffix = prompt.prefix, prompt.suffix
        if not prefix:
            prefix, suffix = "", prompt.text
        if not self._template:
            return [(t, False) for t in (prefix, suffix) if t]
        messages = [{"role": "user", "content": _SUFFIX_MARK}]
        if prefix:
            messages.insert(0, {"role": "system", "content": _PREFIX_MARK})
        rendered = self._render(messages)
        out: list[tuple[str, bool]] = []
        rest = rendered
        for mark, text in ((_PREFIX_MARK, prefix), (_SUFFIX_MARK, suffix)):
            if not text:
                continue
            before, found, rest = rest.partition(mark)
            if not found:
                raise BackendError(
                    f"{self.model}: its chat template dropped a message; docintel cannot lay out the prompt"
                )
            out += [(before, True), (text, False)]
        out.append((rest, True))
        return [(t, special) for t, special in out if t]

    def _render(self, messages: list[dict[str, str]]) -> str:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        assert self._template is not None
        formatter = Jinja2ChatFormatter(self._template, eos_token=self._eos_text, bos_token=self._bos_text)
        rendered: str = formatter(messages=messages).prompt  # type: ignore[arg-type]  # plain role/content dicts
        return rendered

    def tokens(self, prompt: Prompt) -> list[int]:
        """Exactly the tokens ``generate`` evaluates: BOS (when the model wants one), then each piece."""
        llm = self._loaded.llm
        pieces = self.pieces(prompt)
        ids: list[int] = []
        add_bos = bool(llm._model.add_bos_token()) and llm.token_bos() != -1
        if pieces and pieces[0][1] and self._bos_text and pieces[0][0].startswith(self._bos_text):
            pieces[0] = (pieces[0][0][len(self._bos_text) :], True)  # the template writes BOS itself
            add_bos = llm.token_bos() != -1
        if add_bos:
            ids.append(llm.token_bos())
        for text, special in pieces:
            if text:
                ids += llm.tokenize(text.encode("utf-8"), add_bos=False, special=special)
        return ids

    # --- the Backend protocol -----------------------------------------------------------------------------------

    def count_tokens(self, prompt: Prompt) -> int:
        with self._loaded.lock:
            return len(self.tokens(prompt))

    def reusable_tokens(self, tokens: list[int]) -> int:
        """How many leading tokens of ``tokens`` are already evaluated in the context (what generate skips)."""
        llm = self._loaded.llm
        evaluated = llm.input_ids[: llm.n_tokens].tolist()
        common = 0
        for a, b in zip(evaluated, tokens, strict=False):
            if a != b:
                break
            common += 1
        # A prompt wholly inside the context still needs its last token re-evaluated for fresh logits.
        return common - 1 if common == len(tokens) and common > 0 else common

    def generate(self, prompt: Prompt) -> Iterator[BackendEvent]:
        llama_cpp = _import_llama_cpp()
        with self._loaded.lock:
            llm = self._loaded.llm
            started = time.monotonic()
            tokens = self.tokens(prompt)
            if len(tokens) >= self.n_ctx:
                raise PromptTooLongError(
                    f"the prompt has {len(tokens):,} tokens but {self.model} runs with a {self.n_ctx:,}-token "
                    "context; retrieve instead of a full pass, or load it with a larger --n-ctx",
                    tokens=len(tokens),
                    window=self.n_ctx,
                )
            room = self.n_ctx - len(tokens)
            max_new = max(1, min(prompt.max_output_tokens, room))
            reused = self.reusable_tokens(tokens)
            decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
            ttft: float | None = None
            generated: list[int] = []
            stop_reason = "length"
            stream = llm.generate(tokens, temp=self.temperature, top_k=40, top_p=0.95, min_p=0.05, reset=True)
            try:
                for token in stream:
                    if ttft is None:
                        ttft = time.monotonic() - started
                    if llama_cpp.llama_vocab_is_eog(llm._model.vocab, token):
                        stop_reason = "stop"
                        break
                    generated.append(token)
                    text = decoder.decode(llm.detokenize([token], prev_tokens=tokens + generated[:-1]))
                    if text:
                        yield TextDelta(text)
                    if len(generated) >= max_new:
                        break
            except RuntimeError as e:
                raise BackendError(f"llama.cpp failed while answering with {self.model}: {e}") from e
            finally:
                stream.close()
            tail = decoder.decode(b"", final=True)
            if tail:
                yield TextDelta(tail)
            total = time.monotonic() - started
            usage = Usage(
                input_tokens=len(tokens),
                cache_read_tokens=reused,
                output_tokens=len(generated),
                ttft_s=ttft,
                total_s=total,
                cost_usd=self.profile.cost(uncached=len(tokens) - reused, cache_read=reused, output=len(generated)),
            )
        yield UsageEvent(usage, stop_reason=stop_reason)
