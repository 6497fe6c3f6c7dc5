"""Data files, vendored libraries and generated code are set aside (issue 10 §2): read, indexed and searchable with
``--include-data``, but out of the corpus map, the default retrieval pool, the full-context prompt and the audit;
the corpus kind comes from the project's files (an HTML-heavy Django project is code). Inputs are built here."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

import docintel
from docintel.assemble.corpus_map import build_corpus_map
from docintel.audit.checklists import default_checklist
from docintel.cli.main import app
from docintel.ingest import load_corpus

MATERIALIZE_HEAD = (
    "/*!\n * Materialize v1.0.0 (http://materializecss.com)\n * Copyright 2014-2017 Materialize\n"
    " * MIT License (https://raw.githubusercontent.com/Dogfalo/materialize/master/LICENSE)\n */\n"
)


def write_flask_app(root: Path) -> Path:
    """A small Flask app that bundles a password list, a vendored UI library and a CSV export."""
    (root / "app").mkdir(parents=True)
    (root / "app" / "views.py").write_text(
        "from flask import Flask, request\n\napp = Flask(__name__)\n\n\n"
        "@app.route('/login', methods=['POST'])\ndef do_login():\n    return check(request.form['user'])\n\n\n"
        "@app.route('/logout')\ndef do_logout():\n    return 'bye'\n"
    )
    rng = random.Random(7)
    words = ["route66", "dragon", "letmein", "qwerty", "login", "monkey", "shadow", "sunshine", "master"]
    (root / "app" / "wordlists").mkdir()
    (root / "app" / "wordlists" / "passwords.txt").write_text("".join(f"{rng.choice(words)}{n}\n" for n in range(3000)))
    (root / "app" / "static" / "js").mkdir(parents=True)
    # not minified: walk's minified check does not catch it, its license banner does
    (root / "app" / "static" / "js" / "ui.js").write_text(
        MATERIALIZE_HEAD
        + "var M = {};\n"
        + "".join(f"M.route{n} = function (login) {{ return {n}; }};\n" for n in range(400))
    )
    (root / "app" / "static" / "js" / "lib").mkdir()
    (root / "app" / "static" / "js" / "lib" / "helpers.js").write_text("function login() { return 1; }\n" * 40)
    (root / "reports").mkdir()
    (root / "reports" / "owasp-checklist.csv").write_text(
        "id,area,check\n" + "".join(f"{n},login,Check where login is handled ({n})\n" for n in range(120))
    )
    (root / "setup.py").write_text("from setuptools import setup\n\nsetup(name='shop')\n")
    return root


def test_stats_gives_each_set_aside_file_its_kind_and_reason(tmp_path: Path) -> None:
    root = write_flask_app(tmp_path / "shop")
    result = CliRunner().invoke(app, ["stats", str(root), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    aside = {row["path"]: (row["kind"], row["reason"]) for row in data["set_aside"]}
    assert aside == {
        "app/wordlists/passwords.txt": ("data", "password list (3,000 lines of one word)"),
        "app/static/js/ui.js": ("vendored", "license header of Materialize v1.0.0"),
        "app/static/js/lib/helpers.js": ("vendored", "library folder (app/static/js/lib/)"),
        "reports/owasp-checklist.csv": ("data", "CSV table (121 rows)"),
    }
    assert set(data["by_kind"]) == {"code"}  # the corpus proper: views.py and setup.py
    assert data["corpus_kind"] == {"kind": "code", "reason": "it holds setup.py"}
    # before, the password list alone was most of the corpus; now it is not counted in it
    assert data["set_aside_tokens"] > 10 * data["tokens"]

    shown = CliRunner().invoke(app, ["stats", str(root)])
    assert "app/wordlists/passwords.txt: data, password list (3,000 lines of one word)" in shown.stdout
    assert "corpus kind: code (it holds setup.py)" in shown.stdout


@pytest.mark.usefixtures("hash_embedder")
def test_set_aside_files_leave_the_map_the_pool_and_the_full_prompt(tmp_path: Path) -> None:
    root = write_flask_app(tmp_path / "shop")
    aside = {"app/wordlists/passwords.txt", "app/static/js/ui.js", "app/static/js/lib/helpers.js"}
    aside.add("reports/owasp-checklist.csv")
    with docintel.open(root, backend="extractive") as session:
        corpus = session.corpus
        assert {d.path for d in corpus.aside} == aside
        assert not aside & {d.path for d in corpus.documents}
        corpus_map = build_corpus_map(corpus)
        assert "do_login" in corpus_map and not any(p in corpus_map for p in aside)

        hits = session.search("route66 login", k=20)
        assert hits and {h.chunk.span.path for h in hits} <= {"app/views.py", "setup.py"}
        with_data = session.search("route66 login", k=20, include_data=True)
        assert aside & {h.chunk.span.path for h in with_data}

        full = session.prompt("Where is login handled?", mode="full")
        sent = "".join(b.text for b in full.blocks)
        assert "def do_login" in sent and "route66" not in sent and "Materialize" not in sent

        answer = session.ask("list all routes")
        assert answer.citations and {c.span.path for c in answer.citations} <= {"app/views.py", "setup.py"}


@pytest.mark.usefixtures("hash_embedder")
def test_search_include_data_on_the_command_line(tmp_path: Path) -> None:
    root = write_flask_app(tmp_path / "shop")
    default = json.loads(CliRunner().invoke(app, ["search", str(root), "letmein", "--json"]).stdout)
    assert "app/wordlists/passwords.txt" not in {h["path"] for h in default["hits"]}
    included = CliRunner().invoke(app, ["search", str(root), "letmein", "--json", "--include-data"])
    assert included.exit_code == 0, included.output
    assert json.loads(included.stdout)["hits"][0]["path"] == "app/wordlists/passwords.txt"


def test_an_html_heavy_django_project_is_a_code_corpus_and_gets_code_security(tmp_path: Path) -> None:
    root = tmp_path / "blog"
    (root / "blog" / "templates" / "blog").mkdir(parents=True)
    (root / "manage.py").write_text(
        "import os\nimport sys\n\n\nif __name__ == '__main__':\n"
        "    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'blog.settings')\n"
        "    from django.core.management import execute_from_command_line\n\n"
        "    execute_from_command_line(sys.argv)\n"
    )
    (root / "blog" / "views.py").write_text("def index(request):\n    return render(request, 'blog/index.html')\n")
    for n in range(12):
        (root / "blog" / "templates" / "blog" / f"page{n}.html").write_text(
            "<html><body>\n" + "".join(f"<div class='card'><p>Post {i} of page {n}</p></div>\n" for i in range(150))
        )
    (root / "blog" / "static" / "css").mkdir(parents=True)
    (root / "blog" / "static" / "css" / "site.css").write_text(
        "".join(f".c{i} {{ color: red; }}\n" for i in range(400))
    )
    corpus = load_corpus(root)
    text_tokens = sum(d.tokens for d in corpus.documents if d.kind == "text")
    code_tokens = sum(d.tokens for d in corpus.documents if d.kind == "code")
    assert text_tokens > 20 * code_tokens  # by token shares it would be a "text corpus"
    assert default_checklist(corpus).name == "code-security"
    audit = CliRunner().invoke(app, ["stats", str(root), "--json"])
    assert json.loads(audit.stdout)["corpus_kind"] == {"kind": "code", "reason": "it holds manage.py"}


def test_word_lists_tables_and_fixtures_but_not_prose_or_config(tmp_path: Path) -> None:
    from docintel.kinds import detect_kind

    def kind(path: str, text: str) -> str:
        return detect_kind(path, text.encode())[0].name

    assert kind("words.txt", "".join(f"w{n}\n" for n in range(500))) == "data"
    assert kind("requirements.txt", "flask\nrequests\n") == "text"
    assert kind("notes.txt", "".join(f"Line {n} has several words.\n" for n in range(500))) == "text"
    assert kind("package.json", json.dumps({"name": "x", "dependencies": {"a": "1"}})) == "text"
    assert kind("data/dump.json", json.dumps([{"id": n, "name": f"user {n}"} for n in range(2000)])) == "data"
    assert kind("tests/fixtures/user.json", '{"id": 1}') == "data"
    assert kind("tiny.csv", "a,b\n1,2\n") == "text"
    assert kind("vendor/github.com/pkg/errors/errors.go", "package errors\n") == "vendored"
    assert kind("web/static/js/app.js", "function go() {}\n") == "code"
    assert kind("web/static/js/jquery-3.6.0.js", "(function(){})()\n") == "vendored"
    assert kind("web/static/css/bootstrap.css", "body{}\n") == "vendored"
    assert kind("api/users.py", "# This file was automatically generated by the schema tool.\nx = 1\n") == "generated"


def test_a_data_file_asked_about_on_its_own_is_the_corpus(tmp_path: Path) -> None:
    """Set aside only beside other material: pointed at directly, a word list is what the user asks about."""
    words = tmp_path / "passwords.txt"
    words.write_text("".join(f"secret{n}\n" for n in range(500)))
    for given in (words, tmp_path):
        corpus = load_corpus(given)
        assert [(d.path, d.kind) for d in corpus.documents] == [("passwords.txt", "data")] and corpus.aside == ()
    assert build_corpus_map(corpus).startswith("## Data files\npasswords.txt (1,500 tokens)")


@pytest.mark.usefixtures("hash_embedder")
async def test_the_mcp_search_tool_includes_data_on_request(tmp_path: Path) -> None:
    """A real MCP client session against the server object (in memory)."""
    from mcp import Client

    from docintel.mcp_server import build_server

    root = write_flask_app(tmp_path / "shop")
    async with Client(build_server([root])) as client:
        default = await client.call_tool("search", {"query": "letmein", "path": str(root)})
        included = await client.call_tool("search", {"query": "letmein", "path": str(root), "include_data": True})
    assert not default.is_error and not included.is_error
    assert "app/wordlists/passwords.txt" not in {h["path"] for h in default.structured_content["hits"]}
    assert included.structured_content["hits"][0]["path"] == "app/wordlists/passwords.txt"


@pytest.mark.usefixtures("hash_embedder")
def test_the_audit_reads_the_corpus_not_what_was_set_aside(tmp_path: Path) -> None:
    root = write_flask_app(tmp_path / "shop")
    checklist = tmp_path / "words.yaml"
    checklist.write_text(
        "name: words\nitems:\n  - id: login-words\n    question: Where does the word login appear?\n"
        "    severity: low\n    patterns: ['login', 'letmein', 'Materialize']\n"
    )
    result = CliRunner().invoke(app, ["audit", str(root), "--checklist", str(checklist), "--format", "json"])
    assert result.exit_code == 0, result.output
    [item] = json.loads(result.stdout)["items"]
    paths = {e["path"] for e in item["evidence"]}
    assert "app/views.py" in paths  # the real code matches
    assert not paths & {"app/wordlists/passwords.txt", "app/static/js/ui.js", "reports/owasp-checklist.csv"}


def test_generated_code_is_read_and_set_aside_with_its_reason(tmp_path: Path) -> None:
    root = tmp_path / "svc"
    root.mkdir()
    (root / "main.go").write_text("package main\n\nfunc main() { serve() }\n")
    (root / "api.pb.go").write_text("package api\n\ntype Request struct{ Id string }\n")
    (root / "db.go").write_text("// Code generated by sqlc. DO NOT EDIT.\n// versions:\n\npackage db\n\nfunc Q() {}\n")
    corpus = load_corpus(root)
    assert [d.path for d in corpus.documents] == ["main.go"] and corpus.skipped == ()
    assert {d.path: (d.kind, d.reason) for d in corpus.aside} == {
        "api.pb.go": ("generated", "generated code (file name)"),
        "db.go": ("generated", "generated (Code generated by sqlc. DO NOT EDIT)"),
    }
