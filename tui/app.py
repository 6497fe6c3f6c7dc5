"""``docintel tui PATH``: the corpus on the left, the conversation in the middle, the evidence on the right.

Everything goes through the public API (``docintel.open`` and ``Session.ask``); opening (indexing) and
answering run in thread workers so the UI never blocks, and a DocintelError becomes a notification.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Header, Input, Label, Markdown, OptionList, ProgressBar, Select, Static, Tree

from docintel.answer import Answer
from docintel.corpus import Document, SourceSpan
from docintel.display import StreamFilter
from docintel.errors import DocintelError
from docintel.plan import Plan
from docintel.tui.widgets import AnswerView, CorpusTree, EvidenceList, span_in_context

if TYPE_CHECKING:
    from docintel.session import Session

DEFAULT_BACKEND = "extractive"
OWN_PROFILE = "(backend's own)"  # the Select value for "no profile: the backend's default"

HELP = """\
# docintel

Ask a question about the corpus in the box at the bottom and press **enter**. The answer streams in with a
badge that says what the model read (**full** corpus, **retrieve**d passages or **map-reduce** over parts),
the estimated tokens and cost, the cached share and why.

The evidence on the right lists every cited span; select one (**enter** or click) to see it in its document.
Select a section, symbol or turn in the corpus tree to read it the same way.

| key | does |
|---|---|
| ctrl+q | quit |
| ctrl+l | clear the conversation |
| f1 | this help |
| escape | close a dialog |

The backend and profile at the top apply to the next question. The default, *extractive*, needs no model: it
quotes the best evidence.
"""


class SpanScreen(ModalScreen[None]):
    """A cited span in its document: the surrounding lines, the span highlighted."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "dismiss", "Close")]

    def __init__(self, document: Document, span: SourceSpan) -> None:
        super().__init__()
        self.document = document
        self.span = span
        self.context_text = span_in_context(document, span)

    def compose(self) -> ComposeResult:
        with Vertical(id="span-dialog") as dialog:
            dialog.border_title = self.span.label()
            dialog.border_subtitle = "escape to close"
            with VerticalScroll(id="span-scroll"):
                yield Static(self.context_text, id="span-context")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,f1", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog"):
            yield Markdown(HELP)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)


class DocintelApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "docintel"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("ctrl+l", "clear", "Clear"),
        Binding("f1", "help", "Help"),
    ]

    def __init__(
        self,
        path: str | Path,
        *,
        backend: str = DEFAULT_BACKEND,
        profile: str | None = None,
        backend_options: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.path = Path(path)
        self.backend_name = backend
        self.profile_name = profile
        # per backend: the options it was configured with (--backend-option); a backend chosen in the UI without
        # the options it needs fails with the factory's one-line message, as a notification
        self.backend_options: dict[str, dict[str, Any]] = {backend: dict(backend_options or {})}
        self.handle: Session | None = None
        self.answers: list[Answer] = []
        self._answering = False

    # -- layout ---------------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        from docintel.backends import REGISTRY
        from docintel.profiles import load_profiles

        yield Header()
        with Horizontal(id="toolbar"):
            yield Label("backend", classes="toolbar-label")
            yield Select([(name, name) for name in REGISTRY], value=self.backend_name, allow_blank=False, id="backend")
            yield Label("profile", classes="toolbar-label")
            profiles = [(OWN_PROFILE, OWN_PROFILE), *((p, p) for p in load_profiles())]
            yield Select(profiles, value=self.profile_name or OWN_PROFILE, allow_blank=False, id="profile")
            with Horizontal(id="indexing"):
                yield Label("Opening…", id="indexing-label")
                yield ProgressBar(show_eta=False, id="indexing-bar")
        with Horizontal(id="main"):
            tree = CorpusTree("corpus", id="corpus")
            tree.border_title = "Corpus"
            yield tree
            with Vertical(id="conversation") as conversation:
                conversation.border_title = "Conversation"
                yield VerticalScroll(id="messages")
                yield Input(placeholder="Ask a question about the corpus…", id="question", disabled=True)
            evidence = EvidenceList(id="evidence")
            evidence.border_title = "Evidence"
            yield evidence
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.path.name
        self.open_corpus()

    def on_unmount(self) -> None:
        if self.handle is not None:
            self.handle.close()

    # -- opening (indexing) ---------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="open")
    def open_corpus(self) -> None:
        import docintel

        def reading(done: int, total: int, _path: str) -> None:
            self.call_from_thread(self._show_progress, "Reading files", done, total)

        def embedding(done: int, total: int, _path: str) -> None:
            self.call_from_thread(self._show_progress, "Embedding chunks", done, total)

        try:
            handle = docintel.open(self.path, progress=embedding, load_progress=reading)
        except DocintelError as e:
            self.call_from_thread(self._open_failed, str(e))
            return
        self.call_from_thread(self._opened, handle)

    def _show_progress(self, stage: str, done: int, total: int) -> None:
        self.query_one("#indexing-label", Label).update(f"{stage} {done:,}/{total:,}")
        self.query_one("#indexing-bar", ProgressBar).update(total=max(total, 1), progress=done)

    def _opened(self, handle: Session) -> None:
        self.handle = handle
        corpus = handle.corpus
        self.sub_title = f"{self.path.name} · {len(corpus.documents)} documents · {corpus.tokens:,} tokens"
        self.query_one(CorpusTree).show_corpus(corpus)
        self.query_one("#indexing").display = False
        question = self.query_one("#question", Input)
        question.disabled = False
        question.focus()
        if not corpus.documents:
            skipped = f" ({len(corpus.skipped)} files skipped)" if corpus.skipped else ""
            self.notify(f"no documents to read under {self.path}{skipped}", severity="warning", timeout=30)

    def _open_failed(self, message: str) -> None:
        self.query_one("#indexing-label", Label).update("could not open the corpus")
        self.query_one("#indexing-bar", ProgressBar).display = False
        self.notify(message, title="docintel", severity="error", timeout=30)

    # -- asking ---------------------------------------------------------------------------------------------
    @on(Input.Submitted, "#question")
    async def submit_question(self, event: Input.Submitted) -> None:
        question = event.value.strip()
        if not question or self.handle is None:
            return
        if self._answering:
            self.notify("Still answering the last question; ask again when it is done.", severity="warning")
            return
        event.input.clear()
        view = AnswerView(question)
        messages = self.query_one("#messages", VerticalScroll)
        await messages.mount(view)
        messages.scroll_end(animate=False)
        self._answering = True
        self.ask(question, view)

    @work(thread=True, exclusive=True, group="ask")
    def ask(self, question: str, view: AnswerView) -> None:
        assert self.handle is not None

        def write(fragment: str) -> None:
            self.call_from_thread(view.write, fragment)

        on_text = StreamFilter(write)  # docintel's internal markers never reach the screen

        def on_plan(plan: Plan) -> None:
            self.call_from_thread(view.badge.show_plan, plan)

        try:
            answer = self.handle.ask(
                question,
                backend=self.backend_name,
                backend_options=self.backend_options.get(self.backend_name),
                profile=self.profile_name,
                on_text=on_text,
                on_plan=on_plan,
            )
            on_text.close()
        except DocintelError as e:
            self.call_from_thread(self._ask_failed, view, str(e))  # type: ignore[arg-type]  # async callback
            return
        except Exception as e:  # a bug, not the user's doing: say so, but keep the session and the conversation
            self.log.error(f"ask failed: {e!r}")
            message = f"unexpected error ({type(e).__name__}): {e}"
            self.call_from_thread(self._ask_failed, view, message)  # type: ignore[arg-type]  # async callback
            return
        self.call_from_thread(self._answered, view, answer)  # type: ignore[arg-type]  # async callback

    async def _answered(self, view: AnswerView, answer: Answer) -> None:
        await view.finish(answer)
        self.answers.append(answer)
        self.query_one(EvidenceList).show_citations(answer.citations)
        self.query_one("#messages", VerticalScroll).scroll_end(animate=False)
        self._answering = False

    async def _ask_failed(self, view: AnswerView, message: str) -> None:
        await view.fail(message)
        self.notify(message, title="docintel", severity="error", timeout=30)
        self._answering = False

    # -- backend and profile --------------------------------------------------------------------------------
    @on(Select.Changed, "#backend")
    def backend_changed(self, event: Select.Changed) -> None:
        self.backend_name = str(event.value)

    @on(Select.Changed, "#profile")
    def profile_changed(self, event: Select.Changed) -> None:
        self.profile_name = None if event.value == OWN_PROFILE else str(event.value)

    # -- evidence and corpus navigation ---------------------------------------------------------------------
    @on(AnswerView.Chosen)
    def answer_chosen(self, event: AnswerView.Chosen) -> None:
        answer = event.view.answer
        self.query_one(EvidenceList).show_citations(answer.citations if answer else ())

    @on(OptionList.OptionSelected, "#evidence")
    def evidence_selected(self, event: OptionList.OptionSelected) -> None:
        citation = self.query_one(EvidenceList).citation_at(event.option_index)
        self.show_span(citation.span)

    @on(Tree.NodeSelected, "#corpus")
    def corpus_node_selected(self, event: Tree.NodeSelected[Any]) -> None:
        # Nodes with children toggle open/closed on select; leaves (a clause, a symbol, a turn) open in context.
        if isinstance(event.node.data, SourceSpan) and not event.node.allow_expand:
            self.show_span(event.node.data)

    def show_span(self, span: SourceSpan) -> None:
        if self.handle is None:
            return
        self.push_screen(SpanScreen(self.handle.corpus.document(span.path), span))

    # -- actions --------------------------------------------------------------------------------------------
    async def action_clear(self) -> None:
        if self._answering:
            self.notify("Wait for the answer before clearing.", severity="warning")
            return
        await self.query_one("#messages", VerticalScroll).remove_children()
        self.query_one(EvidenceList).show_citations(())
        self.answers.clear()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())


def run(
    path: str | Path,
    *,
    backend: str = DEFAULT_BACKEND,
    profile: str | None = None,
    backend_options: Mapping[str, Any] | None = None,
) -> None:
    """Run the TUI on ``path`` until the user quits."""
    DocintelApp(path, backend=backend, profile=profile, backend_options=backend_options).run()


__all__ = ["DocintelApp", "HelpScreen", "SpanScreen", "run"]
