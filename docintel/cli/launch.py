"""The ``docintel`` command's entry point: hand a question to the background process when one is running
(docintel.cli.daemon), else run the command here; after a question run here, start the process for the next one."""

from __future__ import annotations

import sys


def main() -> None:
    argv = sys.argv[1:]
    from docintel.cli.daemon import client

    if client.wanted(argv):
        status = client.forward(argv)
        if status is not None:
            sys.exit(status)
        from docintel.cli.main import run

        status = run(argv)
        if status == 0:  # the next question goes to the background process (not after a usage error)
            client.start_background()
        sys.exit(status)
    from docintel.cli.main import main as run_here

    run_here()
