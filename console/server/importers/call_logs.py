"""Importing the telephone system's call logs (Asterisk's queue_log and CDR ``Master.csv``).

Both importers read the whole file first and refuse a malformed line, naming the file, the line
and the field, before anything is written; then they record the calls in one transaction, in
time order, keyed by the call's id (see :func:`console.server.telephony.record_calls`), so a
re-import changes nothing and an import agrees with the events posted for the same calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from console.domain.errors import InvalidValue
from console.server import clock, telephony
from console.server.db import Database
from console.server.settings import CallbackSettings
from console.server.telephony import CallRecord, RecordedCalls

ProgressCallback = Callable[[str, int, int], None]
PROGRESS_EVERY = 5000  # lines between progress reports while reading


class LogFormatError(ValueError):
    """A line of a call log cannot be read: the file, the line (from 1) and the field."""

    def __init__(self, file: str | Path, line: int, field: str, problem: str) -> None:
        self.file = Path(file).name
        self.line = line
        self.field = field
        self.problem = problem
        super().__init__(f"{self.file}, line {line}, field {field}: {problem}")


def number_of(text: str, file: Path, line: int, field: str) -> str | None:
    """A caller id as E.164 (None: withheld or internal), or the line is refused."""
    try:
        return telephony.caller_number(text, field)
    except InvalidValue as exc:
        raise LogFormatError(file, line, field, exc.message) from None


def lines(path: Path, progress: ProgressCallback | None, label: str) -> Iterator[tuple[int, str]]:
    """(line number from 1, text without the line break), reporting progress by bytes read."""
    total = max(path.stat().st_size, 1)
    done = 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            done += len(raw)
            if progress and number % PROGRESS_EVERY == 0:
                progress(label, done, total)
            yield number, raw.decode("utf-8", errors="replace").rstrip("\r\n")
    if progress:
        progress(label, total, total)


@dataclass(frozen=True)
class CallLogImport:
    file: str
    kind: str
    calls: RecordedCalls

    @property
    def message(self) -> str:
        c = self.calls
        parts = [
            f"{self.file} ({self.kind}): {c.read:,} calls, {c.new:,} new, {c.updated:,} updated, "
            f"{c.unchanged:,} already known"
        ]
        if c.too_old:
            parts.append(f"{c.too_old:,} older than kept, skipped")
        done = c.callbacks
        parts.append(
            f"callbacks: {done.opened:,} opened, {done.updated:,} updated, "
            f"{done.closed:,} closed (the caller got through)"
        )
        return "; ".join(parts) + "."


def record(
    database: Database,
    path: Path,
    kind: str,
    records: list[CallRecord],
    settings: CallbackSettings,
    progress: ProgressCallback | None,
    now: datetime | None = None,
) -> CallLogImport:
    with database.write() as connection:
        recorded = telephony.record_calls(
            connection, records, kind, settings, now or clock.now(), progress
        )
    return CallLogImport(file=path.name, kind=kind, calls=recorded)
