"""The code loader: tree-sitter units with names and line ranges, exact spans, definitions and references."""

from __future__ import annotations

from pathlib import Path

import pytest

from docintel.corpus import Corpus, Document
from docintel.ingest import IngestOptions, load_corpus
from docintel.ingest.code_units import SPLIT_LINES
from docintel.ingest.repo import CodeLoader
from docintel.ingest.walk import walk_files


def load(path: str, source: str | bytes) -> Document:
    data = source.encode("utf-8") if isinstance(source, str) else source
    return CodeLoader().load(path, data, IngestOptions())


def assert_tiles(doc: Document) -> None:
    """Segments cover the text exactly, in order, each one round-tripping through its span."""
    offset = 0
    for s in doc.segments:
        assert s.span.path == doc.path
        assert s.span.start == offset, (s.name, s.span)
        assert doc.text[s.span.start : s.span.end] == s.text
        assert s.tokens > 0 or not s.text.strip()
        offset = s.span.end
    assert offset == len(doc.text)
    for d in doc.definitions:
        assert d.span.path == doc.path and 0 <= d.span.start < d.span.end <= len(doc.text)


def units(doc: Document) -> list[tuple[str, str | None, int, int]]:
    return [(s.unit, s.name, s.span.start_line, s.span.end_line) for s in doc.segments]


def definitions(doc: Document) -> list[tuple[str, str, int, int]]:
    return [(d.name, d.kind, d.span.start_line, d.span.end_line) for d in doc.definitions]


PYTHON = '''"""Module docstring."""
import os
from typing import Any

LIMIT = 10


# helper used by Widget
def helper(x: int) -> int:
    return x + LIMIT


@dataclass
class Widget(Base):
    """A widget."""

    size = 3

    def render(self) -> str:
        return os.path.join("a", str(helper(self.size)))

    @property
    def area(self) -> int:
        return self.size * self.size


if __name__ == "__main__":
    print(Widget().render())
'''


def test_python_units_definitions_and_references() -> None:
    doc = load("pkg/widget.py", PYTHON)
    assert doc.kind == "code" and doc.language == "python"
    assert_tiles(doc)
    assert units(doc) == [
        ("statement", None, 1, 7),  # docstring, imports, LIMIT, and the blank lines after them
        ("function", "helper", 8, 12),  # its leading comment belongs to it
        ("class", "Widget", 13, 26),  # decorator included; small classes stay whole
        ("statement", None, 27, 28),
    ]
    assert definitions(doc) == [
        ("LIMIT", "variable", 5, 5),
        ("helper", "function", 9, 10),
        ("Widget", "class", 13, 24),
        ("Widget.render", "method", 19, 20),
        ("Widget.area", "method", 22, 24),
    ]
    refs = set(doc.references)
    assert {"os", "Any", "LIMIT", "helper", "Widget", "dataclass", "Base", "path", "join", "size"} <= refs
    assert "render" in refs  # called in the __main__ block
    assert "area" not in refs  # only its own definition names it


def test_a_long_class_becomes_its_header_and_its_methods() -> None:
    methods = "".join(f"    def m{i}(self):\n" + "        x = 1\n" * 20 + "        return x\n\n" for i in range(10))
    source = f"import os\n\n\nclass Big:\n    '''Doc.'''\n\n    LIMIT = 3\n\n{methods}\nprint(Big)\n"
    doc = load("big.py", source)
    assert_tiles(doc)
    got = units(doc)
    assert got[0] == ("statement", None, 1, 3)
    assert got[1] == ("class", "Big", 4, 8)  # header with its docstring and attributes
    assert [g[:2] for g in got[2:12]] == [("method", f"Big.m{i}") for i in range(10)]
    assert got[2][2:] == (9, 31)
    assert got[-1] == ("statement", None, source.count("\n"), source.count("\n"))
    assert sum(1 for g in got if g[0] == "method") == 10
    assert doc.definitions[0].name == "Big" and doc.definitions[0].span.end_line == source.count("\n") - 3


