"""Shared terminal output: JSON to stdout only, everything human (progress, tables) to stderr or stdout."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console

err_console = Console(stderr=True)
out_console = Console()


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


@contextmanager
def progress_bar(description: str, *, unit: str = "files", delay_s: float = 0.5) -> Iterator[Callable[..., None]]:
    """Yields ``update(done, total, current="")``: a bar on a terminal, plain lines every few seconds otherwise,
    nothing with --quiet (docintel.progress)."""
    from docintel.progress import progress

    with progress(description, unit=unit, delay_s=delay_s) as update:
        yield update
