"""Does anything secret leave? Seeded secrets and harmless look-alikes through docintel's real egress paths.

Generates a corpus (a seeded RNG: the same every run) of secrets of many kinds — cloud and SaaS keys, VCS tokens,
private keys, URL credentials, Authorization headers, passwords in .env/YAML/shell and in the prose of contracts
(TXT, PDF, DOCX) and a meeting transcript (VTT) — among harmless look-alikes: git SHAs, sha256/512 digests in
fixtures, lock and checksum files, UUIDs, SRI hashes, public keys, templated and placeholder values, prose that
talks about passwords. Then runs what a user runs, against a localhost server that speaks the Messages API and
records every request (tests/docintel/backends/fake_messages_server.py):

    docintel ask CORPUS Q --backend anthropic          (full route: the whole corpus in the prompt)
    docintel ask CORPUS Q --backend anthropic --budget  (retrieve route)
    docintel audit CORPUS --backend anthropic           (every checklist item, and the report it writes)
    docintel pack CORPUS Q --format json                (what an agent's own model gets)
    MCP search (the real server, in process)            (hit texts an agent receives)

A secret counts as *sent* if its value appears in anything that left (request texts, pack output, MCP results,
the audit report; not the answer ``ask`` prints on this machine); a look-alike counts as *redacted* if it is in
the ingested corpus but missing from the full route's prompt. Prints the table per kind (and family), the totals,
and a baseline measured in the same run (detect-secrets alone); exits 1 if the goal is not met
(0 secrets sent, recall >= 95% per family, <= 1% of look-alikes redacted).

    .venv/bin/python benchmarks/bench_secrets.py [--keep DIR]
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests/docintel/backends"))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: secret_corpus lies beside it
from secret_corpus import FAMILIES, Corpus, build, write_files  # noqa: E402


def _request_texts(server: Any) -> list[str]:
    out: list[str] = []
    for r in server.requests:
        for block in r.body.get("system", []) or []:
            out.append(block.get("text", ""))
        for message in r.body.get("messages", []):
            content = message.get("content")
            if isinstance(content, str):
                out.append(content)
            else:
                out.extend(part.get("text", "") for part in content or [])
    return out


def _json_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _json_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _json_strings(v)]
    return []


def run_channels(root: Path) -> tuple[dict[str, str], str, int]:
    """Text that left per channel, the full route's prompt text, and the number of requests sent."""
    from fake_messages_server import FakeMessagesServer
    from typer.testing import CliRunner

    from docintel.cli.main import app

    runner = CliRunner()
    sent: dict[str, str] = {}
    with FakeMessagesServer(reply="See [1].") as server:
        env = {"ANTHROPIC_API_KEY": server.api_key, "ANTHROPIC_BASE_URL": server.base_url}
        os.environ.update(env)
        base = ["--backend", "anthropic", "--base-url", server.base_url, "--json"]
        question = "Which credentials and keys does the deployment use?"
        r = runner.invoke(app, ["ask", str(root), question, *base, "--mode", "full"])
        _check(r, "ask (full)")
        full_prompt = "\n".join(_request_texts(server))
        sent["ask full"] = full_prompt  # what left; the answer printed here (stdout) stays on this machine
        mode = json.loads(r.stdout).get("plan", {}).get("mode") if r.stdout.strip().startswith("{") else "?"
        if mode != "full":
            print(f"warning: the first ask took the {mode} route, not full", file=sys.stderr)
        n0 = len(server.requests)
        r = runner.invoke(app, ["ask", str(root), "What is the staging password?", *base, "--budget", "3000"])
        _check(r, "ask (retrieve)")
        sent["ask retrieve"] = "\n".join(_request_texts(server)[n0:])
        n0 = len(server.requests)
        audit = ["audit", str(root), "--checklist", "code-security", "--backend", "anthropic", "--format", "json"]
        r = runner.invoke(app, audit)
        _check(r, "audit", ok=(0, 3))
        sent["audit"] = "\n".join(_request_texts(server)[n0:]) + r.stdout  # the report: uploaded, attached, pasted
        requests = len(server.requests)
    r = runner.invoke(
        app, ["pack", str(root), "Which credentials does deploy use?", "--budget", "100000", "--format", "json"]
    )
    _check(r, "pack")
    sent["pack"] = "\n".join(_json_strings(json.loads(r.stdout)))
    sent["mcp search"] = asyncio.run(_mcp_search(root))
    return sent, full_prompt, requests


