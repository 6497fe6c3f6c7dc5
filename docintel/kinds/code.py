"""Source code: files in a language tree-sitter parses (``docintel.ingest.repo`` reads them into units)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import PurePosixPath

from docintel.corpus import Document, Segment
from docintel.ingest.detect import CODE_LANGUAGES
from docintel.kinds.base import (
    DocumentKind,
    FileSample,
    OutlineNode,
    budgeted,
    document_label,
    document_span,
    tokens_label,
)
from docintel.tokens import count_tokens

CODE_SYMBOLS = {"function", "class", "method"}  # the units shown under a file in the outline
CODE_UNITS = ("function", "class", "method", "statement", "module", "decorated")


class CodeKind(DocumentKind):
    name = "code"
    title = "Code"
    map_title = "Repository map (most referenced definitions)"
    loader = "docintel.ingest.repo:CodeLoader"
    priority = 30
    checklist = "code-security"
    project_files = (
        "manage.py", "setup.py", "setup.cfg", "pyproject.toml", "package.json", "go.mod", "Cargo.toml", "pom.xml",
        "build.gradle", "build.gradle.kts", "Gemfile", "composer.json", "CMakeLists.txt", "mix.exs", "Package.swift",
    )  # fmt: skip

    def detect(self, sample: FileSample) -> str | None:
        language = CODE_LANGUAGES.get(sample.suffix)
        return f"{language} source" if language else None

    def map_section(self, documents: Sequence[Document], budget_tokens: int) -> list[str]:
        """Most referenced definitions first, grouped by file; a name's score is how many other files use it."""
        used_in: Counter[str] = Counter()
        for d in documents:
            used_in.update(set(d.references))
        ranked: list[tuple[int, str, str, str, int]] = []
        for d in documents:
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
                f"  {kind} {name} (line {line}, used in {refs} files)"
                for line, kind, name, refs in sorted(chosen[path])
            )
        left = len(ranked) - sum(len(v) for v in chosen.values())
        if left > 0:
            lines.append(f"… ({left} less referenced definitions left out of the map)")
        if not ranked:
            lines = budgeted((f"{d.path} ({d.tokens:,} tokens)" for d in documents), budget_tokens)
        return lines

    def outline(self, documents: Sequence[Document]) -> list[OutlineNode]:
        """Files by folder (each folder with its tokens), each file with its functions, classes and methods."""
        folder_tokens: dict[str, int] = {}
        for document in documents:
            for folder in PurePosixPath(document.path).parents:
                folder_tokens[str(folder)] = folder_tokens.get(str(folder), 0) + document.tokens
        # folder -> its entries in the order a walk of the sorted paths meets them: subfolder keys and file nodes
        entries: dict[str, list[str | OutlineNode]] = {".": []}
        for document in documents:
            path = PurePosixPath(document.path)
            for folder in reversed(path.parents[:-1] if len(path.parents) > 1 else ()):
                if str(folder) not in entries:
                    entries[str(folder)] = []
                    entries[str(folder.parent)].append(str(folder))
            symbols = [s for s in document.segments if s.unit in CODE_SYMBOLS and s.name]
            entries[str(path.parent)].append(
                OutlineNode(
                    document_label(document, path.name),
                    document_span(document),
                    tuple(OutlineNode(f"{s.name}  {tokens_label(s.tokens)}", s.span) for s in symbols),
                )
            )

        # A folder whose only entry is one subfolder shows as one node ("a/b/c/"), and folders are built bottom-up
        # with a stack: a corpus may nest folders 1,000+ deep (no recursion, no 1,000-level tree).
        names = {key: PurePosixPath(key).name for key in entries}
        for key in [k for k in entries if k != "."]:
            while key in entries and len(entries[key]) == 1 and isinstance(only := entries[key][0], str):
                names[key] += "/" + names[only]
                entries[key] = entries.pop(only)
        built: dict[str, OutlineNode] = {}
        for top in (e for e in entries["."] if isinstance(e, str)):
            stack = [top]
            while stack:
                key = stack[-1]
                pending = [e for e in entries[key] if isinstance(e, str) and e not in built]
                if pending:
                    stack.extend(pending)
                    continue
                stack.pop()
                children = tuple(e if isinstance(e, OutlineNode) else built[e] for e in entries[key])
                label = f"{names[key]}/  {tokens_label(folder_tokens[key])}"
                built[key] = OutlineNode(label, None, children, expand=True, leaf=False)
        return [e if isinstance(e, OutlineNode) else built[e] for e in entries["."]]

    def chunk_parent(self, segment: Segment) -> str:
        if segment.span.clause:
            return super().chunk_parent(segment)
        if segment.name and "." in segment.name:
            return f"in:{segment.name.rsplit('.', 1)[0]}"  # methods of one class
        if segment.unit in CODE_UNITS:
            return "module"
        return super().chunk_parent(segment)


KIND = CodeKind()
