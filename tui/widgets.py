"""The TUI's panels: the corpus tree, one answer (question, plan badge, streamed Markdown), the evidence list,
and a span shown in the context of its document.

They only display values the public API returns (Corpus, Plan, Answer, Citation, SourceSpan); no pipeline step
runs here.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Markdown, OptionList, Static, Tree
from textual.widgets.markdown import MarkdownStream
from textual.widgets.option_list import Option
from textual.widgets.tree import TreeNode

from docintel.answer import Answer, Citation
from docintel.corpus import KINDS, Corpus, Document, Segment, SourceSpan, format_timestamp
from docintel.plan import Plan

KIND_TITLES = {"code": "Code", "contract": "Contracts", "transcript": "Meetings", "text": "Text"}
MODE_NAMES = {"full": "full", "retrieve": "retrieve", "map_reduce": "map-reduce"}
_ARTICLE = re.compile(r"^([0-9]+|[IVXLC]+)\.")  # "12.1" belongs to article 12, "IV.2" to article IV
CODE_SYMBOLS = {"function", "class", "method"}
CONTEXT_LINES = 6  # lines shown above and below a span in its document


def tokens_label(tokens: int) -> str:
    return f"{tokens:,} tok"


def document_span(document: Document) -> SourceSpan:
    """A span covering the whole document (what selecting a file shows)."""
    return SourceSpan(document.path, 0, len(document.text), 1, document.text.count("\n") + 1)


# ------------------------------------------------------------------------------------------------ corpus tree
class CorpusTree(Tree[SourceSpan | None]):
    """Documents by kind: code files by folder (with their symbols), contracts with sections and clauses,
    meetings with their speakers (and turns); every node with its token count."""

    def show_corpus(self, corpus: Corpus) -> None:
        self.clear()
        self.root.set_label(f"{corpus.root.name}  {tokens_label(corpus.tokens)}")
        self.root.data = None
        for kind in KINDS:
            documents = [d for d in corpus.documents if d.kind == kind]
            if not documents:
                continue
            tokens = sum(d.tokens for d in documents)
            node = self.root.add(f"{KIND_TITLES[kind]} ({len(documents)})  {tokens_label(tokens)}", expand=True)
            if kind == "code":
                _add_code(node, documents)
            elif kind == "contract":
                for document in documents:
                    _add_contract(node.add(_doc_label(document), document_span(document), expand=True), document)
            elif kind == "transcript":
                for document in documents:
                    _add_meeting(node.add(_doc_label(document), document_span(document), expand=True), document)
            else:
                for document in documents:
                    node.add_leaf(_doc_label(document), document_span(document))
        if corpus.skipped:
            skipped = self.root.add(f"Skipped ({len(corpus.skipped)})", None)
            for item in corpus.skipped:
                skipped.add_leaf(f"{item.path}: {item.reason}", None)
        self.root.expand()


def _doc_label(document: Document, name: str | None = None) -> str:
    return f"{name or document.path}  {tokens_label(document.tokens)}"


def _add_code(parent: TreeNode[SourceSpan | None], documents: Sequence[Document]) -> None:
    folder_tokens: dict[str, int] = {}
    for document in documents:
        for folder in PurePosixPath(document.path).parents:
            folder_tokens[str(folder)] = folder_tokens.get(str(folder), 0) + document.tokens
    folders: dict[str, TreeNode[SourceSpan | None]] = {".": parent}
    for document in documents:  # sorted by path: a folder's files arrive together
        path = PurePosixPath(document.path)
        for folder in reversed(path.parents[:-1] if len(path.parents) > 1 else ()):
            key = str(folder)
            if key not in folders:
                folders[key] = folders[str(folder.parent)].add(
                    f"{folder.name}/  {tokens_label(folder_tokens[key])}", None, expand=True
                )
        holder = folders[str(path.parent)]
        symbols = [s for s in document.segments if s.unit in CODE_SYMBOLS and s.name]
        if symbols:
            file_node = holder.add(_doc_label(document, path.name), document_span(document))
            for segment in symbols:
                file_node.add_leaf(f"{segment.name}  {tokens_label(segment.tokens)}", segment.span)
        else:
            holder.add_leaf(_doc_label(document, path.name), document_span(document))


def _segment_label(segment: Segment) -> str:
    clause = segment.span.clause
    name = segment.name or clause or segment.unit
    if clause and not name.startswith(clause):
        name = f"{clause} {name}"
    return f"{name}  {tokens_label(segment.tokens)}"


def _add_contract(parent: TreeNode[SourceSpan | None], document: Document) -> None:
    """Sections grouped by article (the number before the first dot), clauses under the clause they extend:
    ``9.3(c)(i)`` under ``9.3(c)`` under ``9.3`` under article 9."""
    segments = list(document.segments)
    latest: dict[str, int] = {}  # clause id -> index of the segment that has it
    parents: list[int | str | None] = []  # a segment index, an article number, or None (the document)
    article_tokens: dict[str, int] = {}
    for i, segment in enumerate(segments):
        clause = segment.span.clause
        holder: int | str | None = None
        if clause:
            prefixes = [clause[:k] for k, char in enumerate(clause) if char in ".(" and k > 0]
            known = [p for p in prefixes if p in latest]
            if known:
                holder = latest[max(known, key=len)]
            elif (article := _ARTICLE.match(clause)) is not None:
                holder = article.group(1)
            latest[clause] = i
        parents.append(holder)
    for i, segment in enumerate(segments):  # an article's tokens: its sections' and their clauses'
        top: int | str | None = i
        while isinstance(top, int):
            top = parents[top]
        if isinstance(top, str):
            article_tokens[top] = article_tokens.get(top, 0) + segment.tokens
    has_children = {p for p in parents if isinstance(p, int)}
    nodes: dict[int | str, TreeNode[SourceSpan | None]] = {}
    for i, segment in enumerate(segments):
        holder = parents[i]
        if isinstance(holder, str) and holder not in nodes:
            nodes[holder] = parent.add(f"Article {holder}  {tokens_label(article_tokens[holder])}", None)
        into = parent if holder is None else nodes[holder]
        if i in has_children:
            nodes[i] = into.add(_segment_label(segment), segment.span)
        else:
            into.add_leaf(_segment_label(segment), segment.span)


def _add_meeting(parent: TreeNode[SourceSpan | None], document: Document) -> None:
    turns: dict[str, list[Segment]] = {}
    for segment in document.segments:
        turns.setdefault(segment.span.speaker or segment.name or "(unknown)", []).append(segment)
    for speaker, said in turns.items():
        tokens = sum(s.tokens for s in said)
        node = parent.add(f"{speaker} · {len(said)} turns  {tokens_label(tokens)}", said[0].span)
        for segment in said:
            node.add_leaf(_turn_label(segment), segment.span)


def _turn_label(segment: Segment) -> str:
    when = f"[{format_timestamp(segment.span.start_time)}] " if segment.span.start_time is not None else ""
    # the last line is what was said (a caption's first lines are its number and timing)
    said = segment.text.strip().splitlines()[-1] if segment.text.strip() else ""
    return f"{when}L{segment.span.start_line}: {said[:40]}"


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
            f"{share:.0%} cached · {answer.backend}/{answer.model}",
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
        if not self.markdown.source.strip():  # a backend that did not stream: show the final text
            await self.markdown.update(answer.text)
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
