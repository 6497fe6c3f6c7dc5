from __future__ import annotations

import json

from docintel.audit.report import render
from docintel.audit.results import AuditReport


def test_markdown_header_is_reproducible_and_says_evidence_only(evidence_report: AuditReport) -> None:
    md = render(evidence_report, "md")
    assert f"| corpus hash | `{evidence_report.corpus_hash}` |" in md
    assert "| docintel | 0.1.0 |" in md and "| backend / model | extractive / extractive |" in md
    assert "**Evidence only, not a verdict.**" in md
    # per item: route, planned tokens (1,280 = cache write 1,200 + uncached 80) and cost, sent tokens, cached share
    assert "| sql-string-building | high | full | 1,280 | 0% | $0.0123 | 0 | 0% | 1 | 1 |" in md
    assert "| unsafe-deserialization | high | full | 1,280 | 0% | $0.0123 | 0 | 0% | 0 | 0 |" in md
    assert '- `src/app.py:16` — `return subprocess.run("ping -c 1 " + host, shell=True, check=False)`' in md
    assert "**3 candidate findings** in 3 of 12 items; worst severity: critical." in md


def test_json_report_and_fail_on(evidence_report: AuditReport) -> None:
    data = json.loads(render(evidence_report, "json"))
    assert data["corpus"]["content_hash"] == evidence_report.corpus_hash
    assert data["summary"]["findings"] == 3 and data["summary"]["worst_severity"] == "critical"
    assert data["summary"]["planned_by_route"] == {
        "full": {"items": 12, "tokens": 15360, "cache_read": 0, "cost_usd": 0.1476}
    }
    by_id = {i["id"]: i for i in data["items"]}
    assert by_id["shell-injection"]["evidence"][0]["label"] == "src/app.py:16"
    assert by_id["shell-injection"]["route"]["reasons"] == ["aggregate question: needs every instance"]
    assert evidence_report.fails("critical") and evidence_report.fails("info")
    assert not evidence_report.fails(None)
