"""``docintel eval --backend extractive`` scores what the user reads: hit@1/hit@3 of the quoted evidence per suite
and kind, and "not found" on absent cases (real ingestion, index and extractive backend over a tiny corpus)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from docintel.cli.main import app
from tests.cli.test_eval import tiny_eval  # noqa: F401  (the fixture: two lookups and one absent question)


def test_answers_table_in_json_and_text(tiny_eval: Path) -> None:  # noqa: F811
    args = ["eval", "--cases", str(tiny_eval), "--strategies", "router", "--backend", "extractive"]
    result = CliRunner().invoke(app, [*args, "--json", "--details"])
    assert result.exit_code == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    lookup, absent = data["answers"]["tiny/lookup"], data["answers"]["tiny/absent"]
    assert lookup["cases"] == 2 and lookup["hit@1"] == 1.0 and lookup["hit@3"] == 1.0 and lookup["answered"] == 1.0
    assert absent["cases"] == 1 and absent["not_found"] == 1.0 and absent["hit@3"] is None
    rows = {r["case_id"]: r for r in data["answer_results"]}
    assert rows["t3"]["found"] is False and 0.0 <= rows["t3"]["confidence"] < rows["t1"]["confidence"] <= 1.0
    text = CliRunner().invoke(app, args)
    assert text.exit_code == 0
    assert "Answers (extractive)" in text.stdout and "hit@3" in text.stdout and "tiny/absent" in text.stdout
