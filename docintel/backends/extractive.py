"""The extractive backend: no language model. It quotes the evidence sentences that best match the question.

It reads the Prompt like a model would: the salient passages of a full pass (or, if none of them match, every
span of the corpus), the retrieved spans of a retrieve pass, the part of a map-reduce call. Each sentence (or line
of code) is scored by how much of the question's meaning-bearing words it covers, weighted by their rarity among
the candidate sentences; the best few are quoted verbatim with their citation ids. When no sentence uses enough of
the question's words (a paraphrase: "liability cap" for "total aggregate liability shall not exceed"), the
sentences of the question's passages are compared with it by meaning, with the index's embedding model, and the
closest are quoted if they are close enough. When nothing is, it says so and writes the insufficient-context
marker, so Self-Route can escalate.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from docintel.answer import BackendEvent, TextDelta, Usage, UsageEvent
from docintel.context import INSUFFICIENT_MARKER
from docintel.profiles import ModelProfile, get_profile
from docintel.prompt import CitedSpan, Prompt
from docintel.routers.questions import classify_question
from docintel.tokens import count_tokens
from docintel.words import QUESTION_WORDS, content_stems

MIN_COVERAGE = 0.5  # share of the question's (IDF-weighted) words a sentence must contain to count as evidence
MAX_QUOTES = 3
MAX_QUOTES_AGGREGATE = 12  # "list every ..." wants every match, not the best three
RELATIVE_CUTOFF = 0.75  # further quotes must score at least this share of the best one
# Cosine similarity (all-MiniLM-L6-v2) a sentence needs to be quoted as "closest in meaning". On the sample
# contract, paraphrased questions score 0.5-0.68 against the clause that answers them; unrelated questions
# ("the capital of France", "cryptocurrency payments") stay below 0.33.
MIN_SIMILARITY = 0.5
MAX_SEMANTIC_QUOTES = 2
MAX_SEMANTIC_UNITS = 400  # bounds the embedding work (passages are already the question's best candidates)
MAX_UNIT_CHARS = 600
MIN_WORDS = 6  # shorter units (headings, signatures) rank after full sentences of equal coverage
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=[\"'(“A-Z0-9])|\n\s*\n")
_PASSAGE_ID = re.compile(r"^\[(\d+)\] \(", re.M)


@dataclass(frozen=True)
class Unit:
    cid: str
    text: str  # verbatim from the cited span
    order: int  # position among the candidates (retrieval rank for passages)


def split_units(cited: CitedSpan, order: int) -> list[Unit]:
    """Sentences of prose, lines of code or transcripts; each verbatim from the span."""
    text = cited.text
    lines = [ln for ln in text.split("\n") if ln.strip()]
    code_like = lines and sum(1 for ln in lines if ln.startswith((" ", "\t")) or ln.rstrip().endswith((":", "{", ")")))
    pieces = lines if code_like and code_like >= len(lines) / 3 else _SENTENCE_END.split(text)
    units = []
    for piece in pieces:
        for line in (piece,) if len(piece) <= MAX_UNIT_CHARS else piece.split("\n"):
            stripped = line.strip()
            if len(stripped) >= 12 and len(stripped.split()) >= 3:
                units.append(Unit(cited.id, stripped[:MAX_UNIT_CHARS], order))
    return units


def rank_units(question: str, units: list[Unit]) -> list[tuple[float, Unit]]:
    """(coverage, unit), best first: IDF-weighted share of the question's content words the unit contains."""
    wanted = list(dict.fromkeys(content_stems(question, exclude=QUESTION_WORDS)))
    if not wanted or not units:
        return []
    unit_words = [set(content_stems(u.text)) for u in units]
    df = Counter(w for words in unit_words for w in words if w in wanted)
    n = len(units)
    idf = {w: math.log(1 + n / (1 + df[w])) for w in wanted}
    total = sum(idf.values())
    scored = []
    for unit, words in zip(units, unit_words, strict=True):
        covered = sum(idf[w] for w in wanted if w in words)
        if covered:
            scored.append((covered / total, unit))
    # Ties go to the earlier candidate, then to the fuller sentence (a heading repeats the question's words but
    # says nothing more).
    scored.sort(key=lambda t: (-t[0], len(t[1].text.split()) < MIN_WORDS, t[1].order, -len(t[1].text)))
    return scored


def choose_quotes(question: str, candidates: list[CitedSpan]) -> list[tuple[float, Unit]]:
    limit = MAX_QUOTES_AGGREGATE if classify_question(question).type == "aggregate" else MAX_QUOTES
    units = [u for order, c in enumerate(candidates) for u in split_units(c, order)]
    ranked = rank_units(question, units)
    if not ranked or ranked[0][0] < MIN_COVERAGE:
        return []
    best = ranked[0][0]
    chosen: list[tuple[float, Unit]] = []
    seen: set[str] = set()
    for score, unit in ranked:
        if len(chosen) >= limit or score < max(MIN_COVERAGE, best * RELATIVE_CUTOFF):
            break
        if unit.text in seen or (chosen and len(unit.text.split()) < MIN_WORDS):
            continue
        seen.add(unit.text)
        chosen.append((score, unit))
    return chosen


