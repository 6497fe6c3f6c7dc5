"""What the router reads on a corpus whose index is not built yet: plans for every lookup of the given case files
(documents named by identity and named groups; the content ranking of unnamed questions needs the index and is
skipped), the exact evidence recall of the plans that read their documents whole, and the cost of map-reduce
questions asked back to back (each map prompt's prefix cached on its own, the reduce call counted).

    .venv/bin/python benchmarks/routing_without_index.py --corpus ../shared/eval/corpora/contracts-cuad \
        ../shared/eval/cases/contracts-cuad.jsonl /tmp/routing-variants/cases/contracts-cuad-title.jsonl ...
    .venv/bin/python benchmarks/routing_without_index.py --corpus ../shared/eval/corpora/contracts-cuad --map-reduce \
        "Which of the agreements are governed by the laws of New York?" "Which of the agreements are governed by ..."

Same code path as ``docintel eval`` (plan_question, build_prompt, build_map_prompts) with the Sonnet 4.6 profile.
"""

from __future__ import annotations

import argparse
import collections
import pathlib
import sys
import tempfile


def plans(corpus_dir: pathlib.Path, files: list[str], profile_name: str) -> None:
    from docintel.errors import PromptTooLongError
    from docintel.eval.evaluation import coverage_of, evidence_recall, load_cases
    from docintel.ingest import load_corpus
    from docintel.pipeline import build_prompt, plan_question
    from docintel.profiles import get_profile

    profile = get_profile(profile_name)
    corpus = load_corpus(corpus_dir)
    for f in files:
        cases = [c for c in load_cases(f) if c.kind == "lookup"]
        stats: collections.Counter[str] = collections.Counter()
        recalls: list[float] = []
        tokens: list[int] = []
        for c in cases:
            plan = plan_question(corpus, None, c.question, profile=profile, backend_name="anthropic")
            gold = {e.path for e in c.evidence}
            hit = bool(plan.scope) and gold <= set(plan.scope)
            stats[
                f"{plan.mode}{'+scope' if plan.scope else ''}{('-hit' if hit else '-miss') if plan.scope else ''}"
            ] += 1
            if plan.mode == "full" and plan.scope:
                try:
                    prompt = build_prompt(corpus, None, plan, profile=profile)
                except PromptTooLongError:
                    stats["too long"] += 1
                    continue
                r = evidence_recall(c.evidence, coverage_of(x.span for x in prompt.citations))
                recalls.append(r.chars if r else 0.0)
                tokens.append(prompt.estimated_tokens)
        n = max(1, len(recalls))
        print(
            f"{pathlib.Path(f).stem}: {len(cases)} lookups; plans {dict(stats)}; read whole: {len(recalls)} cases, "
            f"recall {sum(recalls) / n:.3f}, {sum(tokens) / n:,.0f} prompt tokens each"
        )


def map_reduce(corpus_dir: pathlib.Path, questions: list[str], profile_name: str) -> None:
    from docintel.assemble import cache_state
    from docintel.assemble.context import build_map_prompts, instructions, prefix_key
    from docintel.eval.evaluation import MAP_FINDINGS_K, Assembled, PromptCacheModel, _split
    from docintel.ingest import load_corpus
    from docintel.pipeline import plan_question
    from docintel.profiles import get_profile
    from docintel.tokens import count_tokens

    profile = get_profile(profile_name)
    corpus = load_corpus(corpus_dir)
    cache = PromptCacheModel(profile.min_cacheable_tokens)
    with cache_state.record_file(pathlib.Path(tempfile.mkdtemp()) / "state.json"):
        for q in questions:
            plan = plan_question(corpus, None, q, profile=profile, backend_name="anthropic")
            prompts = build_map_prompts(corpus, plan, profile)
            calls = []
            for p in prompts:
                suffix = count_tokens(p.suffix)
                calls.append((p.prefix_hash, p.estimated_tokens - suffix, suffix))
            findings = len(prompts) * MAP_FINDINGS_K * 300  # what the map calls report, about
            calls.append(("", 0, count_tokens(instructions("reduce")) + findings + count_tokens(q) + 16))
            t = _split(cache, "router", Assembled("map_reduce", (), "", 0, 0, calls=tuple(calls)))
            cost = profile.cost(uncached=t.uncached, cache_write=t.cache_write, cache_read=t.cache_read)
            print(
                f"{plan.mode} groups={len(prompts)} router estimate ${plan.cost_usd:.4f}; "
                f"sent: write {t.cache_write:,} "
                f"read {t.cache_read:,} uncached {t.uncached:,} = ${cost:.4f} | {q}"
            )
            cache_state.record_sent(prefix_key(corpus, plan.scope, mode="map_reduce"), "anthropic", profile.id)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=pathlib.Path, required=True)
    parser.add_argument("--profile", default="claude-sonnet-4-6")
    parser.add_argument("--map-reduce", action="store_true", help="the arguments are questions, asked back to back")
    parser.add_argument("items", nargs="+", help="case files (or questions with --map-reduce)")
    args = parser.parse_args()
    if args.map_reduce:
        map_reduce(args.corpus, args.items, args.profile)
    else:
        plans(args.corpus, args.items, args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
