"""The launcher's side: hand a command to the background process, or run it here and start one for next time.

Only the standard library is imported before a command is handed over: that is the whole point.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import struct
import sys

from docintel.cli.daemon import address

PROTOCOL = 1
CONNECT_TIMEOUT_S = 2.0
busy = False  # the process answered that it was busy: it runs, do not start another


def command_of(argv: list[str]) -> str | None:
    """The subcommand ``argv`` runs (global options such as ``--quiet`` may come first)."""
    for arg in argv:
        if arg == "--":
            return None
        if not arg.startswith("-"):
            return arg
    return None


def wanted(argv: list[str]) -> bool:
    return address.enabled() and command_of(argv) in address.FORWARDED_COMMANDS and hasattr(socket, "send_fds")


def forward(argv: list[str]) -> int | None:
    """Run ``argv`` in the background process and return its exit status; None when no process answers (the caller
    then runs the command itself)."""
    global busy
    try:
        path = address.socket_path()
        if not address.is_private(path.parent) or not address.is_private(path):
            return None  # no process, or a socket this user did not make: never send it the environment
        header = json.dumps(
            {
                "protocol": PROTOCOL,
                "argv": argv,
                "cwd": os.getcwd(),  # fails when the working folder was deleted: run here, with its own error
                "env": dict(os.environ),
                "encoding": getattr(sys.stdout, "encoding", None) or "utf-8",
            }
        ).encode("utf-8", "surrogateescape")
        fds = [_fd(0, os.O_RDONLY), _fd(1, os.O_WRONLY), _fd(2, os.O_WRONLY)]
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(CONNECT_TIMEOUT_S)
        sock.connect(str(path))
    except OSError:
        return None
    with sock:
        try:
            socket.send_fds(sock, [struct.pack("!I", len(header)) + header], fds)
        except OSError:
            return None  # nothing was run: the caller runs it here
        sock.settimeout(None)
        try:
            first = _read_exactly(sock, 1)
            if first != b"A":  # busy with another command, or stopping: run this one here
                busy = first == b"B"  # a process that is stopping is started again afterwards
                return None
            reply = _read_exactly(sock, 4)
        except KeyboardInterrupt:
            # closing the connection interrupts the command in the background process (see server.Request)
            print("docintel: interrupted", file=sys.stderr)
            return 130
        except OSError:
            reply = b""
        if len(reply) != 4:
            print(
                "docintel: error: the background docintel process stopped during this command; run it again, or set "
                f"{address.ENV_SWITCH}=0 to run commands in their own process",
                file=sys.stderr,
            )
            return 1
        return int(struct.unpack("!i", reply)[0])


def is_running() -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(CONNECT_TIMEOUT_S)
            sock.connect(str(address.socket_path()))
        return True
    except OSError:
        return False


def _fd(fd: int, flags: int) -> int:
    """``fd`` when it is open, else /dev/null (a closed stdin cannot be sent)."""
    try:
        os.fstat(fd)
        return fd
    except OSError:
        return os.open(os.devnull, flags)


def _read_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def start_background() -> None:
    """Start the background process for this caller (it exits at once if another one got there first)."""
    if busy:
        return
    import subprocess  # here: every command imports this module, few start the process

    with contextlib.suppress(OSError):
        address.make_folder()
        subprocess.Popen(
            [sys.executable, "-m", "docintel.cli.daemon.server"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # not in the terminal's process group: Ctrl-C in the shell does not reach it
            close_fds=True,
        )
