"""The TUI's panels: the corpus tree, one answer (question, plan badge, streamed Markdown), the evidence list,
and a span shown in the context of its document.

They only display values the public API returns (Corpus, Plan, Answer, Citation, SourceSpan); no pipeline step
runs here.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Markdown, OptionList, Static, Tree
from textual.widgets.markdown import MarkdownStream
from textual.widgets.option_list import Option
from textual.widgets.tree import TreeNode

from docintel.answer import Answer, Citation
from docintel.corpus import Corpus, Document, SourceSpan
from docintel.display import visible_text
from docintel.kinds import OutlineNode, kinds_in_order
from docintel.kinds.base import tokens_label
from docintel.plan import Plan

MODE_NAMES = {"full": "full", "retrieve": "retrieve", "map_reduce": "map-reduce"}
CONTEXT_LINES = 6  # lines shown above and below a span in its document


# ------------------------------------------------------------------------------------------------ corpus tree
class CorpusTree(Tree[SourceSpan | None]):
    """Documents by kind, each kind's outline from its plug-in (``DocumentKind.outline``): code files by folder
    with their symbols, contracts with sections and clauses, meetings with their speakers and turns; every node
    with its token count. Documents set aside (data, vendored, generated) and skipped files are listed last."""

    def show_corpus(self, corpus: Corpus) -> None:
        self.clear()
        self.root.set_label(f"{corpus.root.name}  {tokens_label(corpus.tokens)}")
        self.root.data = None
        for documents, expand in ((corpus.documents, True), (corpus.aside, False)):
            by_kind: dict[str, list[Document]] = {}
            for d in documents:
                by_kind.setdefault(d.kind, []).append(d)
            for kind in kinds_in_order(set(by_kind)):
                group = by_kind[kind.name]
                tokens = sum(d.tokens for d in group)
                node = self.root.add(f"{kind.title} ({len(group)})  {tokens_label(tokens)}", expand=expand)
                for outline in kind.outline(group):
                    _add_outline(node, outline)
        if corpus.skipped:
            skipped = self.root.add(f"Skipped ({len(corpus.skipped)})", None)
            for item in corpus.skipped:
                skipped.add_leaf(f"{item.path}: {item.reason}", None)
        self.root.expand()


def _add_outline(parent: TreeNode[SourceSpan | None], outline: OutlineNode) -> None:
    stack = [(parent, outline)]  # a stack, not recursion: outlines of deeply nested folders stay safe
    while stack:
        under, item = stack.pop()
        leaf = not item.children if item.leaf is None else item.leaf
        if leaf:
            under.add_leaf(item.label, item.span)
            continue
        node = under.add(item.label, item.span, expand=item.expand)
        stack.extend((node, child) for child in reversed(item.children))


# ----------------------------------------------------------------------------------------------------- answers
class PlanBadge(Static):
    """One answer's route: mode, estimated tokens and cost, cached share, the first reason; then what was sent."""

    def show_plan(self, plan: Plan) -> None:
        self.update(plan_badge_text(plan))

    def show_answer(self, answer: Answer) -> None:
        self.update(plan_badge_text(answer.plan, answer))

    def show_error(self, message: str) -> None:
        self.update(Text(f"error: {message}", style="bold red"))


def plan_badge_text(plan: Plan, answer: Answer | None = None) -> Text:
    tokens = plan.tokens
    cached = tokens.cache_read / tokens.total if tokens.total else 0.0
    text = Text()
    text.append(f" {MODE_NAMES.get(plan.mode, plan.mode)} ", style="bold reverse")
    text.append(f" {tokens.total:,} tokens · ${plan.cost_usd:.4f} · {cached:.0%} cached")
    if plan.mode == "map_reduce":
        text.append(f" · {plan.groups} groups")
    if plan.reasons:
        text.append(f"\n{plan.reasons[0].text}", style="italic")
    if answer is not None:
        usage = answer.usage
        share = usage.cache_read_tokens / usage.input_tokens if usage.input_tokens else 0.0
        text.append(
            f"\nsent {usage.input_tokens:,} in / {usage.output_tokens:,} out · ${usage.cost_usd:.4f} · "
            f"{share:.0%} cached · {answer.backend}/{answer.model}"
            + ("" if answer.confidence is None else f" · confidence {answer.confidence:.2f}"),
            style="dim",
        )
        if answer.insufficient_context:
            text.append("\ninsufficient context: the passages read do not answer this", style="bold yellow")
        for note in answer.notes:
            text.append(f"\nnote: {note}", style="yellow")
    return text


