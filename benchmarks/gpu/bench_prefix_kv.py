"""GPU check: time to first token cold vs with the corpus prefix's KV cache reused, KV bytes per token, decode speed.

Runs on an H100/H200-class machine that has PyTorch and transformers but no vLLM and no hub access (CI never has a
GPU; run it whenever one is lent to the project). It needs nothing else from docintel: the prompt is a file made
beforehand by ``docintel pack`` (``benchmarks/gpu/make_prompt.sh``), split at docintel's cache breakpoint into the
corpus prefix (instructions, corpus map, corpus) and the question suffix.

The model is a random-weight Llama of a real 8B-class shape (hidden 4096, 32 layers, 32 query heads, 8 KV heads
(GQA), MLP 14336, vocab 128,256, bf16). Its tokenizer is a byte-level BPE trained here on the prompt itself, so no
hub is needed; only shapes matter for speed, and those are real. What is measured is the mechanism vLLM's prefix
caching uses: the prefix's keys and values computed once and kept, then only the suffix prefilled per question.

    python benchmarks/gpu/bench_prefix_kv.py --prompt prompt.json --tokens 131072 --out gpu-results.json
    python benchmarks/gpu/bench_prefix_kv.py --tiny --tokens 2048   # a CPU smoke run of the same code path

Results (JSON on stdout and in ``--out``): ttft_cold_s, ttft_warm_s (median over questions), the ratio,
kv_bytes_per_token (measured from the cache tensors and from the shape), decode tokens/s, peak GPU memory.
"""

from __future__ import annotations

import argparse
import inspect
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

# 8B-class Llama shape (Llama-3-8B dimensions); --tiny shrinks it for a CPU smoke run.
SHAPE_8B = {
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "vocab_size": 128_256,
    "rope_theta": 500_000.0,
}
SHAPE_TINY = {
    "hidden_size": 256,
    "intermediate_size": 512,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "vocab_size": 8_192,
    "rope_theta": 10_000.0,
}
QUESTIONS = (
    "Which law governs the agreement?",
    "Where is the retry policy configured?",
    "Who owns the intellectual property created under the agreement?",
    "What are the termination rights of each party?",
    "Summarize the obligations of the supplier.",
)


def read_prompt(path: Path | None, tiny: bool) -> tuple[str, str]:
    """(prefix, suffix) from a ``docintel pack --format json`` file: blocks up to and including the one marked
    ``cache_breakpoint`` are the prefix. Without a file, a synthetic corpus (smoke runs only)."""
    if path is None:
        words = "The supplier shall deliver the goods in accordance with clause {} of this agreement. "
        corpus = "".join(words.format(i) for i in range(4000 if not tiny else 400))
        return "Answer from the documents only.\n" + corpus, "Question: which law governs?"
    data = json.loads(path.read_text(encoding="utf-8"))
    prefix_parts: list[str] = []
    suffix_parts: list[str] = []
    seen_breakpoint = False
    for block in data["blocks"]:
        (suffix_parts if seen_breakpoint else prefix_parts).append(block["text"])
        seen_breakpoint = seen_breakpoint or bool(block.get("cache_breakpoint"))
    if not seen_breakpoint:
        raise SystemExit(f"{path}: no block has cache_breakpoint=true; pack a full-context prompt (see make_prompt.sh)")
    return "\n".join(prefix_parts), "\n".join(suffix_parts)


def train_tokenizer(text: str, vocab_size: int) -> Any:
    """A byte-level BPE trained on ``text`` (no hub): the model's vocabulary shape stays the real one."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=min(vocab_size, 32_000),
        special_tokens=["<|begin_of_text|>", "<|end_of_text|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator([text[i : i + 100_000] for i in range(0, len(text), 100_000)], trainer=trainer)
    return tok


def fit_tokens(tokenizer: Any, prefix: str, target: int) -> list[int]:
    """The prefix's ids, repeated or cut to exactly ``target`` tokens (the corpus size under test)."""
    ids: list[int] = tokenizer.encode(prefix).ids
    if not ids:
        raise SystemExit("the prompt's prefix is empty")
    while len(ids) < target:
        ids = ids + ids
    return ids[:target]


