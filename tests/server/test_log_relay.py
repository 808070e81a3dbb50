"""Worker processes' log lines to one writer (console.server.log_relay): a worker killed
mid-line loses only that line, never stops the others' lines, and never holds up stopping."""

from __future__ import annotations

import logging
import socket
import time

import pytest

from console.server.log_relay import MAX_LINE, LogRelay, RelayHandler


class Lines(logging.Handler):
    """A handler keeping the lines it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def worker_logger(path: str, name: str) -> logging.Logger:
    """A logger as a worker's: its records go to the relay at ``path``."""
    logger = logging.getLogger(f"test.relay.{name}")
    logger.handlers = [RelayHandler(path)]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger


def until(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_worker_killed_mid_line_loses_that_line_only() -> None:
    written = Lines()
    with LogRelay(written) as path:
        killed = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        killed.connect(path)
        killed.sendall(b"a whole line\nhalf a li")  # ... and then it dies
        killed.close()
        other = worker_logger(path, "other")
        for number in range(3):
            other.info("request %d", number)
        until(lambda: len(written.lines) >= 4)
        for handler in other.handlers:
            handler.close()
    assert sorted(written.lines) == ["a whole line", "request 0", "request 1", "request 2"]
    assert not any("half" in line for line in written.lines)


def test_a_worker_hung_mid_line_does_not_hold_up_stopping_and_its_whole_lines_are_written() -> None:
    written = Lines()
    started = time.monotonic()
    hung = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        with LogRelay(written) as path:
            hung.connect(path)
            hung.sendall(b"written before it hung\nnever end")
            until(lambda: written.lines == ["written before it hung"])
            other = worker_logger(path, "beside")
            other.info("the last line")
            for handler in other.handlers:
                handler.close()
        assert time.monotonic() - started < 10
    finally:
        hung.close()
    assert written.lines == ["written before it hung", "the last line"]


def test_lines_on_their_way_when_it_stops_are_written() -> None:
    written = Lines()
    with LogRelay(written) as path:
        logger = worker_logger(path, "busy")
        for number in range(500):
            logger.info("line %d of a burst", number)
        for handler in logger.handlers:
            handler.close()
    assert written.lines == [f"line {number} of a burst" for number in range(500)]


def test_one_event_is_one_line_and_a_runaway_line_is_cut() -> None:
    written = Lines()
    with LogRelay(written) as path:
        logger = worker_logger(path, "long")
        logger.info("first\nsecond")
        logger.info("x" * (MAX_LINE + 10))
        until(lambda: len(written.lines) == 2)
        for handler in logger.handlers:
            handler.close()
    assert written.lines[0] == "first\\nsecond"
    assert written.lines[1] == "x" * MAX_LINE + " [cut]"


def test_with_the_relay_gone_a_line_goes_to_standard_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with LogRelay(Lines()) as path:
        pass
    logger = worker_logger(path, "late")
    logger.info("said after the relay stopped")
    for handler in logger.handlers:
        handler.close()
    assert "said after the relay stopped" in capsys.readouterr().err