class AnswerView(Vertical):
    """A question, its plan badge and its answer streaming in as Markdown; click it to see its evidence."""

    class Chosen(Message):
        """The user clicked this answer: show its evidence."""

        def __init__(self, view: AnswerView) -> None:
            super().__init__()
            self.view = view

    def __init__(self, question: str) -> None:
        super().__init__(classes="answer")
        self.question = question
        self.badge = PlanBadge("planning…", classes="badge")
        self.markdown = Markdown(classes="answer-text")
        self.answer: Answer | None = None
        self.done = False  # answered or failed
        self.streamed: list[str] = []  # the fragments as they arrived
        self._stream: MarkdownStream | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text(f"❯ {self.question}", style="bold"), classes="question")
        yield self.badge
        yield self.markdown

    def on_mount(self) -> None:
        self._stream = Markdown.get_stream(self.markdown)

    def on_click(self) -> None:
        self.post_message(self.Chosen(self))

    async def write(self, fragment: str) -> None:
        self.streamed.append(fragment)
        if self._stream is not None:
            await self._stream.write(fragment)

    async def _stop(self) -> None:
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None

    async def finish(self, answer: Answer) -> None:
        await self._stop()
        self.answer = answer
        # a backend that did not stream, or an answer whose images/links were made inert (docintel.egress.links): the
        # final text replaces what streamed, so no image is fetched and no link to an unknown host stays live
        if not self.markdown.source.strip() or answer.suspicious_links:
            await self.markdown.update(visible_text(answer.text))  # no internal marker on screen
        self.badge.show_answer(answer)
        self.done = True

    async def fail(self, message: str) -> None:
        await self._stop()
        self.badge.show_error(message)
        self.done = True


# ---------------------------------------------------------------------------------------------------- evidence
class EvidenceList(OptionList):
    """The cited spans of the current answer: location label and quoted text; select one to see it in context."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.citations: list[Citation] = []

    def show_citations(self, citations: Iterable[Citation]) -> None:
        self.citations = list(citations)
        self.clear_options()
        self.add_options([Option(evidence_text(c), id=str(i)) for i, c in enumerate(self.citations)])
        if self.citations:
            self.highlighted = 0

    def citation_at(self, option_index: int) -> Citation:
        return self.citations[option_index]


def evidence_text(citation: Citation, max_chars: int = 240) -> Text:
    quote = " ".join(citation.quote.split())
    if len(quote) > max_chars:
        quote = quote[: max_chars - 1] + "…"
    text = Text()
    text.append(f"[{citation.id}] ", style="bold")
    text.append(citation.span.label(), style="bold cyan")
    text.append(f"\n{quote}\n")
    return text


def span_in_context(document: Document, span: SourceSpan, context_lines: int = CONTEXT_LINES) -> Text:
    """The lines around ``span`` with line numbers, the span's own characters highlighted."""
    source = document.text
    starts = [0]
    for i, char in enumerate(source):
        if char == "\n":
            starts.append(i + 1)
    first_line = bisect.bisect_right(starts, span.start) - 1  # 0-based lines holding the span's ends
    last_line = bisect.bisect_right(starts, max(span.start, span.end - 1)) - 1
    shown = range(max(0, first_line - context_lines), min(len(starts), last_line + context_lines + 1))
    width = len(str(shown.stop))
    text = Text()
    for n in shown:
        line_start = starts[n]
        line_end = starts[n + 1] - 1 if n + 1 < len(starts) else len(source)
        line = Text(source[line_start:line_end])
        lo, hi = max(span.start, line_start) - line_start, min(span.end, line_end) - line_start
        inside = lo < hi or first_line <= n <= last_line
        if lo < hi:
            line.stylize("bold black on yellow", lo, hi)
        text.append(f"{'▌' if inside else ' '}{n + 1:>{width}} │ ", style="bold yellow" if inside else "dim")
        text.append(line)
        text.append("\n")
    return text