async def _mcp_search(root: Path) -> str:
    from mcp import Client

    from docintel.mcp_server import build_server

    texts: list[str] = []
    async with Client(build_server([root])) as client:
        for query in ("password", "token", "secret key", "credentials", "Authorization Bearer", "private key"):
            result = await client.call_tool("search", {"query": query, "k": 100})
            texts += _json_strings(result.structured_content)
    return "\n".join(texts)


def _check(result: Any, what: str, ok: tuple[int, ...] = (0,)) -> None:
    if result.exit_code not in ok:
        detail = f"{result.stdout[-500:]} {result.stderr[-500:]} {result.exception!r}"
        raise SystemExit(f"{what} failed (exit {result.exit_code}): {detail}")
    if "Traceback" in result.stdout + result.stderr:
        raise SystemExit(f"{what} printed a traceback")


# ----------------------------------------------------------------------------------------------------- baseline
def detect_secrets_alone(documents: list[tuple[str, str]]) -> set[tuple[str, int]]:
    """The baseline, measured in the same run: detect-secrets' own scan (default plugins and filters) over the
    ingested text of every document. It flags lines; a value counts as caught when its line is flagged."""
    from detect_secrets.core.secrets_collection import SecretsCollection
    from detect_secrets.settings import default_settings

    flagged: set[tuple[str, int]] = set()
    with tempfile.TemporaryDirectory() as tmp, default_settings():
        collection = SecretsCollection(root=tmp)
        for i, (path, text) in enumerate(documents):
            name = f"{i}_{Path(path).name}"
            (Path(tmp) / name).write_text(text, encoding="utf-8")
            collection.scan_file(name)
        names = {f"{i}_{Path(path).name}": path for i, (path, _) in enumerate(documents)}
        for filename, secrets in collection.data.items():
            for secret in secrets:
                flagged.add((names.get(Path(filename).name, filename), secret.line_number))
    return flagged


def lines_of(value: str, documents: list[tuple[str, str]]) -> list[tuple[str, int]]:
    out = []
    for path, text in documents:
        at = text.find(value)
        while at >= 0:
            out.append((path, text.count("\n", 0, at) + 1))
            at = text.find(value, at + 1)
    return out