def sync(torch: Any, device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompt", type=Path, help="a `docintel pack --format json` file of a full-context prompt")
    parser.add_argument("--tokens", type=int, default=131_072, help="corpus prefix length in tokens (default 128K)")
    parser.add_argument("--decode-tokens", type=int, default=128, help="tokens generated for the decode figure")
    parser.add_argument("--questions", type=int, default=3, help="warm questions to time (median reported)")
    parser.add_argument("--tiny", action="store_true", help="a tiny model on CPU: checks the code path only")
    parser.add_argument("--out", type=Path, help="also write the JSON results here")
    args = parser.parse_args(argv)

    import torch
    import transformers
    from transformers import DynamicCache, LlamaConfig, LlamaForCausalLM

    device = "cuda" if torch.cuda.is_available() and not args.tiny else "cpu"
    if device == "cpu" and not args.tiny:
        print("no CUDA device: run with --tiny for a CPU smoke run", file=sys.stderr)
        return 2
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    shape = SHAPE_TINY if args.tiny else SHAPE_8B

    prefix_text, suffix_text = read_prompt(args.prompt, args.tiny)
    t0 = time.perf_counter()
    tokenizer = train_tokenizer(prefix_text + suffix_text, shape["vocab_size"])
    tokenizer_s = time.perf_counter() - t0
    prefix_ids = fit_tokens(tokenizer, prefix_text, args.tokens)
    questions = [suffix_text, *QUESTIONS][: max(1, args.questions)]
    suffixes = [tokenizer.encode("\n" + q).ids for q in questions]

    config = LlamaConfig(
        **shape,
        max_position_embeddings=args.tokens + 4096,
        torch_dtype=dtype,
        attn_implementation="sdpa",
        tie_word_embeddings=False,
    )
    t0 = time.perf_counter()
    torch.manual_seed(0)
    with torch.device(device):
        model = LlamaForCausalLM(config).to(dtype)
    model.eval()
    init_s = time.perf_counter() - t0
    params = sum(p.numel() for p in model.parameters())

    # transformers 5.2x renamed ``past_key_values`` to ``cache``; older releases know only the former.
    cache_kwarg = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"

    def forward(ids: Any, cache: Any) -> Any:
        return model(input_ids=ids, use_cache=True, logits_to_keep=1, **{cache_kwarg: cache})

    def prefill(ids: list[int], cache: Any) -> Any:
        out = forward(torch.tensor([ids], device=device), cache)
        return out.logits[:, -1, :].argmax(-1)

    results: dict[str, Any] = {
        "device": torch.cuda.get_device_name(0) if device == "cuda" else "cpu",
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "shape": shape,
        "parameters": params,
        "dtype": str(dtype).removeprefix("torch."),
        "prefix_tokens": len(prefix_ids),
        "suffix_tokens": [len(s) for s in suffixes],
        "tokenizer_train_s": round(tokenizer_s, 2),
        "model_init_s": round(init_s, 2),
    }
    with torch.inference_mode():
        # Warm-up: kernels and allocator, on a short prompt (not timed).
        prefill(prefix_ids[:512] + suffixes[0], DynamicCache())
        sync(torch, device)
        if device == "cuda":
            torch.cuda.reset_peak_memory_stats()

        # Cold: the whole prompt (prefix + first question) prefilled from nothing, as with no prefix cache.
        t0 = time.perf_counter()
        cold_cache = DynamicCache()
        prefill(prefix_ids + suffixes[0], cold_cache)
        sync(torch, device)
        results["ttft_cold_s"] = time.perf_counter() - t0
        del cold_cache
        if device == "cuda":
            torch.cuda.empty_cache()

        # The prefix once: its KV cache is what a prefix-caching server keeps between requests.
        t0 = time.perf_counter()
        prefix_cache = DynamicCache()
        prefill(prefix_ids, prefix_cache)
        sync(torch, device)
        results["prefix_prefill_s"] = time.perf_counter() - t0
        kv_bytes = sum(t.numel() * t.element_size() for layer in _cache_tensors(prefix_cache) for t in layer)
        results["kv_cache_bytes"] = kv_bytes
        results["kv_bytes_per_token"] = kv_bytes / len(prefix_ids)
        head_dim = shape["hidden_size"] // shape["num_attention_heads"]
        results["kv_bytes_per_token_by_shape"] = (
            2
            * shape["num_hidden_layers"]
            * shape["num_key_value_heads"]
            * head_dim
            * (2 if dtype == torch.bfloat16 else 4)
        )

        # Warm: each question reuses the prefix's KV; only its own tokens are prefilled, then the cache is cut back.
        warm: list[float] = []
        for suffix in suffixes:
            t0 = time.perf_counter()
            prefill(suffix, prefix_cache)
            sync(torch, device)
            warm.append(time.perf_counter() - t0)
            cut_back(prefix_cache, len(prefix_ids))
        results["ttft_warm_s"] = statistics.median(warm)
        results["ttft_warm_all_s"] = warm
        results["ttft_warm_over_cold"] = results["ttft_warm_s"] / results["ttft_cold_s"]

        # Decode: greedy tokens after the prefix + a question, one at a time with the growing cache.
        token = prefill(suffixes[0], prefix_cache)
        sync(torch, device)
        t0 = time.perf_counter()
        for _ in range(args.decode_tokens):
            out = forward(token.view(1, 1), prefix_cache)
            token = out.logits[:, -1, :].argmax(-1)
        sync(torch, device)
        decode_s = time.perf_counter() - t0
        results["decode_tokens"] = args.decode_tokens
        results["decode_tokens_per_s"] = args.decode_tokens / decode_s
        results["decode_context_tokens"] = len(prefix_ids) + len(suffixes[0])
        if device == "cuda":
            results["peak_gpu_memory_gib"] = torch.cuda.max_memory_allocated() / 2**30

    text = json.dumps(results, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


def cut_back(cache: Any, length: int) -> None:
    """Drop the tokens after ``length`` (a question's), keeping the prefix: a negative ``crop`` removes that many
    tokens in every transformers release that has ``crop``."""
    extra = cache.get_seq_length() - length
    if extra > 0:
        cache.crop(-extra)


def _cache_tensors(cache: Any) -> list[tuple[Any, Any]]:
    """(keys, values) per layer, across transformers' cache layouts (``layers`` in 4.5x/5.x, lists before)."""
    layers = getattr(cache, "layers", None)
    if layers is not None:
        return [(layer.keys, layer.values) for layer in layers if getattr(layer, "keys", None) is not None]
    return list(zip(cache.key_cache, cache.value_cache, strict=True))


if __name__ == "__main__":
    sys.exit(main())
