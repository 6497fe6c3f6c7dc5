"""The MCP agent tool through a real MCP client: in-process sessions, and once as the real stdio subprocess."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from mcp.server.mcpserver import MCPServer

from docintel.mcp_server import build_server

from .sample_repo import tree, write_repo

TOOLS = {"ask", "search", "plan", "pack", "outline"}


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An allowed root holding the shop repo, plus a secret folder outside it and a symlink pointing there."""
    base = tmp_path_factory.mktemp("mcp")
    root = base / "allowed"
    write_repo(root / "shop-repo")
    secret = base / "secret"
    secret.mkdir()
    (secret / "passwords.txt").write_text("root: hunter2\n", encoding="utf-8")
    (root / "escape").symlink_to(secret, target_is_directory=True)
    return {"root": root, "repo": root / "shop-repo", "secret": secret, "home": base / "home"}


@pytest.fixture(scope="module")
def server(roots: dict[str, Path]) -> Iterator[MCPServer]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DOCINTEL_HOME", str(roots["home"]))  # one index for the module's tests
        yield build_server([roots["root"]])


def text(result: Any) -> str:
    """The first text block of a tool result (the error message when ``is_error``)."""
    return str(getattr(result.content[0], "text", ""))


async def call(server: MCPServer, tool: str, args: dict[str, Any]) -> Any:
    async with Client(server) as client:
        return await client.call_tool(tool, args)


async def test_lists_the_five_tools_with_structured_output(server: MCPServer) -> None:
    async with Client(server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == TOOLS
    ask_out = tools["ask"].output_schema or {}
    assert {"answer", "citations", "route", "tokens", "cached_tokens", "insufficient_context"} <= set(
        ask_out["properties"]
    )
    assert "budget_tokens" in tools["pack"].input_schema["required"]


async def test_ask_returns_citations_route_and_tokens(server: MCPServer, roots: dict[str, Path]) -> None:
    r = await call(server, "ask", {"question": "Which function runs ping with shell=True?", "path": "shop-repo"})
    assert not r.is_error, r.content
    out = r.structured_content
    assert out["path"] == str(roots["repo"])
    cited = [c for c in out["citations"] if c["path"] == "shop/ops.py"]
    assert cited and "shell=True" in cited[0]["quote"]
    # code is quoted as its definition block (def, docstring, the shell=True line 8), labelled by its lines
    assert cited[0]["start_line"] <= 8 <= cited[0]["end_line"] and "def ping_host" in cited[0]["quote"]
    assert cited[0]["label"] == f"shop/ops.py:{cited[0]['start_line']}-{cited[0]['end_line']}"
    assert f"[{cited[0]['id']}]" in out["answer"]
    assert out["route"]["mode"] in ("full", "retrieve", "map_reduce") and out["route"]["reasons"]
    assert out["tokens"]["estimated_input"] > 0
    assert out["insufficient_context"] is False and out["backend"] == "extractive"
    assert 0.0 < out["confidence"] <= 1.0  # the extractive backend rates its answer


async def test_plan_says_which_route_and_why(server: MCPServer) -> None:
    r = await call(server, "plan", {"question": "Which functions run a subprocess?", "path": "shop-repo"})
    assert not r.is_error, r.content
    out = r.structured_content
    assert out["route"]["mode"] == "full" and out["route"]["reason_codes"]
    assert out["tokens"]["estimated_input"] > 0


async def test_mode_and_prefer_reach_the_router(server: MCPServer) -> None:
    args = {"question": "Which functions run a subprocess?", "path": "shop-repo", "mode": "retrieve"}
    r = await call(server, "plan", {**args, "prefer": "cost", "expect_questions": 3})
    assert not r.is_error, r.content
    assert (
        r.structured_content["route"]["mode"] == "retrieve"
        and "forced" in r.structured_content["route"]["reason_codes"]
    )
    r = await call(server, "ask", args)
    assert not r.is_error, r.content
    assert r.structured_content["route"]["mode"] == "retrieve"
    r = await call(server, "plan", {**args, "mode": "half"})
    assert r.is_error  # not one of full, retrieve, map_reduce


async def test_search_and_pack(server: MCPServer) -> None:
    r = await call(server, "search", {"query": "subprocess shell=True ping", "path": "shop-repo", "k": 3})
    assert not r.is_error, r.content
    top = r.structured_content["hits"][0]
    assert top["path"] == "shop/ops.py" and "shell=True" in top["text"] and top["start_line"] >= 1
    r = await call(server, "pack", {"question": "customer lookup by name", "path": "shop-repo", "budget_tokens": 800})
    assert not r.is_error, r.content
    assert 0 < r.structured_content["tokens"] <= 800 and "shop/db.py" in r.structured_content["context"]


async def test_outline_default_path_is_the_single_root(server: MCPServer, roots: dict[str, Path]) -> None:
    r = await call(server, "outline", {})
    assert not r.is_error, r.content
    out = r.structured_content
    assert out["path"] == str(roots["root"].resolve())
    assert out["kinds"]["code"] == 3 and "shop-repo/shop/db.py" in out["outline"]
    assert "passwords.txt" not in out["outline"]  # the symlink out of the root is not followed by ingestion


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../secret", "may not contain '..'"),
        ("shop-repo/../../secret", "may not contain '..'"),
        ("escape", "outside the allowed roots"),
        ("escape/passwords.txt", "outside the allowed roots"),
        ("/etc", "outside the allowed roots"),
        ("no-such-folder", "path not found"),
    ],
)
async def test_paths_outside_the_roots_are_refused(server: MCPServer, path: str, message: str) -> None:
    r = await call(server, "search", {"query": "password", "path": path})
    assert r.is_error
    assert message in text(r)
    assert "hunter2" not in text(r)


