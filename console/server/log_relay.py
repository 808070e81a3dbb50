"""Several worker processes, one log file: each worker sends its lines to the ``serve`` process
over a Unix socket of its own; one thread there writes them, so only one process ever rotates
the file.

Why not a ``multiprocessing`` queue: its pipe is shared by every worker under one lock across
processes, and a worker killed while it holds that lock (uvicorn kills a worker that misses its
health check on a loaded machine, the OOM killer, an operator's ``kill -9``) holds it for ever:
no worker's line reaches the file again, their lines pile up in memory, and ``serve`` hangs
when it stops. Here every worker has its own connection: a worker killed mid-line loses only
that line (the writer drops a line without its end), and the others never wait for it.

- :class:`LogRelay` (the ``serve`` process): ``with LogRelay(handler) as path:`` listens on a
  socket in a private temporary folder, writes each complete line it receives through
  ``handler``, and on leaving writes what is still on its way, then removes the socket.
- :class:`RelayHandler` (a worker's ``logging`` handler): formats a record as one line and
  sends it; if the relay does not answer (``serve`` is stopping), the line goes to standard
  error instead of being lost.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import shutil
import socket
import sys
import tempfile
import threading
from pathlib import Path

MAX_LINE = 64 * 1024  # a longer line (a runaway message) is cut, marked, not held
_CUT = b" [cut]"


class LogRelay:
    """The ``serve`` process's end: a listening socket and the thread that writes lines."""

    def __init__(self, handler: logging.Handler) -> None:
        self.handler = handler
        self.path = ""
        self._folder = ""
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._wake_read, self._wake_write = -1, -1

    def __enter__(self) -> str:
        self._folder = tempfile.mkdtemp(prefix="agent-console-log-")  # mode 0700
        self.path = str(Path(self._folder) / "log.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(self.path)
        listener.listen(64)
        listener.setblocking(False)
        self._listener = listener
        self._wake_read, self._wake_write = os.pipe()
        self._thread = threading.Thread(target=self._run, name="log-relay", daemon=True)
        self._thread.start()
        return self.path

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):
            os.write(self._wake_write, b"x")
        if self._thread is not None:
            self._thread.join(timeout=10)
        for fd in (self._wake_read, self._wake_write):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self._listener is not None:
            self._listener.close()
        shutil.rmtree(self._folder, ignore_errors=True)
        self.handler.close()

    # -- the writer's thread ----------------------------------------------------------------

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        assert self._listener is not None
        selector.register(self._listener, selectors.EVENT_READ, None)
        selector.register(self._wake_read, selectors.EVENT_READ, "wake")
        pending: dict[socket.socket, bytes] = {}
        try:
            while not self._stopping.is_set():
                for key, _events in selector.select():
                    if key.data == "wake":
                        continue
                    if key.fileobj is self._listener:
                        self._accept(selector, pending)
                    else:
                        self._read(selector, pending, key.fileobj)  # type: ignore[arg-type]
            # Stopping: the workers have ended; write what is still on its way.
            self._accept(selector, pending)
            for connection in list(pending):
                connection.setblocking(False)
                while connection in pending:
                    if not self._read(selector, pending, connection):
                        break
        finally:
            for connection in list(pending):
                connection.close()
            selector.close()

    def _accept(self, selector: selectors.BaseSelector, pending: dict) -> None:
        assert self._listener is not None
        with contextlib.suppress(BlockingIOError):
            while True:
                connection, _ = self._listener.accept()
                connection.setblocking(False)
                selector.register(connection, selectors.EVENT_READ, "line")
                pending[connection] = b""

    def _read(
        self, selector: selectors.BaseSelector, pending: dict, connection: socket.socket
    ) -> bool:
        """Read what ``connection`` has, write its complete lines; False when nothing was
        there (or it ended: then it is closed, a line without its end dropped)."""
        try:
            data = connection.recv(65536)
        except BlockingIOError:
            return False
        except OSError:
            data = b""
        if not data:
            selector.unregister(connection)
            connection.close()
            pending.pop(connection, None)
            return False
        buffer = pending[connection] + data
        *lines, rest = buffer.split(b"\n")
        if len(rest) > MAX_LINE:  # no end in sight: write what came, marked
            lines.append(rest[:MAX_LINE] + _CUT)
            rest = b""
        pending[connection] = rest
        for line in lines:
            self._write(line)
        return True

    def _write(self, line: bytes) -> None:
        record = logging.makeLogRecord({"msg": line.decode("utf-8", errors="replace")})
        try:
            self.handler.handle(record)
        except Exception:  # a full disk: say so where the operator looks, keep relaying
            self.handler.handleError(record)


class RelayHandler(logging.Handler):
    """A worker's handler: each record, formatted as one line, sent to the relay at ``path``
    (connected on the first line, again after a failure); standard error when it is gone."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self._socket: socket.socket | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record).replace("\n", "\\n").encode("utf-8", errors="replace")
            if len(line) > MAX_LINE:
                line = line[:MAX_LINE] + _CUT
            self._send(line + b"\n")
        except Exception:
            self.handleError(record)

    def _send(self, data: bytes) -> None:
        for _attempt in range(2):
            try:
                if self._socket is None:
                    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    connection.connect(self.path)
                    self._socket = connection
                self._socket.sendall(data)
                return
            except OSError:
                self._drop_socket()
        sys.stderr.write(data.decode("utf-8", errors="replace"))  # the relay is gone
        sys.stderr.flush()

    def _drop_socket(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.close()
            self._socket = None

    def close(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._drop_socket()
        super().close()
