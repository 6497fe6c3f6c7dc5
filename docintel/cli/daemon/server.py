"""The background process: ``python -m docintel.cli.daemon.server`` (started by the launcher, see docintel.cli.daemon).

One command at a time, in this process, with the caller's arguments, environment, working folder and file
descriptors (its terminal or pipes, so colours, progress and exit status are the command's own). A caller that goes
away (Ctrl-C) interrupts its command. The process stops after ``DOCINTEL_DAEMON_IDLE`` seconds without a request,
when its socket is removed or taken over, or on ``{"stop": true}``; only one runs per address (a lock file).
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
from queue import Empty, Queue
from typing import Any

from docintel.cli.daemon import address, pool

MAX_HEADER = 16 * 1024 * 1024
ACCEPTED, BUSY = b"A", b"B"  # the first byte of every reply
_watcher_interrupt = threading.Event()  # the KeyboardInterrupt was a caller going away, not Ctrl-C on this process
served_here = False  # set when this process took the address (docintel serve index says so otherwise)


def log(message: str) -> None:
    """One line per event in ``$DOCINTEL_HOME/daemon.log`` (what ran, how it ended, how long it took)."""
    with contextlib.suppress(OSError):
        path = address.home() / "daemon.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size > 1_000_000:
            path.replace(path.with_suffix(".log.1"))
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} pid {os.getpid()} {message}\n")


def _preload() -> None:
    """Import the commands and load the tokenizer and the default embedder now, not during the first question."""
    import importlib

    for module in ("docintel.cli.main", "docintel.session", "docintel.pipeline"):  # main: every command module
        importlib.import_module(module)
    from docintel import tokens

    tokens.count_tokens("warm")
    with contextlib.suppress(Exception):  # a broken model surfaces in the command that needs it, with its message
        from docintel.index.embedder import get_embedder

        get_embedder().embed_query("warm")


class Request:
    """One command handed over by a launcher: its header and its stdin/stdout/stderr."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        data, fds, _flags, _addr = socket.recv_fds(conn, 65536, 3)
        self.fds = list(fds)
        if not data:
            raise ConnectionResetError  # a caller that only checked the process is there (serve status)
        if len(data) < 4:
            raise ValueError("short header")
        (size,) = struct.unpack("!I", data[:4])
        if size > MAX_HEADER:
            raise ValueError("header too long")
        body = data[4:]
        while len(body) < size:
            chunk = conn.recv(size - len(body))
            if not chunk:
                raise ValueError("connection closed in the header")
            body += chunk
        self.header: dict[str, Any] = json.loads(body.decode("utf-8", "surrogateescape"))

    def close(self) -> None:
        for fd in self.fds:
            with contextlib.suppress(OSError):
                os.close(fd)


def run(request: Request) -> int:
    """Run the request's command as the ``docintel`` command would, with its stdio, environment and folder."""
    header = request.header
    argv = [str(a) for a in header["argv"]]
    encoding = str(header.get("encoding") or "utf-8")
    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    saved_streams = (sys.stdin, sys.stdout, sys.stderr)
    saved_fds = [os.dup(i) for i in (0, 1, 2)]
    done = threading.Event()
    watcher = threading.Thread(target=_interrupt_when_gone, args=(request.conn, done), daemon=True)
    try:
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in header["env"].items()})
        for target, fd in zip((0, 1, 2), request.fds, strict=False):
            os.dup2(fd, target)
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding=encoding)
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding=encoding, line_buffering=os.isatty(1))
        sys.stderr = io.TextIOWrapper(
            io.FileIO(2, "w", closefd=False), encoding=encoding, errors="backslashreplace", line_buffering=True
        )
        from docintel.cli import main, output

        # rich decides colours and terminal features when a console is made: make them again for this caller
        output.err_console.__init__(stderr=True)  # type: ignore[misc]
        output.out_console.__init__()  # type: ignore[misc]
        try:
            os.chdir(header["cwd"])
        except OSError as e:
            print(f"docintel: error: cannot enter the working folder {header['cwd']} ({e.strerror})", file=sys.stderr)
            return 1
        watcher.start()
        return main.run(argv)
    except KeyboardInterrupt:
        return 130
    finally:
        # The watcher may have signalled just as the command ended: hold SIGINT until this process's own stdio,
        # environment and folder are back (serve() lets it through, and knows it was the watcher's).
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        done.set()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        for target, fd in zip((0, 1, 2), saved_fds, strict=True):
            os.dup2(fd, target)
            os.close(fd)
        os.environ.clear()
        os.environ.update(saved_env)
        with contextlib.suppress(OSError):
            os.chdir(saved_cwd)


