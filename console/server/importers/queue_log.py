"""Asterisk's ``queue_log``: which queued callers got through, and which did not.

The format, as Asterisk documents it ("Queue Logs", https://docs.asterisk.org/Operation/Logging/
Queue-Logs/, and ``doc/queuelog.txt`` in older sources): one line per event, fields separated by
``|``::

    UNIX time|callid|queue name|queue member (agent) channel|event|event parameters…
    1366720340|1366720340.303267|MYQUEUE|SIP/8007|RINGNOANSWER|1000

The callid is the caller's channel's uniqueid (``NONE`` for events of no call). The events read:

- ``ENTERQUEUE(url|callerid|position)``: the caller entered the queue, with their number
  (``position`` since Asterisk 1.8; older files have two parameters);
- ``CONNECT(holdtime|bridgedchanneluniqueid|ringtime)``: answered by a queue member;
- ``ABANDON(position|origposition|waittime)``: the caller hung up while waiting;
- ``EXITEMPTY(position|origposition|waittime)``: no members could take the call;
- ``EXITWITHTIMEOUT(position|origposition|waittime)``: the queue's timeout ran out;
- ``EXITWITHKEY(key|position|origposition|waittime)``: the caller left by pressing a key.

The last four mean the caller did not get through. Every other event (``RINGNOANSWER``,
``COMPLETECALLER``, ``AGENTLOGIN``, ``PAUSE``, ``CONFIGRELOAD`` …) is read for its time only.
A call may pass through several queues (it timed out of one and entered the next): it got
through if any queue connected it; otherwise its last event decides (left a queue: it did not
get through; entered one and the file ends: it is still queued, and the next file finishes it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from console.server.db import Database
from console.server.importers.call_logs import (
    CallLogImport,
    LogFormatError,
    ProgressCallback,
    lines,
    number_of,
    record,
)
from console.server.settings import CallbackSettings
from console.server.telephony import CallRecord

KIND = "queue_log"
MISSED = {
    "ABANDON": 2,  # the index of waittime among the event's parameters
    "EXITEMPTY": 2,
    "EXITWITHTIMEOUT": 2,
    "EXITWITHKEY": 3,
}
CALL_EVENTS = {"ENTERQUEUE", "CONNECT", *MISSED}
NO_CALL = ("", "NONE", "REALTIME")
MAX_TIME = 253_402_300_799  # 9999-12-31T23:59:59Z


@dataclass
class _Call:
    started: datetime
    number: str | None = None
    entered: bool = False
    answered_at: datetime | None = None
    last_exit: datetime | None = None
    last_enter: datetime | None = None
    waited: int | None = None
    queue: str | None = None
    member: str | None = None


def _time(text: str, path: Path, line: int) -> datetime:
    try:
        seconds = float(text)
    except ValueError:
        raise LogFormatError(path, line, "time", f"{text!r} is not a UNIX time") from None
    if not 0 <= seconds <= MAX_TIME:
        raise LogFormatError(path, line, "time", f"{text!r} is out of range")
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


def _seconds(parts: list[str], index: int, name: str, path: Path, line: int) -> int | None:
    if len(parts) <= index or not parts[index].strip():
        return None
    text = parts[index].strip()
    if not text.isdigit():
        raise LogFormatError(path, line, name, f"{text!r} is not a number of seconds")
    return int(text)


def member_extension(channel: str) -> str | None:
    """``SIP/101``, ``PJSIP/101-0000002a``, ``Local/101@from-queue/n`` → ``101``."""
    if not channel or channel == "NONE" or "/" not in channel:
        return None
    rest = channel.split("/", 1)[1]
    for stop in ("@", "-", "/", ";"):
        rest = rest.split(stop, 1)[0]
    return rest[:32] or None


def read(path: str | Path, progress: ProgressCallback | None = None) -> list[CallRecord]:
    """The calls in a queue_log file; :class:`LogFormatError` for a malformed line."""
    path = Path(path)
    found: dict[str, _Call] = {}
    for line, text in lines(path, progress, f"Reading {path.name}"):
        if not text.strip():
            continue
        parts = text.split("|")
        if len(parts) < 5:
            raise LogFormatError(
                path,
                line,
                "event",
                f"expected time|callid|queue|agent|event|…, found {len(parts)} field(s)",
            )
        at = _time(parts[0].strip(), path, line)
        callid, queue, member, event = (p.strip() for p in parts[1:5])
        data = parts[5:]
        if event not in CALL_EVENTS:
            continue
        if callid in NO_CALL:
            raise LogFormatError(path, line, "callid", f"{event} without the call's id")
        if len(callid) > 64:
            raise LogFormatError(path, line, "callid", "longer than 64 characters")
        call = found.get(callid)
        if call is None:
            call = found[callid] = _Call(started=at)
        call.started = min(call.started, at)
        if queue and queue != "NONE":
            call.queue = queue[:80]
        if event == "ENTERQUEUE":
            if len(data) < 2:
                raise LogFormatError(path, line, "callerid", "ENTERQUEUE without the caller id")
            number = number_of(data[1], path, line, "callerid")
            if not call.entered:
                call.started, call.entered = at, True
            call.number = call.number or number
            call.last_enter = max(call.last_enter or at, at)
        elif event == "CONNECT":
            hold = _seconds(data, 0, "holdtime", path, line)
            if call.answered_at is None or at < call.answered_at:
                call.answered_at = at
                call.waited = hold
                call.member = member_extension(member)
        else:
            waited = _seconds(data, MISSED[event], "waittime", path, line)
            if call.last_exit is None or at >= call.last_exit:
                call.last_exit = at
                if waited is not None:
                    call.waited = waited
    return [_record(callid, call) for callid, call in found.items()]


def _record(callid: str, call: _Call) -> CallRecord:
    if call.answered_at is not None:
        state, ended = "answered", None
    elif call.last_exit is not None and (
        call.last_enter is None or call.last_exit >= call.last_enter
    ):
        state, ended = "missed", call.last_exit
    else:
        state, ended = "queued", None
    return CallRecord(
        call_id=callid,
        number=call.number,
        state=state,
        started_at=call.started,
        answered_at=call.answered_at,
        ended_at=ended,
        waited_seconds=call.waited,
        queue=call.queue,
        extension=call.member,
    )


def import_queue_log(
    database: Database,
    path: str | Path,
    settings: CallbackSettings,
    *,
    progress: ProgressCallback | None = None,
    now: datetime | None = None,
) -> CallLogImport:
    """Read ``path`` whole (refusing a malformed line before writing anything), then record its
    calls in one transaction."""
    path = Path(path)
    records = read(path, progress)
    return record(database, path, KIND, records, settings, progress, now)
