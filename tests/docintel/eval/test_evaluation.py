"""Evidence recall, case loading, the cache model, answer scoring, and needle-in-a-haystack case building."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from docintel.corpus import SourceSpan
from docintel.errors import InputError
from docintel.eval.evaluation import (
    Case,
    GoldSpan,
    PromptCacheModel,
    answer_score,
    coverage_of,
    covered_chars,
    default_corpora_dir,
    evidence_recall,
    full_fits,
    load_cases,
)
from docintel.eval.niah import NEEDLE, NiahResult, build_haystack, draw_heatmap, insert_needle, parse_lengths
from docintel.profiles import get_profile


def span(path: str, start: int, end: int) -> SourceSpan:
    return SourceSpan(path, start, end, 1, 1)


def test_partial_coverage_counts_only_the_covered_characters() -> None:
    coverage = coverage_of([span("a.txt", 0, 50), span("a.txt", 80, 120)])
    gold = GoldSpan("a.txt", 40, 100)  # 10 chars in the first span, 20 in the second, 30 uncovered
    assert covered_chars(gold, coverage) == 30
    recall = evidence_recall([gold], coverage)
    assert recall is not None
    assert recall.chars == pytest.approx(0.5)
    assert recall.spans_half == 1.0  # exactly half covered counts as "at least half"


def test_two_gold_spans_in_two_files_and_overlapping_prompt_spans() -> None:
    # Overlapping prompt spans (a segment quoted again as a salient passage) must not double count.
    coverage = coverage_of([span("a.txt", 0, 10), span("a.txt", 5, 20), span("b.txt", 100, 110)])
    assert coverage["a.txt"] == [(0, 20)]
    gold = [GoldSpan("a.txt", 10, 30), GoldSpan("b.txt", 0, 100), GoldSpan("c.txt", 0, 10)]
    recall = evidence_recall(gold, coverage)
    assert recall is not None
    # covered: 10 of a (10..20), 0 of b (prompt starts at 100), 0 of c -> 10 / 130
    assert recall.chars == pytest.approx(10 / 130)
    assert recall.spans_half == pytest.approx(1 / 3)


def test_overlapping_gold_spans_count_each_character_once() -> None:
    coverage = coverage_of([span("a.py", 0, 100)])
    gold = [GoldSpan("a.py", 50, 150), GoldSpan("a.py", 60, 80)]  # the second is inside the first
    recall = evidence_recall(gold, coverage)
    assert recall is not None
    assert recall.chars == pytest.approx(50 / 100)
    assert recall.spans_half == pytest.approx(1.0)


def test_absent_case_has_no_recall() -> None:
    assert evidence_recall([], coverage_of([span("a.txt", 0, 10)])) is None


def test_other_file_is_not_coverage() -> None:
    recall = evidence_recall([GoldSpan("b.txt", 0, 10)], coverage_of([span("a.txt", 0, 10)]))
    assert recall is not None and recall.chars == 0.0


def test_load_cases_and_default_corpora(tmp_path: Path) -> None:
    cases_dir = tmp_path / "eval" / "cases"
    cases_dir.mkdir(parents=True)
    rows = [
        {
            "id": "1",
            "suite": "s",
            "corpus": "c",
            "question": "q?",
            "answer": "a",
            "kind": "lookup",
            "evidence": [{"path": "x.txt", "start": 1, "end": 5}],
        },
        {"id": "2", "suite": "s", "corpus": "c", "question": "q2?", "answer": "", "kind": "absent", "evidence": []},
    ]
    file = cases_dir / "t.jsonl"
    file.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    cases = load_cases(file)
    assert [c.id for c in cases] == ["1", "2"]
    assert cases[0].evidence == (GoldSpan("x.txt", 1, 5),)
    assert load_cases(file, limit=1)[0].id == "1" and len(load_cases(file, limit=1)) == 1
    assert default_corpora_dir(file) == (tmp_path / "eval" / "corpora").resolve()


def test_bad_case_line_names_file_and_line(tmp_path: Path) -> None:
    file = tmp_path / "bad.jsonl"
    file.write_text('{"id": "1"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.jsonl:1: not a valid case"):
        load_cases(file)
    with pytest.raises(InputError, match="cases file not found"):
        load_cases(tmp_path / "missing.jsonl")


def test_cache_model_writes_once_then_reads_per_strategy() -> None:
    cache = PromptCacheModel(min_cacheable_tokens=1024)
    first = cache.split("full", "h1", 50_000, 30)
    second = cache.split("full", "h1", 50_000, 40)
    other_strategy = cache.split("router", "h1", 50_000, 40)
    small = cache.split("retrieve", "h2", 500, 2_000)
    assert (first.cache_write, first.cache_read, first.uncached) == (50_000, 0, 30)
    assert (second.cache_write, second.cache_read, second.uncached) == (0, 50_000, 40)
    assert other_strategy.cache_write == 50_000  # strategies do not share a warm cache
    assert (small.cache_write, small.cache_read, small.uncached) == (0, 0, 2_500)  # below the minimum prefix


def test_full_fits_uses_window_margin_and_output_reserve() -> None:
    sonnet = get_profile("claude-sonnet-4-6")
    assert full_fits(250_000, sonnet)
    assert not full_fits(1_300_000, sonnet)
    limit = int((sonnet.context_window - sonnet.max_output_tokens) / sonnet.token_margin)
    assert full_fits(limit - 1, sonnet) and not full_fits(limit + 10, sonnet)


def test_answer_score() -> None:
    lookup = Case("1", "s", "c", "q", "Texas", "lookup", (GoldSpan("a", 0, 1),))
    assert answer_score(lookup, "It is governed by the laws of the State of Texas [3].") == 1.0
    assert answer_score(lookup, "New York") == 0.0
    two_words = Case("2", "s", "c", "q", "Dolores Park", "lookup", (GoldSpan("a", 0, 1),))
    assert answer_score(two_words, "a park somewhere") == 0.5
    absent = Case("3", "s", "c", "q", "", "absent")
    assert answer_score(absent, "The documents do not contain this.") == 1.0
    assert answer_score(absent, "Yes, clause 4.") == 0.0
    assert answer_score(absent, "Yes", insufficient=True) == 1.0


# --------------------------------------------------------------------------------------------------- niah cases
@pytest.fixture()
def essays(tmp_path: Path) -> Path:
    folder = tmp_path / "essays"
    folder.mkdir()
    sentence = "Startups grow by making something people want. "
    for name in ("a.txt", "b.txt", "c.txt"):
        (folder / name).write_text((sentence * 60 + "\n") * 3, encoding="utf-8")
    return folder


def test_parse_lengths() -> None:
    assert parse_lengths("8k, 32k,1000") == [8000, 32000, 1000]
    with pytest.raises(InputError):
        parse_lengths("big")


@pytest.mark.parametrize("depth", [0, 25, 50, 75, 100])
def test_needle_lands_at_its_depth(essays: Path, depth: int) -> None:
    haystack = build_haystack(essays, 3_000)
    assert 2_700 <= haystack.tokens <= 3_000
    case = insert_needle(haystack, depth)
    texts = dict(case.files)
    path, start, end = case.needle.path, case.needle.start, case.needle.end
    assert texts[path][start:end] == NEEDLE
    # The global character offset is the depth's share of the haystack, within one sentence (~48 chars).
    assert abs(case.global_start - haystack.chars * depth / 100) <= 60
    offset = 0
    for p, t in case.files:
        if p == path:
            break
        offset += len(t)
    assert offset + start == case.global_start
    # Only the needle was added: removing it gives back the haystack.
    others = {p: t for p, t in haystack.files}
    assert texts[path].replace(NEEDLE, "", 1).replace("  ", " ").strip() == others[path].replace("  ", " ").strip()
    assert all(texts[p] == others[p] for p in others if p != path)


def test_haystack_never_writes_into_the_corpus(essays: Path) -> None:
    before = {p.name: p.read_bytes() for p in essays.iterdir()}
    insert_needle(build_haystack(essays, 2_000), 50)
    assert {p.name: p.read_bytes() for p in essays.iterdir()} == before


def test_heatmap_is_a_png(tmp_path: Path) -> None:
    results = [
        NiahResult(
            length=length,
            haystack_tokens=length,
            depth=d,
            mode="full",
            in_prompt=1.0 if d < 50 else 0.0,
            prompt_tokens=length,
            in_answer=0.5,
        )
        for length in (8_000, 32_000)
        for d in (0, 50, 100)
    ]
    out = draw_heatmap(results, tmp_path / "plots" / "heat.png", title="t")
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert width >= 300 and height >= 200


# ------------------------------------------------------------------------------------------ always-full truncation
def test_always_full_over_the_window_keeps_what_fits_in_corpus_order(tmp_path: Path) -> None:
    from dataclasses import replace

    from docintel.eval.evaluation import truncated_full
    from docintel.ingest import load_corpus

    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        lines = [
            f"{name} line {i}: the quarterly ledger entry {i * 17} was reconciled by team {i % 5}." for i in range(120)
        ]
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    corpus = load_corpus(folder)
    assert corpus.tokens > 6_000
    small = replace(get_profile("claude-sonnet-4-6"), context_window=4_000, max_output_tokens=500, token_margin=1.0)
    assert not full_fits(corpus.tokens, small)

    sent = truncated_full(corpus, "Who reconciled entry 34?", small)
    assert sent.truncated and sent.mode == "full"
    assert sent.prefix_tokens + sent.suffix_tokens <= 4_000 - 500  # the window less the answer reserve
    assert sent.prefix_tokens > 2_500  # and it is used, not left empty
    paths = [s.path for s in sent.spans]
    assert paths[0] == "a.txt" and "c.txt" not in paths  # corpus order: a first, c never reached
    starts = [(s.path, s.start) for s in sent.spans]
    assert starts == sorted(starts)
    a_text = corpus.document("a.txt").text
    coverage = coverage_of(sent.spans)
    full_a = evidence_recall([GoldSpan("a.txt", 0, len(a_text))], coverage)
    assert full_a is not None and full_a.chars == 1.0
    in_c = evidence_recall([GoldSpan("c.txt", 0, 50)], coverage)
    assert in_c is not None and in_c.chars == 0.0


def test_always_full_over_the_window_reads_the_retrieved_documents_first(tmp_path: Path, hash_embedder: str) -> None:
    """The fair baseline: the corpus map, then whole documents in the order retrieval ranks them for the question,
    so the document about the question is in the prompt even when it sorts last."""
    from dataclasses import replace

    from docintel.eval.evaluation import truncated_full
    from docintel.index.corpus_index import open_corpus

    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, topic in (("a.txt", "ledger"), ("b.txt", "invoice"), ("c.txt", "turbine maintenance")):
        lines = [f"{name} line {i}: the {topic} record {i * 17} was checked by team {i % 5}." for i in range(120)]
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    corpus, index = open_corpus(folder)
    try:
        small = replace(get_profile("claude-sonnet-4-6"), context_window=4_000, max_output_tokens=500, token_margin=1.0)
        sent = truncated_full(corpus, "Which team checked turbine maintenance record 34?", small, index)
    finally:
        index.close()
    paths = {s.path for s in sent.spans}
    assert paths == {"c.txt"}  # c sorts last but is what the question is about; one document fits
    assert sent.prefix_tokens + sent.suffix_tokens <= 4_000 - 500


def test_map_reduce_calls_are_keyed_and_counted_one_by_one() -> None:
    """Each map prompt's prefix is cached on its own (a second question reads them all) and the reduce call is paid."""
    from docintel.eval.evaluation import Assembled, PromptCacheModel, _split

    sent = Assembled("map_reduce", (), "", 0, 0, calls=(("g1", 5_000, 100), ("g2", 6_000, 100), ("", 0, 900)))
    cache = PromptCacheModel(1_024)
    first = _split(cache, "router", sent)
    second = _split(cache, "router", sent)
    assert (first.cache_write, first.cache_read, first.uncached) == (11_000, 0, 1_100)
    assert (second.cache_write, second.cache_read, second.uncached) == (0, 11_000, 1_100)
