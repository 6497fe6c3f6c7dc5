"""Audit checklists: packaged YAML (``docintel/data/checklists/*.yaml``) or a user's file, loaded into values.

A checklist is a list of questions, each with a severity, retrieval hints and line patterns. The questions go
through the normal pipeline (routed like any question); the patterns mark candidate evidence when no model
judges it (the extractive backend).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from docintel.corpus import Corpus
from docintel.errors import InputError

Severity = Literal["critical", "high", "medium", "low", "info"]
SEVERITIES: tuple[Severity, ...] = ("info", "low", "medium", "high", "critical")  # ascending


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    title: str
    question: str
    severity: Severity
    hints: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    cwe: str | None = None

    @property
    def prompt_question(self) -> str:
        """The question as sent through the pipeline: hints appended so retrieval finds the right spans."""
        if not self.hints:
            return self.question
        return f"{self.question} Look for: {', '.join(self.hints)}."

    def compiled(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p, re.MULTILINE) for p in self.patterns)


@dataclass(frozen=True)
class Checklist:
    name: str
    title: str
    version: int
    kinds: tuple[str, ...]  # document kinds the patterns are matched in ("code"; "contract", "text")
    items: tuple[ChecklistItem, ...]
    source: str  # "packaged" or the file path


def packaged_checklists() -> list[str]:
    folder = resources.files("docintel").joinpath("data/checklists")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_checklist(name_or_path: str | Path) -> Checklist:
    """A packaged checklist by name (``code-security``) or a YAML file by path."""
    import yaml

    text: str
    source: str
    candidate = Path(name_or_path).expanduser()
    if str(name_or_path) in packaged_checklists():
        text = resources.files("docintel").joinpath(f"data/checklists/{name_or_path}.yaml").read_text("utf-8")
        source = "packaged"
    elif candidate.is_file():
        text, source = candidate.read_text(encoding="utf-8"), str(candidate)
    else:
        known = ", ".join(packaged_checklists())
        raise InputError(f"no checklist {str(name_or_path)!r}: name a packaged one ({known}) or a YAML file")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise InputError(f"checklist {source}: not valid YAML ({str(e).splitlines()[0]})") from None
    return parse_checklist(data, source=source)


def parse_checklist(data: Any, *, source: str) -> Checklist:
    if not isinstance(data, Mapping) or not isinstance(data.get("items"), list) or not data["items"]:
        raise InputError(f"checklist {source}: needs a mapping with a non-empty `items` list")
    items: list[ChecklistItem] = []
    seen: set[str] = set()
    for n, raw in enumerate(data["items"], 1):
        where = f"checklist {source}, item {n}"
        if not isinstance(raw, Mapping):
            raise InputError(f"{where}: each item must be a mapping with id, question and severity")
        missing = [k for k in ("id", "question", "severity") if not raw.get(k)]
        if missing:
            raise InputError(f"{where}: missing {', '.join(missing)}")
        item_id = str(raw["id"])
        if item_id in seen:
            raise InputError(f"{where}: duplicate id {item_id!r}")
        seen.add(item_id)
        severity = str(raw["severity"]).lower()
        if severity not in SEVERITIES:
            raise InputError(f"{where}: severity {severity!r} is not one of {', '.join(SEVERITIES)}")
        patterns = tuple(str(p) for p in raw.get("patterns") or ())
        for p in patterns:
            try:
                re.compile(p)
            except re.error as e:
                raise InputError(f"{where} ({item_id}): bad pattern {p!r}: {e}") from None
        items.append(
            ChecklistItem(
                id=item_id,
                title=str(raw.get("title") or item_id),
                question=" ".join(str(raw["question"]).split()),
                severity=severity,
                hints=tuple(str(h) for h in raw.get("hints") or ()),
                patterns=patterns,
                cwe=str(raw["cwe"]) if raw.get("cwe") else None,
            )
        )
    name = str(data.get("name") or Path(source).stem)
    return Checklist(
        name=name,
        title=str(data.get("title") or name),
        version=int(data.get("version") or 1),
        kinds=tuple(str(k) for k in data.get("kinds") or _corpus_kinds()),
        items=tuple(items),
        source=source,
    )


def _corpus_kinds() -> tuple[str, ...]:
    """A checklist without ``kinds`` matches its patterns in every kind that is corpus (not data set aside)."""
    from docintel.kinds import registered

    return tuple(k.name for k in registered() if k.in_corpus)


def default_checklist(corpus: Corpus) -> Checklist:
    """The packaged checklist of the corpus's kind (``docintel.kinds.corpus_kind``: its project files, else the
    kind with most tokens), as that kind's plug-in names it."""
    from docintel.kinds import corpus_kind, get_kind

    kind, why = corpus_kind(corpus)
    name = get_kind(kind).checklist if kind else None
    if name is None:
        raise InputError(
            f"no packaged checklist for a {kind or 'empty'} corpus ({why}); pass --checklist "
            f"({', '.join(packaged_checklists())} or a YAML file)"
        )
    return load_checklist(name)
