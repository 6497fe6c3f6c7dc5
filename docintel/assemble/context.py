"""Context assembly: a Plan becomes a Prompt laid out as shared/DESIGN.md says.

Full pass: instructions · corpus map · corpus (every document in corpus order, each piece labelled ``[id]``)
── cache breakpoint ── salient passages (top retrieved spans quoted again under the same ids) · question.
Retrieve pass: instructions · retrieved spans in document order, labelled ``[1]``… with their location · question.
Map-reduce: one full-style prompt per window-sized group of documents, then a reduce prompt over the findings.

Citation ids of the full layout depend only on the corpus (the n-th piece of the corpus is ``[n]``), so an
unchanged corpus gives a byte-identical prefix for every question. A prompt that does not fit the profile's window
(with the token margin and the answer reserved) raises PromptTooLongError; nothing is truncated silently.
"""

from __future__ import annotations

import bisect
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import zip_longest
from typing import Any, Literal, Protocol

from docintel.assemble import budget, spotlight
from docintel.assemble.budget import CORPUS_MAP_TOKENS, LABEL_TOKENS, PASSAGE_TOKENS
from docintel.assemble.corpus_map import build_corpus_map
from docintel.assemble.definitions import small_definitions, widened
from docintel.cite.locators import span_in
from docintel.corpus import Corpus, Document, SourceSpan
from docintel.errors import PromptTooLongError
from docintel.index import symbol_search
from docintel.ingest.lines import LineIndex
from docintel.plan import Plan
from docintel.profiles import ModelProfile
from docintel.prompt import CitedSpan, Prompt, PromptBlock
from docintel.tokens import count_tokens

INSUFFICIENT_MARKER = "INSUFFICIENT_CONTEXT"
LAYOUT_VERSION = "2"  # bump when the prefix layout changes: cache records of the old layout stop matching


class Searcher(Protocol):
    """What context assembly needs of docintel.index.corpus_index.CorpusIndex."""

    def search(
        self,
        query: str,
        k: int = 10,
        *,
        mode: Literal["fused", "vector", "lexical"] = "fused",
        paths: list[str] | None = None,
    ) -> list[Any]:
        """Hits (``.chunk.span``, ``.chunk.text``), best first."""
        ...


@lru_cache(maxsize=8)
def instructions(name: str) -> str:
    """The instructions of ``docintel/prompts/{name}.md`` with the insufficient-context marker filled in."""
    text = resources.files("docintel").joinpath(f"prompts/{name}.md").read_text(encoding="utf-8")
    return text.replace("{{MARKER}}", INSUFFICIENT_MARKER)


# ------------------------------------------------------------------------------------------------ corpus layout
@dataclass(frozen=True)
class Layout:
    """Every piece of the corpus under its stable citation id: segments without overlaps, gaps filled."""

    pieces: tuple[CitedSpan, ...]  # in corpus order; pieces[i].id == str(i + 1)
    tokens: tuple[int, ...]  # per piece
    doc_range: dict[str, tuple[int, int]]  # path -> [first, last) piece index
    starts: dict[str, list[int]]  # path -> piece start offsets, for finding the piece that holds an offset

    def of(self, paths: Sequence[str] = ()) -> list[tuple[str, range]]:
        """(path, piece indexes) per document, in corpus order, limited to ``paths`` if given."""
        wanted = set(paths)
        return [(p, range(a, b)) for p, (a, b) in self.doc_range.items() if not wanted or p in wanted]

    def covering(self, path: str, start: int, end: int) -> list[int]:
        """Indexes of the pieces of ``path`` that overlap ``[start, end)``."""
        if path not in self.doc_range:
            return []
        first, last = self.doc_range[path]
        starts = self.starts[path]
        i = max(0, bisect.bisect_right(starts, start) - 1)
        out = []
        while i < len(starts) and starts[i] < end:
            piece = self.pieces[first + i]
            if piece.span.end > start:
                out.append(first + i)
            i += 1
        return [j for j in out if j < last]


def _sub_span(doc: Document, lines: LineIndex | None, start: int, end: int, like: SourceSpan | None) -> SourceSpan:
    # the locators of exactly this range, as every route computes them (``like`` is the segment it belongs to)
    return span_in(doc, start, end, lines)


