"""Progress of long steps (walk, parse, embed), always on stderr so stdout stays clean for answers and JSON.

On a terminal: a rich bar from the first update (after ``delay_s``, default half a second, so instant steps draw
nothing), with the rate, the ETA and the current file. When stderr is not a terminal (a script, CI, an agent's
shell): one plain line every ``PLAIN_INTERVAL_S`` seconds, and a last line when a step that printed any ends.
``--quiet`` (or ``DOCINTEL_QUIET=1``) silences both.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

ENV_QUIET = "DOCINTEL_QUIET"
ENV_INTERVAL = "DOCINTEL_PROGRESS_INTERVAL"  # seconds between plain lines (default PLAIN_INTERVAL_S)
PLAIN_INTERVAL_S = 5.0

Update = Callable[..., None]  # update(done, total, current="")


def is_quiet() -> bool:
    return os.environ.get(ENV_QUIET, "") not in ("", "0", "false", "no")


def set_quiet(quiet: bool = True) -> None:
    """Silence (or not) every progress report of this process and of the processes it starts."""
    if quiet:
        os.environ[ENV_QUIET] = "1"
    else:
        os.environ.pop(ENV_QUIET, None)


def format_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def plain_line(description: str, unit: str, done: int, total: int, elapsed: float, current: str = "") -> str:
    """One progress line: ``docintel: Embedding 1,200/4,000 chunks (30%), 52.1 chunks/s, ETA 54s, src/app.py``."""
    parts = [f"docintel: {description} {done:,}/{total:,} {unit}"]
    if total:
        parts[0] += f" ({100 * done // total}%)"
    rate = done / elapsed if elapsed > 0 else 0.0
    if done and elapsed > 0:
        parts.append(f"{rate:,.1f} {unit}/s")
        if total > done:
            parts.append(f"ETA {format_duration((total - done) / rate)}")
    if current:
        parts.append(current[-60:])
    return ", ".join(parts)


@contextmanager
def progress(
    description: str,
    *,
    unit: str = "files",
    delay_s: float = 0.5,
    interval_s: float | None = None,
    stream: TextIO | None = None,
    terminal: bool | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Update]:
    """Yields ``update(done, total, current="")`` (see module doc). ``stream``/``terminal``/``clock`` are for
    callers that write elsewhere and for tests."""
    if is_quiet():
        yield _ignore
        return
    out = stream if stream is not None else sys.stderr
    if interval_s is None:
        interval_s = _interval()
    on_terminal = terminal if terminal is not None else _isatty(out)
    if on_terminal:
        with _bar(description, unit, delay_s, out, clock) as bar_update:
            yield bar_update
        return
    started = clock()
    last_line = started
    last: tuple[int, int, str] | None = None
    printed = False

    def update(done: int, total: int, current: str = "") -> None:
        nonlocal last_line, last, printed
        last = (done, total, current)
        now = clock()
        if now - last_line >= interval_s:
            print(plain_line(description, unit, done, total, now - started, current), file=out, flush=True)
            last_line, printed = now, True

    try:
        yield update
    finally:
        if printed and last is not None:  # the step was long enough to report: say where it ended
            done, total, _ = last
            elapsed = clock() - started
            print(
                f"docintel: {description} {done:,}/{total:,} {unit} in {format_duration(elapsed)}", file=out, flush=True
            )


def _interval() -> float:
    try:
        return max(0.0, float(os.environ.get(ENV_INTERVAL, PLAIN_INTERVAL_S)))
    except ValueError:
        return PLAIN_INTERVAL_S


def _ignore(*_args: Any, **_kwargs: Any) -> None:
    return None


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def _bar(description: str, unit: str, delay_s: float, out: TextIO, clock: Callable[[], float]) -> Iterator[Update]:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn(f"{unit} " + "{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("[dim]{task.fields[current]}"),
        console=Console(file=out, force_terminal=True),
        transient=True,
    )
    started = clock()
    closed = False
    task: Any = None
    latest: list[Any] = [0, 0, ""]
    lock = threading.Lock()
    timer: threading.Timer | None = None

    def show(done: int, total: int, current: str) -> None:
        nonlocal task
        with lock:
            if closed:  # a timer that fired as the step ended
                return
            if task is None:
                bar.start()
                task = bar.add_task(description, total=total or None, current="", rate="")
            elapsed = clock() - started
            rate = f"{done / elapsed:,.1f}/s" if elapsed > 0 and done else ""
            bar.update(task, completed=done, total=total or None, current=current[-60:], rate=rate)

    def update(done: int, total: int, current: str = "") -> None:
        nonlocal timer
        latest[:] = [done, total, current]
        if task is not None or clock() - started >= delay_s:
            show(done, total, current)
        elif timer is None:
            # No later update may come for a while (a long walk, one big file): the bar appears after delay_s
            # anyway, with the latest counts, and its elapsed time runs.
            timer = threading.Timer(max(0.0, delay_s - (clock() - started)), lambda: show(*latest))
            timer.daemon = True
            timer.start()

    try:
        yield update
    finally:
        if timer is not None:
            timer.cancel()
        with lock:
            closed = True
            if task is not None:
                bar.stop()
