"""The evaluation harness: evidence recall and prompt cost of the router against always-full and always-retrieve.

Without a model the part of docintel that decides what a model reads is judged exactly (``shared/eval/README.md``):
for each case, route the question, assemble the prompt, collect every corpus span the prompt contains, and measure
which characters of the gold evidence those spans cover, and what the prompt costs (cache write / cache read /
uncached) under a model profile. With a backend attached, the answers are scored too.

Two modelling choices, both stated in the report's ``notes``:

- **Always full above the window.** A prompt can only hold what fits the window with room for the answer, so the
  full strategy on a corpus above the window keeps the full layout's pieces in corpus order until the window is
  spent, and recall counts only what fits (``truncated`` counts those cases). Nothing is dropped silently.
- **Prompt cache.** Cases run grouped by corpus in file order, as an agent asking questions back to back would. A
  cacheable prefix (at least ``min_cacheable_tokens``) is written on first use by a strategy and read on every later
  use of the same prefix by that strategy within the run (the run is assumed to stay within the cache TTL). The
  router reads the real ``docintel.assemble.cache_state``: full-mode sends are recorded as ``docintel ask`` records
  them, in a throwaway record per strategy (``cache_state_of``).

Aggregation into the report lives in ``docintel.eval.eval_report``; needle-in-a-haystack in ``docintel.eval.niah``.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docintel.corpus import Corpus, SourceSpan
from docintel.errors import InputError, PromptTooLongError
from docintel.eval.eval_report import STRATEGIES, CaseResult, Strategy
from docintel.plan import Mode, Plan, TokenEstimate
from docintel.profiles import ModelProfile
from docintel.prompt import Prompt
from docintel.tokens import count_tokens

Progress = Callable[[int, int, str], None]

# Router name passed to plan_question per strategy; "fixed-*" force one mode (routers/fixed.py).
STRATEGY_ROUTER: dict[Strategy, str] = {"router": "heuristic", "full": "fixed-full", "retrieve": "fixed-retrieve"}


# ---------------------------------------------------------------------------------------------------------- cases
@dataclass(frozen=True)
class GoldSpan:
    path: str
    start: int
    end: int

    @property
    def length(self) -> int:
        return max(0, self.end - self.start)


@dataclass(frozen=True)
class Case:
    id: str
    suite: str
    corpus: str
    question: str
    answer: str
    kind: str  # lookup | aggregate | summary | absent
    evidence: tuple[GoldSpan, ...] = ()


def load_cases(path: Path | str, *, limit: int | None = None, sample: int | None = None) -> list[Case]:
    """Read a cases file (JSON lines, the format of ``shared/eval/README.md``): all cases, the first ``limit``, or
    ``sample`` cases evenly spaced over the file (deterministic; keeps the file's mix of corpora and kinds)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"cases file not found: {path}")
    cases: list[Case] = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            if limit is not None and len(cases) >= limit:
                break
            try:
                row = json.loads(line)
                evidence = tuple(GoldSpan(str(e["path"]), int(e["start"]), int(e["end"])) for e in row["evidence"])
                cases.append(
                    Case(
                        id=str(row["id"]),
                        suite=str(row.get("suite") or row["corpus"]),
                        corpus=str(row["corpus"]),
                        question=str(row["question"]),
                        answer=str(row.get("answer", "")),
                        kind=str(row["kind"]),
                        evidence=evidence,
                    )
                )
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
                raise InputError(
                    f"{path}:{n}: not a valid case ({type(e).__name__}: {e}); see the eval README"
                ) from None
    if not cases:
        raise InputError(f"{path}: no cases")
    if sample is not None and 0 < sample < len(cases):
        cases = [cases[i * len(cases) // sample] for i in range(sample)]
    return cases


def default_corpora_dir(cases_file: Path | str) -> Path:
    """``corpora/`` beside the cases file's folder (``eval/cases/x.jsonl`` -> ``eval/corpora``)."""
    return Path(cases_file).resolve().parent.parent / "corpora"


# ------------------------------------------------------------------------------------------------------- coverage
Coverage = dict[str, list[tuple[int, int]]]  # path -> sorted, merged [start, end) intervals


def coverage_of(spans: Iterable[SourceSpan]) -> Coverage:
    """Union of the character ranges of ``spans``, per path."""
    by_path: dict[str, list[tuple[int, int]]] = {}
    for s in spans:
        if s.end > s.start:
            by_path.setdefault(s.path, []).append((s.start, s.end))
    merged: Coverage = {}
    for path, intervals in by_path.items():
        intervals.sort()
        out: list[tuple[int, int]] = []
        for start, end in intervals:
            if out and start <= out[-1][1]:
                if end > out[-1][1]:
                    out[-1] = (out[-1][0], end)
            else:
                out.append((start, end))
        merged[path] = out
    return merged


def covered_chars(gold: GoldSpan, coverage: Coverage) -> int:
    """Characters of ``gold`` inside the covered ranges of its file."""
    total = 0
    for start, end in coverage.get(gold.path, ()):
        if start >= gold.end:
            break
        total += max(0, min(end, gold.end) - max(start, gold.start))
    return total


@dataclass(frozen=True)
class Recall:
    chars: float  # covered gold characters / all gold characters
    spans_half: float  # fraction of gold spans at least half covered


def evidence_recall(evidence: Sequence[GoldSpan], coverage: Coverage) -> Recall | None:
    """Recall of one case's gold evidence; None for a case without evidence (``absent``)."""
    gold = [g for g in evidence if g.length > 0]
    if not gold:
        return None
    # Gold spans of one case may overlap each other (a method inside a class): count each gold character once.
    gold_union = coverage_of(SourceSpan(g.path, g.start, g.end, 0, 0) for g in gold)
    total = sum(end - start for intervals in gold_union.values() for start, end in intervals)
    covered = sum(
        covered_chars(GoldSpan(path, start, end), coverage)
        for path, intervals in gold_union.items()
        for start, end in intervals
    )
    half = sum(1 for g in gold if 2 * covered_chars(g, coverage) >= g.length)
    return Recall(chars=covered / total, spans_half=half / len(gold))


# ------------------------------------------------------------------------------------------------ answer scoring
_WORD = re.compile(r"\w+", re.UNICODE)
INSUFFICIENT_MARKERS = (
    "insufficient context",
    "not enough context",
    "no relevant",
    "nothing relevant",
    "not contain",
    "n't contain",
    "not found",
    "could not find",
    "couldn't find",
    "no evidence",
    "insufficient_context",  # docintel.assemble.context.INSUFFICIENT_MARKER, lower-cased
)


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def answer_score(case: Case, answer_text: str, *, insufficient: bool = False) -> float:
    """Simple answer accuracy: share of the reference answer's words the answer contains (1.0 if it contains the
    whole reference verbatim); for ``absent`` cases 1.0 if the answer says the context is insufficient."""
    if case.kind == "absent":
        lowered = answer_text.lower()
        return 1.0 if insufficient or any(m in lowered for m in INSUFFICIENT_MARKERS) else 0.0
    reference = _words(case.answer)
    if not reference:
        return 0.0
    answer_norm = " ".join(_words(answer_text))
    if " ".join(reference) in answer_norm:
        return 1.0
    present = set(answer_norm.split())
    return sum(1 for w in reference if w in present) / len(reference)


# ---------------------------------------------------------------------------------------------- prompt and cache
@dataclass
class PromptCacheModel:
    """Which prefixes each strategy has already sent in this run (see the module docstring)."""

    min_cacheable_tokens: int
    _warm: set[tuple[str, str]] = field(default_factory=set)

    def split(self, strategy: str, prefix_key: str, prefix_tokens: int, suffix_tokens: int) -> TokenEstimate:
        if prefix_tokens <= 0 or prefix_tokens < max(1, self.min_cacheable_tokens):
            return TokenEstimate(uncached=prefix_tokens + suffix_tokens)
        key = (strategy, prefix_key)
        if key in self._warm:
            return TokenEstimate(cache_read=prefix_tokens, uncached=suffix_tokens)
        self._warm.add(key)
        return TokenEstimate(cache_write=prefix_tokens, uncached=suffix_tokens)


class TokenCounter:
    """count_tokens memoized by text hash: a full-context prefix is the same text for every case of a corpus."""

    def __init__(self) -> None:
        self._memo: dict[int, int] = {}

    def __call__(self, text: str) -> int:
        key = hash(text)
        if key not in self._memo:
            self._memo[key] = count_tokens(text)
        return self._memo[key]


@dataclass(frozen=True)
class Assembled:
    """What one strategy sent for one case."""

    mode: str
    spans: tuple[SourceSpan, ...]
    prefix_key: str
    prefix_tokens: int
    suffix_tokens: int
    truncated: bool = False
    prompt: Prompt | None = None
    plan: Plan | None = None
    # Map-reduce: one (prefix key, prefix tokens, suffix tokens) per call, each map prompt's prefix keyed on its
    # own (a later question over the same corpus reads every group from the cache), the reduce call last.
    calls: tuple[tuple[str, int, int], ...] = ()


def full_fits(corpus_tokens: int, profile: ModelProfile) -> bool:
    """Whether the whole corpus fits the window with room for the answer (estimates times the profile's margin)."""
    from docintel.assemble import budget

    return budget.fits(corpus_tokens, profile)


def truncated_full(corpus: Corpus, question: str, profile: ModelProfile, index: Any = None) -> Assembled:
    """Always-full on a corpus above the window, laid out as a careful user would: instructions, the corpus map,
    then whole documents in the order retrieval ranks them for the question (the rest in corpus order), each
    kept when it still fits the window (margin and answer reserve included, as ``docintel.assemble.context.check_fits``
    counts), then the question. A fair baseline: alphabetical order would keep whatever sorts first."""
    from docintel.assemble import budget as token_budget
    from docintel.assemble.context import LABEL_TOKENS, corpus_layout, corpus_map_of, instructions

    layout = corpus_layout(corpus)
    corpus_map = corpus_map_of(corpus)
    head_tokens = count_tokens(instructions("full")) + count_tokens(corpus_map) + 8
    question_tokens = count_tokens(question) + 8
    budget = token_budget.prompt_capacity(profile) - head_tokens - question_tokens
    used = 0
    kept: list[SourceSpan] = []
    order = _documents_by_rank(corpus, index, question)
    for path in order:
        first, last = layout.doc_range[path]
        need = sum(layout.tokens[first:last]) + (last - first) * LABEL_TOKENS + 12
        if used + need > budget:
            continue
        used += need
        kept.extend(layout.pieces[i].span for i in range(first, last))
    h = hashlib.sha256("\0".join(p for p in order if p in {s.path for s in kept}).encode()).hexdigest()[:16]
    key = f"truncated:{corpus.content_hash}:{h}"
    return Assembled("full", tuple(kept), key, head_tokens + used, question_tokens, truncated=True)


def _documents_by_rank(corpus: Corpus, index: Any, question: str) -> list[str]:
    """Every document path, those with retrieved chunks first (by their best chunk's rank), the rest in order."""
    ranked: dict[str, None] = {}
    if index is not None:
        for hit in index.search(question, k=200):
            ranked.setdefault(hit.chunk.span.path, None)
    return [*ranked, *(d.path for d in corpus.documents if d.path not in ranked)]


def assemble(
    corpus: Corpus,
    index: Any,
    question: str,
    strategy: Strategy,
    profile: ModelProfile,
    counter: TokenCounter,
    *,
    mode: Mode | None = None,
) -> Assembled:
    """Route (or force a mode with the ``fixed-*`` routers, or ``mode``) and build the prompt the way
    ``docintel ask`` would; record every span it sends and its prompt tokens (cacheable prefix / volatile suffix)."""
    from docintel.pipeline import build_prompt, plan_question

    if strategy == "full" and not full_fits(corpus.tokens, profile):
        return truncated_full(corpus, question, profile, index)
    plan = plan_question(
        corpus,
        index,
        question,
        profile=profile,
        backend_name=profile.backend,
        router=STRATEGY_ROUTER[strategy],
        mode=mode,
    )
    if plan.mode == "map_reduce":
        return _assemble_map_reduce(corpus, index, plan, profile, counter)
    try:
        prompt = build_prompt(corpus, index, plan, profile=profile)
    except PromptTooLongError:
        if strategy == "full":
            return truncated_full(corpus, question, profile, index)
        if plan.mode == "retrieve":
            raise
        # What `docintel ask` does when a routed prompt is over the window: answer from retrieved passages.
        plan = plan_question(
            corpus, index, question, profile=profile, backend_name=profile.backend, router="heuristic", mode="retrieve"
        )
        prompt = build_prompt(corpus, index, plan, profile=profile)
    suffix_tokens = count_tokens(prompt.suffix)
    # The estimate context assembly made while building (per-piece counts) spares recounting a 1M-token prefix.
    total = prompt.estimated_tokens or counter(prompt.text)
    prefix_tokens = max(0, total - suffix_tokens) if prompt.prefix else 0
    return Assembled(
        plan.mode,
        tuple(c.span for c in prompt.citations),
        prompt.prefix_hash if prompt.prefix else "",
        prefix_tokens,
        suffix_tokens if prompt.prefix else total,
        prompt=prompt,
        plan=plan,
    )


MAP_FINDINGS_K = 8  # chunks one map call is assumed to report (what the reduce step receives from it)


def _assemble_map_reduce(
    corpus: Corpus, index: Any, plan: Plan, profile: ModelProfile, counter: TokenCounter
) -> Assembled:
    """Map-reduce as sent: every map prompt on its own (its prefix keyed by its own bytes), then the reduce call.

    Recall counts only what the reduce step receives. Without a model, a map call's findings are modelled as the
    chunks retrieval returns for the question inside its group (the router's k for the question type over that
    group, at least ``MAP_FINDINGS_K``); the reduce prompt is the reduce instructions, those findings and the
    question, uncached."""
    from docintel.assemble.context import build_map_prompts, instructions
    from docintel.index.symbol_search import search
    from docintel.routers import CorpusStats
    from docintel.routers.heuristic import retrieve_k

    calls: list[tuple[str, int, int]] = []
    received: list[SourceSpan] = []
    findings_tokens = 0
    for prompt in build_map_prompts(corpus, plan, profile):
        suffix = count_tokens(prompt.suffix)
        total = prompt.estimated_tokens or counter(prompt.text)
        calls.append((prompt.prefix_hash, max(0, total - suffix), suffix))
        paths = sorted({c.span.path for c in prompt.citations})
        # what a map call reports: as much of its group as retrieval would return for this question over that group
        k = max(MAP_FINDINGS_K, retrieve_k(CorpusStats.of(corpus, paths=tuple(paths)), plan.question_type))
        for hit in search(corpus, index, plan.question, k, paths) if index is not None else []:
            received.append(hit.chunk.span)
            findings_tokens += hit.chunk.tokens + 8
    reduce_tokens = counter(instructions("reduce")) + findings_tokens + count_tokens(plan.question) + 16
    calls.append(("", 0, reduce_tokens))
    return Assembled(
        "map_reduce",
        tuple(received),
        "",
        sum(c[1] for c in calls),
        sum(c[2] for c in calls),
        plan=plan,
        calls=tuple(calls),
    )


# ------------------------------------------------------------------------------------------------------------ run
@contextmanager
def cache_state_of(strategy: str, folder: Path) -> Iterator[None]:
    """Point ``docintel.assemble.cache_state`` at this strategy's own record file while it runs.

    The router reads the real cache-state module to know whether a full prefix is warm; each strategy gets a
    separate, throwaway record so the baselines do not warm the router's cache and the user's own record under
    ``$DOCINTEL_HOME`` is never touched by an evaluation.
    """
    from docintel.assemble import cache_state

    with cache_state.record_file(folder / f"cache_state-{strategy}.json"):
        yield


def answer_with(
    backend: Any, corpus: Corpus, index: Any, plan: Plan, profile: ModelProfile, *, strategy: Strategy = "router"
) -> tuple[str, bool]:
    """The backend's answer to ``plan``'s question as ``docintel ask`` runs it: the same Session path
    (docintel.session.answer_request: map-reduce, the over-window fallback and Self-Route), routed by the
    strategy's router; (text, insufficient)."""
    from docintel.pipeline import route_request
    from docintel.session import answer_request

    request = route_request(
        corpus,
        index,
        plan.question,
        profile=profile,
        backend_name=profile.backend,
        generative=backend.capabilities.generative,
    )
    answer = answer_request(corpus, index, request, backend, router=STRATEGY_ROUTER[strategy])
    return answer.text, answer.insufficient_context


def opened_corpora(
    cases: Sequence[Case], corpora_dir: Path, open_progress: Callable[[str], Any] | None = None
) -> Iterator[tuple[Any, list[Case]]]:
    """Each corpus the cases use, opened as a Session (its index built or updated) once and closed after, with its
    cases in file order. A missing corpus folder is an error before anything is opened."""
    from docintel import session

    by_corpus: dict[str, list[Case]] = {}
    for case in cases:
        by_corpus.setdefault(case.corpus, []).append(case)
    missing = [name for name in by_corpus if not (corpora_dir / name).is_dir()]
    if missing:
        raise InputError(f"corpus folder not found: {corpora_dir / missing[0]}; pass --corpora DIR")
    for name, corpus_cases in by_corpus.items():
        if open_progress is not None:
            with open_progress(name) as update:
                opened = session.open(corpora_dir / name, progress=update)
        else:
            opened = session.open(corpora_dir / name)
        with opened:
            yield opened, corpus_cases


def evaluate(
    cases: Sequence[Case],
    corpora_dir: Path,
    profile: ModelProfile,
    *,
    strategies: Sequence[Strategy] = STRATEGIES,
    backend: Any = None,
    open_progress: Callable[[str], Any] | None = None,
    case_progress: Progress | None = None,
) -> list[CaseResult]:
    """Run every case under every strategy. Each corpus is opened as a Session (its index built or updated) once."""
    cache = PromptCacheModel(profile.min_cacheable_tokens)
    counter = TokenCounter()
    results: list[CaseResult] = []
    done = 0
    with tempfile.TemporaryDirectory(prefix="docintel-eval-") as scratch:
        for opened, corpus_cases in opened_corpora(cases, corpora_dir, open_progress):
            for case in corpus_cases:
                if case_progress:
                    case_progress(done, len(cases), case.id)
                for strategy in strategies:
                    with cache_state_of(strategy, Path(scratch)):
                        results.append(
                            _run_case(opened.corpus, opened.index, case, strategy, profile, cache, counter, backend)
                        )
                done += 1
    if case_progress:
        case_progress(done, len(cases), "")
    return results


def _run_case(
    corpus: Corpus,
    index: Any,
    case: Case,
    strategy: Strategy,
    profile: ModelProfile,
    cache: PromptCacheModel,
    counter: TokenCounter,
    backend: Any,
) -> CaseResult:
    from docintel.assemble.cache_state import record_sent
    from docintel.assemble.context import prefix_key

    sent = assemble(corpus, index, case.question, strategy, profile, counter)
    tokens = _split(cache, strategy, sent)
    recall = evidence_recall(case.evidence, coverage_of(sent.spans))
    mode = sent.mode
    score = None
    if backend is not None and sent.plan is not None:
        text, insufficient = answer_with(backend, corpus, index, sent.plan, profile, strategy=strategy)
        score = answer_score(case, text, insufficient=insufficient)
    elif sent.plan is not None and sent.plan.mode in ("full", "map_reduce"):
        # What the pipeline records after sending a full prefix: the router's next question sees it warm.
        record_sent(prefix_key(corpus, sent.plan.scope, mode=sent.plan.mode), profile.backend, profile.id)
    if backend is None and sent.plan is not None and sent.plan.fallback == "full" and _would_escalate(recall):
        # Self-Route: a model shown none of the evidence says so, and `ask` re-asks with the full text. Both calls
        # are paid; the answer (and the recall) is the full pass's.
        again = assemble(corpus, index, case.question, "router", profile, counter, mode="full")
        more = _split(cache, strategy, again)
        tokens = TokenEstimate(
            cache_write=tokens.cache_write + more.cache_write,
            cache_read=tokens.cache_read + more.cache_read,
            uncached=tokens.uncached + more.uncached,
        )
        recall = evidence_recall(case.evidence, coverage_of(again.spans))
        mode = f"{sent.mode}>full"
        if again.plan is not None:
            record_sent(prefix_key(corpus, again.plan.scope), profile.backend, profile.id)
    cost = profile.cost(uncached=tokens.uncached, cache_write=tokens.cache_write, cache_read=tokens.cache_read)
    return CaseResult(
        case=case,
        strategy=strategy,
        mode=mode,
        recall=recall,
        tokens=tokens,
        cost_usd=cost,
        truncated=sent.truncated,
        answer_score=score,
    )


def _would_escalate(recall: Recall | None) -> bool:
    """Model-free Self-Route: the retrieved passages hold none of the gold evidence (or the case has none: an
    ``absent`` question), so a model would say the context is insufficient."""
    return recall is None or recall.chars == 0.0


def _split(cache: PromptCacheModel, strategy: str, sent: Assembled) -> TokenEstimate:
    """Cache write / read / uncached tokens of what ``sent`` sends: each call's prefix on its own."""
    if not sent.calls:
        return cache.split(strategy, sent.prefix_key, sent.prefix_tokens, sent.suffix_tokens)
    parts = [
        cache.split(strategy, key, prefix, suffix) if key else TokenEstimate(uncached=prefix + suffix)
        for key, prefix, suffix in sent.calls
    ]
    return TokenEstimate(
        cache_write=sum(p.cache_write for p in parts),
        cache_read=sum(p.cache_read for p in parts),
        uncached=sum(p.uncached for p in parts),
    )