async def test_absolute_symlink_escape_is_refused(server: MCPServer, roots: dict[str, Path]) -> None:
    r = await call(server, "outline", {"path": str(roots["root"] / "escape")})
    assert r.is_error and "outside the allowed roots" in text(r)


async def test_cache_reuses_and_rereads_on_change(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "repo")
    before = tree(root)
    srv = build_server([root])
    cache = srv.corpus_cache  # type: ignore[attr-defined]
    first = await call(srv, "outline", {})
    handle = cache._handles[root.resolve()]
    await call(srv, "search", {"query": "VAT"})
    assert cache._handles[root.resolve()] is handle and not handle.is_stale()
    assert tree(root) == before  # nothing written into the corpus
    (root / "shop" / "extra.py").write_text("def refund(order):\n    return order.total\n", encoding="utf-8")
    second = await call(srv, "outline", {})
    assert second.structured_content["documents"] == first.structured_content["documents"] + 1
    assert second.structured_content["content_hash"] != first.structured_content["content_hash"]


async def test_several_roots_need_a_path(tmp_path: Path) -> None:
    a, b = write_repo(tmp_path / "a"), write_repo(tmp_path / "b")
    srv = build_server([a, b])
    r = await call(srv, "outline", {})
    assert r.is_error and "several roots are allowed; pass `path`" in text(r)
    r = await call(srv, "outline", {"path": str(b / "shop")})
    assert not r.is_error and r.structured_content["documents"] == 3


@pytest.mark.slow
async def test_real_stdio_subprocess(roots: dict[str, Path], tmp_path: Path) -> None:
    """The real `docintel mcp` over stdio; its own stderr (captured by the shell around it) carries no DEBUG or
    INFO log lines while it indexes, searches and refuses: a client's stderr pane stays quiet."""
    exe = Path(sys.executable).parent / "docintel"
    env = {**os.environ, "DOCINTEL_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1"}
    stderr = tmp_path / "server-stderr.txt"
    command = f"exec {shlex.quote(str(exe))} mcp --root {shlex.quote(str(roots['root']))} 2>{shlex.quote(str(stderr))}"
    params = StdioServerParameters(command="/bin/sh", args=["-c", command], env=env)
    async with Client(params) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert names == TOOLS
        r = await client.call_tool("search", {"query": "SELECT FROM customers WHERE name", "path": "shop-repo"})
        assert not r.is_error, r.content
        assert r.structured_content["hits"][0]["path"] == "shop/db.py"
        question = "Which function runs ping with shell=True?"
        r = await client.call_tool("ask", {"question": question, "path": "shop-repo"})
        assert not r.is_error, r.content
        assert "INSUFFICIENT_CONTEXT" not in r.structured_content["answer"]
        r = await client.call_tool("outline", {"path": "../secret"})
        assert r.is_error and "may not contain '..'" in text(r)
    logged = stderr.read_text(encoding="utf-8")
    assert not [line for line in logged.splitlines() if "DEBUG" in line or "INFO" in line], logged


def test_route_lists_the_named_scope_and_the_ambiguous_candidates() -> None:
    from docintel.mcp_server import _route
    from docintel.plan import Plan, Reason, TokenEstimate

    reason = Reason("ambiguous_document", "the question names no document and 2 fit it about equally", {})
    plan = Plan(
        mode="retrieve",
        question="Does the agreement survive termination?",
        question_type="lookup",
        profile="claude-sonnet-4-6",
        reasons=(reason,),
        tokens=TokenEstimate(uncached=100),
        cost_usd=0.0,
        candidates=("nda-a.txt", "nda-b.txt"),
    )
    out = _route(plan).model_dump()
    assert out["candidates"] == ["nda-a.txt", "nda-b.txt"] and out["scope"] == []
    assert "ambiguous_document" in out["reason_codes"]
