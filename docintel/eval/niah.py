"""Needle in a haystack: a needle sentence at depth d% of a haystack of L tokens, routed and assembled like any
question; scored by whether the needle is in the prompt (and, with a backend, in the answer); drawn as a heatmap.

The haystack is taken from a corpus (by default the essays of ``shared/eval/corpora/haystack-essays``) in file
order and written, one file per source document, to a temporary folder: the corpus itself is never written. All
depths of one length reuse that folder, so the index (under ``$DOCINTEL_HOME``) only re-reads the file that holds
the needle.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docintel.errors import InputError
from docintel.eval.evaluation import (
    Case,
    GoldSpan,
    Strategy,
    TokenCounter,
    answer_score,
    answer_with,
    assemble,
    cache_state_of,
    coverage_of,
    evidence_recall,
)
from docintel.profiles import ModelProfile
from docintel.tokens import count_tokens

NEEDLE = "The best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny day."
QUESTION = "What is the best thing to do in San Francisco?"
ANSWER = "eat a sandwich and sit in Dolores Park on a sunny day"
DEFAULT_LENGTHS = (8_000, 32_000, 128_000)
DEFAULT_DEPTHS = (0, 25, 50, 75, 100)
_SENTENCE_END = re.compile(r"[.!?][\"')\]]?\s+|\n\s*\n")


def parse_lengths(text: str) -> list[int]:
    """``"8k,32k,128000"`` -> ``[8000, 32000, 128000]`` (k = 1,000 tokens)."""
    out = []
    for part in text.split(","):
        p = part.strip().lower()
        if not p:
            continue
        try:
            out.append(int(float(p[:-1]) * 1000) if p.endswith("k") else int(p))
        except ValueError:
            raise InputError(f"not a token length: {part!r}; use e.g. 8k,32k,128k") from None
    if not out or min(out) <= 0:
        raise InputError("--lengths needs positive token counts, e.g. 8k,32k,128k")
    return out


def parse_depths(text: str) -> list[int]:
    try:
        depths = [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise InputError(f"not a list of percentages: {text!r}; use e.g. 0,25,50,75,100") from None
    if not depths or any(d < 0 or d > 100 for d in depths):
        raise InputError("--depths are percentages between 0 and 100")
    return depths


@dataclass(frozen=True)
class Haystack:
    files: tuple[tuple[str, str], ...]  # (relative path, text) in corpus order
    tokens: int

    @property
    def chars(self) -> int:
        return sum(len(t) for _, t in self.files)


def build_haystack(corpus_dir: Path, length_tokens: int) -> Haystack:
    """The first ``length_tokens`` tokens of the corpus's text files, in path order (the last file cut short)."""
    if not corpus_dir.is_dir():
        raise InputError(f"haystack corpus not found: {corpus_dir}; pass --corpus DIR")
    files: list[tuple[str, str]] = []
    total = 0
    for path in sorted(p for p in corpus_dir.rglob("*") if p.is_file()):
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        tokens = count_tokens(text)
        if not tokens:
            continue
        if total + tokens > length_tokens:
            text = _cut_to_tokens(text, length_tokens - total)
            tokens = count_tokens(text)
        if text:
            files.append((path.relative_to(corpus_dir).as_posix(), text))
            total += tokens
        if total >= length_tokens * 0.99:
            break
    if total < length_tokens * 0.9:
        raise InputError(f"{corpus_dir} holds only {total:,} tokens of text; ask for --lengths up to that")
    return Haystack(tuple(files), total)


def _cut_to_tokens(text: str, tokens: int) -> str:
    """The longest prefix of ``text`` ending at a line break with at most ``tokens`` tokens (binary search)."""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count_tokens(text[:mid]) <= tokens:
            lo = mid
        else:
            hi = mid - 1
    cut = text.rfind("\n", 0, lo)
    return text[: cut + 1] if cut > lo // 2 else text[:lo]


@dataclass(frozen=True)
class NiahCase:
    length: int  # requested haystack tokens
    depth: int  # percent
    files: tuple[tuple[str, str], ...]  # the haystack with the needle inserted
    needle: GoldSpan  # where the needle lies (path, char offsets)
    global_start: int  # the needle's character offset in the concatenated haystack
    question: str
    answer: str

    def as_case(self) -> Case:
        return Case(
            id=f"niah-{self.length}-{self.depth}",
            suite="niah",
            corpus="niah",
            question=self.question,
            answer=self.answer,
            kind="lookup",
            evidence=(self.needle,),
        )


def insert_needle(
    haystack: Haystack, depth: int, *, needle: str = NEEDLE, question: str = QUESTION, answer: str = ANSWER
) -> NiahCase:
    """Insert ``needle`` at the sentence boundary nearest to ``depth``% of the haystack's characters."""
    target = round(haystack.chars * depth / 100)
    offset = 0
    files = list(haystack.files)
    for i, (path, text) in enumerate(files):
        last = i == len(files) - 1
        if target <= offset + len(text) and (target < offset + len(text) or last):
            local = _sentence_boundary(text, target - offset)
            before, after = text[:local], text[local:]
            sep_before = "" if not before or before[-1].isspace() else " "
            sep_after = "" if after[:1].isspace() or not after else " "
            inserted = f"{before}{sep_before}{needle}{sep_after}{after}"
            start = local + len(sep_before)
            files[i] = (path, inserted)
            return NiahCase(
                length=haystack.tokens,
                depth=depth,
                files=tuple(files),
                needle=GoldSpan(path, start, start + len(needle)),
                global_start=offset + start,
                question=question,
                answer=answer,
            )
        offset += len(text)
    raise InputError("empty haystack")  # unreachable for a non-empty haystack


