"""Asterisk's call detail records as ``cdr_csv`` writes them (``/var/log/asterisk/cdr-csv/
Master.csv``): which inbound callers got through.

The format, as Asterisk's ``cdr/cdr_csv.c`` writes it (and its "CDR Variables" page,
https://docs.asterisk.org/Configuration/Reporting/Call-Detail-Records-CDR/CDR-Variables/,
describes the fields): no header, one call leg per line, text fields quoted (a ``"`` doubled),
numbers and empty times bare::

    accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata,
    start, answer, end, duration, billsec, disposition, amaflags[, uniqueid[, userfield]]

``uniqueid`` and ``userfield`` are there when ``cdr.conf``'s ``[csv]`` section sets
``loguniqueid`` / ``loguserfield``. Times are ``%Y-%m-%d %H:%M:%S`` in the server's local time,
or in UTC with ``usegmtime=yes`` (``--utc``). ``disposition`` is ``ANSWERED``, ``NO ANSWER``,
``BUSY``, ``FAILED`` or ``CONGESTION``; all but ``ANSWERED`` mean the caller did not get through.

Which lines are inbound: with ``--context`` given, those whose ``dcontext`` is one of the named
contexts; otherwise those whose ``src`` is an outside number (or withheld) and whose ``dst`` is
not (an extension, a queue, ``s``). Where trunks deliver the dialled number (DID) as ``dst``,
name the inbound contexts. A call's id is its ``uniqueid``; without one, the channel and start time.
Several lines of one call (forked CDRs): it got through if any line was answered. Note that a
call answered by a queue (or an IVR) is ``ANSWERED`` in the CDR even when the caller then gave
up waiting: where queues are used, the queue_log tells more.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from console.domain.calendar import TZ
from console.domain.errors import InvalidValue
from console.server import telephony
from console.server.db import Database
from console.server.importers.call_logs import (
    CallLogImport,
    LogFormatError,
    ProgressCallback,
    number_of,
    record,
)
from console.server.settings import CallbackSettings
from console.server.telephony import CallRecord

KIND = "cdr"
COLUMNS = (
    "accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp",
    "lastdata", "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
    "uniqueid", "userfield",
)  # fmt: skip
BASE_COLUMNS = 16
DISPOSITIONS = {"ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION"}
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
PROGRESS_EVERY = 5000


@dataclass
class _Call:
    started: datetime
    number: str | None
    answered_at: datetime | None
    ended_at: datetime | None
    waited: int | None
    extension: str | None


def _time(text: str, field: str, path: Path, line: int, utc: bool) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.strptime(text, TIME_FORMAT)
    except ValueError:
        raise LogFormatError(
            path, line, field, f"{text!r} is not a time like 2026-11-24 09:15:02"
        ) from None
    if utc:
        return moment
    return moment.replace(tzinfo=TZ).astimezone(UTC).replace(tzinfo=None)


def _int(text: str, field: str, path: Path, line: int) -> int:
    text = text.strip()
    if not text.isdigit():
        raise LogFormatError(path, line, field, f"{text!r} is not a number of seconds")
    return int(text)


def _outside(text: str) -> bool:
    """An outside number (not an extension, a queue or ``s``)? Never refuses."""
    try:
        return telephony.caller_number(text) is not None
    except InvalidValue:
        return False


def _extension(channel: str) -> str | None:
    if "/" not in channel:
        return None
    rest = channel.split("/", 1)[1]
    for stop in ("@", "-", "/", ";"):
        rest = rest.split(stop, 1)[0]
    return rest[:32] or None


def read(
    path: str | Path,
    *,
    utc: bool = False,
    contexts: Iterable[str] = (),
    progress: ProgressCallback | None = None,
) -> list[CallRecord]:
    """The inbound calls in a Master.csv file; :class:`LogFormatError` for a malformed line."""
    path = Path(path)
    inbound_contexts = set(contexts)
    label = f"Reading {path.name}"
    total = max(path.stat().st_size, 1)
    found: dict[str, _Call] = {}
    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")
        reader = csv.reader(text)
        line = 0
        for count, row in enumerate(reader, start=1):
            first = line + 1
            line = reader.line_num
            if progress and count % PROGRESS_EVERY == 0:
                progress(label, min(raw.tell(), total), total)
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if not BASE_COLUMNS <= len(row) <= len(COLUMNS):
                raise LogFormatError(
                    path,
                    first,
                    "columns",
                    f"expected {BASE_COLUMNS} fields (accountcode … amaflags), 17 with uniqueid "
                    f"or 18 with userfield; found {len(row)}",
                )
            fields = dict(zip(COLUMNS, row, strict=False))
            start = _time(fields["start"], "start", path, first, utc)
            if start is None:
                raise LogFormatError(path, first, "start", "empty")
            answer = _time(fields["answer"], "answer", path, first, utc)
            end = _time(fields["end"], "end", path, first, utc)
            duration = _int(fields["duration"], "duration", path, first)
            _int(fields["billsec"], "billsec", path, first)
            disposition = fields["disposition"].strip()
            if disposition not in DISPOSITIONS:
                raise LogFormatError(
                    path,
                    first,
                    "disposition",
                    f"{disposition!r} is not one of {', '.join(sorted(DISPOSITIONS))}",
                )
            src, dst = fields["src"], fields["dst"]
            if inbound_contexts:
                if fields["dcontext"].strip() not in inbound_contexts:
                    continue
                number = number_of(src, path, first, "src")
            else:
                withheld = src.strip().strip('"').strip().lower() in telephony.WITHHELD
                if not (withheld or _outside(src)) or _outside(dst):
                    continue
                number = number_of(src, path, first, "src")
            uniqueid = fields.get("uniqueid", "").strip()
            if len(uniqueid) > 64:
                raise LogFormatError(path, first, "uniqueid", "longer than 64 characters")
            call_id = (
                uniqueid
                or "cdr-"
                + hashlib.sha1(f"{fields['channel']}|{fields['start']}".encode()).hexdigest()[:24]
            )
            answered = disposition == "ANSWERED"
            call = found.get(call_id)
            leg = _Call(
                started=start,
                number=number,
                answered_at=(answer or start) if answered else None,
                ended_at=None if answered else (end or start),
                waited=None if answered else duration,
                extension=_extension(fields["dstchannel"]) if answered else None,
            )
            if call is None:
                found[call_id] = leg
                continue
            call.started = min(call.started, leg.started)
            call.number = call.number or leg.number
            if leg.answered_at is not None and (
                call.answered_at is None or leg.answered_at < call.answered_at
            ):
                call.answered_at, call.extension = leg.answered_at, leg.extension
            if leg.ended_at is not None and (call.ended_at is None or leg.ended_at > call.ended_at):
                call.ended_at, call.waited = leg.ended_at, leg.waited
    if progress:
        progress(label, total, total)
    return [
        CallRecord(
            call_id=call_id,
            number=call.number,
            state="answered" if call.answered_at is not None else "missed",
            started_at=call.started,
            answered_at=call.answered_at,
            ended_at=None if call.answered_at is not None else call.ended_at,
            waited_seconds=None if call.answered_at is not None else call.waited,
            extension=call.extension,
        )
        for call_id, call in found.items()
    ]


def import_cdr(
    database: Database,
    path: str | Path,
    settings: CallbackSettings,
    *,
    utc: bool = False,
    contexts: Iterable[str] = (),
    progress: ProgressCallback | None = None,
    now: datetime | None = None,
) -> CallLogImport:
    """Read ``path`` whole (refusing a malformed line before writing anything), then record its
    inbound calls in one transaction."""
    path = Path(path)
    records = read(path, utc=utc, contexts=contexts, progress=progress)
    return record(database, path, KIND, records, settings, progress, now)
