"""docintel as an MCP agent tool (official ``mcp`` SDK, stdio): ask, search, plan, pack, outline.

Every tool takes a ``path``: a corpus folder or file inside one of the allowed roots (default: the single root).
Paths are confined to those roots: ``..`` is refused and the resolved path (symlinks followed) must lie inside a
root. Opened corpora stay cached per path and are re-read when their files change. The server never writes into
a corpus: indexes live under ``$DOCINTEL_HOME``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePath
from typing import Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from docintel import __version__
from docintel.answer import Answer
from docintel.corpus import SourceSpan
from docintel.display import visible_text
from docintel.egress.guard import guard_text  # every result carrying corpus text leaves through the egress seam
from docintel.errors import DocintelError
from docintel.ingest.paths import fs_path, portable_name
from docintel.plan import Plan
from docintel.session import Session
from docintel.session import open as open_corpus

ModeName = Literal["full", "retrieve", "map_reduce"]
PreferName = Literal["cost", "balanced", "quality"]

INSTRUCTIONS = (
    "docintel answers questions about a code repository, contracts or meeting transcripts and cites exact spans. "
    "Use `outline` to see what a corpus holds, `ask` for a cited answer (the route taken and its cost come back), "
    "`search` for ranked passages, `plan` to see what a question would cost before asking, and `pack` for cited "
    "context within a token budget to read yourself."
)


# -- structured results ---------------------------------------------------------------------------------------


class CitationOut(BaseModel):
    id: str = Field(description="citation id as used in the answer text, e.g. [3]")
    path: str = Field(description="file path relative to the corpus root")
    label: str = Field(description="human locator: path:lines, page, clause, timestamp")
    start_line: int
    end_line: int
    page: int | None = None
    clause: str | None = None
    speaker: str | None = None
    start_time: float | None = Field(default=None, description="seconds from the start of the recording")
    end_time: float | None = None
    quote: str


class RouteOut(BaseModel):
    mode: Literal["full", "retrieve", "map_reduce"] = Field(description="what the model read")
    question_type: str
    reasons: list[str] = Field(description="why this route, for people")
    reason_codes: list[str] = Field(description="why this route, for programs")
    fallback: str | None = Field(default=None, description="route to escalate to if the context is insufficient")
    profile: str = Field(description="model profile the route was planned for")
    scope: list[str] = Field(default_factory=list, description="the documents the question names (read whole)")
    candidates: list[str] = Field(
        default_factory=list,
        description="documents the question fits about equally when it names none: name one to narrow it",
    )


class TokensOut(BaseModel):
    estimated_input: int = Field(description="planned prompt tokens")
    estimated_cache_write: int
    estimated_cache_read: int
    estimated_output: int
    estimated_cost_usd: float
    input: int = Field(default=0, description="prompt tokens the backend reported")
    output: int = 0
    cached: int = Field(default=0, description="prompt tokens read from the prompt cache")
    cache_write: int = 0
    cost_usd: float = Field(default=0.0, description="actual cost of the call(s)")


class AskResult(BaseModel):
    path: str
    answer: str
    citations: list[CitationOut]
    route: RouteOut
    tokens: TokensOut
    cached_tokens: int
    insufficient_context: bool = Field(description="the answer says the context did not hold the answer")
    confidence: float | None = Field(
        default=None,
        description="0..1 when the backend rates its own answer (extractive); below its threshold the answer says "
        "no clear answer was found and lists the closest passages as evidence only",
    )
    invalid_citations: list[str]
    backend: str
    model: str
    notes: list[str]
    suspicious_links: list[str] = Field(
        default=[], description="images and links to hosts not in the corpus, made inert in `answer`"
    )


class PlanResult(BaseModel):
    path: str
    route: RouteOut
    tokens: TokensOut
    alternatives: dict[str, float] = Field(description="estimated cost (USD) of each feasible route")
    k: int
    groups: int


class HitOut(BaseModel):
    path: str
    label: str
    start_line: int
    end_line: int
    page: int | None = None
    clause: str | None = None
    speaker: str | None = None
    start_time: float | None = None
    end_time: float | None = None
    unit: str
    name: str | None = None
    score: float
    text: str


class SearchResult(BaseModel):
    path: str
    query: str
    hits: list[HitOut]


class PackResult(BaseModel):
    path: str
    budget_tokens: int
    tokens: int = Field(description="estimated tokens of the packed context (cl100k)")
    format: str
    context: str


class OutlineResult(BaseModel):
    path: str
    documents: int
    tokens: int
    kinds: dict[str, int]
    content_hash: str
    outline: str


# -- conversions ----------------------------------------------------------------------------------------------


def _citation(cid: str, span: SourceSpan, quote: str) -> CitationOut:
    return CitationOut(
        id=cid,
        path=span.path,
        label=span.label(),
        start_line=span.start_line,
        end_line=span.end_line,
        page=span.page,
        clause=span.clause,
        speaker=span.speaker,
        start_time=span.start_time,
        end_time=span.end_time,
        quote=guard_text(quote, path=span.path),
    )


def _route(plan: Plan) -> RouteOut:
    return RouteOut(
        mode=plan.mode,
        question_type=plan.question_type,
        reasons=[r.text for r in plan.reasons],
        reason_codes=[r.code for r in plan.reasons],
        fallback=plan.fallback,
        profile=plan.profile,
        scope=list(plan.scope),
        candidates=list(plan.candidates),
    )


def _tokens(plan: Plan, answer: Answer | None = None) -> TokensOut:
    out = TokensOut(
        estimated_input=plan.tokens.total,
        estimated_cache_write=plan.tokens.cache_write,
        estimated_cache_read=plan.tokens.cache_read,
        estimated_output=plan.tokens.output,
        estimated_cost_usd=plan.cost_usd,
    )
    if answer is not None:
        u = answer.usage
        out.input, out.output, out.cached, out.cache_write = (
            u.input_tokens,
            u.output_tokens,
            u.cache_read_tokens,
            u.cache_write_tokens,
        )
        out.cost_usd = u.cost_usd
    return out


def ask_result(path: str, answer: Answer) -> AskResult:
    return AskResult(
        path=path,
        answer=guard_text(visible_text(answer.text)),  # no internal marker reaches the agent
        citations=[_citation(c.id, c.span, c.quote) for c in answer.citations],
        route=_route(answer.plan),
        tokens=_tokens(answer.plan, answer),
        cached_tokens=answer.usage.cache_read_tokens,
        insufficient_context=answer.insufficient_context,
        confidence=answer.confidence,
        invalid_citations=list(answer.invalid_citations),
        backend=answer.backend,
        model=answer.model,
        notes=list(answer.notes),
        suspicious_links=list(answer.suspicious_links),
    )


# -- roots and the corpus cache -------------------------------------------------------------------------------

MAX_PATH_CHARS = 4096  # Linux PATH_MAX; one name may have at most NAME_MAX = 255 bytes
MAX_NAME_BYTES = 255


def _shown(path: str) -> str:
    """A path for a refusal message: quoted, and cut short when it is absurdly long."""
    return repr(path) if len(path) <= 120 else f"{path[:60]!r}…({len(path):,} characters)"


def path_refusal(path: str) -> str | None:
    """Why ``path`` cannot name a file at all (checked before the filesystem is touched), or None."""
    if "\0" in path:
        return "the path contains a NUL byte"
    if len(path) > MAX_PATH_CHARS:
        return f"the path is {len(path):,} characters long; the system allows {MAX_PATH_CHARS:,}"
    longest = max((len(part.encode("utf-8", "surrogateescape")) for part in PurePath(path).parts), default=0)
    if longest > MAX_NAME_BYTES:
        return f"a name in the path is {longest:,} bytes long; the system allows {MAX_NAME_BYTES} per name"
    return None


def os_reason(e: BaseException) -> str:
    """One line for an OS-level failure on a path: symlink loop, name too long, permission denied, ..."""
    import errno

    if isinstance(e, RuntimeError) and "loop" in str(e).lower():
        return "symlink loop (a link that points back at itself)"
    number = getattr(e, "errno", None)
    if number == errno.ELOOP:
        return "symlink loop (a link that points back at itself)"
    if number == errno.ENAMETOOLONG:
        return "the path is too long for the system"
    if number in (errno.EACCES, errno.EPERM):
        return "permission denied"
    detail = getattr(e, "strerror", None) or (str(e).splitlines()[0] if str(e) else type(e).__name__)
    return str(detail)[:160]


class CorpusCache:
    """Confines paths to the allowed roots and keeps one Session per resolved path."""

    def __init__(self, roots: Sequence[Path]) -> None:
        if not roots:
            raise DocintelError("no root given: pass --root PATH (a folder the agent may read)")
        resolved = []
        for root in roots:
            r = Path(root).expanduser()
            if not r.exists():
                raise DocintelError(f"root not found: {r}")
            resolved.append(r.resolve())
        self.roots: tuple[Path, ...] = tuple(resolved)
        self._handles: dict[Path, Session] = {}
        self._locks: dict[Path, threading.Lock] = {}
        self._guard = threading.Lock()

    def resolve(self, path: str | None) -> Path:
        """The resolved path for a tool call, or ToolError when it is missing or outside the allowed roots."""
        refusal = path_refusal(path or "")
        if refusal:
            raise ToolError(f"refused {_shown(path or '')}: {refusal}")
        try:
            return self._resolve(path)
        except (OSError, RuntimeError, ValueError) as e:  # a symlink loop, a name the system cannot take
            raise ToolError(f"refused {_shown(path or '')}: {os_reason(e)}") from None

    def _resolve(self, path: str | None) -> Path:
        if not path:
            if len(self.roots) == 1:
                return self.roots[0]
            raise ToolError(f"several roots are allowed; pass `path` (one of: {', '.join(map(str, self.roots))})")
        if ".." in PurePath(path).parts:
            raise ToolError(f"refused {path!r}: paths may not contain '..'; pass a path inside an allowed root")
        given = Path(path).expanduser()
        # fs_path: a file name that is not UTF-8 arrives in the spelling docintel cites it by (bad\\xff.txt)
        candidates = [given] if given.is_absolute() else [fs_path(root, path) for root in self.roots]
        for candidate in candidates:
            if not candidate.exists() and not candidate.is_symlink():
                continue
            real = candidate.resolve()
            if not any(real.is_relative_to(root) for root in self.roots):
                raise ToolError(
                    f"refused {path!r}: it resolves to {real}, outside the allowed roots (symlink escape?); "
                    f"allowed: {', '.join(map(str, self.roots))}"
                )
            if not real.exists():
                break
            return real
        if given.is_absolute() and not any(given.is_relative_to(r) for r in self.roots):
            raise ToolError(f"refused {path!r}: outside the allowed roots ({', '.join(map(str, self.roots))})")
        raise ToolError(f"path not found: {path!r} (relative paths are read inside the allowed roots)")

    def handle(self, path: str | None) -> tuple[str, Session]:
        """The opened corpus for ``path``, re-read if its files changed since the last call."""
        real = self.resolve(path)
        with self._guard:
            lock = self._locks.setdefault(real, threading.Lock())
        with lock:
            try:
                handle = self._handles.get(real)
                if handle is None:
                    handle = self._handles[real] = open_corpus(real)
                else:
                    handle.refresh()
            except DocintelError as e:
                raise ToolError(str(e)) from None
            except (OSError, RuntimeError) as e:
                raise ToolError(f"cannot read {_shown(str(real))}: {os_reason(e)}") from None
        return portable_name(str(real)), handle  # JSON-safe even for a name that is not UTF-8


# -- the server -----------------------------------------------------------------------------------------------


def _quiet_log_handlers() -> None:
    """Only warnings and errors reach stderr (the client's log pane). The level is set on the handlers, not only
    the root logger: a library that sets its own logger to DEBUG (bm25s does) still propagates to them."""
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.WARNING)


def build_server(
    roots: Sequence[Path],
    *,
    backend: str = "extractive",
    profile: str | None = None,
    backend_options: Mapping[str, Any] | None = None,
) -> MCPServer:
    """An MCP server exposing docintel over the corpora under ``roots``; ``ask`` answers with ``backend``
    configured by ``backend_options`` (its schema's options, as ``--backend-option`` gives them)."""
    options = dict(backend_options or {})
    cache = CorpusCache(roots)
    # WARNING: INFO logs (faiss loader, every tool failure) would flood the client's stderr pane
    mcp = MCPServer("docintel", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING")
    _quiet_log_handlers()

    def guarded(fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DocintelError as e:
            raise ToolError(str(e)) from None
        except OSError as e:  # a file that vanished or cannot be read mid-call: the reason, not a traceback
            raise ToolError(f"cannot read the corpus: {os_reason(e)}") from None

    @mcp.tool()
    def ask(
        question: str,
        path: str = "",
        budget_tokens: int | None = None,
        mode: ModeName | None = None,
        prefer: PreferName = "balanced",
        expect_questions: int = 1,
    ) -> AskResult:
        """Answer a question about the corpus at `path`, citing exact spans (path, lines / page / timestamp).

        The result says which route was taken (full pass, retrieval or map-reduce) and why, the estimated and
        actual tokens and cost, cached tokens, and `insufficient_context` when the corpus did not hold the answer.
        `mode` forces a route; `prefer` weighs recall against cost; `expect_questions` is how many questions
        you will ask this corpus (a cached prefix is shared among them).
        """
        where, handle = cache.handle(path)
        answer = guarded(
            handle.ask,
            question,
            backend=backend,
            backend_options=options,
            profile=profile,
            budget_tokens=budget_tokens,
            mode=mode,
            prefer=prefer,
            expect_questions=max(1, expect_questions),
        )
        return ask_result(where, answer)

    @mcp.tool()
    def plan(
        question: str,
        path: str = "",
        budget_tokens: int | None = None,
        mode: ModeName | None = None,
        prefer: PreferName = "balanced",
        expect_questions: int = 1,
    ) -> PlanResult:
        """What a question would cost before asking: the route (full / retrieve / map_reduce), reasons, tokens.
        Takes the same `mode`, `prefer` and `expect_questions` as `ask`."""
        where, handle = cache.handle(path)
        p: Plan = guarded(
            handle.plan,
            question,
            profile=profile,
            budget_tokens=budget_tokens,
            backend=backend,
            backend_options=options,
            mode=mode,
            prefer=prefer,
            expect_questions=max(1, expect_questions),
        )
        return PlanResult(
            path=where,
            route=_route(p),
            tokens=_tokens(p),
            alternatives=dict(p.alternatives),
            k=p.k,
            groups=p.groups,
        )

    @mcp.tool()
    def search(query: str, path: str = "", k: int = 10, include_data: bool = False) -> SearchResult:
        """Ranked passages for `query` (lexical and semantic search fused), each with its location.
        `include_data` also searches files set aside as data, vendored libraries or generated code."""
        where, handle = cache.handle(path)
        hits = guarded(handle.search, query, k=max(1, min(k, 100)), include_data=include_data)
        return SearchResult(
            path=where,
            query=query,
            hits=[
                HitOut(
                    path=h.chunk.span.path,
                    label=h.chunk.span.label(),
                    start_line=h.chunk.span.start_line,
                    end_line=h.chunk.span.end_line,
                    page=h.chunk.span.page,
                    clause=h.chunk.span.clause,
                    speaker=h.chunk.span.speaker,
                    start_time=h.chunk.span.start_time,
                    end_time=h.chunk.span.end_time,
                    unit=h.chunk.unit,
                    name=h.chunk.name,
                    score=float(h.score),
                    text=guard_text(h.chunk.text, path=h.chunk.span.path),
                )
                for h in hits
            ],
        )

    @mcp.tool()
    def pack(
        question: str, budget_tokens: int, path: str = "", format: Literal["md", "xml", "json"] = "md"
    ) -> PackResult:
        """Cited context for `question` that fits in `budget_tokens`, to read or pass to another model."""
        from docintel.tokens import count_tokens

        if budget_tokens < 1:
            raise ToolError("budget_tokens must be a positive number of tokens")
        where, handle = cache.handle(path)
        text: str = guarded(handle.pack, question, budget_tokens=budget_tokens, fmt=format, profile=profile)
        return PackResult(
            path=where, budget_tokens=budget_tokens, tokens=count_tokens(text), format=format, context=text
        )

    @mcp.tool()
    def outline(path: str = "", budget_tokens: int = 2000) -> OutlineResult:
        """The corpus map: most referenced symbols of a repo, a contract's sections and defined terms, a
        transcript's speakers and agenda."""
        where, handle = cache.handle(path)
        text: str = guarded(handle.outline, budget_tokens=budget_tokens)
        corpus = handle.corpus
        return OutlineResult(
            path=where,
            documents=len(corpus.documents),
            tokens=corpus.tokens,
            kinds=corpus.kinds,
            content_hash=corpus.content_hash,
            outline=guard_text(text),
        )

    mcp.corpus_cache = cache  # type: ignore[attr-defined]  # tests and embedders inspect the cache
    return mcp


def serve(
    roots: Sequence[Path],
    *,
    backend: str = "extractive",
    profile: str | None = None,
    backend_options: Mapping[str, Any] | None = None,
) -> None:
    """Run the server over stdio until the client disconnects."""
    build_server(roots, backend=backend, profile=profile, backend_options=backend_options).run()
