"""Hostile paths sent to the MCP server through the real MCP client and the real ``docintel mcp`` stdio subprocess:
every refusal carries its reason to the client, and the server's stderr (its log) holds no traceback."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from docintel.mcp_server import path_refusal


def text(result: Any) -> str:
    return str(getattr(result.content[0], "text", ""))


def test_path_refusal_reasons_before_touching_the_filesystem() -> None:
    assert path_refusal("shop/db.py") is None
    assert "4,096" in (path_refusal("a/" * 3000) or "")
    assert "bytes long" in (path_refusal("x" * 300) or "")
    assert "NUL" in (path_refusal("a\0b") or "")


@pytest.mark.slow
async def test_refusals_carry_reasons_and_the_server_logs_no_traceback(tmp_path: Path) -> None:
    root = tmp_path / "allowed"
    (root / "corpus").mkdir(parents=True)
    (root / "corpus" / "terms.txt").write_text("Either party may terminate with thirty days notice.\n")
    (root / "loop").symlink_to(root / "loop")  # a link to itself
    (root / "a").symlink_to(root / "b")
    (root / "b").symlink_to(root / "a")  # a two-link cycle
    (root / "empty").mkdir()
    with open(os.fsencode(root / "corpus") + b"/bad\xff.txt", "wb") as f:  # a name that is not UTF-8
        f.write(b"Audit logs are retained for seven years.\n")
    log = tmp_path / "server-stderr.log"
    exe = Path(sys.executable).parent / "docintel"
    env = {**os.environ, "DOCINTEL_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1"}
    command = f"exec '{exe}' mcp --root '{root}' 2>'{log}'"
    params = StdioServerParameters(command="/bin/sh", args=["-c", command], env=env)
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("outline", {"path": "d/" * 2500}, "characters long"),
        ("search", {"query": "notice", "path": "n" * 300}, "allows 255 per name"),
        ("outline", {"path": "loop"}, "symlink loop"),
        ("search", {"query": "notice", "path": "a"}, "symlink loop"),
        ("outline", {"path": "missing/folder"}, "path not found"),
        ("outline", {"path": "../etc"}, "may not contain '..'"),
        ("outline", {"path": "empty"}, "the folder is empty"),
        ("ask", {"question": "   ", "path": "corpus"}, "the question is empty"),
    ]
    async with Client(params) as client:
        for tool, args, reason in cases:
            result = await client.call_tool(tool, args)
            assert result.is_error, (tool, args, result.content)
            message = text(result)
            assert reason in message, (tool, message)
            assert "Traceback" not in message and "\n" not in message  # the SDK prefixes "Error executing tool X: "
        ok = await client.call_tool("search", {"query": "terminate notice", "path": "corpus"})
        assert not ok.is_error and ok.structured_content["hits"][0]["path"] == "terms.txt"
        # the non-UTF-8 name travels as JSON in its escaped spelling, and that spelling opens the file again
        ok = await client.call_tool("search", {"query": "audit logs retained", "path": "corpus"})
        assert ok.structured_content["hits"][0]["path"] == "bad\\xff.txt"
        ok = await client.call_tool("search", {"query": "audit logs", "path": "corpus/bad\\xff.txt"})
        assert not ok.is_error, text(ok)
        assert "seven years" in ok.structured_content["hits"][0]["text"]
    logged = log.read_text()
    assert "Traceback" not in logged, logged[-2000:]
