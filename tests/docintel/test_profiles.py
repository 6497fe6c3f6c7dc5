from __future__ import annotations

from pathlib import Path

import pytest

from docintel.errors import DocintelError
from docintel.profiles import get_profile, load_profiles


def test_shipped_profiles() -> None:
    profiles = load_profiles()
    assert {"claude-opus-4-6", "claude-sonnet-4-6", "claude-haiku-4-5", "vllm", "llamacpp", "extractive"} <= set(
        profiles
    )
    sonnet = profiles["claude-sonnet-4-6"]
    assert sonnet.context_window == 1_000_000 and sonnet.effective_window < sonnet.context_window
    assert profiles["claude-haiku-4-5"].context_window == 200_000
    for pid in ("claude-opus-4-6", "claude-sonnet-4-6", "claude-haiku-4-5"):
        p = profiles[pid]
        assert p.backend == "anthropic"
        assert p.cache_write_per_mtok == pytest.approx(1.25 * p.input_per_mtok)
        assert p.cache_read_per_mtok == pytest.approx(0.1 * p.input_per_mtok)
    assert profiles["vllm"].context_window == 0 and profiles["llamacpp"].context_window == 0
    assert profiles["extractive"].input_per_mtok == 0


def test_cost_and_runtime_window() -> None:
    sonnet = get_profile("claude-sonnet-4-6")
    assert sonnet.cost(cache_write=100_000) == pytest.approx(0.375)
    assert sonnet.cost(cache_read=100_000, output=100_000) == pytest.approx(0.03 + 1.5)
    vllm = get_profile("vllm").with_window(8192)
    assert (vllm.context_window, vllm.effective_window) == (8192, 8192)


def test_user_profiles_add_and_override(docintel_home: Path) -> None:
    (docintel_home / "profiles.toml").write_text(
        '[profiles.my-model]\nbackend = "vllm"\ncontext_window = 65536\neffective_window = 32768\n'
        '[profiles.claude-sonnet-4-6]\nbackend = "anthropic"\ncontext_window = 200000\neffective_window = 150000\n'
    )
    assert get_profile("my-model").context_window == 65536
    assert get_profile("claude-sonnet-4-6").context_window == 200_000
    with pytest.raises(DocintelError, match=r"unknown profile 'nope'; known profiles: .*my-model"):
        get_profile("nope")
    (docintel_home / "profiles.toml").write_text("[profiles.bad]\nwindow = 3\n")
    with pytest.raises(DocintelError, match="unknown or missing field"):
        load_profiles()


def test_long_context_tier_applies_above_its_threshold(docintel_home: Path) -> None:
    (docintel_home / "profiles.toml").write_text(
        "[profiles.tiered]\nbackend = 'anthropic'\ncontext_window = 1_000_000\neffective_window = 600_000\n"
        "input_per_mtok = 3.0\noutput_per_mtok = 15.0\nlong_context_tokens = 200_000\n"
        "long_context_input_factor = 2.0\nlong_context_output_factor = 1.5\n"
    )
    tiered = get_profile("tiered")
    assert tiered.cost(uncached=200_000) == pytest.approx(0.6)
    assert tiered.cost(uncached=200_001, output=1_000) == pytest.approx(200_001 * 6 / 1e6 + 1_000 * 22.5 / 1e6)
    # the packaged 1M-window profiles bill the whole window at the standard rate
    assert get_profile("claude-sonnet-4-6").cost(uncached=500_000) == pytest.approx(1.5)
