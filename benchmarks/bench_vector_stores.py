"""FAISS files vs Milvus (Lite here, a cluster by URI in production) on the same vectors: search latency and recall.

The corpus (contracts-cuad by default) is indexed once the usual way (FAISS). Its vectors, with the same ids, are
then loaded into a Milvus collection through docintel's Milvus vector store; both engines answer the same query
vectors (the suite's lookup questions) in one run, interleaved. Printed per engine: warm search latency p50/p95
(top-10, exact), overlap@10 with FAISS's exact result, evidence recall@10 (a gold span counts as found when a
returned chunk covers half of it), and the ratio of Milvus's latency to FAISS's.

    .venv/bin/python benchmarks/bench_vector_stores.py [--suite contracts-cuad] [--queries 200] [--home DIR]
    .venv/bin/python benchmarks/bench_vector_stores.py --milvus-uri http://milvus:19530   # against a cluster
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
SUITES = {"contracts-cuad": "contracts-cuad.jsonl", "contracts-nda": "contracts-nda.jsonl"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", default="contracts-cuad", choices=sorted(SUITES))
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--home", help="DOCINTEL_HOME holding (or to hold) the corpus index")
    parser.add_argument("--milvus-uri", help="a Milvus server (http://host:19530); default: Milvus Lite in a temp dir")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.home:
        os.environ["DOCINTEL_HOME"] = args.home

    from docintel.index.corpus_index import CorpusIndex
    from docintel.index.milvus_index import MilvusVectors
    from docintel.index.vector_store import milvus_uri, parse_vector_store
    from docintel.ingest import load_corpus

    corpus_dir = EVAL / "corpora" / args.suite
    cases = [json.loads(line) for line in (EVAL / "cases" / SUITES[args.suite]).read_text().splitlines() if line]
    cases = [c for c in cases if c["corpus"] == args.suite and c["kind"] == "lookup" and c["evidence"]]
    cases = cases[: args.queries]

    started = time.monotonic()
    index = CorpusIndex.open(corpus_dir, vector_store="faiss")
    index.update(load_corpus(corpus_dir))
    print(f"index ready in {time.monotonic() - started:.1f} s", file=sys.stderr)
    loaded = index._current()
    assert loaded.vectors is not None
    ids, vectors = loaded.vectors.vectors()  # type: ignore[attr-defined]
    chunks = index.store.chunks_by_vid(ids.tolist())

    work = Path(tempfile.mkdtemp(prefix="bench-milvus-"))
    spec = parse_vector_store(f"milvus://{args.milvus_uri.split('://', 1)[1]}" if args.milvus_uri else "milvus-lite")
    started = time.monotonic()
    milvus = MilvusVectors.create(milvus_uri(spec, work), work, int(vectors.shape[1]))
    milvus.add(ids, vectors)
    milvus.save(work / "vectors-1.faiss")
    load_s = time.monotonic() - started
    print(f"{len(ids):,} vectors loaded into Milvus in {load_s:.1f} s", file=sys.stderr)

    queries = np.stack([index.embedder.embed_query(c["question"]) for c in cases])
    engines = {"faiss": loaded.vectors, "milvus": milvus}
    for engine in engines.values():  # warm-up (loading, caches)
        for q in queries[:5]:
            engine.search(q, args.k)
    times: dict[str, list[float]] = {name: [] for name in engines}
    results: dict[str, list[list[int]]] = {name: [] for name in engines}
    for q in queries:  # interleaved: both engines see the same machine load
        for name, engine in engines.items():
            t0 = time.perf_counter()
            hits = engine.search(q, args.k)
            times[name].append(time.perf_counter() - t0)
            results[name].append([vid for vid, _ in hits])

    def recall(vid_lists: list[list[int]]) -> float:
        per_case = []
        for case, vids in zip(cases, vid_lists, strict=True):
            spans = [chunks[v].span for v in vids if v in chunks]
            found = 0
            for gold in case["evidence"]:
                need = (gold["end"] - gold["start"]) / 2
                found += any(
                    s.path == gold["path"] and min(s.end, gold["end"]) - max(s.start, gold["start"]) >= need
                    for s in spans
                )
            per_case.append(found / len(case["evidence"]))
        return statistics.mean(per_case)

    rows = {}
    for name in engines:
        overlap = statistics.mean(
            len(set(a) & set(b)) / max(1, len(b)) for a, b in zip(results[name], results["faiss"], strict=True)
        )
        ms = sorted(t * 1000 for t in times[name])
        rows[name] = {
            "p50_ms": statistics.median(ms),
            "p95_ms": ms[int(0.95 * (len(ms) - 1))],
            "overlap_at_k_with_faiss": overlap,
            "evidence_recall_at_k": recall(results[name]),
        }
    rows["milvus"]["p50_vs_faiss"] = rows["milvus"]["p50_ms"] / rows["faiss"]["p50_ms"]
    report = {
        "suite": args.suite,
        "vectors": len(ids),
        "dimension": int(vectors.shape[1]),
        "queries": len(cases),
        "k": args.k,
        "milvus": spec.label,
        "milvus_load_s": load_s,
        "engines": rows,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{args.suite}: {len(ids):,} vectors x {vectors.shape[1]}, {len(cases)} queries, top-{args.k}, exact")
        print(f"{'engine':<8} {'p50 ms':>8} {'p95 ms':>8} {'overlap@k':>10} {'R@k':>6}")
        for name, r in rows.items():
            print(
                f"{name:<8} {r['p50_ms']:>8.2f} {r['p95_ms']:>8.2f} {r['overlap_at_k_with_faiss']:>10.3f} "
                f"{r['evidence_recall_at_k']:>6.3f}"
            )
        print(f"milvus p50 / faiss p50 = {rows['milvus']['p50_vs_faiss']:.1f}x ({spec.label})")
    index.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
