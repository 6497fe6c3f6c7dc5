"""The code-security audit's candidates against bandit, and against the audit's own line patterns (the baseline,
measured in the same run).

    .venv/bin/python benchmarks/bench_audit_bandit.py [--json] [--target DIR ...]

Targets: ``examples/repo`` and a tree of deliberately vulnerable code this script writes to a temp folder
(``tests/docintel/audit/vulnerable_code.py``: three Python web apps, JavaScript, a shell script, config files).
For each target:

- bandit (``python -m bandit -r -f json``) gives the reference findings; those of severity high or medium whose
  test maps to one of the audit's categories (``BANDIT_TO_ITEM``) are *in scope*;
- a bandit finding is *found* when the audit lists a candidate of the mapped item in the same file within
  ±3 lines (bandit reports a multi-line SQL string at its first line, the audit at the string and at the
  ``execute``);
- every candidate is checked against the file's syntax tree: one whose line holds nothing but comments and string
  literals is a *false match in a comment or string* (the share the issue bounds at 5%);
- *beyond bandit*: candidates in files bandit does not read (JavaScript, shell, config).

The audit's candidates are what ``docintel audit --checklist code-security`` lists as syntax evidence
(``docintel.audit.code_findings.corpus_findings``); the baseline is every line matching the checklist's patterns
(``docintel.audit.runner.pattern_evidence``), what the audit listed before syntax rules.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docintel.audit.checklists import load_checklist  # noqa: E402
from docintel.audit.code_findings import corpus_findings, parse, walk  # noqa: E402
from docintel.audit.runner import pattern_evidence  # noqa: E402
from docintel.corpus import Corpus, Document  # noqa: E402
from docintel.ingest import load_corpus  # noqa: E402
from tests.docintel.audit.vulnerable_code import write_vulnerable  # noqa: E402

LINE_SLACK = 3
# bandit test id -> the checklist item it belongs to (tests of other kinds, e.g. B108 /tmp paths, B310 urlopen,
# B701 Jinja2 autoescape, are out of the audit's scope and not counted).
BANDIT_TO_ITEM: dict[str, str] = {
    "B102": "eval-exec",
    "B307": "eval-exec",
    "B301": "unsafe-deserialization",
    "B302": "unsafe-deserialization",
    "B506": "unsafe-deserialization",
    "B614": "unsafe-deserialization",
    "B303": "weak-crypto",
    "B304": "weak-crypto",
    "B305": "weak-crypto",
    "B324": "weak-crypto",
    "B323": "tls-verification-disabled",
    "B501": "tls-verification-disabled",
    "B601": "shell-injection",
    "B602": "shell-injection",
    "B604": "shell-injection",
    "B605": "shell-injection",
    "B609": "shell-injection",
    "B608": "sql-string-building",
    "B610": "sql-string-building",
    "B611": "sql-string-building",
    "B201": "debug-mode",
    "B104": "bind-all-interfaces",
    "B113": "request-without-timeout",
    "B313": "xml-external-entities",
    "B314": "xml-external-entities",
    "B315": "xml-external-entities",
    "B316": "xml-external-entities",
    "B317": "xml-external-entities",
    "B318": "xml-external-entities",
    "B319": "xml-external-entities",
    "B320": "xml-external-entities",
    "B411": "xml-external-entities",
    "B202": "path-traversal",
    "B105": "hard-coded-credentials",
    "B106": "hard-coded-credentials",
    "B107": "hard-coded-credentials",
}
_SYNTAX_LANGUAGES = {"python", "javascript", "typescript", "tsx", "bash"}


@dataclass(frozen=True)
class Hit:
    item: str
    path: str
    line: int


def bandit(target: Path) -> list[dict[str, Any]]:
    run = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", "-q", "-f", "json", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    results: list[dict[str, Any]] = json.loads(run.stdout or "{}").get("results", [])
    for r in results:
        r["path"] = Path(r["filename"]).resolve().relative_to(target.resolve()).as_posix()
    return results


def in_scope(results: Iterable[dict[str, Any]]) -> list[Hit]:
    return [
        Hit(BANDIT_TO_ITEM[r["test_id"]], r["path"], int(r["line_number"]))
        for r in results
        if r["test_id"] in BANDIT_TO_ITEM and r["issue_severity"] in ("HIGH", "MEDIUM")
    ]


def syntax_hits(corpus: Corpus) -> list[Hit]:
    return [Hit(c.rule, c.path, c.line) for c in corpus_findings(corpus)]


def pattern_hits(corpus: Corpus) -> list[Hit]:
    checklist = load_checklist("code-security")
    out = []
    for item in checklist.items:
        for e in pattern_evidence(corpus, item, checklist.kinds, limit=10_000):
            out.append(Hit(item.id, e.span.path, e.span.start_line))
    return out


def found(reference: Hit, hits: list[Hit]) -> bool:
    return any(
        h.item == reference.item and h.path == reference.path and abs(h.line - reference.line) <= LINE_SLACK
        for h in hits
    )


_only_comment_or_string: dict[tuple[str, int], bool] = {}


def in_comment_or_string(doc: Document, line: int) -> bool:
    """Whether every token on ``line`` is part of a comment or a string literal (or the line is a config comment)."""
    key = (doc.path, line)
    if key in _only_comment_or_string:
        return _only_comment_or_string[key]
    text = doc.text.splitlines()[line - 1] if line <= len(doc.text.splitlines()) else ""
    if doc.language not in _SYNTAX_LANGUAGES:
        verdict = text.lstrip().startswith(("#", ";", "//"))
    else:
        root = parse(doc.language or "", doc.text)
        verdict = True
        for node in walk(root):
            if node.start_point[0] > line - 1 or node.end_point[0] < line - 1 or node.child_count:
                continue
            if node.start_point[0] != line - 1 and node.end_point[0] != line - 1:
                continue
            ancestors, n = set(), node
            while n is not None:
                ancestors.add(n.type)
                n = n.parent
            if not ancestors & {"comment", "string", "string_content", "template_string", "raw_string"}:
                verdict = False
                break
    _only_comment_or_string[key] = verdict
    return verdict


def measure(name: str, target: Path) -> dict[str, Any]:
    corpus = load_corpus(target)
    by_path = {d.path: d for d in corpus.documents}
    reference = in_scope(bandit(target))
    rows: dict[str, Any] = {"target": name, "bandit_in_scope": len(reference)}
    for label, hits in (("syntax", syntax_hits(corpus)), ("patterns", pattern_hits(corpus))):
        unique = sorted({(h.path, h.line, h.item) for h in hits})
        bad = [u for u in unique if u[0] in by_path and in_comment_or_string(by_path[u[0]], u[1])]
        beyond = [u for u in unique if by_path[u[0]].language not in ("python",)]
        missed = [r for r in reference if not found(r, hits)]
        rows[label] = {
            "found": len(reference) - len(missed),
            "recall": round((len(reference) - len(missed)) / len(reference), 3) if reference else None,
            "candidates": len(unique),
            "in_comment_or_string": len(bad),
            "comment_or_string_share": round(len(bad) / len(unique), 3) if unique else 0.0,
            "beyond_bandit": len(beyond),
            "missed": [f"{r.path}:{r.line} {r.item}" for r in missed],
            "false_matches": [f"{p}:{n} {i}" for p, n, i in bad],
        }
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--target", action="append", type=Path, default=[], help="also measure this code folder (repeatable)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="docintel-vulnerable-") as scratch:
        results = [
            measure("examples/repo", ROOT / "examples" / "repo"),
            measure("vulnerable apps (written by the benchmark)", write_vulnerable(Path(scratch))),
            *(measure(str(t), t) for t in args.target),
        ]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        "| target | bandit in scope (high/medium) | method | found | recall | candidates | in comment/string "
        "| beyond bandit |"
    )
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        for label in ("syntax", "patterns"):
            s = r[label]
            recall = "–" if s["recall"] is None else f"{s['recall']:.0%}"
            method = "audit (syntax)" if label == "syntax" else "baseline (line patterns)"
            print(
                f"| {r['target']} | {r['bandit_in_scope']} | {method} | {s['found']} | {recall} | {s['candidates']} | "
                f"{s['in_comment_or_string']} ({s['comment_or_string_share']:.0%}) | {s['beyond_bandit']} |"
            )
    total = sum(r["bandit_in_scope"] for r in results)
    for label in ("syntax", "patterns"):
        got = sum(r[label]["found"] for r in results)
        cands = sum(r[label]["candidates"] for r in results)
        bad = sum(r[label]["in_comment_or_string"] for r in results)
        print(f"{label}: {got}/{total} of bandit's in-scope findings; {bad}/{cands} candidates in comments/strings")
    for r in results:
        for label in ("syntax", "patterns"):
            if r[label]["missed"] or r[label]["false_matches"]:
                print(
                    f"{r['target']} {label}: missed {r[label]['missed']}; in comment/string {r[label]['false_matches']}"
                )


if __name__ == "__main__":
    main()