def _sentence_boundary(text: str, pos: int) -> int:
    """The sentence end nearest to ``pos`` (0 and len(text) are boundaries)."""
    if pos <= 0:
        return 0
    if pos >= len(text):
        return len(text)
    best = 0
    for m in _SENTENCE_END.finditer(text):
        if abs(m.end() - pos) < abs(best - pos):
            best = m.end()
        if m.end() > pos:
            break
    if abs(len(text) - pos) < abs(best - pos):
        best = len(text)
    return best


@dataclass(frozen=True)
class NiahResult:
    length: int  # requested tokens
    haystack_tokens: int
    depth: int
    mode: str
    in_prompt: float  # share of the needle's characters the prompt contains
    prompt_tokens: int
    in_answer: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@contextmanager
def _scratch_corpus() -> Iterator[Path]:
    from docintel.config import corpus_dir

    folder = Path(tempfile.mkdtemp(prefix="docintel-niah-"))
    try:
        yield folder
    finally:
        state = corpus_dir(folder)
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)  # the synthetic haystack's index is of no later use


def _write(folder: Path, files: Sequence[tuple[str, str]]) -> None:
    for rel, text in files:
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def run_niah(
    corpus_dir: Path,
    profile: ModelProfile,
    *,
    lengths: Sequence[int] = DEFAULT_LENGTHS,
    depths: Sequence[int] = DEFAULT_DEPTHS,
    strategy: Strategy = "router",
    backend: Any = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[NiahResult]:
    """Every (length, depth) cell: build the case, open the haystack, route and assemble, score."""
    counter = TokenCounter()
    results: list[NiahResult] = []
    total = len(lengths) * len(depths)
    with tempfile.TemporaryDirectory(prefix="docintel-niah-state-") as state:
        for length in lengths:
            results.extend(
                _run_length(
                    corpus_dir,
                    length,
                    depths,
                    strategy,
                    profile,
                    backend,
                    counter,
                    Path(state),
                    progress,
                    total,
                    len(results),
                )
            )
    if progress:
        progress(total, total, "")
    return results


def _run_length(
    corpus_dir: Path,
    length: int,
    depths: Sequence[int],
    strategy: Strategy,
    profile: ModelProfile,
    backend: Any,
    counter: TokenCounter,
    state: Path,
    progress: Callable[[int, int, str], None] | None,
    total: int,
    done: int,
) -> list[NiahResult]:
    from docintel import session

    results: list[NiahResult] = []
    haystack = build_haystack(corpus_dir, length)
    with _scratch_corpus() as folder, cache_state_of("niah", state):
        for depth in depths:
            if progress:
                progress(done + len(results), total, f"{length} tokens, depth {depth}%")
            case = insert_needle(haystack, depth)
            _write(folder, case.files)
            opened = session.open(folder)
            corpus, index = opened.corpus, opened.index
            try:
                sent = assemble(corpus, index, case.question, strategy, profile, counter)
                in_answer = None
                if backend is not None and sent.plan is not None:
                    text, insufficient = answer_with(backend, corpus, index, sent.plan, profile, strategy=strategy)
                    in_answer = answer_score(case.as_case(), text, insufficient=insufficient)
            finally:
                index.close()
            recall = evidence_recall((case.needle,), coverage_of(sent.spans))
            results.append(
                NiahResult(
                    length=length,
                    haystack_tokens=haystack.tokens,
                    depth=depth,
                    mode=sent.mode,
                    in_prompt=recall.chars if recall else 0.0,
                    prompt_tokens=sent.prefix_tokens + sent.suffix_tokens,
                    in_answer=in_answer,
                )
            )
    return results


def draw_heatmap(results: Sequence[NiahResult], out: Path, *, title: str = "") -> Path:
    """Depth (rows) x length (columns) heatmap(s) as a PNG: needle in prompt, and in answer when scored."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        from docintel.errors import MissingExtraError

        raise MissingExtraError("matplotlib", "plot") from None

    lengths = sorted({r.length for r in results})
    depths = sorted({r.depth for r in results})
    panels = [("needle in prompt", "in_prompt")]
    if any(r.in_answer is not None for r in results):
        panels.append(("needle in answer", "in_answer"))
    fig, axes = plt.subplots(1, len(panels), figsize=(2.2 + 1.3 * len(lengths) * len(panels), 1.5 + 0.55 * len(depths)))
    axes_list = list(axes) if len(panels) > 1 else [axes]
    cell = {(r.length, r.depth): r for r in results}
    for ax, (label, attr) in zip(axes_list, panels, strict=True):
        grid = [[_value(cell.get((length, d)), attr) for length in lengths] for d in depths]
        image = ax.imshow(grid, cmap="RdYlGn", vmin=0.0, vmax=1.0, aspect="auto")
        ax.set_xticks(
            range(len(lengths)), [f"{length // 1000}k" if length >= 1000 else str(length) for length in lengths]
        )
        ax.set_yticks(range(len(depths)), [f"{d}%" for d in depths])
        ax.set_xlabel("haystack length (tokens)")
        ax.set_ylabel("needle depth")
        ax.set_title(label)
        for yi, row in enumerate(grid):
            for xi, v in enumerate(row):
                ax.text(xi, yi, f"{v:.2f}", ha="center", va="center", fontsize=8)
        fig.colorbar(image, ax=ax, fraction=0.046)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
    tmp.replace(out)
    return out


def _value(result: NiahResult | None, attr: str) -> float:
    if result is None:
        return 0.0
    value = getattr(result, attr)
    return float(value) if value is not None else 0.0
