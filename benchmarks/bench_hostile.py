"""Hostile inputs and backend faults, measured: wall time, peak RSS and requests sent per case (docs/reliability.md).

Each case runs in a fresh Python process (``--case NAME``), so its peak RSS is its own; the parent prints one table.
Baselines are measured in the same run: the bombs against the parser run on a bomb one tenth the size with the
check bypassed (what docintel did before), the encodings against plain UTF-8 of the same size, the usage errors
against ``docintel --version`` (process start-up), the deadline against the deadline itself.

    .venv/bin/python benchmarks/bench_hostile.py            # all cases, a Markdown table on stdout
    .venv/bin/python benchmarks/bench_hostile.py --case docx-bomb
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "ingest"))
sys.path.insert(0, str(ROOT / "tests" / "docintel" / "backends"))
DOCINTEL = [str(Path(sys.executable).parent / "docintel")]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---- cases: each returns a dict of figures; time is measured around the part that matters -----------------------


def case_docx_bomb(tmp: Path, inflated: int = 100_000_000, checked: bool = True) -> dict[str, Any]:
    from test_hostile_inputs import docx_bomb

    from docintel.ingest import load_corpus

    root = tmp / "c"
    root.mkdir()
    bomb = docx_bomb(root / "bomb.docx", inflated)
    load_corpus(ROOT / "examples" / "contract")  # loaders and tokenizer warm, outside the measurement
    before = rss_mb()
    started = time.perf_counter()
    if checked:
        corpus = load_corpus(root)
        outcome = corpus.skipped[0].reason if corpus.skipped else "read"
    else:  # what docintel did before: python-docx parses everything
        import docx

        paragraphs = len(docx.Document(io.BytesIO(bomb.read_bytes())).paragraphs)
        outcome = f"parsed {paragraphs:,} paragraphs"
    return {
        "seconds": time.perf_counter() - started,
        "peak_mb": peak_mb() - before,
        "on_disk_kb": bomb.stat().st_size / 1000,
        "outcome": outcome,
    }


def case_pdf_bomb(tmp: Path, inflated: int = 100_000_000, checked: bool = True) -> dict[str, Any]:
    from test_hostile_inputs import pdf_bomb

    from docintel.ingest import load_corpus

    root = tmp / "c"
    root.mkdir()
    bomb = pdf_bomb(root / "bomb.pdf", inflated)
    load_corpus(ROOT / "examples" / "contract")
    before = rss_mb()
    started = time.perf_counter()
    if checked:
        corpus = load_corpus(root)
        outcome = corpus.skipped[0].reason if corpus.skipped else "read"
    else:
        import pypdf

        text = pypdf.PdfReader(io.BytesIO(bomb.read_bytes())).pages[0].extract_text()
        outcome = f"extracted {len(text):,} characters"
    return {
        "seconds": time.perf_counter() - started,
        "peak_mb": peak_mb() - before,
        "on_disk_kb": bomb.stat().st_size / 1000,
        "outcome": outcome,
    }


def case_nested(tmp: Path) -> dict[str, Any]:
    from docintel.api import fingerprint
    from docintel.ingest import load_corpus

    root = deepest = tmp / "deep"
    root.mkdir()
    for _ in range(1200):
        deepest = deepest / "d"
        deepest.mkdir()
    (deepest / "bottom.txt").write_text("At the bottom.\n")
    before = rss_mb()
    started = time.perf_counter()
    corpus = load_corpus(root)
    fingerprint(root)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_mb": peak_mb() - before,
        "outcome": f"{len(corpus.documents)} document, depth 1,200",
    }


def _encoding_case(data: bytes) -> dict[str, Any]:
    from docintel.ingest.encoding import decode_text

    started = time.perf_counter()
    decoded = decode_text("f.txt", data)
    return {"seconds": time.perf_counter() - started, "outcome": f"{decoded.encoding}, {len(decoded.text):,} chars"}


PROSE = "The Supplier’s fee is €1,200 — payable “in advance”; Größere Änderungen bedürfen der Schriftform.\n"


def case_utf8(tmp: Path) -> dict[str, Any]:
    return _encoding_case((PROSE * 10_000).encode("utf-8"))


def case_cp1252(tmp: Path) -> dict[str, Any]:
    return _encoding_case((PROSE * 10_000).encode("cp1252"))


def case_utf16(tmp: Path) -> dict[str, Any]:
    return _encoding_case((PROSE * 10_000).encode("utf-16-le"))


def _cli(args: list[str]) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run([*DOCINTEL, *args], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    line = (done.stderr.strip().splitlines() or [""])[-1]
    assert "Traceback" not in done.stderr, done.stderr
    return {"seconds": seconds, "outcome": f"exit {done.returncode}: {line[:90]}"}


def case_version(tmp: Path) -> dict[str, Any]:
    return _cli(["--version"])


def case_empty_corpus(tmp: Path) -> dict[str, Any]:
    (tmp / "empty").mkdir()
    (tmp / "empty" / "logo.bin").write_bytes(b"\0\1\2binary")
    return _cli(["ask", str(tmp / "empty"), "Who may terminate?"])


def case_empty_question(tmp: Path) -> dict[str, Any]:
    return _cli(["ask", str(ROOT / "examples" / "contract"), "   "])


def _backend_case(
    route_setup: Callable[[Any], None], make: Callable[[Any], Any], calls: tuple[str, str]
) -> dict[str, Any]:
    import anthropic  # noqa: F401  - the SDKs' first imports (seconds) are not the fault's cost
    import openai  # noqa: F401
    from misbehaving_server import MisbehavingServer
    from test_faults import prompt

    from docintel.errors import DocintelError

    with MisbehavingServer() as server:
        route_setup(server)
        started = time.perf_counter()
        try:
            backend = make(server)
            list(backend.generate(prompt()))
            outcome = "answered"
        except DocintelError as e:
            outcome = str(e).replace(server.url, "URL")[:110]
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "requests": server.count(*calls), "outcome": outcome}


def _anthropic(timeout_s: float = 30.0) -> Callable[[Any], Any]:
    def make(server: Any) -> Any:
        from docintel.backends.anthropic import AnthropicBackend
        from docintel.backends.retry import Backoff

        return AnthropicBackend(
            "claude-sonnet-4-6", api_key="k", base_url=server.url, timeout_s=timeout_s,
            backoff=Backoff(max_retries=3, base_s=0.2),
        )  # fmt: skip

    return make


def case_pings(tmp: Path) -> dict[str, Any]:
    from test_faults import MESSAGES, message_start

    def setup(server: Any) -> None:
        server.routes[MESSAGES] = lambda h, b: server.pings_forever(h, 2.0, first=message_start)

    return _backend_case(setup, _anthropic(timeout_s=5.0), MESSAGES)


def case_overloaded(tmp: Path) -> dict[str, Any]:
    from test_faults import MESSAGES, good_stream, overloaded_in_band

    calls: list[int] = []

    def route(h: Any, body: Any) -> None:
        calls.append(1)
        (overloaded_in_band if len(calls) <= 2 else good_stream)(h, body)

    return _backend_case(lambda s: s.routes.__setitem__(MESSAGES, route), _anthropic(), MESSAGES)


def case_garbage_sse(tmp: Path) -> dict[str, Any]:
    from test_faults import MESSAGES

    def route(h: Any, body: Any) -> None:
        h.start_sse()
        h.chunk(b"event: message_start\ndata: {not json\n\n")
        h.end_sse()

    return _backend_case(lambda s: s.routes.__setitem__(MESSAGES, route), _anthropic(), MESSAGES)


def case_vllm_html(tmp: Path) -> dict[str, Any]:
    from test_faults import MODELS

    def make(server: Any) -> Any:
        from docintel.backends.vllm import VLLMBackend

        return VLLMBackend(base_url=server.url)

    html = b"<html><h1>It works!</h1></html>"
    return _backend_case(
        lambda s: s.routes.__setitem__(MODELS, lambda h, b: h.send_raw(200, "text/html", html)), make, MODELS
    )


CASES: dict[str, tuple[str, Callable[[Path], dict[str, Any]]]] = {
    "docx-bomb": ("DOCX, document.xml inflating to 100 MB", case_docx_bomb),
    "docx-bomb-unchecked-10mb": (
        "baseline: python-docx on a 10 MB bomb, check bypassed", lambda t: case_docx_bomb(t, 10_000_000, False)
    ),
    "pdf-bomb": ("PDF, one Flate stream inflating to 100 MB", case_pdf_bomb),
    "pdf-bomb-unchecked-10mb": (
        "baseline: pypdf on a 10 MB bomb, check bypassed", lambda t: case_pdf_bomb(t, 10_000_000, False)
    ),
    "nested": ("1,200 nested folders (walk + API fingerprint)", case_nested),
    "utf8": ("baseline: 1 MB of UTF-8 prose decoded", case_utf8),
    "cp1252": ("1 MB of cp1252 prose decoded", case_cp1252),
    "utf16": ("1 MB of UTF-16-LE prose, no BOM, decoded", case_utf16),
    "version": ("baseline: `docintel --version`", case_version),
    "empty-corpus": ("`docintel ask EMPTY_FOLDER q`", case_empty_corpus),
    "empty-question": ("`docintel ask PATH '   '`", case_empty_question),
    "pings": ("anthropic: ping every 2 s forever, --timeout 5", case_pings),
    "overloaded": ("anthropic: in-band overloaded_error twice, then an answer", case_overloaded),
    "garbage-sse": ("anthropic: SSE data that is not JSON", case_garbage_sse),
    "vllm-html": ("vllm: /v1/models answers HTML", case_vllm_html),
}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(CASES))
    args = parser.parse_args()
    if args.case:
        with tempfile.TemporaryDirectory() as tmp:
            result = CASES[args.case][1](Path(tmp))
            result.setdefault("peak_mb", None)
            print(json.dumps(result))
            if args.case == "nested":  # bottom-up: TemporaryDirectory's rmtree recurses
                deepest = Path(tmp) / "deep" / "/".join(["d"] * 1200)
                (deepest / "bottom.txt").unlink()
                while deepest != Path(tmp) / "deep":
                    deepest.rmdir()
                    deepest = deepest.parent
        return
    env = {**os.environ, "DOCINTEL_HOME": tempfile.mkdtemp(prefix="bench-hostile-"), "HF_HUB_OFFLINE": "1"}
    print("| case | wall s | peak RSS MB (over start) | requests | outcome |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name, (title, _) in CASES.items():
        done = subprocess.run([sys.executable, __file__, "--case", name], capture_output=True, text=True, env=env)
        if done.returncode != 0:
            print(f"| {title} | - | - | - | failed: {done.stderr.strip().splitlines()[-1][:100]} |")
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        peak = "" if r.get("peak_mb") is None else f"{r['peak_mb']:.0f}"
        print(f"| {title} | {r['seconds']:.3f} | {peak} | {r.get('requests', '')} | {r['outcome']} |", flush=True)


if __name__ == "__main__":
    main()
