"""A Session: one opened corpus, its index and a configured backend; it owns each question's run.

    import docintel
    with docintel.open("path/to/repo") as session:              # a Session (CorpusHandle is the same class)
        answer = session.ask("Where are retries configured?")
        plan = session.plan("Summarize the design")              # runs no model, builds no backend

A question is routed once (``route_request``: corpus statistics, named documents, cache state), then
plan -> prompt -> generate -> check citations, with the two recoveries the design asks for, here and nowhere else:
- a prompt over the window (ours, or the backend's exact count) falls back to a retrieve plan, said in the notes;
- Self-Route: a retrieve answer that says the context is insufficient is re-asked as a full pass when the plan's
  fallback allows it; both calls' usage is reported.
Every front end (CLI, TUI, MCP server, audit, eval) goes through a Session; each step's value (Plan, Prompt,
Answer) stays inspectable through ``plan``, ``prompt`` and ``ask``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from docintel.answer import Answer, Usage
from docintel.backends import DEFAULT_BACKEND, Backend, check_backend_name, default_profile_id, resolve_options
from docintel.corpus import Corpus
from docintel.errors import InputError, PromptTooLongError
from docintel.plan import Mode, Plan, Reason
from docintel.profiles import ModelProfile, get_profile, load_profiles
from docintel.routers import Preference, RouteRequest, get_router

if TYPE_CHECKING:
    from docintel.index.corpus_index import CorpusIndex, Hit, SearchMode, UpdateReport
    from docintel.prompt import Prompt

Progress = Callable[[int, int, str], None]  # (done, total, current path)
OnText = Callable[[str], None]
OnPlan = Callable[[Plan], None]
PackFormat = Literal["md", "xml", "json"]
ProfileArg = str | ModelProfile | None


@dataclass(frozen=True)
class RouteOptions:
    """What the caller tells the router besides the question: ``mode`` forces one, ``prefer`` weighs recall
    against cost, ``expect_questions`` shares a full prefix's cache write among that many questions."""

    mode: Mode | None = None
    prefer: Preference = "balanced"
    expect_questions: int = 1
    budget_tokens: int | None = None  # cap on prompt tokens


@dataclass(frozen=True)
class BackendConfig:
    """A backend as every front end configures it: a registered name, option values, a profile (or none: the
    backend's own). ``check()`` validates without importing an SDK, loading a model or contacting a server."""

    name: str = DEFAULT_BACKEND
    options: Mapping[str, Any] = field(default_factory=dict)
    profile: ProfileArg = None
    planning_only: bool = False  # nothing will be generated: a missing key or model file is not an error

    def check(self) -> BackendConfig:
        """Raise a one-line DocintelError for an unknown backend, option or profile, a value of the wrong type,
        or (unless ``planning_only``) a missing key / model file. Returns self."""
        check_backend_name(self.name)
        resolve_options(self.name, self.options, required=not self.planning_only)
        self.resolved_profile()
        return self

    def resolved_profile(self) -> ModelProfile:
        return resolve_profile(self.profile, self.name, self.options)

    def key(self) -> tuple[str, tuple[tuple[str, str], ...], str | None]:
        profile = self.profile.id if isinstance(self.profile, ModelProfile) else self.profile
        return self.name, tuple(sorted((k, repr(v)) for k, v in self.options.items())), profile


def resolve_profile(profile: ProfileArg, backend: str, options: Mapping[str, Any] | None = None) -> ModelProfile:
    """The profile to plan with, the same for ``plan`` and ``ask``: the one named; else the profile of the
    backend's ``model`` option when there is one by that id (``--model claude-opus-4-6``); else the backend's
    default profile. No backend is built."""
    if isinstance(profile, ModelProfile):
        return profile
    if profile:
        return get_profile(profile)
    model = (options or {}).get("model")
    if isinstance(model, str) and model in load_profiles():
        return get_profile(model)
    return get_profile(default_profile_id(backend))


