"""Small queue_log and cdr_csv Master.csv files written for the tests, in Asterisk's formats
(see console/server/importers/queue_log.py and cdr.py). Made up; no real calls."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from console.domain.calendar import TZ

# How each way of not getting through ends in the queue_log.
QUEUE_EXITS = {
    "abandon": "ABANDON|1|1|{w}",
    "timeout": "EXITWITHTIMEOUT|2|3|{w}",
    "empty": "EXITEMPTY|1|1|{w}",
    "key": "EXITWITHKEY|0|1|1|{w}",
}
CDR_MISSES = {"abandon": "NO ANSWER", "timeout": "NO ANSWER", "empty": "FAILED", "key": "BUSY"}


@dataclass(frozen=True)
class Call:
    call_id: str
    number: str  # as the telephone system writes the caller id
    start: datetime  # aware
    outcome: str  # answered, abandon, timeout, empty or key
    waited: int = 40

    @property
    def got_through(self) -> bool:
        return self.outcome == "answered"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def queue_log_lines(calls: Iterable[Call]) -> list[str]:
    lines: list[tuple[int, str]] = []
    for call in calls:
        t = _epoch(call.start)
        lines.append((t, f"{t}|{call.call_id}|ue|NONE|ENTERQUEUE||{call.number}|1"))
        lines.append((t + 5, f"{t + 5}|{call.call_id}|ue|PJSIP/102|RINGNOANSWER|5000"))
        if call.got_through:
            end = t + call.waited
            lines.append(
                (end, f"{end}|{call.call_id}|ue|PJSIP/101|CONNECT|{call.waited}|{call.call_id}9|4")
            )
            lines.append((end + 240, f"{end + 240}|{call.call_id}|ue|PJSIP/101|COMPLETECALLER|"
                                     f"{call.waited}|240|1"))  # fmt: skip
        else:
            end = t + call.waited
            exit_line = QUEUE_EXITS[call.outcome].format(w=call.waited)
            lines.append((end, f"{end}|{call.call_id}|ue|NONE|{exit_line}"))
    return [text for _, text in sorted(lines)]


def write_queue_log(path: Path, calls: Iterable[Call], extra: Iterable[str] = ()) -> Path:
    lines = [f"{_epoch(at(2026, 11, 2, 7, 0))}|NONE|NONE|NONE|QUEUESTART|", *queue_log_lines(calls)]
    path.write_text("\n".join([*lines, *extra]) + "\n", encoding="utf-8")
    return path


def _q(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _time(moment: datetime | None, utc: bool) -> str:
    if moment is None:
        return ""
    shown = moment.astimezone(UTC if utc else TZ)
    return _q(f"{shown:%Y-%m-%d %H:%M:%S}")


def cdr_line(
    *,
    src: str,
    dst: str = "600",
    start: datetime,
    disposition: str,
    uniqueid: str | None,
    waited: int = 40,
    context: str = "from-trunk",
    dstchannel: str = "PJSIP/101-0000002a",
    utc: bool = False,
    userfield: bool = True,
) -> str:
    answered = disposition == "ANSWERED"
    answer = start + timedelta(seconds=waited) if answered else None
    end = start + timedelta(seconds=waited + (240 if answered else 0))
    fields = [
        _q(""),
        _q(src),
        _q(dst),
        _q(context),
        _q(f'"Klicatelj" <{src}>'),
        _q("PJSIP/trunk-00000011"),
        _q(dstchannel if answered else ""),
        _q("Queue"),
        _q("ue,t"),
        _time(start, utc),
        _time(answer, utc),
        _time(end, utc),
        str(waited + (240 if answered else 0)),
        str(240 if answered else 0),
        _q(disposition),
        _q("DOCUMENTATION"),
    ]
    if uniqueid is not None:
        fields.append(_q(uniqueid))
        if userfield:
            fields.append(_q(""))
    return ",".join(fields)


def cdr_lines(calls: Iterable[Call], utc: bool = False) -> list[str]:
    return [
        cdr_line(
            src=call.number,
            start=call.start,
            disposition="ANSWERED" if call.got_through else CDR_MISSES[call.outcome],
            uniqueid=call.call_id,
            waited=call.waited,
            utc=utc,
        )
        for call in sorted(calls, key=lambda c: c.start)
    ]


def write_cdr(
    path: Path, calls: Iterable[Call], extra: Iterable[str] = (), utc: bool = False
) -> Path:
    path.write_text("\n".join([*cdr_lines(calls, utc), *extra]) + "\n", encoding="utf-8")
    return path
