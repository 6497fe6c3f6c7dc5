"""SARIF 2.1.0 for an audit (GitHub code scanning reads it): one rule per checklist item, one result per finding.

URIs are relative to the corpus root with ``uriBaseId: "%SRCROOT%"``; fingerprints hash the rule, path and the
line's text (not its number) so a finding keeps its identity when code above it moves.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from docintel.audit.checklists import ChecklistItem
from docintel.audit.results import AuditReport, Evidence

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/docintel/docintel"
FINGERPRINT_KEY = "docintelLineHash/v1"

# severity -> (SARIF level, GitHub security-severity score: >=9 critical, 7-8.9 high, 4-6.9 medium, <4 low)
LEVELS: dict[str, tuple[str, str]] = {
    "critical": ("error", "9.5"),
    "high": ("error", "8.0"),
    "medium": ("warning", "5.5"),
    "low": ("note", "3.0"),
    "info": ("note", "0.1"),
}


def to_sarif(report: AuditReport) -> dict[str, Any]:
    rules = [_rule(item, evidence_only=report.verdict == "evidence_only") for item in report.checklist.items]
    rule_index = {item.id: n for n, item in enumerate(report.checklist.items)}
    results = [
        _result(r.item, e, rule_index[r.item.id], evidence_only=report.verdict == "evidence_only")
        for r in report.items
        for e in r.findings
    ]
    root_uri = report.corpus_root.rstrip("/") + "/"
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "docintel",
                        "version": report.docintel_version,
                        "semanticVersion": report.docintel_version,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"docintel-audit/{report.checklist.name}/"},
                "originalUriBaseIds": {"%SRCROOT%": {"uri": f"file://{root_uri}"}},
                "invocations": [{"executionSuccessful": True, "startTimeUtc": _utc(report.started_at)}],
                "results": results,
                "properties": {
                    "corpusHash": report.corpus_hash,
                    "checklist": report.checklist.name,
                    "checklistVersion": report.checklist.version,
                    "backend": report.backend,
                    "model": report.model,
                    "profile": report.profile,
                    "verdict": report.verdict,
                    "routes": {r.item.id: r.plan.mode for r in report.items},
                },
            }
        ],
    }


def _rule(item: ChecklistItem, *, evidence_only: bool) -> dict[str, Any]:
    level, score = LEVELS[item.severity]
    tags = ["security"] + ([item.cwe] if item.cwe else [])
    return {
        "id": item.id,
        "name": "".join(w.capitalize() for w in re.split(r"[^A-Za-z0-9]+", item.id) if w),
        "shortDescription": {"text": item.title},
        "fullDescription": {"text": item.question},
        "help": {"text": item.question},
        "defaultConfiguration": {"level": level},
        "properties": {
            "security-severity": score,
            "tags": tags,
            "precision": "low" if evidence_only else "medium",
            "problem.severity": {"critical": "error", "high": "error", "medium": "warning"}.get(
                item.severity, "recommendation"
            ),
        },
    }


def _result(item: ChecklistItem, e: Evidence, index: int, *, evidence_only: bool) -> dict[str, Any]:
    level, _ = LEVELS[item.severity]
    first_line = next((ln.strip() for ln in e.quote.splitlines() if ln.strip()), "")
    found_by = "found from the code's syntax" if e.source == "syntax" else "matches the checklist pattern"
    how = f"{found_by} (candidate, not judged by a model)" if evidence_only else "cited by the model"
    region: dict[str, Any] = {
        "startLine": max(1, e.span.start_line),
        "endLine": max(1, e.span.end_line, e.span.start_line),
        "snippet": {"text": e.quote},
    }
    digest = hashlib.sha256(f"{item.id}\0{e.span.path}\0{' '.join(e.quote.split())}".encode()).hexdigest()
    return {
        "ruleId": item.id,
        "ruleIndex": index,
        "level": level,
        "message": {"text": f"{item.title}: `{first_line[:200]}` {how}."},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(e.span.path), "uriBaseId": "%SRCROOT%"},
                    "region": region,
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: digest[:32]},
        "properties": {"source": e.source, "patterns": list(e.patterns)},
    }


def _uri(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")


def _utc(iso: str) -> str:
    return iso.replace("+00:00", "Z")
