"""Retrieval quality on real eval cases: recall@10 of gold evidence spans (a span is found when a returned chunk
overlaps at least half of it). To keep the suite fast, each corpus is cut to the documents of a fixed sample of
cases (every code file under src/flask; the first six NDAs), never to the gold files alone. Floors sit a little
below the values measured when they were set; benchmarks/bench_retrieval.py measures the full corpora."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from docintel.corpus import Corpus
from docintel.index.corpus_index import CorpusIndex, SearchMode
from docintel.index.embedder import get_embedder
from docintel.index.store import Store
from docintel.ingest import load_corpus

K = 10


def _cases(eval_dir: Path, file: str, corpus: str, keep: set[str], limit: int) -> list[dict]:
    rows = [json.loads(line) for line in (eval_dir / "cases" / file).read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r["corpus"] == corpus and r["kind"] == "lookup" and r["evidence"]]
    return [r for r in rows if all(e["path"] in keep for e in r["evidence"])][:limit]


def _recall(index: CorpusIndex, cases: list[dict], mode: SearchMode) -> float:
    total = 0.0
    for case in cases:
        hits = index.search(case["question"], K, mode=mode)
        found = 0
        for gold in case["evidence"]:
            need = (gold["end"] - gold["start"]) / 2
            found += any(
                h.chunk.span.path == gold["path"]
                and min(h.chunk.span.end, gold["end"]) - max(h.chunk.span.start, gold["start"]) >= need
                for h in hits
            )
        total += found / len(case["evidence"])
    return total / len(cases)


def _index(tmp: Path, corpus: Corpus) -> CorpusIndex:
    # explicit store folder: a module fixture is set up before the per-test DOCINTEL_HOME exists
    index = CorpusIndex(corpus.root, Store(tmp / "index"), get_embedder())
    index.update(corpus)
    return index


@pytest.fixture(scope="module")
def flask_index(eval_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[CorpusIndex, list[dict]]:
    full = load_corpus(eval_dir / "corpora" / "code-flask")
    docs = tuple(d for d in full.documents if d.path.startswith("src/flask/"))
    cases = _cases(eval_dir, "code.jsonl", "code-flask", {d.path for d in docs}, 20)
    index = _index(tmp_path_factory.mktemp("flask"), Corpus(full.root, docs))
    return index, cases


@pytest.fixture(scope="module")
def nda_index(eval_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[CorpusIndex, list[dict]]:
    full = load_corpus(eval_dir / "corpora" / "contracts-nda")
    docs = full.documents[:6]
    cases = _cases(eval_dir, "contracts-nda.jsonl", "contracts-nda", {d.path for d in docs}, 20)
    index = _index(tmp_path_factory.mktemp("nda"), Corpus(full.root, docs))
    return index, cases


# measured when set (18 flask cases): fused 0.667, vector 0.648, lexical 0.648
@pytest.mark.parametrize(("mode", "floor"), [("fused", 0.58), ("vector", 0.55), ("lexical", 0.55)])
def test_code_recall_at_10(flask_index: tuple[CorpusIndex, list[dict]], mode: SearchMode, floor: float) -> None:
    index, cases = flask_index
    assert len(cases) >= 15
    recall = _recall(index, cases, mode)
    print(f"code-flask {mode} recall@{K} = {recall:.3f} over {len(cases)} cases")
    assert recall >= floor


# measured when set (20 NDA cases): fused 0.950, vector 0.950, lexical 0.950
@pytest.mark.parametrize(("mode", "floor"), [("fused", 0.85), ("vector", 0.85), ("lexical", 0.85)])
def test_nda_recall_at_10(nda_index: tuple[CorpusIndex, list[dict]], mode: SearchMode, floor: float) -> None:
    index, cases = nda_index
    assert len(cases) == 20
    recall = _recall(index, cases, mode)
    print(f"contracts-nda {mode} recall@{K} = {recall:.3f} over {len(cases)} cases")
    assert recall >= floor
