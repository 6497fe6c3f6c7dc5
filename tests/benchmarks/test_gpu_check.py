"""benchmarks/gpu/bench_prefix_kv.py runs only where a GPU is lent; here its --tiny CPU mode runs the same code path
(train a tokenizer, build a random Llama, prefill cold, keep the prefix KV, reuse it per question, decode) so the
script cannot rot between GPU days."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_tiny_run_reuses_the_prefix_kv_and_reports_its_size(tmp_path: Path) -> None:
    out = tmp_path / "gpu.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks/gpu/bench_prefix_kv.py"), "--tiny", "--tokens", "512",
         "--decode-tokens", "4", "--questions", "2", "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["prefix_tokens"] == 512
    # float32, 2 layers x 2 KV heads x 64 dims x (K and V): measured from the cache tensors, equal to the shape's.
    assert result["kv_bytes_per_token"] == result["kv_bytes_per_token_by_shape"] == 2 * 2 * 2 * 64 * 4
    assert len(result["ttft_warm_all_s"]) == 2 and result["decode_tokens"] == 4
