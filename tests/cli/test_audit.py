"""``docintel audit`` end to end on real inputs: a small repo written to disk and the sample contract."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from docintel.cli.main import app
from docintel.errors import InputError
from tests.docintel.sample_repo import tree, write_repo

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"
runner = CliRunner()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_repo(tmp_path / "shop")


def test_sarif_report_is_valid_and_points_at_the_unsafe_lines(repo: Path, tmp_path: Path) -> None:
    before = tree(repo)
    out = tmp_path / "reports" / "audit.sarif"
    result = runner.invoke(app, ["audit", str(repo), "--format", "sarif", "--out", str(out)])
    assert result.exit_code == 0, result.output
    sarif = json.loads(out.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(sarif)]
    assert not errors, errors
    run = sarif["runs"][0]
    located = {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
         r["locations"][0]["physicalLocation"]["region"]["startLine"])
        for r in run["results"]
    }  # fmt: skip
    assert located == {
        ("sql-string-building", "shop/db.py", 14),  # the f-string that builds the SQL
        ("sql-string-building", "shop/db.py", 15),  # the execute() it flows into
        ("shell-injection", "shop/ops.py", 8),
        ("hard-coded-credentials", "shop/db.py", 5),
    }
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
               for r in run["results"])  # fmt: skip
    assert run["properties"]["verdict"] == "evidence_only" and len(run["properties"]["corpusHash"]) == 64
    assert set(run["properties"]["routes"].values()) <= {"full", "retrieve", "map_reduce"}
    assert tree(repo) == before  # nothing written into the corpus


def test_markdown_report_on_stdout_and_fail_on_exit_code(repo: Path) -> None:
    result = runner.invoke(app, ["audit", str(repo), "--fail-on", "high", "--profile", "claude-sonnet-4-6"])
    assert result.exit_code == 3, result.output
    md = result.stdout
    assert md.startswith("# Audit: Code security review")
    assert "**Evidence only, not a verdict.**" in md and "| planned for profile | claude-sonnet-4-6 |" in md
    assert '- `shop/db.py:14` — `query = f"SELECT id, name, email FROM customers' in md
    assert "4 candidate findings in 12 items (worst: critical)" in result.stderr


def test_no_fail_when_findings_are_below_the_threshold(tmp_path: Path) -> None:
    repo = tmp_path / "clean"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "digest.py").write_text(
        "import hashlib\n\n\ndef etag(body):\n    return hashlib.md5(body).hexdigest()\n", encoding="utf-8"
    )
    checklist = tmp_path / "crypto.yaml"  # a user checklist file: one item keeps the test short
    checklist.write_text(
        "name: crypto-only\nkinds: [code]\nitems:\n  - id: weak-hash\n    severity: medium\n"
        "    question: Where is MD5 or SHA-1 used?\n    patterns: ['\\bhashlib\\.(md5|sha1)\\(']\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["audit", str(repo), "--checklist", str(checklist), "--fail-on", "high", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["checklist"]["name"] == "crypto-only" and data["checklist"]["source"] == str(checklist)
    (item,) = data["items"]
    assert item["findings"] == 1 and data["summary"]["worst_severity"] == "medium"
    assert [e["label"] for e in item["evidence"] if e["finding"]] == ["pkg/digest.py:5"]


def test_contract_gets_the_contract_checklist(examples_dir: Path, tmp_path: Path) -> None:
    contract = tmp_path / "contract"
    shutil.copytree(examples_dir / "contract", contract)
    result = runner.invoke(app, ["audit", str(contract), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["checklist"]["name"] == "contract-review" and data["corpus"]["documents"] == 1
    by_id = {i["id"]: i for i in data["items"]}
    assert len(by_id) == 10
    law = [e for e in by_id["governing-law"]["evidence"] if e["finding"]]
    assert law and all(e["path"] == "master_services_agreement.md" for e in law)
    assert any("Delaware" in e["quote"] or "governed by" in e["quote"].lower() for e in law)
    for item in data["items"]:
        assert item["route"]["mode"] in ("full", "retrieve", "map_reduce") and item["route"]["reasons"]
        assert item["usage"]["input_tokens"] > 0  # what the extractive backend read


def test_bad_options_are_usage_errors(repo: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["audit", str(repo), "--format", "pdf"]).exit_code == 2
    assert runner.invoke(app, ["audit", str(repo), "--fail-on", "severe"]).exit_code == 2
    result = runner.invoke(app, ["audit", str(repo), "--checklist", "nope"])
    assert isinstance(result.exception, InputError) and "no checklist 'nope'" in str(result.exception)


def test_user_error_is_one_line_without_traceback(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "docintel"
    done = subprocess.run([str(exe), "audit", str(tmp_path / "missing")], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [f"docintel: error: path not found: {tmp_path / 'missing'}"]
    out = tmp_path / "r.md"
    assert not out.exists()
