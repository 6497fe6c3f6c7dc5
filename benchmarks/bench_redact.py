"""How long redaction adds before a full-pass prompt leaves the machine, cold and for a second question.

Builds the real full-pass Prompt for an eval corpus (docintel.pipeline) and times ``redact_prompt`` on it: the
first question scans everything; a second question over the same corpus reuses the per-text scan cache. Prints
MB/s and the warm/cold ratio measured in this run. ``--against REV`` also times docintel/egress/redact.py as it was
at git revision REV on the same prompt, in the same run (e.g. the detector before issue 9: ``--against ac0f3ef~1``).

    .venv/bin/python benchmarks/bench_redact.py [CORPUS_DIR] [--against REV]  # default corpus: code-flask
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from docintel.egress.redact import redact_prompt
from docintel.ingest import load_corpus
from docintel.pipeline import build_prompt, plan_question
from docintel.profiles import get_profile

ROOT = Path(__file__).resolve().parent.parent


def _redact_at(rev: str) -> Any:
    """docintel/egress/redact.py as it was at ``rev``, loaded as a module of its own."""
    source = subprocess.run(
        ["git", "show", f"{rev}:docintel/egress/redact.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    path = Path(tempfile.mkdtemp()) / "redact_then.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("redact_then", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["redact_then"] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    args = sys.argv[1:]
    against = args[args.index("--against") + 1] if "--against" in args else None
    if against:
        i = args.index("--against")
        del args[i : i + 2]
    path = Path(args[0]) if args else ROOT.parent / "shared/eval/corpora/code-flask"
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
    if against:
        then = _redact_at(against)
        t0 = time.perf_counter()
        _, old_reports = then.redact_prompt(prompts[0])
        old = time.perf_counter() - t0
        print(f"redact.py at {against}: {old:.2f} s first question; now/then {cold / old:.2f}x")
        print(f"  its redactions: {len(old_reports)} {dict(Counter(r.kind for r in old_reports))}")


if __name__ == "__main__":
    main()
