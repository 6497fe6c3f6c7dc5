"""The query-independent corpus map: salient structure at the start of a full-context prompt.

- code: a repo map of the most referenced definitions (aider-style, ranked by how many other files use the name);
- contracts: a table of contents (clause numbers and headings) and the defined terms;
- transcripts: meetings with their speakers (turn counts) and topics (the meeting's most distinctive words);
- other text: the documents and their first heading.
A mixed corpus gets one section per kind, the budget shared by token share. Everything is sorted, so the same
corpus always gives the same map (it is part of the cached prefix).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable

from docintel.corpus import Corpus, Document
from docintel.tokens import count_tokens
from docintel.words import STOPWORDS

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{3,}")


def _budgeted(lines: Iterable[str], budget_tokens: int) -> list[str]:
    """Lines in order until the budget is spent; a last line says how many were left out."""
    out: list[str] = []
    used = 0
    pending = list(lines)
    for i, line in enumerate(pending):
        cost = count_tokens(line) + 1
        if used + cost > budget_tokens:
            out.append(f"… ({len(pending) - i} more lines left out of the map)")
            break
        out.append(line)
        used += cost
    return out


def code_map(docs: list[Document], budget_tokens: int) -> list[str]:
    """Most referenced definitions first, grouped by file; a name's score is how many other files use it."""
    used_in: Counter[str] = Counter()
    for d in docs:
        used_in.update(set(d.references))
    ranked: list[tuple[int, str, str, str, int]] = []
    for d in docs:
        for definition in d.definitions:
            short = definition.name.rsplit(".", 1)[-1]
            refs = used_in[short] - (1 if short in d.references else 0)
            ranked.append((refs, d.path, definition.name, definition.kind, definition.span.start_line))
    ranked.sort(key=lambda t: (-t[0], t[1], t[4]))
    lines: list[str] = []
    spent = 0
    chosen: dict[str, list[tuple[int, str, str, int]]] = {}
    for refs, path, name, kind, line in ranked:
        entry = f"  {kind} {name} (line {line}, used in {refs} files)"
        cost = count_tokens(entry) + (0 if path in chosen else count_tokens(path) + 1)
        if spent + cost > budget_tokens:
            break
        chosen.setdefault(path, []).append((line, kind, name, refs))
        spent += cost
    for path in sorted(chosen):
        lines.append(f"{path}:")
        lines.extend(
            f"  {kind} {name} (line {line}, used in {refs} files)" for line, kind, name, refs in sorted(chosen[path])
        )
    left = len(ranked) - sum(len(v) for v in chosen.values())
    if left > 0:
        lines.append(f"… ({left} less referenced definitions left out of the map)")
    if not ranked:
        lines = _budgeted((f"{d.path} ({d.tokens:,} tokens)" for d in docs), budget_tokens)
    return lines


def contract_map(docs: list[Document], budget_tokens: int) -> list[str]:
    """Per contract: numbered clauses with headings, then its defined terms."""
    lines: list[str] = []
    for d in docs:
        lines.append(f"{d.path}:")
        seen: set[tuple[str | None, str | None]] = set()
        for s in d.segments:
            clause = s.span.clause
            if not (clause or s.name) or (clause and "(" in clause):  # sub-clauses (a), (iv): too fine for a TOC
                continue
            key = (clause, s.name)
            if key in seen:
                continue
            seen.add(key)
            name = (s.name or "").strip()[:80]
            # the contract loader names a clause "12.1 Governing Law": don't repeat its number
            heading = name if clause and name.startswith(clause) else " ".join(filter(None, (clause, name)))
            page = f" (p. {s.span.page})" if s.span.page else ""
            lines.append(f"  {heading}{page}")
        terms = sorted({t.name for t in d.definitions if t.kind == "term"})
        if terms:
            lines.append("  defined terms: " + "; ".join(terms))
    return _budgeted(lines, budget_tokens)


def transcript_map(docs: list[Document], budget_tokens: int) -> list[str]:
    """Per meeting: speakers by turn count and the words most distinctive of that meeting."""
    word_counts = {d.path: Counter(w.lower() for w in _WORD.findall(d.text)) for d in docs}
    df: Counter[str] = Counter()
    for counts in word_counts.values():
        df.update(counts.keys())
    lines: list[str] = []
    for d in docs:
        speakers = Counter(s.span.speaker for s in d.segments if s.span.speaker)
        times = [s.span.end_time for s in d.segments if s.span.end_time is not None]
        length = f", {times[-1] / 60:.0f} min" if times else ""
        lines.append(f"{d.path} ({len(d.segments)} turns{length}):")
        if speakers:
            ranked = sorted(speakers.items(), key=lambda kv: (-kv[1], kv[0]))
            lines.append("  speakers: " + ", ".join(f"{name} ({n})" for name, n in ranked))
        counts = word_counts[d.path]
        scored = [
            (c * math.log((len(docs) + 1) / df[w]), w) for w, c in counts.items() if w not in STOPWORDS and c >= 2
        ]
        top = [w for _, w in sorted(scored, key=lambda t: (-t[0], t[1]))[:8]]
        if top:
            lines.append("  topics: " + ", ".join(top))
    return _budgeted(lines, budget_tokens)


def text_map(docs: list[Document], budget_tokens: int) -> list[str]:
    lines = []
    for d in docs:
        first = next((ln.strip("# ").strip() for ln in d.text.splitlines() if ln.strip()), "")
        lines.append(f"{d.path} ({d.tokens:,} tokens): {first[:80]}")
    return _budgeted(lines, budget_tokens)


MAPPERS: dict[str, tuple[str, Callable[[list[Document], int], list[str]]]] = {
    "code": ("Repository map (most referenced definitions)", code_map),
    "contract": ("Contracts: table of contents and defined terms", contract_map),
    "transcript": ("Meetings: speakers and topics", transcript_map),
    "text": ("Other documents", text_map),
}


def build_corpus_map(corpus: Corpus, *, budget_tokens: int = 2000, paths: tuple[str, ...] = ()) -> str:
    """A map of ``corpus`` (or of the documents in ``paths``) within about ``budget_tokens`` tokens."""
    docs = [d for d in corpus.documents if not paths or d.path in paths]
    if not docs:
        return ""
    by_kind: dict[str, list[Document]] = {}
    for d in docs:
        by_kind.setdefault(d.kind, []).append(d)
    total = sum(max(1, d.tokens) for d in docs)
    sections = []
    for kind in ("code", "contract", "transcript", "text"):
        if kind not in by_kind:
            continue
        title, mapper = MAPPERS[kind]
        share = sum(max(1, d.tokens) for d in by_kind[kind]) / total
        budget = max(150, int(budget_tokens * share)) if len(by_kind) > 1 else budget_tokens
        body = mapper(by_kind[kind], budget)
        sections.append(f"## {title}\n" + "\n".join(body))
    return "\n\n".join(sections) + "\n"