class Session:
    """An opened corpus and its index; cheap to keep around and reuse for many questions."""

    def __init__(
        self,
        path: Path,
        corpus: Corpus,
        index: CorpusIndex,
        fingerprint: str,
        *,
        backend: BackendConfig | None = None,
        report: UpdateReport | None = None,
        embed_model: str | None = None,
    ) -> None:
        self.path = path
        self.corpus = corpus
        self.index = index
        self.config = backend or BackendConfig()
        self.report = report  # what the last index update did (added, changed, embedded ...)
        self._fingerprint = fingerprint
        self._embed_model = embed_model
        self._backends: dict[tuple[Any, ...], Backend] = {}

    def __repr__(self) -> str:
        return f"Session({str(self.path)!r}, documents={len(self.corpus.documents)}, tokens={self.corpus.tokens})"

    # -- configuration ----------------------------------------------------------------------------------------
    def configure(
        self, backend: str | BackendConfig, options: Mapping[str, Any] | None = None, profile: ProfileArg = None
    ) -> BackendConfig:
        """Make ``backend`` (with ``options`` and ``profile``) the default of later questions; validated now."""
        config = backend if isinstance(backend, BackendConfig) else BackendConfig(backend, options or {}, profile)
        self.config = config.check()
        return self.config

    def _config(
        self, backend: str | BackendConfig | None, options: Mapping[str, Any] | None, profile: ProfileArg
    ) -> BackendConfig:
        if isinstance(backend, BackendConfig):
            return backend
        if backend is None or backend == self.config.name:
            base = self.config
            return BackendConfig(base.name, {**base.options, **(options or {})}, profile or base.profile)
        return BackendConfig(backend, options or {}, profile)

    def backend(
        self,
        backend: str | BackendConfig | Backend | None = None,
        *,
        options: Mapping[str, Any] | None = None,
        profile: ProfileArg = None,
    ) -> Backend:
        """A backend by name (validated, then built once per session and configuration) or the given object."""
        if backend is not None and not isinstance(backend, str | BackendConfig):
            from docintel.egress.guard import wrap_backend

            wrapped: Backend = wrap_backend(backend)  # a caller's own backend leaves through the egress seam too
            return wrapped
        config = self._config(backend, options, profile)
        key = config.key()
        if key not in self._backends:
            from docintel.backends import open_backend

            explicit = config.profile is not None or "model" in config.options
            self._backends[key] = open_backend(
                config.name, config.options, profile=config.resolved_profile() if explicit else None
            )
        return self._backends[key]

    # -- one question -----------------------------------------------------------------------------------------
    def request(
        self,
        question: str,
        *,
        profile: ModelProfile,
        backend_name: str,
        generative: bool | None = None,
        route: RouteOptions = RouteOptions(),
    ) -> RouteRequest:
        """What the router sees for ``question`` (computed once per question)."""
        from docintel.pipeline import route_request

        return route_request(
            self.corpus,
            self.index,
            question,
            profile=profile,
            budget_tokens=route.budget_tokens,
            backend_name=backend_name,
            generative=generative,
            mode=route.mode,
            prefer=route.prefer,
            expect_questions=route.expect_questions,
        )

    def plan(
        self,
        question: str,
        *,
        profile: ProfileArg = None,
        budget_tokens: int | None = None,
        backend: str | None = None,
        backend_options: Mapping[str, Any] | None = None,
        mode: Mode | None = None,
        prefer: Preference = "balanced",
        expect_questions: int = 1,
    ) -> Plan:
        """The route for ``question`` (full / retrieve / map-reduce), with reasons, tokens and cost. Runs no model
        and builds no backend: the profile comes from ``resolve_profile``, the rest from the backend's class."""
        from docintel.backends import capabilities_of

        config = self._config(backend, backend_options, profile)
        check_backend_name(config.name)
        route = RouteOptions(mode, prefer, expect_questions, budget_tokens)
        request = self.request(
            question,
            profile=config.resolved_profile(),
            backend_name=config.name,
            generative=capabilities_of(config.name).generative,
            route=route,
        )
        return get_router().route(request)

    def prompt(self, question: str, *, profile: ProfileArg = None, mode: Mode | None = None) -> Prompt:
        """The exact prompt a model would receive for ``question`` (blocks and citation ids)."""
        from docintel.pipeline import build_prompt

        plan = self.plan(question, profile=profile, mode=mode)
        return build_prompt(self.corpus, self.index, plan, profile=self._config(None, None, profile).resolved_profile())

    def ask(
        self,
        question: str,
        *,
        backend: str | BackendConfig | Backend | None = None,
        backend_options: Mapping[str, Any] | None = None,
        profile: ProfileArg = None,
        budget_tokens: int | None = None,
        mode: Mode | None = None,
        prefer: Preference = "balanced",
        expect_questions: int = 1,
        on_text: OnText | None = None,
        on_plan: OnPlan | None = None,
    ) -> Answer:
        """Plan, build the prompt, run the backend, check citations: the Answer ``docintel ask`` prints."""
        engine = self.backend(backend, options=backend_options, profile=profile)
        # The backend's view of the profile (a window learned at run time); a profile named beside a ready-made
        # Backend object plans as named.
        given_object = backend is not None and not isinstance(backend, str | BackendConfig)
        plan_profile = resolve_profile(profile, engine.name) if given_object and profile else engine.profile
        request = self.request(
            question,
            profile=plan_profile,
            backend_name=engine.name,
            generative=engine.capabilities.generative,
            route=RouteOptions(mode, prefer, expect_questions, budget_tokens),
        )
        return answer_request(self.corpus, self.index, request, engine, on_text=on_text, on_plan=on_plan)

    # -- the other views --------------------------------------------------------------------------------------
    def search(
        self,
        query: str,
        k: int = 10,
        *,
        mode: SearchMode = "fused",
        paths: list[str] | None = None,
        include_data: bool = False,
    ) -> list[Hit]:
        """Ranked chunks for ``query`` (lexical + semantic, fused). ``include_data`` also searches the documents
        set aside from the corpus (data files, vendored libraries, generated code)."""
        return self.index.search(query, k=k, mode=mode, paths=paths, include_aside=include_data)

    def pack(
        self,
        question: str,
        *,
        budget_tokens: int,
        fmt: PackFormat = "md",
        profile: ProfileArg = None,
        redact: bool | None = None,
    ) -> str:
        """The context for ``question`` within ``budget_tokens``, cited, for pasting into another model."""
        from docintel.pipeline import pack

        resolved = None if profile is None else resolve_profile(profile, self.config.name)
        return pack(
            self.corpus, self.index, question, budget_tokens=budget_tokens, fmt=fmt, profile=resolved, redact=redact
        )

    def outline(self, budget_tokens: int = 2000) -> str:
        """The query-independent corpus map (repo map / table of contents / speakers and agenda)."""
        from docintel.assemble.corpus_map import build_corpus_map

        return build_corpus_map(self.corpus, budget_tokens=budget_tokens)

    def stats(self) -> dict[str, Any]:
        """Documents, segments and tokens by kind and language, largest documents, skipped files, content hash."""
        from docintel.corpus_stats import corpus_stats

        data = corpus_stats(self.corpus)
        data["content_hash"] = self.corpus.content_hash
        return data

    # -- lifetime ---------------------------------------------------------------------------------------------
    def is_stale(self) -> bool:
        """True when a file under the corpus was added, removed or changed since it was opened."""
        return fingerprint(self.path) != self._fingerprint

    def refresh(self, *, progress: Progress | None = None) -> bool:
        """Re-read the corpus if files changed (the index update is incremental). Returns whether it did."""
        if not self.is_stale():
            return False
        fresh = open(self.path, progress=progress, embed_model=self._embed_model)
        old = self.index
        self.corpus, self.index, self._fingerprint = fresh.corpus, fresh.index, fresh._fingerprint
        self.report = fresh.report
        old.close()
        return True

    def close(self) -> None:
        """Release the index (its files stay under ``$DOCINTEL_HOME`` for the next open)."""
        self.index.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ------------------------------------------------------------------------------------------------ the run