def test_an_overlong_function_is_cut_into_named_pieces() -> None:
    body = "    x = 1\n" * (3 * SPLIT_LINES)
    doc = load("long.py", f"def long():\n{body}    return x\n")
    assert_tiles(doc)
    assert {(s.unit, s.name) for s in doc.segments} == {("function", "long")}
    assert len(doc.segments) == 3
    assert len(doc.segments[0].text.splitlines()) == SPLIT_LINES
    assert definitions(doc) == [("long", "function", 1, 3 * SPLIT_LINES + 2)]


def test_non_ascii_source_uses_character_offsets() -> None:
    source = "# café ☕ naïve\nNAME = 'Zoë 🚀'\n\n\ndef greet(who: str) -> str:\n    return f'héllo {who} 🚀'\n"
    doc = load("greet.py", source)
    assert len(doc.text) < len(source.encode())  # really multi-byte
    assert_tiles(doc)
    assert units(doc) == [("statement", None, 1, 4), ("function", "greet", 5, 6)]
    greet = doc.definitions[-1]
    assert doc.text[greet.span.start : greet.span.end] == source[source.index("def greet") :].rstrip("\n")
    assert doc.segments[1].text.startswith("def greet")


SOURCES: dict[str, tuple[str, list[tuple[str, str | None, int, int]], list[tuple[str, str]], set[str]]] = {
    "web/app.js": (
        """import fs from "fs";
// adds two numbers
export function add(a, b) { return a + b; }
const mul = (a, b) => a * b;

export default class Shape {
  constructor(n) { this.n = n; }
  area() { return mul(this.n, 2); }
}
module.exports = { add };
""",
        [
            ("statement", None, 1, 1),
            ("function", "add", 2, 3),
            ("function", "mul", 4, 5),
            ("class", "Shape", 6, 9),
            ("statement", None, 10, 10),
        ],
        [
            ("add", "function"),
            ("mul", "function"),
            ("Shape", "class"),
            ("Shape.constructor", "method"),
            ("Shape.area", "method"),
        ],
        {"fs", "mul", "add", "exports", "module"},
    ),
    "web/api.ts": (
        """import { fetchJson } from "./http";

export interface User { id: number; name: string }
type Id = string;

export async function load(id: Id): Promise<User> {
  return fetchJson(`/users/${id}`);
}

export const save = async (u: User) => u;

abstract class Repo<T> {
  private items: T[] = [];
  get(i: number): T { return this.items[i]; }
}
""",
        [
            ("statement", None, 1, 2),
            ("class", "User", 3, 3),
            ("statement", None, 4, 5),
            ("function", "load", 6, 9),
            ("function", "save", 10, 11),
            ("class", "Repo", 12, 15),
        ],
        [
            ("User", "class"),
            ("Id", "variable"),
            ("load", "function"),
            ("save", "function"),
            ("Repo", "class"),
            ("Repo.get", "method"),
        ],
        {"fetchJson", "Promise", "User", "Id", "items", "T"},
    ),
    "web/view.tsx": (
        """import React from "react";

export function Greeting(props: { name: string }) {
  return <h1 className="big">Hello {props.name}</h1>;
}

export class Counter extends React.Component {
  render() { return <span>{this.state.count}</span>; }
}
""",
        [("statement", None, 1, 2), ("function", "Greeting", 3, 6), ("class", "Counter", 7, 9)],
        [("Greeting", "function"), ("Counter", "class"), ("Counter.render", "method")],
        {"React", "Component", "props", "name", "state", "count"},
    ),
    "cmd/server.go": (
        """package main

import "fmt"

// Server serves HTTP.
type Server struct {
	Addr string
}

// Start listens.
func (s *Server) Start() error {
	fmt.Println(s.Addr)
	return nil
}

func main() { (&Server{Addr: ":80"}).Start() }
""",
        [
            ("statement", None, 1, 4),
            ("class", "Server", 5, 9),
            ("method", "Server.Start", 10, 15),
            ("function", "main", 16, 16),
        ],
        [("Server", "class"), ("Server.Start", "method"), ("main", "function")],
        {"fmt", "Println", "Addr", "Server", "Start", "error"},
    ),
    "src/point.rs": (
        """use std::fmt;

/// A point.
#[derive(Debug)]
pub struct Point { x: i32 }

impl Point {
    pub fn new(x: i32) -> Self { Point { x } }
}

trait Shape { fn area(&self) -> f64; }

fn main() { let p = Point::new(1); }

mod inner {
    pub fn helper() {}
}
""",
        [
            ("statement", None, 1, 2),
            ("class", "Point", 3, 6),  # doc comment and attribute go with the struct
            ("class", "Point", 7, 10),  # the impl block
            ("class", "Shape", 11, 12),
            ("function", "main", 13, 14),
            ("statement", "inner", 15, 15),  # a module is opened: header, then its members
            ("function", "inner.helper", 16, 17),
        ],
        [
            ("Point", "class"),
            ("Point.new", "method"),
            ("Shape", "class"),
            ("Shape.area", "method"),
            ("main", "function"),
            ("inner.helper", "function"),
        ],
        {"std", "fmt", "Point", "Debug", "new", "Self"},
    ),
    "src/main/java/Service.java": (
        """package com.example;

import java.util.List;

/** Counts things. */
public class Service {
    private int count;

    public Service() { count = 0; }

    @Override
    public String toString() { return "s" + List.of(count); }
}
""",
        [("statement", None, 1, 4), ("class", "Service", 5, 13)],
        [("Service", "class"), ("Service.Service", "method"), ("Service.toString", "method")],
        {"List", "Override", "String", "count", "of"},
    ),
    "src/add.c": (
        """#include <stdio.h>

struct point { int x; };

static int add(int a, int b) { return a + b; }

/* Returns a fresh pointer. */
int *make(void) { return 0; }

int main(void) { printf("%d", add(1, 2)); return 0; }
""",
        [
            ("statement", None, 1, 2),
            ("class", "point", 3, 4),
            ("function", "add", 5, 6),
            ("function", "make", 7, 9),
            ("function", "main", 10, 10),
        ],
        [("point", "class"), ("add", "function"), ("make", "function"), ("main", "function")],
        {"printf", "add", "a", "b"},
    ),
    "src/geo.cpp": (
        """#include <string>
namespace geo {
class Shape {
 public:
  virtual double area() const { return 0; }
};
}

double total(const geo::Shape& s) { return s.area(); }

template <typename T> T id(T x) { return x; }
""",
        [
            ("statement", None, 1, 1),
            ("statement", "geo", 2, 2),  # a namespace is opened: header, then its members
            ("class", "geo.Shape", 3, 8),
            ("function", "total", 9, 10),
            ("function", "id", 11, 11),
        ],
        [("geo.Shape", "class"), ("geo.Shape.area", "method"), ("total", "function"), ("id", "function")],
        {"geo", "Shape", "area", "T"},
    ),
}


