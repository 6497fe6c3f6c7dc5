"""Variants of the dev contract cases that name the contract differently: by title only, by parties only, by an
acronym of a party, or not at all; and questions across the contracts ("Which of the agreements are governed by
the laws of New York?", aggregate). Generated from the case file, never written by hand per case.

    .venv/bin/python benchmarks/routing_variants.py --out /tmp/routing-variants
    DOCINTEL_HOME=/tmp/evalhome .venv/bin/python benchmarks/eval_table.py --cases-dir /tmp/routing-variants/cases

How: the questions about one contract (one id prefix, ``cuad-000-``) share the words that name it ("the ENDORSEMENT
AGREEMENT between DAVID DUVAL ENTERPRISES, INC. and MOSSIMO, INC."): their longest common substring. That name
is split at " between " and " and " into the title and the parties, and each variant replaces the whole name in
every question of the group. Evidence, answers and kinds are kept; ids and suites get the variant's suffix. The
cases go to ``OUT/cases/`` and ``OUT/corpora`` links to the shared corpora (the eval reads corpora beside cases);
nothing is written into the repository or the shared folder.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CASES = ROOT.parent / "shared" / "eval" / "cases" / "contracts-cuad.jsonl"
_LEGAL = {"inc", "llc", "ltd", "limited", "corp", "corporation", "co", "company", "plc", "lp", "the", "of", "and"}
VARIANTS = ("title", "parties", "acronym", "none")


def common_name(questions: list[str]) -> str | None:
    """The longest substring every question shares, cut to start at "the " and to end at a word boundary."""
    common = questions[0]
    for q in questions[1:]:
        m = SequenceMatcher(None, common, q, autojunk=False).find_longest_match(0, len(common), 0, len(q))
        common = common[m.a : m.a + m.size]
    start = common.find("the ")
    if start < 0:
        return None
    name = common[start:]

    def cut_inside_a_word(candidate: str) -> bool:
        for q in questions:
            i = q.find(candidate)
            after = q[i + len(candidate) : i + len(candidate) + 1]
            if i < 0 or after.isalnum() or (candidate[-1:].isalnum() and after == "."):
                return True
        return False

    while name and (not name[-1:].strip() or cut_inside_a_word(name)):
        name = name[:-1]
    name = name.rstrip(" ,")
    return name if len(name) > 8 else None


def split_name(name: str) -> tuple[str, list[str]]:
    """("the ENDORSEMENT AGREEMENT", ["DAVID DUVAL ENTERPRISES, INC.", "MOSSIMO, INC."])."""
    title, _, parties = name.partition(" between ")
    return title, [p.strip(" ,") for p in re.split(r"\s+and\s+", parties) if p.strip(" ,")] if parties else []


def acronym(party: str) -> str | None:
    words = [w for w in re.findall(r"[A-Za-z]+", party) if w.lower() not in _LEGAL]
    return "".join(w[0] for w in words).upper() if len(words) >= 2 else None


def variant_name(variant: str, title: str, parties: list[str]) -> str | None:
    if variant == "title":
        return title
    if variant == "parties":
        return f"the agreement between {' and '.join(parties)}" if parties else None
    if variant == "acronym":
        named = [(acronym(p), p) for p in parties]
        if not any(a for a, _ in named):
            return None
        shown = [a if a else p for a, p in named]
        return f"the agreement between {' and '.join(shown)}"
    return "the agreement"


def build(rows: list[dict[str, Any]], *, lookups_only: bool) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups["-".join(row["id"].split("-")[:2])].append(row)
    out: dict[str, list[dict[str, Any]]] = {v: [] for v in VARIANTS}
    for group in groups.values():
        name = common_name([r["question"] for r in group]) if len(group) > 1 else None
        if not name:
            continue
        title, parties = split_name(name)
        for variant in VARIANTS:
            replacement = variant_name(variant, title, parties)
            if replacement is None:
                continue
            for row in group:
                if lookups_only and row["kind"] != "lookup":
                    continue
                new = dict(row)
                new["id"] = f"{row['id']}-{variant}"
                new["suite"] = f"{row['suite']}-{variant}"
                new["question"] = row["question"].replace(name, replacement)
                out[variant].append(new)
    return out


def across(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Questions across the contracts, from the governing-law lookups: "Which of the agreements are governed by
    the laws of New York?" with every contract's governing-law clause that answers it as the evidence (aggregate;
    answers shared by two or more contracts). Over a corpus above the window these are map-reduced."""
    by_answer: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["id"].endswith("-governing-law") and row["kind"] == "lookup":
            by_answer[row["answer"].strip()].append(row)
    out = []
    for answer, group in sorted(by_answer.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        if len(group) < 2:
            continue
        slug = re.sub(r"[^a-z0-9]+", "-", answer.lower()).strip("-")
        out.append(
            {
                "id": f"cuad-across-governing-law-{slug}",
                "suite": f"{group[0]['suite']}-across",
                "corpus": group[0]["corpus"],
                "question": f"Which of the agreements are governed by the laws of {answer}?",
                "answer": "; ".join(sorted({e["path"] for r in group for e in r["evidence"]})),
                "kind": "aggregate",
                "evidence": [e for r in group for e in r["evidence"]],
            }
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    parser.add_argument("--out", type=Path, default=Path("/tmp/routing-variants"))
    parser.add_argument("--all-kinds", action="store_true", help="keep absent cases too (default: lookups only)")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.cases.read_text(encoding="utf-8").splitlines() if line.strip()]
    variants = build(rows, lookups_only=not args.all_kinds)
    cases_dir = args.out / "cases"
    cases_dir.mkdir(parents=True, exist_ok=True)
    corpora = args.out / "corpora"
    if not corpora.exists():
        corpora.symlink_to(args.cases.resolve().parent.parent / "corpora")
    variants["across"] = across(rows)
    for variant, cases in variants.items():
        path = cases_dir / f"{args.cases.stem}-{variant}.jsonl"
        path.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
        example = cases[0]["question"] if cases else "-"
        print(f"{path}: {len(cases)} cases, e.g. {example}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
