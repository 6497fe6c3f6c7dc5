from __future__ import annotations

import json
from pathlib import Path

from docintel.assemble.cache_state import STATE_FILE, cache_status, record_sent


def test_prefix_is_warm_within_the_ttl_for_the_same_backend_and_model(docintel_home: Path) -> None:
    assert not cache_status("abc", "anthropic", "claude-sonnet-4-6", ttl_s=300).warm
    record_sent("abc", "anthropic", "claude-sonnet-4-6", at=1000.0)
    status = cache_status("abc", "anthropic", "claude-sonnet-4-6", ttl_s=300, now=1100.0)
    assert status.warm and status.age_s == 100.0
    assert not cache_status("abc", "anthropic", "claude-sonnet-4-6", ttl_s=300, now=1400.0).warm  # expired
    assert not cache_status("abc", "anthropic", "claude-haiku-4-5", ttl_s=300, now=1100.0).warm  # other model
    assert not cache_status("abd", "anthropic", "claude-sonnet-4-6", ttl_s=300, now=1100.0).warm  # other prefix
    record_sent("abc", "anthropic", "claude-sonnet-4-6", at=1350.0)  # each use refreshes the TTL
    assert cache_status("abc", "anthropic", "claude-sonnet-4-6", ttl_s=300, now=1400.0).warm
    data = json.loads((docintel_home / STATE_FILE).read_text())
    assert list(data) == ["anthropic|claude-sonnet-4-6|abc"]


def test_a_corrupt_state_file_counts_as_cold(docintel_home: Path) -> None:
    (docintel_home / STATE_FILE).write_text("{not json")
    assert not cache_status("abc", "vllm", "m", ttl_s=300).warm
    record_sent("abc", "vllm", "m")
    assert cache_status("abc", "vllm", "m", ttl_s=300).warm
