"""The extractive backend: no language model. It quotes the evidence sentences that best answer the question.

It reads the Prompt like a model would: every span the prompt holds (the retrieved passages of a retrieve pass, the
whole corpus of a full pass, the part of a map-reduce call), with the index's fused search ranking that came with
the prompt. ``docintel.backends.sentence_rank`` scores each sentence (or line of code, or transcript turn) on that
ranking, the question's words, its meaning and the kind of answer asked for; the best one to three are quoted
verbatim with their citation ids. The answer's confidence is what the best quotes say by themselves (their words,
meaning and answer type, not their search rank) against the bar of their kind of document
(``sentence_rank.confidence``): below ``MIN_CONFIDENCE`` the answer says plainly that docintel found no clear
answer and lists the closest passages as evidence only, and the backend reports the answer as insufficient (so
Self-Route can escalate a retrieve pass to a full one).
"""

from __future__ import annotations

import re
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

from docintel.answer import NO_CLEAR_ANSWER, BackendEvent, TextDelta, Usage, UsageEvent
from docintel.backends import BackendCapabilities, BackendOption
from docintel.backends.sentence_rank import CONFIDENT, MIN_WORDS, Scored, Unit, confidence, rank_units, split_units
from docintel.profiles import ModelProfile, get_profile
from docintel.prompt import Prompt
from docintel.routers.questions import classify_question
from docintel.tokens import count_tokens

MAX_QUOTES = 3
MAX_QUOTES_AGGREGATE = 12  # "list every ..." wants every match, not the best three
MAX_EVIDENCE = 2  # quotes listed as evidence under "no clear answer"
# Further quotes must score at least this share of the best one: the first three quotes are where a reader (and
# hit@3) looks, and a second or third place the answer may be beats quoting only one (0.75 gave fewer quotes and
# lower hit@3 on every suite of the dev cases).
QUOTE_CUTOFF = 0.5
RELATIVE_CUTOFF = 0.75  # a full sentence stands for its passage's heading when it scores this share of it
# The confidence (0..1, ``sentence_rank.confidence``: the best quotes' own evidence against the bar of their kind of
# document) below which docintel says it found no clear answer; their evidence is still listed.
MIN_CONFIDENCE = CONFIDENT
HEADING = "The closest evidence in the documents:"  # pipeline's extractive map-reduce strips this line
EVIDENCE_HEADING = "The closest passages, as evidence only (they may not answer it):"


@dataclass(frozen=True)
class ExtractiveResult:
    text: str
    confidence: float  # sentence_rank.confidence of the ranking, 0..1
    found: bool  # False: no clear answer (the text says so)
    quotes: tuple[Scored, ...]


def _units(prompt: Prompt) -> list[Unit]:
    """Every sentence of every span the prompt holds, once (map-reduce prompts may repeat a piece)."""
    seen: set[tuple[str, int]] = set()
    out = []
    for order, cited in enumerate(prompt.citations):
        for unit in split_units(cited, order):
            if (unit.path, unit.start) not in seen:
                seen.add((unit.path, unit.start))
                out.append(unit)
    return out


def _pick(ranked: list[Scored], limit: int, *, one_per_passage: bool = True) -> list[Scored]:
    """The best unit and those close to it, without repeating a sentence or a heading after the first. One quote
    per passage (unless every match is wanted): three places the answer may be are worth more than three
    sentences of one."""
    best = ranked[0].score
    chosen: list[Scored] = []
    texts: set[str] = set()
    for s in _headings_to_sentences(ranked) if one_per_passage else ranked:
        if len(chosen) >= limit or s.score < best * QUOTE_CUTOFF:
            break
        overlaps = any(c.unit.path == s.unit.path and c.unit.start < s.unit.end < c.unit.end for c in chosen)
        same_passage = one_per_passage and any(c.unit.cid == s.unit.cid for c in chosen)
        if s.unit.text in texts or overlaps or same_passage or (chosen and len(s.unit.text.split()) < MIN_WORDS):
            continue
        texts.add(s.unit.text)
        chosen.append(s)
    return chosen


