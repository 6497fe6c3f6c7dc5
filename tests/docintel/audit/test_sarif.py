from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from docintel.audit.results import AuditReport
from docintel.audit.sarif import to_sarif

SCHEMA = Path(__file__).resolve().parents[2] / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema)


def test_sarif_validates_against_the_official_schema(
    evidence_report: AuditReport, validator: jsonschema.Draft4Validator
) -> None:
    sarif = json.loads(json.dumps(to_sarif(evidence_report)))
    errors = sorted(validator.iter_errors(sarif), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_sarif_carries_what_github_code_scanning_reads(evidence_report: AuditReport) -> None:
    run = to_sarif(evidence_report)["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert len(rules) == 12
    assert rules["hard-coded-credentials"]["defaultConfiguration"]["level"] == "error"
    assert rules["hard-coded-credentials"]["properties"]["security-severity"] == "9.5"
    assert rules["path-traversal"]["defaultConfiguration"]["level"] == "warning"
    assert "CWE-78" in rules["shell-injection"]["properties"]["tags"]
    results = {r["ruleId"]: r for r in run["results"]}
    assert set(results) == {"sql-string-building", "shell-injection", "hard-coded-credentials"}
    loc = results["sql-string-building"]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "src/app.py", "uriBaseId": "%SRCROOT%"}
    assert loc["region"]["startLine"] == 8 and "SELECT * FROM users" in loc["region"]["snippet"]["text"]
    assert run["tool"]["driver"]["rules"][results["shell-injection"]["ruleIndex"]]["id"] == "shell-injection"
    assert run["properties"]["corpusHash"] == evidence_report.corpus_hash


def test_fingerprint_survives_a_line_move(evidence_report: AuditReport) -> None:
    from dataclasses import replace

    first = to_sarif(evidence_report)["runs"][0]["results"][0]
    item = evidence_report.items[0]
    moved_span = replace(item.evidence[0].span, start_line=40, end_line=40)
    moved_item = replace(item, evidence=(replace(item.evidence[0], span=moved_span),))
    moved = replace(evidence_report, items=(moved_item, *evidence_report.items[1:]))
    second = to_sarif(moved)["runs"][0]["results"][0]
    assert second["locations"][0]["physicalLocation"]["region"]["startLine"] == 40
    assert first["partialFingerprints"] == second["partialFingerprints"]