def _document_pieces(doc: Document) -> list[tuple[SourceSpan, str, int]]:
    """(span, text, tokens) covering the whole document text: its segments in order, overlaps removed
    (a method inside its class is sent once), and the text between segments as pieces of its own."""
    lines = LineIndex(doc.text)
    out: list[tuple[SourceSpan, str, int]] = []
    covered = 0

    def gap(upto: int) -> None:
        text = doc.text[covered:upto]
        if text.strip():
            out.append((_sub_span(doc, lines, covered, upto, None), text, count_tokens(text)))

    for seg in sorted(doc.segments, key=lambda s: (s.span.start, -s.span.end)):
        start, end = max(seg.span.start, covered), seg.span.end
        if end <= start:
            continue
        if start > covered:
            gap(start)
        if start == seg.span.start:
            out.append((seg.span, seg.text, seg.tokens))
        else:
            text = doc.text[start:end]
            out.append((_sub_span(doc, lines, start, end, seg.span), text, count_tokens(text)))
        covered = end
    if covered < len(doc.text):
        gap(len(doc.text))
    return out


_layouts: dict[str, Layout] = {}


def corpus_layout(corpus: Corpus) -> Layout:
    """The corpus's pieces and their ids; computed once per corpus content."""
    key = corpus.content_hash
    if key in _layouts:
        return _layouts[key]
    pieces: list[CitedSpan] = []
    tokens: list[int] = []
    doc_range: dict[str, tuple[int, int]] = {}
    starts: dict[str, list[int]] = {}
    for doc in corpus.documents:
        first = len(pieces)
        for span, text, n in _document_pieces(doc):
            pieces.append(CitedSpan(str(len(pieces) + 1), span, text))
            tokens.append(n)
        doc_range[doc.path] = (first, len(pieces))
        starts[doc.path] = [p.span.start for p in pieces[first:]]
    layout = Layout(tuple(pieces), tuple(tokens), doc_range, starts)
    if len(_layouts) >= 4:
        _layouts.pop(next(iter(_layouts)))
    _layouts[key] = layout
    return layout


_maps: dict[tuple[str, tuple[str, ...]], str] = {}


def corpus_map_of(corpus: Corpus, paths: tuple[str, ...] = ()) -> str:
    """The corpus map of the prefix (of ``paths`` only, if given); computed once per corpus content and scope."""
    key = (corpus.content_hash, paths)
    if key not in _maps:
        if len(_maps) >= 64:
            _maps.pop(next(iter(_maps)))
        _maps[key] = build_corpus_map(corpus, budget_tokens=CORPUS_MAP_TOKENS, paths=paths)
    return _maps[key]


def prefix_key(corpus: Corpus, paths: Sequence[str] = (), *, mode: str = "full") -> str:
    """Identifies the full-pass prefix of ``corpus`` (limited to ``paths``) without building it: same key, same
    bytes. Cache-state records use it. ``mode="map_reduce"``: the map prompts' prefixes (instructions and each
    group's text, the question after them), which a second question over the same corpus reads from the cache."""
    h = hashlib.sha256()
    name = "map" if mode == "map_reduce" else "full"
    for part in (LAYOUT_VERSION, instructions(name), corpus.content_hash, "\0".join(sorted(paths))):
        h.update(part.encode())
        h.update(b"\n")
    return h.hexdigest()


# ------------------------------------------------------------------------------------------------------- blocks
def _corpus_block(corpus: Corpus, layout: Layout, docs: list[tuple[str, range]], mark: str) -> tuple[str, int]:
    """Documents between boundary-marked tags, their text escaped as data (docintel.assemble.spotlight)."""
    parts: list[str] = []
    tokens = 0
    for path, indexes in docs:
        doc = corpus.document(path)
        parts.append(spotlight.doc_open(path, doc.kind, mark))
        for i in indexes:
            piece = layout.pieces[i]
            parts.append(f"[{piece.id}] {_line_ended(spotlight.as_data(piece.text, mark))}")
            tokens += layout.tokens[i] + LABEL_TOKENS
        parts.append(spotlight.doc_close(mark))
        tokens += count_tokens(spotlight.doc_open(path, doc.kind, mark) + spotlight.doc_close(mark))
    return "".join(parts), tokens


def _head(name: str, mark: str) -> str:
    """A layout's instructions and the data rules for this prompt's boundary (Spotlighting)."""
    return instructions(name) + spotlight.data_rules(mark)