def answer_request(
    corpus: Corpus,
    index: Any,
    request: RouteRequest,
    backend: Backend,
    *,
    router: str = "heuristic",
    on_text: OnText | None = None,
    on_plan: OnPlan | None = None,
) -> Answer:
    """Route ``request``, assemble, answer, check citations; the over-window fallback and Self-Route included.
    The request is re-routed (another ``force_mode``), never re-computed."""
    from docintel.pipeline import answer_plan

    route = get_router(router).route
    profile = request.profile
    plan = route(request)
    if on_plan:
        on_plan(plan)
    notes: list[str] = []
    try:
        answer = answer_plan(corpus, index, plan, backend, profile, on_text)
    except PromptTooLongError as e:
        if plan.mode == "retrieve":
            raise
        notes.append(f"the {plan.mode} prompt did not fit ({e}); answered from retrieved passages instead")
        plan = _with_reason(
            route(replace(request, force_mode="retrieve")),
            "prompt_too_long",
            f"the {plan.mode} prompt was over the window: fell back to retrieve",
            tokens=e.tokens,
            window=e.window,
        )
        if on_plan:
            on_plan(plan)
        answer = answer_plan(corpus, index, plan, backend, profile, on_text)
    if answer.insufficient_context and plan.fallback == "full":
        answer = _self_route(corpus, index, request, route, answer, backend, on_text, notes)
    return replace(answer, notes=(*answer.notes, *notes))


def _self_route(
    corpus: Corpus,
    index: Any,
    request: RouteRequest,
    route: Callable[[RouteRequest], Plan],
    first: Answer,
    backend: Backend,
    on_text: OnText | None,
    notes: list[str],
) -> Answer:
    """Re-ask a retrieve answer that said the context was insufficient as a full pass; report both calls."""
    from docintel.pipeline import answer_plan

    full_plan = _with_reason(
        route(replace(request, force_mode="full")),
        "self_route_escalated",
        "the retrieved passages were not enough (the answer said so): re-asked with the full text",
        first_mode=first.plan.mode,
    )
    if on_text:
        on_text("\n\n")
    try:
        second = answer_plan(corpus, index, full_plan, backend, request.profile, on_text)
    except PromptTooLongError as e:
        notes.append(f"the full pass to escalate to did not fit ({e}); kept the retrieve answer")
        return first
    notes.append("the retrieved passages were not enough: escalated to a full pass (Self-Route)")
    calls = (*first.calls, *second.calls)
    return replace(second, usage=sum(calls, Usage()), calls=calls)


