"""Warm question latency on an indexed corpus (not part of pytest): the whole `docintel ask` command (extractive
backend) on today's path (sentence-transformers/torch, ``DOCINTEL_EMBEDDER=sentence-transformers``, no shared
embedding cache, a process of its own) against the default ONNX Runtime path in a process of its own
(``DOCINTEL_DAEMON=0``) and handed to the background process (docintel.cli.daemon, the default), rounds
interleaved, p50 of each; and in-process ``Session.ask`` p50. All paths share one index (fp32 ONNX and torch give
the same vectors and the same model id). ``PYTHONDONTWRITEBYTECODE`` is dropped from the commands' environment: an
installed docintel has its bytecode compiled, and a shell that forbids it pays ~0.15 s a command for compiling.

    .venv/bin/python benchmarks/bench_cli_latency.py [--corpus code-pytest] [--rounds 5] [--questions 3] [--no-today]

Goals (issue 15): whole process <= 1 s p50, in-process <= 150 ms p50. The machine's 2 cores are shared with other
work: read the ratio of the two paths in the same run; the absolute figures move with the load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCINTEL = str(ROOT / ".venv" / "bin" / "docintel")
EVAL = ROOT.parent / "shared" / "eval"
QUESTIONS = {
    "code-pytest": [
        "How does pytest decide which fixtures a test function requests?",
        "Where is the assertion rewriting hook installed?",
        "What does the monkeypatch fixture do with setenv?",
    ],
    "contracts-nda": [
        "Does the agreement allow the receiving party to share information with its employees?",
        "Which state's law governs the non-disclosure agreement?",
        "Must confidential information be returned or destroyed when the agreement ends?",
    ],
    "contracts-cuad": [
        "Which law governs the agreement?",
        "Can either party assign the agreement without consent?",
        "How long is the term of the agreement?",
    ],
}


def cli(path: Path, question: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    out = subprocess.run(
        [DOCINTEL, "ask", str(path), question, "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    seconds = time.perf_counter() - started
    if out.returncode != 0:
        raise SystemExit(f"docintel ask failed ({out.returncode}): {out.stderr[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default="code-pytest", choices=sorted(QUESTIONS))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--questions", type=int, default=3, help="how many of the corpus's questions")
    parser.add_argument("--home", help="reuse this DOCINTEL_HOME (index built by an earlier run)")
    parser.add_argument("--no-today", action="store_true", help="skip the torch path (~25 s a question)")
    args = parser.parse_args()
    home = args.home or tempfile.mkdtemp(prefix="bench-cli-")
    os.environ["DOCINTEL_HOME"] = home
    path = EVAL / "corpora" / args.corpus
    env = {**os.environ, "DOCINTEL_HOME": home, "DOCINTEL_DAEMON": "0"}
    env.pop("DOCINTEL_EMBEDDER", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    background = {**env, "DOCINTEL_DAEMON": "1"}

    import docintel

    started = time.perf_counter()
    session = docintel.open(path)
    report = session.report
    print(
        f"{args.corpus}: {len(session.corpus.documents)} files, {session.corpus.tokens:,} tokens; index ready in "
        f"{time.perf_counter() - started:.1f} s ({report.embedded_chunks if report else 0} chunks embedded)",
        flush=True,
    )
    questions = QUESTIONS[args.corpus][: args.questions]
    for question in questions:  # first asks fill the sentence cache and write the ONNX file: warm state
        session.ask(question)
        cli(path, question, env)
    cli(path, questions[0], background)  # runs in its own process, then starts the background one
    for _ in range(600):
        if subprocess.run([DOCINTEL, "serve", "status"], env=background, capture_output=True).returncode == 0:
            break
        time.sleep(0.2)
    else:
        raise SystemExit("the background process did not start")
    cli(path, questions[0], background)  # its first question opens the corpus
    # Today's path: torch, and every sentence the extractive answer scores embedded again (no shared cache).
    today = {**env, "DOCINTEL_EMBEDDER": "sentence-transformers", "DOCINTEL_EMBED_CACHE": "0"}
    paths = {"today (torch, no cache)": today, "onnx, own process": env, "onnx, background process": background}
    if args.no_today:
        del paths["today (torch, no cache)"]
    times: dict[str, list[float]] = {name: [] for name in paths}
    in_process: list[float] = []
    for _ in range(args.rounds):
        for question in questions:
            for name, path_env in paths.items():
                times[name].append(cli(path, question, path_env))
            t0 = time.perf_counter()
            session.ask(question)
            in_process.append(time.perf_counter() - t0)
    subprocess.run([DOCINTEL, "serve", "stop"], env=background, capture_output=True)
    base = statistics.median(next(iter(times.values())))
    print(
        f"\n| warm `docintel ask` (extractive), {args.rounds} rounds x {len(questions)} questions | p50 s "
        f"| vs {next(iter(times))} |"
    )
    print("| --- | --- | --- |")
    for name, values in times.items():
        print(f"| whole process, {name} | {statistics.median(values):.2f} | {base / statistics.median(values):.1f}x |")
    print(f"| in-process Session.ask (onnx) | {statistics.median(in_process) * 1000:.0f} ms | |")
    session.close()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