def _interrupt_when_gone(conn: socket.socket, done: threading.Event) -> None:
    """The launcher waits on the connection until the exit status comes; if it closes first (Ctrl-C, killed), raise
    KeyboardInterrupt in the command, as Ctrl-C would have done in a process of its own."""
    while not done.is_set():
        readable, _, _ = select.select([conn], [], [], 0.2)
        if readable and not done.is_set():
            try:
                gone = conn.recv(1, socket.MSG_PEEK) == b""
            except OSError:
                gone = True
            if gone:
                _watcher_interrupt.set()
                # a real SIGINT, not _thread.interrupt_main(): it also ends a blocking read (a silent server)
                signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
                return
            time.sleep(0.2)


def serve() -> int:
    global served_here
    folder = address.make_folder()
    key = address.key()
    path = address.socket_path(key)
    lock = open(folder / f"{key}.lock", "w")  # noqa: SIM115 (held for the life of the process)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return 0  # another process serves this address
    served_here = True
    # started from a shell that ignores SIGINT (a background job) it would ignore it too: callers' Ctrl-C needs it
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _preload()
    pool.activate()
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # left by a process that was killed
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    os.chmod(path, 0o600)
    listener.listen(16)
    inode = path.stat().st_ino
    idle = address.idle_seconds()
    log(f"serving {path} (idle stop after {idle:g} s)")
    queue: Queue[socket.socket] = Queue()
    busy = threading.Lock()
    threading.Thread(target=_accept, args=(listener, busy, queue), daemon=True).start()
    last = time.monotonic()
    try:
        while True:
            try:
                conn = queue.get(timeout=min(idle, 5.0))
            except KeyboardInterrupt:
                if _watcher_interrupt.is_set():  # a caller that left just as its command ended
                    _watcher_interrupt.clear()
                    continue
                raise
            except Empty:
                if time.monotonic() - last >= idle:
                    log("idle: stopping")
                    return 0
                if not path.exists() or path.stat().st_ino != inode:
                    log("socket removed: stopping")
                    return 0
                if address.key() != key:  # docintel was upgraded or edited: callers now look for another process
                    log("code changed: stopping")
                    return 0
                continue
            try:
                with conn:
                    outcome = _serve_one(conn)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # a held SIGINT is raised here
                if outcome == "stop":
                    log("asked to stop")
                    return 0
            except KeyboardInterrupt:
                if not _watcher_interrupt.is_set():
                    raise
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
                _watcher_interrupt.clear()
                busy.release()
            last = time.monotonic()
    finally:
        listener.close()
        with contextlib.suppress(OSError):
            if path.stat().st_ino == inode:
                path.unlink()
        pool.close_all()


def _accept(listener: socket.socket, busy: threading.Lock, queue: Queue[socket.socket]) -> None:
    """Hand each caller to the main thread, or answer BUSY at once while a command runs: commands change the
    process's environment, folder and stdio, so they run one at a time, and a caller that finds the process busy
    runs its command in a process of its own rather than wait."""
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return  # the listener was closed: the process is stopping
        if busy.acquire(blocking=False):
            queue.put(conn)
        else:
            with contextlib.suppress(OSError):
                conn.sendall(BUSY)
            conn.close()


def _serve_one(conn: socket.socket) -> str | None:
    conn.settimeout(10.0)  # the header comes at once; a caller that sends nothing is dropped
    try:
        request = Request(conn)
    except ConnectionResetError:
        return None
    except (OSError, ValueError, UnicodeError) as e:
        log(f"bad request: {e}")
        return None
    conn.settimeout(None)
    try:
        if request.header.get("protocol") != 1:
            return None
        conn.sendall(ACCEPTED)
        if request.header.get("stop"):
            return "stop"
        start = time.perf_counter()
        status = run(request)
        log(f"{' '.join(request.header['argv'][:1])}: exit {status} in {time.perf_counter() - start:.3f} s")
        with contextlib.suppress(OSError):
            conn.sendall(struct.pack("!i", status))
        return None
    except Exception as e:  # a bug here must not stop the process serving others
        log(f"failed: {type(e).__name__}: {e}")
        return None
    finally:
        request.close()


def stop() -> bool:
    """Ask this caller's background process to stop; whether one was running."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5.0)
            sock.connect(str(address.socket_path()))
            header = json.dumps({"protocol": 1, "stop": True}).encode()
            socket.send_fds(sock, [struct.pack("!I", len(header)) + header], [])
            return sock.recv(1) == ACCEPTED
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(serve())
