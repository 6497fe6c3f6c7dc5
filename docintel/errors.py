"""User-facing errors: one line that says what happened and what to do; the CLI prints it without a traceback.

Exit codes (documented in the README): 0 success, 1 a DocintelError (bad input, backend down, ...),
2 bad command-line usage (Typer), 3 an audit finding at or above ``--fail-on``, 130 interrupted.
"""

from __future__ import annotations


class DocintelError(Exception):
    """An error the user can act on. ``str(error)`` is the whole message."""

    exit_code = 1


class InputError(DocintelError):
    """A missing path, unreadable or unsupported file, corrupt document."""


class UsageError(DocintelError):
    """The command was given something it cannot work on: an empty question, a corpus with no readable document.
    Exit code 2, like bad command-line usage."""

    exit_code = 2


class IndexBusyError(DocintelError):
    """Another process is writing the same index."""


class BackendError(DocintelError):
    """A backend is down, refused the request, or failed mid-answer."""


class PromptTooLongError(DocintelError):
    """The assembled prompt does not fit the model's window with room for the answer."""

    def __init__(self, message: str, *, tokens: int = 0, window: int = 0) -> None:
        super().__init__(message)
        self.tokens = tokens
        self.window = window


class MissingExtraError(DocintelError):
    """An optional dependency is not installed."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(f"{package} is not installed: run `pip install 'docintel[{extra}]'`")