# ------------------------------------------------------------------------------------------------------ report
def main() -> int:
    keep = Path(sys.argv[sys.argv.index("--keep") + 1]) if "--keep" in sys.argv else None
    home = tempfile.mkdtemp(prefix="docintel-home-")
    os.environ["DOCINTEL_HOME"] = home
    os.environ.pop("DOCINTEL_REDACT", None)
    root = keep or Path(tempfile.mkdtemp(prefix="secrets-corpus-"))
    c = Corpus(root)
    build(c)
    write_files(c)
    from docintel.ingest import load_corpus

    documents = [(d.path, d.text) for d in load_corpus(root).documents]
    ingested = "\n".join(text for _, text in documents)
    t0 = time.perf_counter()
    baseline = detect_secrets_alone(documents)
    baseline_s = time.perf_counter() - t0
    started = time.perf_counter()
    sent, full_prompt, requests = run_channels(root)
    elapsed = time.perf_counter() - started
    everything = "\n".join(sent.values())

    rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    leaks: list[str] = []
    for s in c.secrets:
        row = rows[s.kind]
        row["seeded"] += 1
        if s.value not in ingested:
            row["not ingested"] += 1
            continue
        if s.value in everything:
            row["sent"] += 1
            leaks.append(f"{s.kind} in {s.path} via {', '.join(k for k, v in sent.items() if s.value in v)}")
        else:
            row["redacted"] += 1
    fp_rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    false_positives: list[str] = []
    for x in c.clean:
        row = fp_rows[x.kind]
        row["strings"] += 1
        if x.value not in ingested:
            row["not ingested"] += 1
        elif x.value not in full_prompt:
            row["redacted"] += 1
            false_positives.append(f"{x.kind} in {x.path}: {x.value[:60]}")

    files = len(c.files)
    print(f"corpus: {files} files, {len(c.secrets)} seeded secrets of {len(rows)} kinds, {len(c.clean)} look-alikes")
    print(f"egress: {requests} requests to the localhost Messages API + pack + MCP search, {elapsed:.0f} s\n")
    print("| kind | family | seeded | sent | redacted | recall |\n|---|---|---:|---:|---:|---:|")
    fam: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for kind in sorted(rows, key=lambda k: (FAMILIES.get(k, ""), k)):
        r = rows[kind]
        counted = r["seeded"] - r["not ingested"]
        fam[FAMILIES.get(kind, "other")][0] += r["redacted"]
        fam[FAMILIES.get(kind, "other")][1] += counted
        recall = r["redacted"] / counted if counted else 0.0
        extra = f" ({r['not ingested']} not ingested)" if r["not ingested"] else ""
        family = FAMILIES.get(kind, "other")
        print(f"| {kind} | {family} | {r['seeded']}{extra} | {r['sent']} | {r['redacted']} | {recall:.0%} |")
    print("\n| family | recall |\n|---|---:|")
    for family, (hit, total) in sorted(fam.items()):
        print(f"| {family} | {hit}/{total} = {hit / total:.0%} |")
    print("\n| look-alike | strings | redacted (false positive) |\n|---|---:|---:|")
    for kind in sorted(fp_rows):
        r = fp_rows[kind]
        extra = f" ({r['not ingested']} not ingested)" if r["not ingested"] else ""
        print(f"| {kind} | {r['strings']}{extra} | {r['redacted']} |")
    base_caught = sum(1 for x in c.secrets if any(ln in baseline for ln in lines_of(x.value, documents)))
    base_fp = sum(1 for x in c.clean if any(ln in baseline for ln in lines_of(x.value, documents)))
    print(
        f"\nbaseline, same run: detect-secrets alone (default plugins and filters, line-level, {baseline_s:.1f} s) "
        f"flags the lines of {base_caught} of {len(c.secrets)} secrets and of {base_fp} of {len(c.clean)} look-alikes"
    )
    total_sent = sum(r["sent"] for r in rows.values())
    total_fp = sum(r["redacted"] for r in fp_rows.values())
    counted_clean = sum(r["strings"] - r["not ingested"] for r in fp_rows.values())
    print(
        f"\nsecrets sent: {total_sent} of {len(c.secrets)}; per channel: "
        + ", ".join(f"{k} {sum(1 for s in c.secrets if s.value in v)}" for k, v in sent.items())
    )
    print(f"look-alikes redacted: {total_fp} of {counted_clean} ({total_fp / max(1, counted_clean):.1%})")
    for line in leaks[:20]:
        print("  SENT:", line)
    for line in false_positives[:20]:
        print("  FALSE POSITIVE:", line)
    worst_family = min((h / t for h, t in fam.values() if t), default=0.0)
    met = total_sent == 0 and worst_family >= 0.95 and total_fp <= 0.01 * counted_clean
    print(f"\ngoal (0 sent, recall >= 95% per family, <= 1% look-alikes redacted): {'met' if met else 'NOT met'}")
    shutil.rmtree(home, ignore_errors=True)  # the index; the corpus too unless --keep asked for it
    if keep is None:
        shutil.rmtree(root, ignore_errors=True)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