def closest_in_meaning(question: str, candidates: list[CitedSpan]) -> list[tuple[float, Unit]]:
    """Units whose embedding is close to the question's, best first (at most MAX_SEMANTIC_QUOTES)."""
    units = [u for order, c in enumerate(candidates) for u in split_units(c, order)][:MAX_SEMANTIC_UNITS]
    if not units:
        return []
    from docintel.embedder import get_embedder  # loads the model lazily (once per process)

    embedder = get_embedder()
    similarity = embedder.embed([u.text for u in units]) @ embedder.embed_query(question)
    ranked = sorted(zip(similarity.tolist(), units, strict=True), key=lambda t: (-t[0], t[1].order))
    chosen: list[tuple[float, Unit]] = []
    for score, unit in ranked:
        if score < MIN_SIMILARITY or len(chosen) >= MAX_SEMANTIC_QUOTES:
            break
        # a bare heading ("8.4 Limitation of Liability.") names the clause; the sentence after it says what it is
        if len(unit.text.split()) < MIN_WORDS and any(u.cid == unit.cid for _, u in ranked[:8] if u is not unit):
            continue
        chosen.append((score, unit))
    return chosen


def _candidates(prompt: Prompt) -> tuple[list[CitedSpan], list[CitedSpan]]:
    """(first choice, fallback): a full pass's salient passages first, then the whole corpus."""
    passages = next((b.text for b in prompt.blocks if b.role == "passages"), "")
    if prompt.mode == "full" and passages:
        by_id = {c.id: c for c in prompt.citations}
        order = list(dict.fromkeys(_PASSAGE_ID.findall(passages)))
        quoted = _quoted_passages(passages, by_id, order)
        return quoted, list(prompt.citations)
    return list(prompt.citations), []


def _quoted_passages(block: str, by_id: dict[str, CitedSpan], order: list[str]) -> list[CitedSpan]:
    """The passages block's quotes as CitedSpans (the text quoted, under the id of the piece that holds it)."""
    out = []
    for m in re.finditer(r"^\[(\d+)\] \([^)]*\)\n(.*?)(?=^\[\d+\] \(|^</passages>)", block, re.M | re.S):
        cited = by_id.get(m.group(1))
        if cited is not None:
            out.append(CitedSpan(cited.id, cited.span, m.group(2)))
    return out or [by_id[i] for i in order if i in by_id]


def extractive_answer(prompt: Prompt) -> str:
    first, fallback = _candidates(prompt)
    chosen = choose_quotes(prompt.question, first)
    if not chosen and fallback:
        chosen = choose_quotes(prompt.question, fallback)
    heading = "The closest evidence in the documents:"
    if not chosen and first:
        chosen = closest_in_meaning(prompt.question, first)
        heading = "No passage uses the question's words; the closest in meaning:"
    if not chosen:
        searched = len(first) + len(fallback)
        return (
            f"Nothing in the {searched} passage{'s' if searched != 1 else ''} searched answers this question.\n"
            f"{INSUFFICIENT_MARKER}\n"
        )
    lines = [heading, ""]
    for _, unit in chosen:
        quote = " ".join(unit.text.split())
        lines.append(f"> {quote} [{unit.cid}]")
        lines.append("")
    return "\n".join(lines)


class ExtractiveBackend:
    """The default backend: answers by quoting cited evidence, with no model, key, server or weights."""

    name = "extractive"

    def __init__(self, profile: ModelProfile | None = None, **_unused: object) -> None:
        # model/base_url/redact options of other backends mean nothing here; accepted so a shared CLI can pass them.
        self.profile = profile or get_profile("extractive")
        self.model = "extractive"

    def count_tokens(self, prompt: Prompt) -> int:
        return prompt.estimated_tokens or count_tokens(prompt.text)

    def generate(self, prompt: Prompt) -> Iterator[BackendEvent]:
        started = time.monotonic()
        text = extractive_answer(prompt)
        ttft = time.monotonic() - started
        for line in text.splitlines(keepends=True):
            yield TextDelta(line)
        usage = Usage(
            input_tokens=self.count_tokens(prompt),
            output_tokens=count_tokens(text),
            ttft_s=round(ttft, 4),
            total_s=round(time.monotonic() - started, 4),
            cost_usd=0.0,
        )
        yield UsageEvent(usage, stop_reason="end_turn")
