"""The central service's log: one event a line, a level, a file that rotates.

``serve`` logs through Python's ``logging`` (``[service] log_level``, ``log_file``,
``log_rotate_mb``, ``log_backups``):

- no file: standard error (systemd's journal, a container's log);
- a file, rotated by size (``RotatingFileHandler``, ``log_backups`` old files kept);
- a file with ``log_rotate_mb = 0``: rotated by something else, e.g. logrotate; the service
  reopens it when it is moved (``WatchedFileHandler``).

Several uvicorn worker processes share one file through :mod:`console.server.log_relay`: each
worker formats its records and sends the lines over a Unix socket of its own to the ``serve``
process, where one thread writes them, so only one process ever rotates the file (and a worker
killed mid-line never stops the others' lines).

Requests (:class:`RequestLog`, instead of uvicorn's access log): every write and every error is
one line at INFO (WARNING for 503, ERROR for other 5xx); successful reads (change-feed polls,
health checks, searches) are one line each only at DEBUG, and a summary line at most once a
minute at INFO. So are writes that changed nothing, as a route marks them (:func:`mark_unchanged`:
a desk's heartbeat, ``PUT /v1/desk/state`` every 10 s from every desk). Query strings are never
logged (a search holds a caller's name or phone).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"
REQUESTS_LOGGER = "console.server.requests"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SUMMARY_SECONDS = 60.0
UNCHANGED = "console.unchanged"  # a request scope's key: this write changed nothing


def mark_unchanged(scope: MutableMapping[str, Any]) -> None:
    """Mark a request (its ASGI scope) as a write that changed nothing, e.g. a desk's
    heartbeat: :class:`RequestLog` counts it in the minute's summary, not one line each."""
    scope[UNCHANGED] = True


@dataclass(frozen=True)
class LogSettings:
    level: str = "info"
    file: str = ""  # "": standard error
    rotate_bytes: int = 10 * 1024 * 1024  # 0: rotated by something else (WatchedFileHandler)
    backups: int = 5

    @property
    def level_name(self) -> str:
        return self.level.upper()


class OneLineFormatter(logging.Formatter):
    """The standard format, with line breaks (a traceback's) written as ``\\n``: one event is
    always one line, whatever reads the log."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "\\r").replace("\n", "\\n")


def file_handler(path: str, rotate_bytes: int, backups: int) -> logging.Handler:
    """A handler writing to ``path`` (its folder is created), rotating it by size or, with
    ``rotate_bytes`` 0, reopening it when something else rotated it."""
    from logging.handlers import RotatingFileHandler, WatchedFileHandler

    Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    target = str(Path(path).expanduser())
    if rotate_bytes > 0:
        return RotatingFileHandler(
            target, maxBytes=rotate_bytes, backupCount=backups, encoding="utf-8"
        )
    return WatchedFileHandler(target, encoding="utf-8")


def relay_handler(path: str) -> logging.Handler:
    """A worker process's handler: its records, formatted, to the ``serve`` process's relay."""
    from console.server.log_relay import RelayHandler

    return RelayHandler(path)


def logging_config(settings: LogSettings, relay: str | None = None) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dictionary (uvicorn's ``log_config``) for the service.

    With ``relay`` (the socket of :class:`FileWriter`), records go there; otherwise to the
    file, or to standard error.
    """
    if relay is not None:
        handler: dict[str, Any] = {"()": relay_handler, "path": relay}
    elif settings.file:
        handler = {
            "()": file_handler,
            "path": settings.file,
            "rotate_bytes": settings.rotate_bytes,
            "backups": settings.backups,
        }
    else:
        handler = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
    handler["formatter"] = "line"
    level = settings.level_name
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": {"()": OneLineFormatter, "fmt": LINE_FORMAT}},
        "handlers": {"main": handler},
        "root": {"level": level, "handlers": ["main"]},
        "loggers": {
            # uvicorn's own loggers go through the root's handler, at the service's level.
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            # RequestLog logs requests; uvicorn's line-per-request access log stays off.
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
    }


class FileWriter:
    """The ``serve`` process's end of the workers' lines: one thread writing them to the log
    file (``with FileWriter(settings) as relay: ...``; ``relay``: the socket's path, for
    :func:`logging_config`)."""

    def __init__(self, settings: LogSettings) -> None:
        self.settings = settings
        self._relay: Any = None

    def __enter__(self) -> str:
        from console.server.log_relay import LogRelay

        settings = self.settings
        handler = file_handler(settings.file, settings.rotate_bytes, settings.backups)
        handler.setFormatter(logging.Formatter("%(message)s"))  # formatted by the worker
        self._relay = LogRelay(handler)
        return self._relay.__enter__()

    def __exit__(self, *exc_info: object) -> None:
        if self._relay is not None:
            self._relay.__exit__(*exc_info)
            self._relay = None


class RequestLog:
    """ASGI middleware: a line per write or error, a summary of successful reads a minute."""

    def __init__(
        self,
        app: Any,
        *,
        summary_seconds: float = SUMMARY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.summary_seconds = summary_seconds
        self.clock = clock
        self.log = logging.getLogger(REQUESTS_LOGGER)
        self._reads: Counter[str] = Counter()
        self._unchanged: Counter[str] = Counter()  # writes that changed nothing (heartbeats)
        self._slowest = 0.0
        self._since = clock()

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = self.clock()
        status = 500

        async def sending(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self._record(scope, status, self.clock() - started)

    def _record(self, scope: dict, status: int, seconds: float) -> None:
        method = scope.get("method", "")
        path = scope.get("path", "")
        client = scope.get("client") or ("-", 0)
        line = "%s %s %d %.1f ms %s"
        args = (method, path, status, seconds * 1000, client[0])
        routine = method in READ_METHODS or scope.get(UNCHANGED, False)
        if routine and status < 400:
            route = scope.get("route")
            counted = self._reads if method in READ_METHODS else self._unchanged
            counted[f"{method} {getattr(route, 'path', None) or path}"] += 1
            self._slowest = max(self._slowest, seconds)
            if self.log.isEnabledFor(logging.DEBUG):
                self.log.debug(line, *args)
        elif status >= 500 and status != 503:
            self.log.error(line, *args)
        elif status == 503:
            self.log.warning(line, *args)
        else:
            self.log.info(line, *args)
        self.summarise()

    def summarise(self, *, force: bool = False) -> None:
        """Log the reads counted since the last summary, if a minute has passed (or
        ``force``) and there were any."""
        now = self.clock()
        if not force and now - self._since < self.summary_seconds:
            return
        if self._reads or self._unchanged:
            total = sum(self._reads.values())
            routes = ", ".join(f"{route} {count}" for route, count in self._reads.most_common(6))
            more = len(self._reads) - 6
            unchanged = ""
            if self._unchanged:
                listed = ", ".join(f"{route} {n}" for route, n in self._unchanged.items())
                unchanged = (
                    f"; {sum(self._unchanged.values())} writes that changed nothing ({listed})"
                )
            self.log.info(
                "%d reads in %.0f s (%s%s); slowest %.1f ms%s",
                total,
                now - self._since,
                routes,
                f", {more} more routes" if more > 0 else "",
                self._slowest * 1000,
                unchanged,
            )
        self._reads.clear()
        self._unchanged.clear()
        self._slowest = 0.0
        self._since = now