def _with_reason(plan: Plan, code: str, text: str, **data: Any) -> Plan:
    return replace(plan, reasons=(*plan.reasons, Reason(code, text, data)))


def ask(
    corpus: Corpus,
    index: Any,
    question: str,
    *,
    backend: Backend | None = None,
    profile: ModelProfile | None = None,
    budget_tokens: int | None = None,
    mode: Mode | None = None,
    on_text: OnText | None = None,
    on_plan: OnPlan | None = None,
) -> Answer:
    """One question over an already-opened corpus and index (what ``Session.ask`` runs), for callers that hold
    the two values themselves. ``backend`` defaults to the extractive one; ``profile`` to the backend's."""
    from docintel.backends import open_backend
    from docintel.pipeline import route_request

    engine = backend or open_backend(DEFAULT_BACKEND)
    request = route_request(
        corpus,
        index,
        question,
        profile=profile or engine.profile,
        budget_tokens=budget_tokens,
        backend_name=engine.name,
        generative=engine.capabilities.generative,
        mode=mode,
    )
    return answer_request(corpus, index, request, engine, on_text=on_text, on_plan=on_plan)


# ------------------------------------------------------------------------------------------------ opening
def open(
    path: str | os.PathLike[str],
    *,
    backend: str | BackendConfig = DEFAULT_BACKEND,
    backend_options: Mapping[str, Any] | None = None,
    profile: ProfileArg = None,
    progress: Progress | None = None,
    load_progress: Progress | None = None,
    embed_model: str | None = None,
    vector_store: str | None = None,
    ray_address: str | None = None,
) -> Session:
    """Read ``path`` (a folder or one file) and build or update its index under ``$DOCINTEL_HOME``.

    ``vector_store`` keeps the vectors in FAISS files (default) or Milvus (docintel.index.vector_store); ``ray_address``
    embeds new chunks on a Ray cluster (docintel.index.ray_embedder) instead of this machine's cores.

    The backend configuration is checked first (a missing key or model file fails in well under a second,
    before anything is read). ``load_progress(done, total, current_path)`` is called while files are read,
    ``progress(done, total, current_path)`` while chunks are embedded (only new or changed chunks)."""
    from docintel.index.corpus_index import CorpusIndex
    from docintel.ingest import load_corpus
    from docintel.inputs import require_documents

    config = backend if isinstance(backend, BackendConfig) else BackendConfig(backend, backend_options or {}, profile)
    config.check()
    given = Path(path).expanduser()
    if not given.exists():
        raise InputError(f"path not found: {given}")
    resolved = given.resolve()
    stamp = fingerprint(resolved)
    corpus = require_documents(load_corpus(resolved, progress=load_progress))  # before any index file is written
    index = CorpusIndex.open(resolved, model=embed_model, vector_store=vector_store)
    if ray_address:
        from docintel.index.ray_embedder import RayEmbedder

        index.embedder = RayEmbedder(index.embedder, ray_address, model=embed_model)
    try:
        report = index.update(corpus, progress)
    except BaseException:
        index.close()
        raise
    return Session(resolved, corpus, index, stamp, backend=config, report=report, embed_model=embed_model)


def fingerprint(path: Path) -> str:
    """A cheap stamp of every file's name, size and mtime under ``path`` (no file is read)."""
    h = hashlib.sha256()
    if path.is_file():
        st = path.stat()
        h.update(f"{path.name}\0{st.st_size}\0{st.st_mtime_ns}".encode("utf-8", "surrogateescape"))
        return h.hexdigest()
    stack = [str(path)]
    while stack:  # iterative: os.walk recurses once per folder level (RecursionError past ~1,000 levels)
        try:
            entries = sorted(os.scandir(stack.pop()), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != ".git":
                        stack.append(entry.path)
                    continue
                st = entry.stat()
            except OSError:
                continue
            line = f"{os.path.relpath(entry.path, path)}\0{st.st_size}\0{st.st_mtime_ns}\n"
            h.update(line.encode("utf-8", "surrogateescape"))
    return h.hexdigest()


__all__ = [
    "BackendConfig",
    "RouteOptions",
    "Session",
    "answer_request",
    "ask",
    "fingerprint",
    "open",
    "resolve_profile",
]