@pytest.mark.parametrize("path", sorted(SOURCES))
def test_units_in_each_language(path: str) -> None:
    source, expected_units, expected_definitions, some_references = SOURCES[path]
    doc = load(path, source)
    assert_tiles(doc)
    assert units(doc) == expected_units
    assert [(d.name, d.kind) for d in doc.definitions] == expected_definitions
    assert some_references <= set(doc.references)
    assert list(doc.references) == sorted(set(doc.references))
    for d in doc.definitions:  # the span of a definition holds its (last) name
        assert d.name.rsplit(".", 1)[-1] in doc.text[d.span.start : d.span.end]


def test_languages_without_units_fall_back_to_line_windows() -> None:
    source = "".join(f"local x{i} = {i}\n" for i in range(130))
    doc = CodeLoader().load("script.lua", source.encode(), IngestOptions(window_lines=60))
    assert doc.language == "lua"
    assert_tiles(doc)
    assert [(s.unit, s.span.start_line, s.span.end_line) for s in doc.segments] == [
        ("lines", 1, 60),
        ("lines", 61, 120),
        ("lines", 121, 130),
    ]
    assert doc.definitions == () and doc.references == ()


def test_broken_code_still_tiles() -> None:
    doc = load("broken.py", "def ok():\n    return 1\n\ndef broken(:\n    pass\n\nclass C:\n    x = (\n")
    assert_tiles(doc)
    assert doc.segments[0].name == "ok"


