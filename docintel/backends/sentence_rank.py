"""Sentence-level evidence ranking for the extractive answerer (no language model).

The candidate passages arrive in the order the prompt holds them; the index's fused search ranking (what
``docintel search`` shows) comes with the prompt as ``Prompt.ranked_spans``. Each passage is cut into units
(sentences of prose, lines of code or transcript turns), each verbatim with its character range, and every unit is
scored on four signals, each in 0..1:

- **rank**: how high the search hit that holds the unit ranked (1 for the top hit, falling with rank; 0 outside);
- **words**: the IDF-weighted share of the question's content words the unit uses (stemmed, case-folded, with
  snake_case/camelCase names split), IDF taken over the candidate units so a name every sentence repeats (the
  parties of a contract) counts for little;
- **meaning**: cosine similarity of the unit and the question with the index's embedding model, for the units the
  first two signals put in front (embedding a whole corpus sentence by sentence would take minutes on a CPU);
- **type**: whether the unit holds the kind of thing the question asks for: a governing law, a date, a duration, a
  party, a person, a place in the code.

The weighted sum ranks the units; the best unit's score is the answer's confidence.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from docintel.corpus import SourceSpan
from docintel.prompt import CitedSpan
from docintel.words import QUESTION_WORDS, content_stems
from docintel.words import words as word_tokens

MAX_UNIT_CHARS = 600
CODE_BLOCK_CHARS = 300  # the most characters of code grouped into one unit (a definition's first lines)
MIN_WORDS = 6  # shorter units (headings, signatures) say less than a full sentence with the same words
SHORT_UNIT_FACTOR = 0.85
RECITAL_FACTOR = 0.9  # "WHEREAS ..." recitals and all-capitals titles
# A passage from outside the documents the plan chose (sent because the choice was a guess) scores this much of the
# same passage inside them: "the Franchise Agreement" is answered from the franchise agreements first. 0.6: CUAD
# title-only questions (60) kept hit@3 0.27 and answered 0.60 -> 0.40 (the answers given up were wrong ones); dev
# CUAD absent "not found" 0.84 -> 0.88, lookups unchanged (docs/evaluation.md, "Answers").
OUTSIDE_SCOPE = 0.6
TITLE_WORDS = 12
IDENTITY_CHARS = 300  # a document's opening (title, preamble) names it
_NAME = re.compile(r"\b[A-Z][A-Za-z0-9&'-]+")
IDENTITY_WEIGHT = 0.25  # a question word that names the document counts a quarter of one that says what is asked
EMBED_UNITS = 48  # units per question compared by meaning (the best by rank and words)
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=[\"'(“A-Z0-9])|\n\s*\n")

# Weights of the four signals (sum 1; a signal the prompt cannot give passes its weight to the others). Words and
# meaning pick the sentence; the answer type lifts the sentence that holds what was asked for over one that only
# repeats the question's words; the search rank only breaks near-ties: it ranks passages, and inside a passage (or
# a document read whole) it lifts every sentence of the top hit alike. Rank 0.3 -> 0.1 (words 0.25 -> 0.35, meaning
# 0.3 -> 0.4) raised the ranking's hit@3 on every held-out sample (NDA 0.57 -> 0.68, meetings 0.54 -> 0.59, CUAD
# 0.40 -> 0.48) with absent questions' "not found" unchanged (docs/evaluation.md, "Answers").
W_RANK, W_WORDS, W_MEANING, W_TYPE = 0.1, 0.35, 0.4, 0.15
# Cosine similarity (all-MiniLM-L6-v2) mapped to 0..1: unrelated sentences sit near 0.1, a paraphrase of the
# question's clause at 0.5-0.7, and on a document full of the question's vocabulary (an NDA asked about
# "Confidential Information") many sentences reach 0.8: the ceiling keeps them apart.
SIM_FLOOR, SIM_CEIL = 0.1, 0.85


@dataclass(frozen=True)
class Unit:
    cid: str  # citation id of the passage that holds it
    text: str  # verbatim from the passage
    path: str
    start: int  # character range in the document
    end: int
    order: int  # the passage's position among the candidates
    kind: str = "text"  # "code", "transcript" or "text": what the confidence is calibrated on
    indent: int = 0  # code: the first line's indentation (stripped from ``text``), to quote the block as written


@dataclass(frozen=True)
class Scored:
    unit: Unit
    score: float
    rank: float
    words: float
    meaning: float
    type_match: float
    evidence: float = 0.0  # the score without the search rank: how well the unit itself answers (0..1)


# ------------------------------------------------------------------------------------------------------ units
def _pieces(text: str) -> list[tuple[int, int]]:
    """(start, end) of the lines of code/transcripts or the sentences of prose in ``text``."""
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text) if m.group().strip()]
    code_like = sum(
        1
        for a, b in lines
        if text[a:b].startswith((" ", "\t")) or text[a:b].rstrip().endswith((":", "{", ")", ";", ","))
    )
    if lines and code_like >= len(lines) / 3:
        return lines
    out, at = [], 0
    for m in _SENTENCE_END.finditer(text):
        out.append((at, m.start()))
        at = m.end()
    out.append((at, len(text)))
    pieces: list[tuple[int, int]] = []
    for a, b in out:  # an over-long "sentence" (a table, a list) falls back to its lines
        if b - a <= MAX_UNIT_CHARS:
            pieces.append((a, b))
        else:
            pieces.extend((a + m.start(), a + m.end()) for m in re.finditer(r"[^\n]+", text[a:b]))
    return pieces


def unit_kind(span: SourceSpan) -> str:
    """ "code" for a source file, "transcript" for a meeting's turns, "text" for the rest (contracts, prose)."""
    from docintel.ingest.detect import language_of

    if language_of(span.path) is not None:
        return "code"
    if span.speaker is not None or span.start_time is not None:
        return "transcript"
    return "text"


