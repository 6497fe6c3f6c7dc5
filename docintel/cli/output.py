"""Shared terminal output: JSON to stdout only, everything human (progress, tables) to stderr or stdout."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console

err_console = Console(stderr=True)
out_console = Console()


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


@contextmanager
def progress_bar(description: str, *, unit: str = "files", delay_s: float = 1.0) -> Iterator[Callable[..., None]]:
    """Yields ``update(done, total, current="")``. The bar appears only once the work has taken ``delay_s``."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn(f"{unit} " + "{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("[dim]{task.fields[current]}"),
        console=err_console,
        transient=True,
    )
    started = time.monotonic()
    task = None

    def update(done: int, total: int, current: str = "") -> None:
        nonlocal task
        elapsed = time.monotonic() - started
        if task is None:
            if elapsed < delay_s or not err_console.is_terminal:
                return
            progress.start()
            task = progress.add_task(description, total=total, current="", rate="")
        rate = f"{done / elapsed:,.0f}/s" if elapsed > 0 else ""
        progress.update(task, completed=done, total=total, current=current[-60:], rate=rate)

    try:
        yield update
    finally:
        if task is not None:
            progress.stop()