def test_example_repository(examples_dir: Path) -> None:
    corpus = load_corpus(examples_dir / "repo")
    paths = [d.path for d in corpus.documents]
    assert paths == [
        "README.md",
        "userservice/__init__.py",
        "userservice/api.py",
        "userservice/auth.py",
        "userservice/backup.py",
        "userservice/db.py",
        "web/client.ts",
    ]
    db = corpus.document("userservice/db.py")
    database = next(s for s in db.segments if s.name == "Database")
    assert database.unit == "class"  # under SPLIT_LINES: one unit
    assert "ORDER BY %s" in database.text
    names = {d.name for doc in corpus.documents for d in doc.definitions}
    assert {"Database.search_users", "login", "API_TOKEN", "run_backup", "UserClient.login", "unwrap"} <= names
    for doc in corpus.documents:
        assert_tiles(doc)


@pytest.fixture(scope="module")
def requests_corpus(eval_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    with pytest.MonkeyPatch.context() as mp:  # module scope runs before the per-test DOCINTEL_HOME is set
        mp.setenv("DOCINTEL_HOME", str(tmp_path_factory.mktemp("docintel-home")))
        return load_corpus(eval_dir / "corpora" / "code-requests")


def test_code_requests_corpus(requests_corpus: Corpus) -> None:
    corpus = requests_corpus
    python = [d for d in corpus.documents if d.language == "python"]
    assert len(python) > 30
    sessions = corpus.document("src/requests/sessions.py")
    names = {d.name: d for d in sessions.definitions}
    assert names["Session.request"].kind == "method"
    request = next(s for s in sessions.segments if s.name == "Session.request")
    assert request.unit == "method" and request.text.lstrip().startswith("def request(")
    assert request.span.start_line <= names["Session.request"].span.start_line
    assert "Session" in corpus.document("src/requests/api.py").references
    for doc in corpus.documents:
        assert_tiles(doc)
    assert {s.reason for s in corpus.skipped} <= {"binary", "too large (2.2 MB > 2.0 MB)"} | {
        s.reason for s in corpus.skipped if s.reason.startswith("minified")
    }


def test_parallel_load_is_identical_to_serial(eval_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = eval_dir / "corpora" / "code-requests"
    monkeypatch.setenv("DOCINTEL_INGEST_CACHE", "0")  # both loads really parse
    monkeypatch.setenv("DOCINTEL_WORKERS", "2")
    seen: list[int] = []
    parallel = load_corpus(root, progress=lambda done, total, current: seen.append(done))
    monkeypatch.setenv("DOCINTEL_WORKERS", "1")
    serial = load_corpus(root)
    assert parallel.documents == serial.documents  # every segment, span, definition and reference
    assert parallel.skipped == serial.skipped
    assert parallel.content_hash == serial.content_hash
    files, _ = walk_files(root, IngestOptions())
    assert seen == sorted(seen) and seen[-1] == len(files)  # progress reported in order, up to the end


def test_ingest_cache_serves_unchanged_files_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses
    import pickle

    from docintel.config import corpus_dir
    from docintel.ingest.cache import CACHE_FILE

    root = tmp_path / "proj"
    root.mkdir()
    (root / "a.py").write_text("def a():\n    return 1\n")
    (root / "b.py").write_text("def b():\n    return 2\n")
    first = load_corpus(root)
    cache_file = corpus_dir(root) / CACHE_FILE
    assert cache_file.is_file()
    assert load_corpus(root).documents == first.documents

    # Mark the cached documents: a load that returns the marks read them from the cache.
    stored = pickle.loads(cache_file.read_bytes())
    for path, doc in stored["documents"].items():
        stored["documents"][path] = dataclasses.replace(doc, language="from-cache")
    cache_file.write_bytes(pickle.dumps(stored))
    (root / "b.py").write_text("def b():\n    return 3\n")  # changed bytes: parsed again
    (root / "c.py").write_text("def c():\n    return 4\n")  # new file
    second = load_corpus(root)
    assert [(d.path, d.language) for d in second.documents] == [
        ("a.py", "from-cache"),
        ("b.py", "python"),
        ("c.py", "python"),
    ]
    assert "return 3" in second.document("b.py").text
    monkeypatch.setenv("DOCINTEL_INGEST_CACHE", "0")
    assert load_corpus(root).document("a.py").language == "python"
    monkeypatch.delenv("DOCINTEL_INGEST_CACHE")
    # a different IngestOptions is a different cache key: nothing marked is served
    assert load_corpus(root, IngestOptions(window_lines=10)).document("a.py").language == "python"