_DEFINITION = re.compile(r"\s*(?:@|(?:async\s+)?def\s|class\s|function\s|func\s|fn\s|(?:export\s+)?(?:const|let)\s)")


def _code_blocks(text: str, lines: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Lines of code grouped into blocks: a new block at a definition (its decorators with it), after a blank
    line, or when the block would pass ``CODE_BLOCK_CHARS``. A block is what a code question's evidence usually
    is (a definition, a few statements), and it reads as one thing: its words and meaning are those of the code
    around a name, not of one line."""
    blocks: list[tuple[int, int]] = []
    for a, b in lines:
        if blocks:
            start, end = blocks[-1]
            header = _DEFINITION.match(text, a) is not None
            after_decorator = text[start:end].lstrip().startswith("@") and "\n" not in text[start:end].strip()
            gap = "\n\n" in text[end:a] or (text[end:a].count("\n") > 1)
            if not (header and not after_decorator) and not gap and b - start <= CODE_BLOCK_CHARS:
                blocks[-1] = (start, b)
                continue
        blocks.append((a, b))
    return blocks


def split_units(cited: CitedSpan, order: int) -> list[Unit]:
    """The passage's sentences, lines (of a transcript) or blocks (of code), verbatim, with their character ranges
    in the document."""
    text = cited.text
    kind = unit_kind(cited.span)
    units = []
    pieces = _pieces(text)
    if kind == "code" and CODE_BLOCK_CHARS > 0:
        pieces = _code_blocks(text, pieces)
    for a, b in pieces:
        piece = text[a:b]
        lead = len(piece) - len(piece.lstrip())
        stripped = piece.strip()[:MAX_UNIT_CHARS]
        # three words, counting a code name's parts ("def do_login():" is def, do_login, do, login)
        if len(stripped) >= 12 and (len(stripped.split()) >= 3 or len(word_tokens(stripped)) >= 3):
            start = cited.span.start + a + lead
            indent = lead if kind == "code" and (a == 0 or text[a - 1] == "\n") else 0
            units.append(Unit(cited.id, stripped, cited.span.path, start, start + len(stripped), order, kind, indent))
    return units


# ------------------------------------------------------------------------------------------------ answer type
_NUMBER_WORD = (
    r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
    r"forty-five|sixty|ninety|hundred)"
)
_MONTH = r"(?:january|february|march|april|may|june|july|august|september|october|november|december)"
TYPE_CUES: dict[str, re.Pattern[str]] = {
    # the clause that says which law governs, not "organized under the laws of Delaware" or "all applicable laws"
    "law": re.compile(
        r"\bgovern\w*\b[^.]{0,160}\blaws?\b|\bconstrued\b[^.]{0,160}\blaws?\b|\bgoverning\s+law\b|"
        r"\blaws?\s+of\b[^.]{0,120}\b(?:shall|will)\s+(?:govern|apply|control)",
        re.I,
    ),
    "date": re.compile(
        rf"\b{_MONTH}\s+\d{{1,2}}\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:day\s+of\s+)?{_MONTH}\b|"
        r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|\b(?:19|20)\d\d\b",
        re.I,
    ),
    "duration": re.compile(
        rf"\b{_NUMBER_WORD}\s*(?:\(\d+\)\s*)?(?:business\s+|calendar\s+|consecutive\s+|full\s+)?"
        r"(?:days?|weeks?|months?|years?|hours?)\b",
        re.I,
    ),
    "party": re.compile(
        r"\b(?:Inc|LLC|L\.L\.C|Ltd|Limited|Corp|Corporation|Company|Co|GmbH|S\.A|N\.V|B\.V|PLC|LP|L\.P)\b\.?|"
        r"\(\s*(?:the\s+)?[\"“][A-Z][\w ]+[\"”]\s*\)|\bparties\b",
    ),
    "person": re.compile(r"^[A-Z][\w.' -]{0,40}:\s|\b[A-Z][a-z]+\s+[A-Z][a-z]+\b|\b(?:Mr|Ms|Mrs|Dr)\.?\s+[A-Z]"),
    "code": re.compile(
        r"^\s*(?:async\s+)?(?:def|class|function|func|fn)\s+\w|^\s*(?:export\s+)?(?:const|let)\s+\w+\s*="
    ),
}
_TYPE_QUESTIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("law", re.compile(r"\b(?:govern\w*|jurisdiction|which\s+(?:state|country)'?s?\s+law|applicable\s+law)\b", re.I)),
    (
        "duration",
        re.compile(r"\bhow\s+(?:long|many\s+(?:days|weeks|months|years))\b|\b(?:notice\s+period|term)\b", re.I),
    ),
    ("date", re.compile(r"\b(?:when|what\s+date|which\s+date|(?:effective|expiration|start|end)\s+date)\b", re.I)),
    ("party", re.compile(r"\b(?:which|what|who\s+are\s+the)\s+(?:party|parties|company|companies)\b", re.I)),
    ("person", re.compile(r"^\s*who\b|\bwhich\s+(?:person|speaker|participant)\b", re.I)),
    (
        "code",
        re.compile(
            r"^\s*(?:where|which\s+(?:function|method|class|module)|what\s+(?:function|method|class))\b|"
            r"\b(?:implemented|defined|handled)\b",
            re.I,
        ),
    ),
)


def answer_type(question: str) -> str | None:
    """The kind of thing the question asks for (law, duration, date, party, person, code), if it says."""
    for name, pattern in _TYPE_QUESTIONS:
        if pattern.search(question):
            return name
    return None


# ----------------------------------------------------------------------------------------------------- ranking
def _rank_of(units: Sequence[Unit], ranked_spans: Sequence[SourceSpan]) -> list[float]:
    """Per unit, 1/sqrt(1 + r) for the best-ranked search hit r that overlaps it; 0 when no hit does."""
    by_path: dict[str, list[tuple[int, int, int]]] = {}
    for r, span in enumerate(ranked_spans):
        by_path.setdefault(span.path, []).append((span.start, span.end, r))
    out = []
    for u in units:
        best = min((r for a, b, r in by_path.get(u.path, ()) if a < u.end and b > u.start), default=None)
        out.append(0.0 if best is None else 1 / math.sqrt(1 + best))
    return out


def identity_words(units: Sequence[Unit]) -> frozenset[str]:
    """Stems that name the candidate documents rather than say anything in them: the words of their file names
    and of their opening lines (a title, the parties of a preamble, a meeting id). A question uses them to say
    which document it means ("the License Agreement between Northwind and Harbor")."""
    words: set[str] = set()
    for u in units:
        words.update(content_stems(re.sub(r"[_\-.]+", " ", u.path)))
        if u.start < IDENTITY_CHARS:  # the proper names of the opening, not its ordinary words
            words.update(content_stems(" ".join(_NAME.findall(u.text))))
    return frozenset(words)


def _word_coverage(question: str, units: Sequence[Unit], identity: frozenset[str]) -> list[float]:
    wanted = list(dict.fromkeys(content_stems(question, exclude=QUESTION_WORDS)))
    if not wanted:
        return [0.0] * len(units)
    unit_words = [set(content_stems(u.text)) for u in units]
    df = Counter(w for words in unit_words for w in words if w in wanted)
    n = max(1, len(units))
    idf = {w: math.log(1 + n / (1 + df[w])) * (IDENTITY_WEIGHT if w in identity else 1.0) for w in wanted}
    total = sum(idf.values()) or 1.0
    return [sum(idf[w] for w in wanted if w in words) / total for words in unit_words]


def _meaning(question: str, units: Sequence[Unit]) -> list[float]:
    if not units:
        return []
    from docintel.index.embed_cache import embed_with_cache  # the same sentences recur across questions: embed once
    from docintel.index.embedder import get_embedder  # loads the model lazily (once per process)

    embedder = get_embedder()
    vectors, _computed = embed_with_cache(embedder, [u.text for u in units])
    similarity = vectors @ embedder.embed_query(question)
    return [min(1.0, max(0.0, (float(s) - SIM_FLOOR) / (SIM_CEIL - SIM_FLOOR))) for s in similarity.tolist()]


def _form_factor(text: str) -> float:
    """Headings, titles and recitals say what a document is about, not what it provides: they rank after a full
    sentence that scores the same. (A long clause in capitals, as limitation clauses often are, is not a title.)"""
    words = text.split()
    if len(words) < MIN_WORDS:
        return SHORT_UNIT_FACTOR
    letters = [c for c in text if c.isalpha()]
    title = len(words) <= TITLE_WORDS and bool(letters) and sum(c.isupper() for c in letters) > 0.9 * len(letters)
    if title or text.lstrip().upper().startswith("WHEREAS"):
        return RECITAL_FACTOR
    return 1.0


def content_question(question: str, identity: frozenset[str]) -> str:
    """The question without the words that only name the document (kept whole if little would be left)."""
    kept = [t for t in question.split() if not (set(content_stems(t)) & identity)]
    return " ".join(kept) if len(content_stems(" ".join(kept), exclude=QUESTION_WORDS)) >= 2 else question


def rank_units(
    question: str,
    units: Sequence[Unit],
    ranked_spans: Sequence[SourceSpan] = (),
    *,
    embed: bool = True,
    scope: frozenset[str] = frozenset(),
) -> list[Scored]:
    """Units scored on rank, words, meaning and answer type, best first (only those that were compared by
    meaning when ``embed``; all of them otherwise)."""
    if not units:
        return []
    wanted = answer_type(question)
    identity = identity_words(units) if wanted != "party" else frozenset()
    rank = _rank_of(units, ranked_spans)
    words = _word_coverage(question, units, identity)
    cue = TYPE_CUES.get(wanted) if wanted else None
    typed = [1.0 if cue is not None and cue.search(u.text) else 0.0 for u in units]
    inside = [1.0 if not scope or u.path in scope else OUTSIDE_SCOPE for u in units]
    first = sorted(
        range(len(units)), key=lambda i: (-(W_RANK * rank[i] + W_WORDS * words[i]) * inside[i], units[i].order)
    )
    chosen = first[:EMBED_UNITS] if embed else first
    asked = content_question(question, identity)
    meaning = _meaning(asked, [units[i] for i in chosen]) if embed else [0.0] * len(chosen)
    # A signal the prompt cannot give (no search ranking came with it, no answer type asked for) gives its weight
    # to the others, so scores (and the confidence) mean the same whichever signals were there.
    w_rank = W_RANK if ranked_spans else 0.0
    w_type = W_TYPE if cue is not None else 0.0
    scale = 1.0 / (w_rank + W_WORDS + (W_MEANING if embed else 0.0) + w_type)
    w_meaning = W_MEANING if embed else 0.0
    evidence_scale = 1.0 / (W_WORDS + w_meaning + w_type)
    scored = []
    for i, m in zip(chosen, meaning, strict=True):
        form = _form_factor(units[i].text) * inside[i]  # a widened passage: evidence, not in the named document
        said = W_WORDS * words[i] + w_meaning * m + w_type * typed[i]
        total = scale * (w_rank * rank[i] + said) * form
        scored.append(Scored(units[i], total, rank[i], words[i], m, typed[i], evidence_scale * said * form))
    # Ties go to the fuller sentence (a heading repeats the question's words but says nothing more), then to the
    # earlier candidate.
    scored.sort(key=lambda s: (-s.score, len(s.unit.text.split()) < MIN_WORDS, s.unit.order, s.unit.start))
    return scored


# ------------------------------------------------------------------------------------------------- confidence
# What the best units say by themselves (``Scored.evidence``: words, meaning, answer type; not the search rank,
# which puts some passage first whether or not the corpus holds the answer), against the bar of their kind of
# document: the evidence score that 80% of questions whose answer is not in the corpus stay under. Kinds score
# differently: code questions paraphrase the names away (low words and meaning even when right), contracts share
# their vocabulary with every question. Set on dev cases (docs/evaluation.md, "Answers"): contracts on CUAD's
# absent cases, code and transcripts on questions asked of the wrong corpus or meeting (flask's questions of
# requests and the reverse; a meeting's questions of one from another series). Contracts 0.5 -> 0.48 when the rank
# weight fell (the right clause now comes first more often, so a lower bar answers more): CUAD absent "not found"
# 0.84 on the tuning sample (0.47: 0.81, 0.45: 0.77), NDA hit@3 0.32 -> 0.43.
EVIDENCE_BAR = {"code": 0.3, "transcript": 0.25, "text": 0.48}
CONFIDENT = 0.5  # a confidence at the bar
CONFIDENCE_UNITS = 3  # the best units whose evidence counts (the first quotes)


def calibrated(evidence: float, kind: str) -> float:
    """``evidence`` mapped to 0..1 so that its kind's bar sits at ``CONFIDENT``: linear below the bar and above it."""
    bar = EVIDENCE_BAR.get(kind, EVIDENCE_BAR["text"])
    if evidence < bar:
        return CONFIDENT * max(0.0, evidence) / bar
    return min(1.0, CONFIDENT + (1 - CONFIDENT) * (evidence - bar) / (1 - bar))


def confidence(ranked: Sequence[Scored]) -> float:
    """How sure the answer is, 0..1 (``CONFIDENT`` at its kind's bar): the best calibrated evidence among the
    first ``CONFIDENCE_UNITS`` units."""
    return max((calibrated(s.evidence, s.unit.kind) for s in ranked[:CONFIDENCE_UNITS]), default=0.0)
