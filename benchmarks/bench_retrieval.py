"""Retrieval benchmark over ../shared/eval (not part of pytest).

Prints, per suite: recall@5/10/20 of gold evidence for vector only, BM25 only and fused (a gold span is found when
a returned chunk overlaps at least half of it; a case's recall is the fraction of its gold spans found, averaged
over the suite's lookup cases); index time and chunks/s; the time to re-index after changing one file as a ratio
of the full index (goal <= 3%); warm search latency p50/p95 (goal p50 <= 150 ms).

    .venv/bin/python benchmarks/bench_retrieval.py [--suites contracts-cuad,contracts-nda,...] [--max-cases N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from docintel.index.corpus_index import SearchMode

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
SUITES = {  # suite -> (cases file, corpus folder)
    "contracts-cuad": ("contracts-cuad.jsonl", "contracts-cuad"),
    "contracts-nda": ("contracts-nda.jsonl", "contracts-nda"),
    "code-flask": ("code.jsonl", "code-flask"),
    "code-requests": ("code.jsonl", "code-requests"),
    "transcripts-qmsum-val": ("transcripts-qmsum.jsonl", "transcripts-qmsum-val"),
}
KS = (5, 10, 20)
MODES: tuple[SearchMode, ...] = ("vector", "lexical", "fused")


def lookup_cases(suite: str, max_cases: int) -> list[dict]:
    cases_file, corpus = SUITES[suite]
    cases = [json.loads(line) for line in (EVAL / "cases" / cases_file).read_text().splitlines() if line.strip()]
    cases = [c for c in cases if c["corpus"] == corpus and c["kind"] == "lookup" and c["evidence"]]
    return cases[:max_cases] if max_cases else cases


def found(gold: dict, hits: list) -> bool:
    need = (gold["end"] - gold["start"]) / 2
    return any(
        h.chunk.span.path == gold["path"]
        and min(h.chunk.span.end, gold["end"]) - max(h.chunk.span.start, gold["start"]) >= need
        for h in hits
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suites", default=",".join(SUITES))
    parser.add_argument("--max-cases", type=int, default=0, help="per suite, 0 = all lookup cases")
    parser.add_argument("--reindex-suite", default="contracts-cuad")
    parser.add_argument("--home", help="reuse this DOCINTEL_HOME (an index built by an earlier run)")
    parser.add_argument("--work", help="reuse this folder of corpus copies (from the same earlier run)")
    parser.add_argument("--full-seconds", type=float, help="full index time measured by that earlier run")
    args = parser.parse_args()
    os.environ["DOCINTEL_HOME"] = args.home or tempfile.mkdtemp(prefix="bench-docintel-")
    from docintel.index.corpus_index import CorpusIndex
    from docintel.index.embedder import get_embedder
    from docintel.ingest import load_corpus

    started = time.monotonic()
    get_embedder().embed_query("warm up")  # the model load is not part of any measure below
    print(f"model loaded in {time.monotonic() - started:.1f} s", flush=True)
    work = Path(args.work or tempfile.mkdtemp(prefix="bench-corpora-"))
    print(f"DOCINTEL_HOME={os.environ['DOCINTEL_HOME']} corpora copied to {work}", flush=True)
    for suite in args.suites.split(","):
        _, corpus_name = SUITES[suite]
        # A copy, so the re-index measure can edit a file without touching shared/eval.
        corpus_root = work / corpus_name
        if not corpus_root.exists():
            shutil.copytree(EVAL / "corpora" / corpus_name, corpus_root)
        t0 = time.monotonic()
        corpus = load_corpus(corpus_root)
        t_load = time.monotonic() - t0
        index = CorpusIndex.open(corpus_root)
        report = index.update(corpus)
        t_full = time.monotonic() - t0
        if report.embedded_chunks < report.total_chunks:
            print(f"(index reused: this update embedded {report.embedded_chunks} chunks in {t_full:.1f} s)")
            t_full = args.full_seconds or t_full
        print(
            f"\n## {suite}: {len(corpus.documents)} files, {corpus.tokens:,} tokens, {report.total_chunks:,} chunks; "
            f"full index {t_full:.1f} s (reading {t_load:.1f} s), "
            f"{report.embedded_chunks / max(report.seconds, 1e-9):.1f} chunks/s embedded+written",
            flush=True,
        )
        cases = lookup_cases(suite, args.max_cases)
        recall: dict[tuple[str, int], list[float]] = {(m, k): [] for m in MODES for k in KS}
        latencies: list[float] = []
        for case in cases:
            for mode in MODES:
                t1 = time.monotonic()
                hits = index.search(case["question"], max(KS), mode=mode)
                if mode == "fused":
                    latencies.append(time.monotonic() - t1)
                for k in KS:
                    gold = case["evidence"]
                    recall[(mode, k)].append(sum(found(g, hits[:k]) for g in gold) / len(gold))
        print(f"{len(cases)} lookup cases")
        print("| mode | " + " | ".join(f"recall@{k}" for k in KS) + " |")
        print("| --- | " + " | ".join("---" for _ in KS) + " |")
        for mode in MODES:
            print(f"| {mode} | " + " | ".join(f"{statistics.mean(recall[(mode, k)]):.3f}" for k in KS) + " |")
        if latencies:
            lat = sorted(latencies)
            p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))]
            print(
                f"fused search latency (warm, k=20): p50 {statistics.median(lat) * 1000:.0f} ms, "
                f"p95 {p95 * 1000:.0f} ms"
            )
        if suite == args.reindex_suite:
            victim = corpus_root / corpus.documents[len(corpus.documents) // 2].path
            with victim.open("a", encoding="utf-8") as f:
                f.write("\n\nADDENDUM. The parties agree that this benchmark paragraph was appended to one file.\n")
            t2 = time.monotonic()
            corpus2 = load_corpus(corpus_root)
            report2 = index.update(corpus2)
            t_re = time.monotonic() - t2
            print(
                f"re-index after changing one file: {t_re:.2f} s = {100 * t_re / t_full:.2f}% of the full index "
                f"(embedded {report2.embedded_chunks} chunks, reused {report2.reused_chunks}, "
                f"changed {report2.changed_files} file)",
                flush=True,
            )
        index.close()
        sys.stdout.flush()
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
