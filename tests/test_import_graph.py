"""The import graph, read from the source with ast (nothing is imported): no cycles at import time, and no core
module that imports a front end (docintel.cli, docintel.tui), even lazily inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# source folder -> installed package (pyproject's package-dir mapping)
PACKAGES = {"docintel": "docintel", "routers": "docintel.routers", "ingest": "docintel.ingest", "tui": "docintel.tui"}
FRONT_ENDS = ("docintel.cli", "docintel.tui")
ENTRY_POINTS = {"docintel.__main__"}  # `python -m docintel` starts the CLI: that is its job


def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder, package in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([package, *parts])] = path
    return found


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module if is_package else module.rsplit(".", 1)[0]
    for _ in range(node.level - 1):
        base = base.rsplit(".", 1)[0]
    return f"{base}.{node.module}" if node.module else base


def imported(tree: ast.Module, module: str, is_package: bool, *, top_level_only: bool) -> set[str]:
    """Modules named by import statements: at import time only (``top_level_only``: module body, if/try blocks,
    not ``if TYPE_CHECKING:``), or anywhere (functions included)."""
    names: set[str] = set()

    def add(node: ast.stmt) -> None:
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            names.add(base)
            names.update(f"{base}.{a.name}" for a in node.names)

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            add(node)
            if isinstance(node, ast.If | ast.Try):
                visit(node.body)
                visit(node.orelse)
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)

    if top_level_only:
        visit(tree.body)
    else:
        for node in ast.walk(tree):
            if isinstance(node, ast.stmt):
                add(node)
    return names


def graph(*, top_level_only: bool) -> dict[str, set[str]]:
    known = modules()
    out: dict[str, set[str]] = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        deps = imported(tree, name, path.name == "__init__.py", top_level_only=top_level_only)
        out[name] = {d for d in deps if d in known and d != name}
    return out


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in edges:
        if start in index:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(edges[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, todo = work[-1]
            if todo:
                nxt = todo.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(edges[nxt])))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_checker_sees_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_at_import_time() -> None:
    edges = graph(top_level_only=True)
    assert len(edges) > 50 and "docintel.session" in edges  # the walk found the package
    assert "docintel.backends" in edges["docintel.session"]
    assert cycles(edges) == []


def test_no_core_module_imports_a_front_end() -> None:
    offenders = {
        module: sorted(d for d in deps if d.startswith(FRONT_ENDS))
        for module, deps in graph(top_level_only=False).items()
        if not module.startswith(FRONT_ENDS) and module not in ENTRY_POINTS
    }
    assert {m: d for m, d in offenders.items() if d} == {}


def test_api_does_not_import_the_cli() -> None:
    deps = graph(top_level_only=False)
    assert not [d for d in deps["docintel.api"] | deps["docintel.session"] if d.startswith("docintel.cli")]
