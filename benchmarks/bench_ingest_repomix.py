"""Ingestion speed of docintel against repomix and gitingest on the same tree, measured in one run.

    .venv/bin/python benchmarks/bench_ingest_repomix.py [CORPUS] [--repeat 3]

CORPUS defaults to ``../shared/eval/corpora/code-pytest``. repomix comes from ``$REPOMIX`` (a path to its
executable), else from a local npm install in ``~/.cache/docintel-bench/repomix`` (made on first use, outside the
repository), else ``npx --yes repomix``. Each tool runs ``--repeat`` times, alternating, and the best wall time
counts (the machine is shared; the minimum is the least disturbed run). gitingest comes from ``$GITINGEST``, else
a virtual environment in ``~/.cache/docintel-bench/gitingest-venv`` (``pip install gitingest`` made on first use,
outside the repository and outside docintel's own environment). Compared:

- ``docintel stats --json`` as a command (interpreter start, walk, parse, token counts) against
  ``repomix -o FILE`` (walk, security scan, token counts, packed output), both end to end: first with an empty
  ``DOCINTEL_HOME`` (every file parsed), then again on the unchanged corpus (documents from the ingest cache);
- ``load_corpus`` inside a warm process against the same repomix run;
- repomix with ``--no-security-check``, since docintel does not scan for secrets while ingesting;
- ``gitingest PATH -o FILE`` (walk, read, token estimate, one text digest), end to end.

CPU seconds (user + system of the child process) are printed too: on a busy machine they vary less than wall time.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "eval" / "corpora" / "code-pytest"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "docintel-bench" / "repomix"


def repomix_command() -> list[str]:
    if os.environ.get("REPOMIX"):
        return [os.environ["REPOMIX"]]
    local = CACHE / "node_modules" / ".bin" / "repomix"
    if not local.exists() and shutil.which("npm"):
        CACHE.mkdir(parents=True, exist_ok=True)
        if not (CACHE / "package.json").exists():  # npm install --prefix needs a package to install into
            (CACHE / "package.json").write_text('{"name": "docintel-bench", "private": true}\n')
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(CACHE), "repomix"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    if local.exists():
        return [str(local)]
    if shutil.which("npx"):
        return ["npx", "--yes", "repomix"]
    sys.exit("repomix not found: install Node.js (npm/npx) or set REPOMIX=/path/to/repomix")


def gitingest_command() -> list[str] | None:
    if os.environ.get("GITINGEST"):
        return [os.environ["GITINGEST"]]
    venv = CACHE.parent / "gitingest-venv"
    if not (venv / "bin" / "gitingest").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        done = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "gitingest"], check=False)
        if done.returncode != 0:
            print("gitingest could not be installed: its column is left out")
            return None
    return [str(venv / "bin" / "gitingest")]


def timed(command: list[str], cwd: Path, cpu: list[float]) -> float:
    """Wall seconds of one run; its CPU seconds (user + system, all threads and children) go to ``cpu``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    corpus = args.corpus.resolve()
    if not corpus.is_dir():
        sys.exit(f"corpus not found: {corpus}")

    from docintel.ingest import load_corpus

    repomix = repomix_command()
    version = subprocess.run([*repomix, "--version"], capture_output=True, text=True).stdout.strip()
    gitingest = gitingest_command()
    names = ("docintel stats", "docintel warm", "load_corpus", "repomix", "repomix nosec") + (
        ("gitingest",) if gitingest else ()
    )
    times: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names if name != "load_corpus"}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        out = str(work / "repomix-output.xml")
        docintel_cmd = [sys.executable, "-m", "docintel", "stats", str(corpus), "--json"]
        warm_home = work / "home-warm"
        os.environ["DOCINTEL_HOME"] = str(warm_home)
        load_corpus(corpus)  # warms the OS file cache, this process's imports, and the warm home's ingest cache
        for n in range(args.repeat):
            times["repomix"].append(timed([*repomix, "--quiet", "-o", out, str(corpus)], work, cpu["repomix"]))
            os.environ["DOCINTEL_HOME"] = str(work / f"home-cold-{n}")  # empty: parses every file
            times["docintel stats"].append(timed(docintel_cmd, work, cpu["docintel stats"]))
            os.environ["DOCINTEL_HOME"] = str(warm_home)  # unchanged corpus: documents from the ingest cache
            times["docintel warm"].append(timed(docintel_cmd, work, cpu["docintel warm"]))
            nosec = [*repomix, "--quiet", "--no-security-check", "-o", out, str(corpus)]
            times["repomix nosec"].append(timed(nosec, work, cpu["repomix nosec"]))
            if gitingest:
                digest = [*gitingest, str(corpus), "-o", str(work / "gitingest-digest.txt")]
                times["gitingest"].append(timed(digest, work, cpu["gitingest"]))
            os.environ["DOCINTEL_INGEST_CACHE"] = "0"
            started = time.perf_counter()
            corpus_loaded = load_corpus(corpus)
            times["load_corpus"].append(time.perf_counter() - started)
            del os.environ["DOCINTEL_INGEST_CACHE"]
        packed_bytes = Path(out).stat().st_size

    best = {name: min(values) for name, values in times.items()}
    print(f"corpus: {corpus}")
    print(
        f"docintel: {len(corpus_loaded.documents)} documents, "
        f"{sum(len(d.segments) for d in corpus_loaded.documents)} segments, {corpus_loaded.tokens:,} tokens, "
        f"{len(corpus_loaded.skipped)} skipped; repomix {version}: {packed_bytes:,} bytes packed"
    )
    print(f"cpus: {os.cpu_count()}, repeat: {args.repeat} (best of each; all runs below)")
    for name, values in times.items():
        line = f"  {name:15s} wall best {best[name]:6.2f} s   runs " + " ".join(f"{v:.2f}" for v in values)
        if name in cpu:
            line += f"   cpu best {min(cpu[name]):6.2f} s"
        print(line)
    ratios = [
        ("repomix / docintel stats, first run (end to end)", best["repomix"] / best["docintel stats"]),
        ("repomix / docintel stats, unchanged corpus (ingest cache)", best["repomix"] / best["docintel warm"]),
        ("repomix / load_corpus, no cache (warm process)", best["repomix"] / best["load_corpus"]),
        ("repomix --no-security-check / docintel stats, first run", best["repomix nosec"] / best["docintel stats"]),
        ("cpu: repomix / docintel stats, first run", min(cpu["repomix"]) / min(cpu["docintel stats"])),
    ]
    if gitingest:
        ratios += [
            ("gitingest / docintel stats, first run (end to end)", best["gitingest"] / best["docintel stats"]),
            ("cpu: gitingest / docintel stats, first run", min(cpu["gitingest"]) / min(cpu["docintel stats"])),
        ]
    for label, ratio in ratios:
        print(f"ratio {label:58s} {ratio:5.2f}x")


if __name__ == "__main__":
    main()
