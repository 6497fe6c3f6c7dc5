"""Index speed against today's path, in one run (not part of pytest). Four measures, each printed as a ratio:

1. window: the share of chunk text the embedder never reads (all-MiniLM-L6-v2 reads 256 word pieces), for the old
   chunk sizes (300/400 cl100k tokens) and the sizes fitted to the window (docintel.index.chunks.window_chunk_sizes);
2. throughput: chunks/s of sentence-transformers (torch, today's path) vs ONNX Runtime fp32 vs int8 on the same
   chunks, rounds interleaved, medians;
3. quality: fused recall@10 on contracts-nda and code-flask, today's configuration (torch vectors = ONNX fp32
   vectors, old sizes, path header) vs the new one (sizes fitted, base-name header, the chosen precision);
4. cache: indexing a sub-folder of an indexed corpus, as a share of the full index time (goal <= 5%).

    .venv/bin/python benchmarks/bench_index_speed.py [--rounds 3] [--sample 192] [--parts window,throughput,...]

The machine's 2 cores are shared: figures are noisy, ratios within one run are what to read.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
sys.path.insert(0, str(ROOT / "benchmarks"))

OLD_SIZES = (300, 400)
QUALITY_SUITES = ("contracts-nda", "code-flask")


def window_share(corpus_names: list[str], sizes: list[tuple[int, int]]) -> None:
    from tokenizers import Tokenizer

    from docintel.index.chunks import build_chunks
    from docintel.index.embedders.onnx_runtime import default_model_dir
    from docintel.ingest import load_corpus

    tokenizer = Tokenizer.from_file(str(default_model_dir() / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    print("\n## 1. Chunk text beyond the embedder's window (256 word pieces)")
    print("| corpus | chunk sizes (cl100k target/max) | chunks | chunks over the window | text never embedded |")
    print("| --- | --- | --- | --- | --- |")
    for name in corpus_names:
        corpus = load_corpus(EVAL / "corpora" / name)
        for target, maximum in sizes:
            chunks = [c for d in corpus.documents for c in build_chunks(d, target, maximum)]
            texts = [c.embed_text for c in chunks]
            lost = total = over = 0
            for chunk, encoding, text in zip(chunks, tokenizer.encode_batch(texts), texts, strict=True):
                total += len(chunk.text)
                if len(encoding.ids) > 256:
                    over += 1
                    kept_until = encoding.offsets[254][1]  # [CLS] + 254 pieces + [SEP]
                    lost += len(text) - max(kept_until, len(text) - len(chunk.text))
            print(
                f"| {name} | {target}/{maximum} | {len(chunks):,} | {over / len(chunks):.1%} | {lost / total:.1%} |",
                flush=True,
            )


def sample_chunks(n: int, sizes: tuple[int, int], seed: int = 0) -> list[str]:
    from docintel.index.chunks import build_chunks
    from docintel.ingest import load_corpus

    texts: list[str] = []
    for name in QUALITY_SUITES:
        corpus = load_corpus(EVAL / "corpora" / name)
        texts += [c.embed_text for d in corpus.documents for c in build_chunks(d, *sizes)]
    return random.Random(seed).sample(texts, min(n, len(texts)))


def throughput(rounds: int, sample: int) -> None:
    from docintel.index.chunks import window_chunk_sizes
    from docintel.index.embedder import get_embedder

    kinds = ("sentence-transformers", "onnx-fp32", "onnx", "onnx-int8")  # onnx: the default, 8-bit weights
    embedders = {name: get_embedder(kind=name) for name in kinds}
    old = sample_chunks(sample, OLD_SIZES)
    new = sample_chunks(sample, window_chunk_sizes(256))
    for embedder in embedders.values():
        embedder.embed(old[:4])  # load models and sessions outside the measure
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(rounds):
        for label, texts in (("old chunks", old), ("window chunks", new)):
            for name, embedder in embedders.items():
                started = time.perf_counter()
                embedder.embed(texts)
                times.setdefault((name, label), []).append(time.perf_counter() - started)
    base = statistics.median(times[("sentence-transformers", "old chunks")])
    print(f"\n## 2. Embedding throughput ({sample} chunks of contracts-nda + code-flask, {rounds} rounds, medians)")
    print("| runtime | chunks | chunks/s | vs today (torch, old chunks) |")
    print("| --- | --- | --- | --- |")
    for (name, label), values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {label} | {sample / median:.1f} | {base / median:.2f}x |", flush=True)


def parse_configs(text: str) -> list[tuple[str, tuple[int, int], str]]:
    """``onnx:300/400:path,onnx-int8:200/260:base`` -> [(embedder, (target, max), header)]."""
    configs = []
    for item in text.split(","):
        kind, sizes, header = item.split(":")
        target, maximum = (int(v) for v in sizes.split("/"))
        configs.append((kind, (target, maximum), header))
    return configs


def quality(precision: str, suites: list[str], extra: str = "") -> None:
    from bench_retrieval import found, lookup_cases

    from docintel.index.chunks import Chunk, window_chunk_sizes
    from docintel.index.corpus_index import CorpusIndex
    from docintel.index.embedder import get_embedder
    from docintel.index.store import Store
    from docintel.ingest import load_corpus

    new_header: Any = Chunk.__dict__["embed_text"]
    old_header: Any = property(lambda c: f"{c.context}\n{c.text}")
    configs: dict[str, tuple[str, tuple[int, int], Any]] = {
        "today (fp32 = torch vectors, 300/400, path header)": ("onnx-fp32", OLD_SIZES, old_header),
        f"new ({precision}, {'/'.join(map(str, window_chunk_sizes(256)))}, base-name header)": (
            precision,
            window_chunk_sizes(256),
            new_header,
        ),
    }
    if extra:  # other variants, to tell the factors apart (differences are against the first)
        configs = {}
        for kind, sizes, header in parse_configs(extra):
            label = f"{kind}, {sizes[0]}/{sizes[1]}, {'path' if header == 'path' else 'base-name'} header"
            configs[label] = (kind, sizes, old_header if header == "path" else new_header)
    print("\n## 3. Retrieval quality (fused recall@10 over all lookup cases)")
    print("| suite | configuration | chunks | recall@10 | index s | chunks/s |")
    print("| --- | --- | --- | --- | --- | --- |")
    work = Path(tempfile.mkdtemp(prefix="bench-quality-"))
    try:
        for suite in suites:
            corpus = load_corpus(EVAL / "corpora" / suite)
            cases = lookup_cases(suite, 0)
            recalls = {}
            for label, (kind, sizes, header) in configs.items():
                setattr(Chunk, "embed_text", header)  # noqa: B010 (the benchmark swaps the header per configuration)
                os.environ["DOCINTEL_EMBED_CACHE"] = "0"  # every configuration embeds for real
                try:
                    index = CorpusIndex(
                        corpus.root,
                        Store(work / f"{suite}-{kind}-{sizes[0]}"),
                        get_embedder(kind=kind),
                        target_tokens=sizes[0],
                        max_tokens=sizes[1],
                    )
                    report = index.update(corpus)
                finally:
                    setattr(Chunk, "embed_text", new_header)  # noqa: B010
                    os.environ.pop("DOCINTEL_EMBED_CACHE", None)
                recall = []
                for case in cases:
                    hits = index.search(case["question"], 10, mode="fused")
                    recall.append(sum(found(g, hits) for g in case["evidence"]) / len(case["evidence"]))
                recalls[label] = statistics.mean(recall)
                index.close()
                print(
                    f"| {suite} | {label} | {report.total_chunks:,} | {recalls[label]:.3f} | {report.seconds:.0f} | "
                    f"{report.embedded_chunks / max(report.seconds, 1e-9):.1f} |",
                    flush=True,
                )
            (first_label, first), *others = recalls.items()
            for label, value in others:
                print(f"| {suite} | {label} minus {first_label} | | {value - first:+.3f} | | |", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def cache_share() -> None:
    from docintel.index.corpus_index import CorpusIndex
    from docintel.ingest import load_corpus

    work = Path(tempfile.mkdtemp(prefix="bench-cache-"))
    try:
        corpus_root = work / "code-flask"
        shutil.copytree(EVAL / "corpora" / "code-flask", corpus_root)
        started = time.monotonic()
        with CorpusIndex.open(corpus_root) as index:
            full = index.update(load_corpus(corpus_root))
        full_s = time.monotonic() - started
        print("\n## 4. Shared embedding cache (code-flask, whole process work of `docintel index`)")
        print("| what | chunks | embedded | from the cache | seconds | share of the full index |")
        print("| --- | --- | --- | --- | --- | --- |")
        counts = f"{full.total_chunks:,} | {full.embedded_chunks:,} | {full.cached_chunks:,}"
        print(f"| full index | {counts} | {full_s:.1f} | 100% |")
        for label, path in (
            ("sub-folder src/flask", corpus_root / "src" / "flask"),
            ("single file src/flask/app.py", corpus_root / "src" / "flask" / "app.py"),
            ("a copy of the corpus", None),
        ):
            if path is None:
                path = work / "copy" / "code-flask"
                shutil.copytree(corpus_root, path)
            started = time.monotonic()
            with CorpusIndex.open(path) as index:
                report = index.update(load_corpus(path))
            seconds = time.monotonic() - started
            print(
                f"| {label} | {report.total_chunks:,} | {report.embedded_chunks:,} | {report.cached_chunks:,} | "
                f"{seconds:.1f} | {100 * seconds / full_s:.1f}% |",
                flush=True,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parts", default="window,throughput,quality,cache")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sample", type=int, default=192, help="chunks per throughput round")
    parser.add_argument(
        "--precision",
        default="onnx",
        help="embedder of the new configuration: onnx (8-bit weights), onnx-fp32 or onnx-int8",
    )
    parser.add_argument("--suites", default=",".join(QUALITY_SUITES), help="suites of the quality part")
    parser.add_argument(
        "--configs",
        default="",
        help="quality variants instead of the new configuration: embedder:target/max:path|base, comma-separated",
    )
    args = parser.parse_args()
    os.environ["DOCINTEL_HOME"] = tempfile.mkdtemp(prefix="bench-index-speed-")
    parts = args.parts.split(",")
    from docintel.index.chunks import window_chunk_sizes

    if "window" in parts:
        window_share(["contracts-nda", "code-flask", "transcripts-qmsum-val"], [OLD_SIZES, window_chunk_sizes(256)])
    if "throughput" in parts:
        throughput(args.rounds, args.sample)
    if "quality" in parts:
        quality(args.precision, args.suites.split(","), args.configs)
    if "cache" in parts:
        cache_share()
    shutil.rmtree(os.environ["DOCINTEL_HOME"], ignore_errors=True)


if __name__ == "__main__":
    main()
