"""Question analysis: lookup, aggregate, summary or multi-hop, with the features that decided it.

Heuristics over the wording of the question (cue phrases), kept behind one function so a learned classifier can
replace it. The features are returned so the router can explain its decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from docintel.plan import QuestionType

# Cue phrases per type, matched on word boundaries in the lower-cased question. Order of checking below matters:
# an aggregate cue ("list every") outranks a summary cue ("overview of all").
AGGREGATE_CUES = (
    r"\blist (all|every|each)\b",
    r"\b(all|every|each) (the )?(places?|functions?|methods?|classes|files?|callers?|uses?|usages?|occurrences?|"
    r"instances?|mentions?|references?|clauses?|contracts?|agreements?|documents?|meetings?|times?)\b",
    r"\ball places where\b",
    r"\bwhich (functions|methods|classes|files|contracts|agreements|documents|meetings|speakers|clauses)\b",
    # a question across documents ("which of the agreements ...", "in which contracts ...") reads every one
    r"\bwhich (one )?of (the |these |those |our |all |my )?(\w+ )?(agreements|contracts|documents|ndas|meetings|"
    r"transcripts|files)\b",
    r"\b(do|does) any (of the )?(agreements|contracts|documents|ndas|meetings)\b",
    # "How many contracts ...?", "In how many meetings ...?", "... and how many times": a count over the corpus;
    # not "Where does requests decide how many redirects to follow?", a lookup of the place that decides
    r"^(in )?how many\b",
    r"\bhow many (times|places|files|functions|methods|classes|callers|contracts|agreements|documents|ndas|meetings)\b",
    r"\bcount (the|all|every)\b",
    r"\benumerate\b",
    r"\bevery (function|method|class|file|time|place)\b",
    r"\bwhere(ever)? .* (is|are) (used|called|referenced)\b",
    r"\bin (all|every) (the )?(files?|documents?|contracts?|meetings?)\b",
)
SUMMARY_CUES = (
    r"\bsummari[sz]e\b",
    r"\bsummary\b",
    r"\boverview\b",
    r"\bgist\b",
    r"\btl;?dr\b",
    r"\bwhat (is|was) (this|the) (whole )?(meeting|document|contract|agreement|repo(sitory)?|codebase|project) about\b",
    r"\bgeneral discussion\b",
    r"\bmain (points|topics|themes|takeaways)\b",
    r"\bkey (points|topics|themes|takeaways|decisions)\b",
    r"\bwhole (meeting|document|contract|agreement|discussion)\b",
    r"\bhigh[- ]level\b",
    r"\barchitecture of\b",
)
MULTI_HOP_CUES = (
    r"\bcompare\b",
    r"\bcomparison\b",
    r"\bdifference between\b",
    r"\bdiffer(s|ence)?\b",
    r"\bversus\b|\bvs\.?\b",
    r"\bboth\b .* \band\b",
    r"\bhow does .* (interact|relate) with\b",
    r"\brelationship between\b",
    r"\b(and then|which then|that in turn)\b",
    r"\bconsistent with\b",
    r"\bcontradict\b",
)
# "Summarize X's view on Y" asks about one topic, not the whole document: a lookup over the parts about Y.
FOCUSED_SUMMARY = re.compile(
    r"\bsummari[sz]e (the |their |his |her )?(discussion|decision|view|opinion|perspective|position|"
    r"points?|argument)s? (about|on|of|regarding)\b|\bsummari[sz]e .*'s\b|\bsummari[sz]e what\b"
)


ACROSS_DOCUMENTS = re.compile(
    r"\bwhich (one )?of (the |these |those |our |all |my )?(\w+ )?(agreements|contracts|documents|ndas|meetings|"
    r"transcripts|files)\b|\b(do|does) any (of the )?(agreements|contracts|documents|ndas|meetings)\b|"
    r"\bin (all|every|each) (the )?(agreements?|contracts?|documents?|meetings?)\b|"
    r"\bwhich (contracts|agreements|documents|meetings|ndas)\b"
)


def asks_across_documents(question: str) -> bool:
    """Whether the question asks about every document ("which of the agreements ..."), not about one it names
    ("Georgia" in "governed by the laws of Georgia" is then a value to find, not a party to scope by)."""
    return bool(ACROSS_DOCUMENTS.search(" ".join(question.lower().split())))


@dataclass(frozen=True)
class QuestionAnalysis:
    type: QuestionType
    features: tuple[str, ...]  # the cues that matched, e.g. ("aggregate: 'list every'",)
    explanation: str


def _matches(question: str, cues: tuple[str, ...]) -> list[str]:
    found = []
    for cue in cues:
        m = re.search(cue, question)
        if m:
            found.append(m.group(0))
    return found


def classify_question(question: str) -> QuestionAnalysis:
    """Classify ``question`` by its wording; the features say which cue phrases decided it."""
    q = " ".join(question.lower().split())
    aggregate = _matches(q, AGGREGATE_CUES)
    summary = _matches(q, SUMMARY_CUES)
    multi = _matches(q, MULTI_HOP_CUES)
    focused = FOCUSED_SUMMARY.search(q)
    if aggregate:
        features = tuple(f"aggregate: {c!r}" for c in aggregate)
        return QuestionAnalysis("aggregate", features, f"asks for every match ({aggregate[0]!r})")
    if summary and not focused:
        features = tuple(f"summary: {c!r}" for c in summary)
        return QuestionAnalysis("summary", features, f"asks for an overview of the whole ({summary[0]!r})")
    if multi:
        features = tuple(f"multi_hop: {c!r}" for c in multi)
        return QuestionAnalysis("multi_hop", features, f"combines several facts ({multi[0]!r})")
    if summary and focused:
        features = (f"focused summary: {focused.group(0)!r}",)
        return QuestionAnalysis("lookup", features, "summarizes one topic, so the parts about it answer it")
    return QuestionAnalysis("lookup", ("no aggregate, summary or comparison cue",), "a few passages answer it")
