"""How long redaction adds before a full-pass prompt leaves the machine, cold and for a second question.

Builds the real full-pass Prompt for an eval corpus (docintel.pipeline) and times ``redact_prompt`` on it: the
first question scans everything; a second question over the same corpus reuses the per-text scan cache. Prints
MB/s and the warm/cold ratio measured in this run.

    .venv/bin/python benchmarks/bench_redact.py [CORPUS_DIR]   # default: ../shared/eval/corpora/code-flask
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from docintel.ingest import load_corpus
from docintel.pipeline import build_prompt, plan_question
from docintel.profiles import get_profile
from docintel.redact import redact_prompt

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared/eval/corpora/code-flask"
    corpus = load_corpus(path)
    profile = get_profile("claude-sonnet-4-6")
    prompts = []
    for question in ("How are sessions signed?", "What does the config loader do with env vars?"):
        plan = plan_question(corpus, None, question, profile=profile, backend_name="anthropic", mode="full")
        prompts.append(build_prompt(corpus, None, plan, profile=profile))
    size_mb = len(prompts[0].text) / 1e6

    t0 = time.perf_counter()
    _, reports = redact_prompt(prompts[0])
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    redact_prompt(prompts[1])
    warm = time.perf_counter() - t0

    print(f"corpus {path.name}: prompt {size_mb:.2f} MB, {prompts[0].estimated_tokens:,} tokens (est.)")
    print(f"first question : {cold:.2f} s ({size_mb / cold:.2f} MB/s of prompt)")
    print(f"second question: {warm:.2f} s (ratio warm/cold {warm / cold:.3f})")
    print(f"redactions: {len(reports)} {dict(Counter(r.kind for r in reports))}")


if __name__ == "__main__":
    main()