def _line_ended(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def _question_block(question: str) -> str:
    return f"<question>\n{question.strip()}\n</question>\n"


def check_fits(prompt: Prompt, profile: ModelProfile, *, limit: int | None = None) -> None:
    """Raise PromptTooLongError unless ``prompt`` (x margin) plus the answer reserve fits the window/limit."""
    window = budget.ceiling(profile, limit)
    needed = budget.needed(prompt.estimated_tokens, profile, reserve=False)
    reserve = profile.max_output_tokens if limit is None else 0
    if not budget.fits(prompt.estimated_tokens, profile, limit=limit, reserve=limit is None):
        raise PromptTooLongError(
            f"the {prompt.mode} prompt needs about {needed:,} tokens (x{profile.token_margin} margin) plus "
            f"{reserve:,} for the answer, over the {window:,}-token {'limit' if limit else 'window'} of "
            f"{profile.id}",
            tokens=needed,
            window=window,
        )


def _passages(
    corpus: Corpus, layout: Layout, index: Searcher | None, plan: Plan, budget: int, mark: str = ""
) -> tuple[str, list[CitedSpan], int]:
    """The top retrieved spans, quoted again under the ids of the corpus pieces that hold them."""
    if index is None or plan.k <= 0:
        return "", [], 0
    hits = symbol_search.search(corpus, index, plan.question, plan.k, list(plan.scope) or None)
    seen: set[tuple[str, int, int]] = set()
    parts: list[str] = []
    quoted: list[CitedSpan] = []
    used = 0
    for hit in hits:
        span = hit.chunk.span
        for i in layout.covering(span.path, span.start, span.end):
            piece = layout.pieces[i]
            start, end = max(piece.span.start, span.start), min(piece.span.end, span.end)
            if (piece.id, start, end) in seen or not corpus.document(span.path).text[start:end].strip():
                continue
            text = corpus.document(span.path).text[start:end]
            n = count_tokens(text) + LABEL_TOKENS + 12
            if used + n > budget:
                continue
            seen.add((piece.id, start, end))
            label = _sub_span(corpus.document(span.path), None, start, end, piece.span)
            where = f"{piece.span.path}:{piece.span.start_line}-{piece.span.end_line}"
            parts.append(f"[{piece.id}] ({where})\n{_line_ended(spotlight.as_data(text, mark))}")
            quoted.append(CitedSpan(piece.id, label, text))
            used += n
    if not parts:
        return "", [], 0
    block = (
        f'<passages data="{mark}">\nThe passages most relevant to the question, quoted again:\n'
        + "".join(parts)
        + f'</passages data="{mark}">\n'
    )
    return block, quoted, used + 20


def _widened_hits(corpus: Corpus, index: Searcher | None, plan: Plan) -> list[Any]:
    """What retrieval over the whole corpus returns for a plan whose scope is a guess (``plan.widen_k``): the same
    hits always-retrieve would send."""
    if index is None or plan.widen_k <= 0 or not plan.scope:
        return []
    return symbol_search.search(corpus, index, plan.question, plan.widen_k, None)


def _elsewhere(
    corpus: Corpus, layout: Layout, index: Searcher | None, plan: Plan, mark: str
) -> tuple[str, list[CitedSpan], int]:
    """The widened hits outside the scope, merged where they overlap, under the ids of the corpus pieces that hold
    them (a piece's hits joined into one range); the full prompt sends them after its cache breakpoint."""
    scope = set(plan.scope)
    hits = [h for h in _widened_hits(corpus, index, plan) if h.chunk.span.path not in scope]
    if not hits:
        return "", [], 0
    ranges: dict[int, tuple[int, int]] = {}
    for span, _ in _merged_hits(corpus, hits):
        for i in layout.covering(span.path, span.start, span.end):
            piece = layout.pieces[i]
            start, end = max(piece.span.start, span.start), min(piece.span.end, span.end)
            a, b = ranges.get(i, (start, end))
            ranges[i] = (min(a, start), max(b, end))
    parts: list[str] = []
    found: list[CitedSpan] = []
    tokens = 0
    for i in sorted(ranges):
        piece = layout.pieces[i]
        doc = corpus.document(piece.span.path)
        start, end = ranges[i]
        text = doc.text[start:end]
        if not text.strip():
            continue
        label = _sub_span(doc, None, start, end, piece.span)
        parts.append(f"[{piece.id}] ({label.label()})\n{_line_ended(spotlight.as_data(text, mark))}")
        found.append(CitedSpan(piece.id, label, text))
        tokens += count_tokens(text) + LABEL_TOKENS + 12
    if not parts:
        return "", [], 0
    block = (
        f'<passages data="{mark}">\nThe question may mean another document than those above: the passages of the '
        "other documents that are most relevant to it:\n" + "".join(parts) + f'</passages data="{mark}">\n'
    )
    return block, found, tokens + 30


def build_full_prompt(corpus: Corpus, index: Searcher | None, plan: Plan, profile: ModelProfile) -> Prompt:
    layout = corpus_layout(corpus)
    docs = layout.of(plan.scope)
    mark = spotlight.boundary(f"full\0{corpus.content_hash}")  # from the corpus: the prefix stays byte-stable
    corpus_text, corpus_tokens = _corpus_block(corpus, layout, docs, mark)
    corpus_map = spotlight.as_data(corpus_map_of(corpus, plan.scope), mark, labels=False)
    head = _head("full", mark)
    map_text = f'<corpus_map data="{mark}">\n{corpus_map}</corpus_map data="{mark}">\n' if corpus_map else ""
    passages, quoted, passage_tokens = _passages(corpus, layout, index, plan, PASSAGE_TOKENS, mark)
    elsewhere, found, elsewhere_tokens = _elsewhere(corpus, layout, index, plan, mark)
    question = _question_block(plan.question)
    blocks = [
        PromptBlock("instructions", head),
        PromptBlock("corpus_map", map_text),
        PromptBlock("corpus", f"<corpus>\n{corpus_text}</corpus>\n", cache_breakpoint=True),
    ]
    if passages:
        blocks.append(PromptBlock("passages", passages))
    if elsewhere:
        blocks.append(PromptBlock("passages", elsewhere))
    blocks.append(PromptBlock("question", question))
    estimated = count_tokens(head + map_text + question) + corpus_tokens + passage_tokens + elsewhere_tokens + 4
    cited = tuple(layout.pieces[i] for _, indexes in docs for i in indexes) + tuple(found)
    prompt = Prompt(
        tuple(blocks),
        cited,
        plan.question,
        "full",
        min(profile.max_output_tokens, 4096),
        estimated,
        ranked_spans=tuple(c.span for c in quoted) + tuple(c.span for c in found),
        scope=tuple(plan.scope),
    )
    check_fits(prompt, profile)
    return prompt


def _merged_hits(corpus: Corpus, hits: Sequence[Any]) -> list[tuple[SourceSpan, str]]:
    """Retrieved spans (code: widened to the small definitions they touch) merged where they overlap or touch, in
    document order."""
    by_path: dict[str, list[SourceSpan]] = {}
    for hit in hits:
        by_path.setdefault(hit.chunk.span.path, []).append(hit.chunk.span)
    order = {d.path: i for i, d in enumerate(corpus.documents)}
    out: list[tuple[SourceSpan, str]] = []
    for path in sorted(by_path, key=lambda p: order.get(p, len(order))):
        doc = corpus.document(path)
        lines = LineIndex(doc.text)
        small = small_definitions(doc)
        ranges = sorted(((*widened(small, s.start, s.end), s) for s in by_path[path]), key=lambda x: (x[0], x[1]))
        run = [ranges[0]]
        for r in ranges[1:]:
            if r[0] <= max(x[1] for x in run):
                run.append(r)
                continue
            out.append(_merge(doc, lines, run))
            run = [r]
        out.append(_merge(doc, lines, run))
    return out


def _merge(doc: Document, lines: LineIndex, run: list[tuple[int, int, SourceSpan]]) -> tuple[SourceSpan, str]:
    start, end, first = run[0][0], max(x[1] for x in run), run[0][2]
    if (start, end) == (first.start, first.end):
        return first, doc.text[start:end]  # one chunk, as retrieved
    return _sub_span(doc, lines, start, end, first), doc.text[start:end]


def build_retrieve_prompt(
    corpus: Corpus, index: Searcher, plan: Plan, profile: ModelProfile, *, limit: int | None = None
) -> Prompt:
    """Retrieved spans in document order, each ``[n] path:lines`` then its text; the lowest-ranked hits are
    left out while the prompt is over ``limit`` (a caller's budget) or the window."""
    hits = symbol_search.search(corpus, index, plan.question, max(1, plan.k), list(plan.scope) or None)
    wide = _widened_hits(corpus, index, plan)
    if wide:  # a guessed scope: the whole corpus's hits too, interleaved by rank (trimming drops both tails evenly)
        seen = {(h.chunk.span.path, h.chunk.span.start, h.chunk.span.end) for h in hits}
        extra = [h for h in wide if (h.chunk.span.path, h.chunk.span.start, h.chunk.span.end) not in seen]
        hits = [h for pair in zip_longest(hits, extra) for h in pair if h is not None]
    question = _question_block(plan.question)
    while True:
        spans = _merged_hits(corpus, hits) if hits else []
        cited = tuple(CitedSpan(str(i + 1), span, text) for i, (span, text) in enumerate(spans))
        mark = spotlight.boundary("retrieve\0" + "\0".join(f"{c.span.path}:{c.span.start}:{c.text}" for c in cited))
        head = _head("retrieve", mark)
        parts = [
            f"{spotlight.doc_open(c.span.path, 'passage', mark)}[{c.id}] {c.span.label()}\n"
            f"{_line_ended(spotlight.as_data(c.text, mark))}{spotlight.doc_close(mark)}"
            for c in cited
        ]
        body = f'<passages data="{mark}">\n' + ("".join(parts) or "(none found)\n") + f'</passages data="{mark}">\n'
        blocks = (
            PromptBlock("instructions", head),
            PromptBlock("passages", body),
            PromptBlock("question", question),
        )
        estimated = count_tokens(head + question) + count_tokens(body)
        prompt = Prompt(
            blocks,
            cited,
            plan.question,
            "retrieve",
            min(profile.max_output_tokens, 4096),
            estimated,
            ranked_spans=tuple(h.chunk.span for h in hits),
            scope=tuple(plan.scope),
        )
        try:
            check_fits(prompt, profile, limit=limit)
            if limit is not None:
                check_fits(prompt, profile)
            return prompt
        except PromptTooLongError:
            if len(hits) <= 1:
                raise
            hits = hits[: max(1, math.floor(len(hits) * 0.8))]


def map_groups(corpus: Corpus, plan: Plan, profile: ModelProfile) -> list[list[tuple[str, range]]]:
    """Documents (split by pieces where one is too big) packed in order into groups that fit the window."""
    layout = corpus_layout(corpus)
    limit = budget.group_token_limit(profile)
    groups: list[list[tuple[str, range]]] = [[]]
    used = 0
    for path, indexes in layout.of(plan.scope):
        run_start = indexes.start
        for i in indexes:
            n = layout.tokens[i] + LABEL_TOKENS
            if used and used + n > limit:
                if i > run_start:
                    groups[-1].append((path, range(run_start, i)))
                groups.append([])
                used, run_start = 0, i
            used += n
        if indexes.stop > run_start:
            groups[-1].append((path, range(run_start, indexes.stop)))
    return [g for g in groups if g]


def build_map_prompts(corpus: Corpus, plan: Plan, profile: ModelProfile) -> list[Prompt]:
    layout = corpus_layout(corpus)
    question = _question_block(plan.question)
    prompts = []
    for n, group in enumerate(map_groups(corpus, plan, profile)):
        mark = spotlight.boundary(f"map\0{n}\0{corpus.content_hash}")
        head = _head("map", mark)
        corpus_text, corpus_tokens = _corpus_block(corpus, layout, group, mark)
        blocks = (
            PromptBlock("instructions", head),
            PromptBlock("corpus", f"<corpus>\n{corpus_text}</corpus>\n", cache_breakpoint=True),
            PromptBlock("question", question),
        )
        cited = tuple(layout.pieces[i] for _, indexes in group for i in indexes)
        estimated = count_tokens(head + question) + corpus_tokens + 4
        prompt = Prompt(blocks, cited, plan.question, "map_reduce", min(profile.max_output_tokens, 2048), estimated)
        check_fits(prompt, profile)
        prompts.append(prompt)
    return prompts


def build_reduce_prompt(
    question: str, findings: Sequence[tuple[str, Sequence[CitedSpan]]], profile: ModelProfile
) -> Prompt:
    """The reduce step: the findings of every map call (text and the spans it cited), then the question."""
    mark = spotlight.boundary("reduce\0" + "\0".join(text for text, _ in findings))
    head = _head("reduce", mark)
    parts = [
        f'<findings part="{i + 1}" data="{mark}">\n{spotlight.as_data(text.strip(), mark, labels=False)}\n'
        f'</findings data="{mark}">\n'
        for i, (text, _) in enumerate(findings)
    ]
    body = "".join(parts)
    cited: dict[str, CitedSpan] = {}
    for _, spans in findings:
        for c in spans:
            cited.setdefault(c.id, c)
    blocks = (
        PromptBlock("instructions", head),
        PromptBlock("passages", body),
        PromptBlock("question", _question_block(question)),
    )
    estimated = count_tokens(head + body + question) + 10
    prompt = Prompt(
        blocks, tuple(cited.values()), question, "map_reduce", min(profile.max_output_tokens, 4096), estimated
    )
    check_fits(prompt, profile)
    return prompt


def merge_prompts(prompts: Sequence[Prompt]) -> Prompt:
    """All map prompts as one value: what the model reads over all calls (for accounting and ``pack``)."""
    if len(prompts) == 1:
        return prompts[0]
    blocks = tuple(b for p in prompts for b in p.blocks)
    cited = tuple(c for p in prompts for c in p.citations)
    return Prompt(
        blocks,
        cited,
        prompts[0].question,
        "map_reduce",
        prompts[0].max_output_tokens,
        sum(p.estimated_tokens for p in prompts),
    )