def _headings_to_sentences(ranked: list[Scored]) -> list[Scored]:
    """Where a passage's best unit is a bare heading ("8.4 Limitation of Liability.") and a full sentence of the same
    passage scores close to it, the sentence stands for the passage (at the heading's rank): it says what the
    clause provides."""
    best: dict[str, Scored] = {}
    for s in ranked:
        top = best.get(s.unit.cid)
        if top is None:
            best[s.unit.cid] = s
        elif (
            len(top.unit.text.split()) < MIN_WORDS
            and len(s.unit.text.split()) >= MIN_WORDS
            and s.score >= top.score * RELATIVE_CUTOFF
        ):
            best[s.unit.cid] = replace(s, score=top.score)
    return sorted(best.values(), key=lambda s: -s.score)


def _quote_lines(quotes: list[Scored]) -> list[str]:
    """Prose and transcript sentences as ``> quote [n]``; code as written, in a fenced block followed by its
    citation (whitespace is what code means: joined into one line, a comment swallowed the statements after it)."""
    from docintel.ingest.detect import language_of

    lines = []
    for s in quotes:
        if s.unit.kind == "code":
            language = language_of(s.unit.path) or ""
            code = textwrap.dedent(" " * s.unit.indent + s.unit.text).rstrip()
            fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", code)), default=0))
            lines += [f"{fence}{language}", code, fence, f"[{s.unit.cid}]"]
        else:
            lines.append(f"> {' '.join(s.unit.text.split())} [{s.unit.cid}]")
        lines.append("")
    return lines


def extractive_result(prompt: Prompt) -> ExtractiveResult:
    units = _units(prompt)
    ranked = rank_units(prompt.question, units, prompt.ranked_spans, scope=frozenset(prompt.scope))
    if not ranked:
        n = len(prompt.citations)
        text = f"{NO_CLEAR_ANSWER} Nothing in the {n} passage{'s' if n != 1 else ''} searched matches it.\n"
        return ExtractiveResult(text, 0.0, False, ())
    sure = round(confidence(ranked), 3)
    if sure >= MIN_CONFIDENCE:
        aggregate = classify_question(prompt.question).type == "aggregate"
        quotes = _pick(ranked, MAX_QUOTES_AGGREGATE if aggregate else MAX_QUOTES, one_per_passage=not aggregate)
        text = "\n".join([HEADING, "", *_quote_lines(quotes)])
        return ExtractiveResult(text, sure, True, tuple(quotes))
    quotes = _pick(ranked, MAX_EVIDENCE)
    text = "\n".join([NO_CLEAR_ANSWER, "", EVIDENCE_HEADING, "", *_quote_lines(quotes)])
    return ExtractiveResult(text, sure, False, tuple(quotes))


def extractive_answer(prompt: Prompt) -> str:
    return extractive_result(prompt).text


class ExtractiveBackend:
    """The default backend: answers by quoting cited evidence, with no model, key, server or weights."""

    name = "extractive"
    # No model: the "answer" quotes evidence, token counts are docintel's estimate, nothing is cached or sent.
    capabilities = BackendCapabilities(streams=False, exact_token_count=False, generative=False)
    default_profile = "extractive"
    options: tuple[BackendOption, ...] = ()
    notes: tuple[str, ...] = ()

    def __init__(self, profile: ModelProfile | None = None) -> None:
        self.profile = profile or get_profile("extractive")
        self.model = "extractive"

    def count_tokens(self, prompt: Prompt) -> int:
        return prompt.estimated_tokens or count_tokens(prompt.text)

    def generate(self, prompt: Prompt) -> Iterator[BackendEvent]:
        started = time.monotonic()
        result = extractive_result(prompt)
        ttft = time.monotonic() - started
        for line in result.text.splitlines(keepends=True):
            yield TextDelta(line)
        usage = Usage(
            input_tokens=self.count_tokens(prompt),
            output_tokens=count_tokens(result.text),
            ttft_s=round(ttft, 4),
            total_s=round(time.monotonic() - started, 4),
            cost_usd=0.0,
        )
        yield UsageEvent(usage, stop_reason="end_turn", confidence=result.confidence, insufficient=not result.found)
