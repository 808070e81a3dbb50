"""The telephone system: its call events, its imported logs, and the desks' extensions.

Every call the telephone system tells us about is one row of ``telephony_calls``, keyed by its
own call id (Asterisk's uniqueid), whether it came as events posted to
``POST /v1/telephony/events`` or from an imported queue_log or CDR file: that key makes events
and imports idempotent, and an event and an import of the same call agree. A call's state only
moves forward: ``ringing``/``queued`` → ``answered`` or ``missed``, and ``missed`` → ``answered``
(answered wins: the caller got through in the end). What the calls mean for callbacks is decided
by :func:`console.server.callback_reconcile.reconcile`.

A ``ringing`` event goes into the change feed as entity ``ringing`` (op ``ringing``) with the
extension, the number and the callers matched by it, so the desk at that extension can show the
caller's card; ``answered`` and ``missed`` follow as ops of the same entity, so a desk can take
the card down when another desk answered or the caller gave up.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from console.domain.callbacks import (
    AnsweredEvent,
    CallbackStatus,
    DeskExtension,
    MissedEvent,
    RingingEvent,
    TelephonyEventResult,
)
from console.domain.errors import InvalidValue
from console.domain.models import Agent
from console.domain.phone import COUNTRY, parse_phone
from console.server import callback_figures, callback_reconcile, callbacks, changes, clock
from console.server.agents import agent_names
from console.server.errors import conflict, unprocessable
from console.server.schema import agents, telephony_calls, telephony_extensions
from console.server.settings import CallbackSettings

ENTITY = "ringing"
FINAL = ("answered", "missed")
# What telephone systems put in the caller id when the number is withheld or unknown.
WITHHELD = frozenset(
    {"", "anonymous", "unknown", "private", "restricted", "unavailable", "withheld", "<unknown>"}
)
# Up to this many digits without a leading 0 or +: an internal extension, not a caller to call.
INTERNAL_DIGITS = 6
EVENT_FUTURE_SLACK = timedelta(minutes=5)
# A desk's declared extension counts as signed in this long after it was declared (a shift).
EXTENSION_HOURS = 12.0
# How often the events route prunes old calls and closed callbacks (seconds, per process).
PRUNE_EVERY_SECONDS = 3600.0

ProgressCallback = Callable[[str, int, int], None]


def caller_number(text: str | None, field: str = "number") -> str | None:
    """A caller id as the telephone system gives it, as E.164; None when it is withheld or an
    internal extension (nobody to call back). Raises :class:`InvalidValue` for anything else
    that is not a telephone number. Accepts what trunks deliver besides the usual forms: the
    country code without a ``+`` (``38641234567``)."""
    stripped = (text or "").strip().strip('"').strip()
    if stripped.lower() in WITHHELD:
        return None
    digits = stripped.lstrip("+")
    if digits.isdigit() and not stripped.startswith(("0", "+")):
        if len(digits) <= INTERNAL_DIGITS:
            return None
        if digits.startswith(COUNTRY):
            stripped = "+" + digits
    try:
        return parse_phone(stripped)
    except InvalidValue as exc:
        raise InvalidValue(
            field, f"{stripped!r} is not a telephone number: {exc.message}"
        ) from None


# --- events -------------------------------------------------------------------------------------


def _event_time(
    event: str, at: datetime | None, now: datetime, settings: CallbackSettings
) -> datetime:
    if at is None:
        return now
    field = f"{event}.at"  # fields are named as the validation of the body names them
    try:
        moment = clock.to_db(at)
    except (OverflowError, ValueError):
        raise unprocessable("This time is out of range.", field) from None
    if moment > now + EVENT_FUTURE_SLACK:
        raise unprocessable("An event cannot be in the future.", field)
    if moment < now - timedelta(days=settings.keep_days):
        raise unprocessable(f"Events older than {settings.keep_days} days are not kept.", field)
    return moment


def _number(event: str, text: str | None) -> str | None:
    try:
        return caller_number(text)
    except InvalidValue as exc:
        raise unprocessable(exc.message, f"{event}.number") from None


def _call_row(connection: Connection, call_id: str) -> Row | None:
    query = select(telephony_calls).where(telephony_calls.c.call_id == call_id)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    return connection.execute(query).first()


def _insert_call(connection: Connection, values: dict[str, Any]) -> Row | None:
    """Insert one call; None when the same call id was recorded at the same moment."""
    try:
        with connection.begin_nested():
            return connection.execute(
                insert(telephony_calls).values(**values).returning(telephony_calls)
            ).one()
    except IntegrityError:
        return None


def record_event(
    connection: Connection,
    event: RingingEvent | AnsweredEvent | MissedEvent,
    settings: CallbackSettings,
    now: datetime,
) -> TelephonyEventResult:
    """Apply one event; a repeat (or older news than what is known) changes nothing."""
    at = _event_time(event.event, event.at, now, settings)
    for _attempt in range(2):
        row = _call_row(connection, event.call_id)
        if isinstance(event, RingingEvent):
            applied, row = _ringing(connection, row, event, at, now)
        elif isinstance(event, AnsweredEvent):
            applied, row = _answered(connection, row, event, at, now)
        else:
            applied, row = _missed(connection, row, event, at, now)
        if row is not None:
            break
    else:  # pragma: no cover - the insert lost twice
        raise conflict("call_busy", "This call is being recorded by another request; retry.")
    number = row.number
    matched = callbacks.matched_callers(connection, [number]).get(number, []) if number else []
    if applied:
        if isinstance(event, RingingEvent):
            desk = connection.execute(
                select(telephony_extensions.c.agent_id).where(
                    telephony_extensions.c.extension == event.extension
                )
            ).scalar()
            data = {
                "call_id": row.call_id,
                "line": row.line,
                "extension": row.extension,
                "number": number,
                "caller_ids": matched,
                "agent_id": desk,
            }
        else:
            data = {"call_id": row.call_id, "extension": row.extension, "number": number}
        changes.record(connection, ENTITY, int(row.id), event.event, None, data)
        if not isinstance(event, RingingEvent):
            callback_reconcile.reconcile(connection, [number], settings, now)
    callback = None
    if number:
        callback = connection.execute(
            select(callbacks.callbacks.c.id, callbacks.callbacks.c.status)
            .where(callbacks.callbacks.c.number == number)
            .order_by(callbacks.callbacks.c.id.desc())
            .limit(1)
        ).first()
    return TelephonyEventResult(
        event=event.event,
        call_id=event.call_id,
        applied=applied,
        number=number,
        caller_ids=matched,
        callback_id=callback.id if callback else None,
        callback_status=CallbackStatus(callback.status) if callback else None,
    )


def _ringing(
    connection: Connection, row: Row | None, event: RingingEvent, at: datetime, now: datetime
) -> tuple[bool, Row | None]:
    number = _number(event.event, event.number)
    if row is None:
        inserted = _insert_call(
            connection,
            {
                "call_id": event.call_id,
                "number": number,
                "state": "ringing",
                "started_at": at,
                "line": event.line,
                "extension": event.extension,
                "source": "webhook",
                "recorded_at": now,
            },
        )
        return inserted is not None, inserted
    if row.state in FINAL or row.extension == event.extension:
        return False, row  # a repeat, or the call was answered or given up meanwhile
    values = {"state": "ringing", "extension": event.extension, "number": row.number or number}
    if event.line:
        values["line"] = event.line
    return True, _update_call(connection, row.id, values)


def _answered(
    connection: Connection, row: Row | None, event: AnsweredEvent, at: datetime, now: datetime
) -> tuple[bool, Row | None]:
    if row is None:
        inserted = _insert_call(
            connection,
            {
                "call_id": event.call_id,
                "state": "answered",
                "started_at": at,
                "answered_at": at,
                "extension": event.extension,
                "source": "webhook",
                "recorded_at": now,
            },
        )
        return inserted is not None, inserted
    if row.state == "answered":
        return False, row
    values = {"state": "answered", "answered_at": at, "extension": event.extension or row.extension}
    return True, _update_call(connection, row.id, values)


def _missed(
    connection: Connection, row: Row | None, event: MissedEvent, at: datetime, now: datetime
) -> tuple[bool, Row | None]:
    number = _number(event.event, event.number)
    waited = event.waited_seconds
    if row is None:
        started = at - timedelta(seconds=waited or 0)
        inserted = _insert_call(
            connection,
            {
                "call_id": event.call_id,
                "number": number,
                "state": "missed",
                "started_at": started,
                "ended_at": at,
                "waited_seconds": waited,
                "queue": event.queue,
                "source": "webhook",
                "recorded_at": now,
            },
        )
        return inserted is not None, inserted
    if row.state in FINAL:
        return False, row  # a repeat, or it was answered (answered wins)
    values = {
        "state": "missed",
        "ended_at": at,
        "waited_seconds": waited,
        "number": row.number or number,
        "queue": event.queue or row.queue,
    }
    return True, _update_call(connection, row.id, values)


def _update_call(connection: Connection, row_id: int, values: dict[str, Any]) -> Row:
    return connection.execute(
        update(telephony_calls)
        .where(telephony_calls.c.id == row_id)
        .values(**values)
        .returning(telephony_calls)
    ).one()


_last_prune: dict[int, float] = {}


def prune_now_and_then(connection: Connection, settings: CallbackSettings, now: datetime) -> None:
    """Prune old calls and closed callbacks at most once an hour per database and process."""
    key = id(connection.engine)
    if time.monotonic() - _last_prune.get(key, -PRUNE_EVERY_SECONDS) < PRUNE_EVERY_SECONDS:
        return
    _last_prune[key] = time.monotonic()
    callback_figures.prune(connection, settings, now)


# --- imported calls -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CallRecord:
    """One call as a log file tells it."""

    call_id: str
    number: str | None
    state: str  # queued (entered, no outcome in this file), answered or missed
    started_at: datetime  # naive UTC
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    waited_seconds: int | None = None
    queue: str | None = None
    extension: str | None = None


@dataclass
class RecordedCalls:
    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    too_old: int = 0
    callbacks: callback_reconcile.Reconciled = field(default_factory=callback_reconcile.Reconciled)


_RANK = {"ringing": 0, "queued": 0, "missed": 1, "answered": 2}


def record_calls(
    connection: Connection,
    records: Iterable[CallRecord],
    source: str,
    settings: CallbackSettings,
    now: datetime,
    progress: ProgressCallback | None = None,
) -> RecordedCalls:
    """Record imported calls in time order (new ones inserted, known ones moved forward, the
    rest left alone), then bring the callbacks of every number they touched up to date."""
    ordered = sorted(records, key=lambda r: (r.started_at, r.call_id))
    outcome = RecordedCalls(read=len(ordered))
    oldest = now - timedelta(days=settings.keep_days)
    kept = [r for r in ordered if r.started_at >= oldest]
    outcome.too_old = len(ordered) - len(kept)
    touched: set[str] = set()
    total = len(kept)
    label = "Recording calls"
    size = callbacks.chunk_size(connection)
    for start in range(0, total, size):
        chunk = kept[start : start + size]
        known = {
            row.call_id: row
            for row in connection.execute(
                select(telephony_calls).where(
                    callbacks.one_of(
                        connection, telephony_calls.c.call_id, [r.call_id for r in chunk]
                    )
                )
            )
        }
        fresh: list[dict[str, Any]] = []
        moved: list[dict[str, Any]] = []
        for record in chunk:
            row = known.get(record.call_id)
            if row is None:
                fresh.append(_values(record, source, now))
                if record.state in FINAL:
                    touched.add(record.number or "")
                continue
            if _RANK[record.state] <= _RANK[row.state]:
                outcome.unchanged += 1
                continue
            moved.append(
                {
                    "row_id": row.id,
                    "state": record.state,
                    "number": row.number or record.number,
                    "answered_at": record.answered_at or row.answered_at,
                    "ended_at": record.ended_at or row.ended_at,
                    "waited_seconds": record.waited_seconds
                    if record.waited_seconds is not None
                    else row.waited_seconds,
                    "queue": record.queue or row.queue,
                    "extension": record.extension or row.extension,
                }
            )
            touched.add(row.number or record.number or "")
        if fresh:
            connection.execute(insert(telephony_calls), fresh)
            outcome.new += len(fresh)
        if moved:
            connection.execute(
                update(telephony_calls)
                .where(telephony_calls.c.id == bindparam("row_id"))
                .values(
                    {
                        name: bindparam(name)
                        for name in (
                            "state",
                            "number",
                            "answered_at",
                            "ended_at",
                            "waited_seconds",
                            "queue",
                            "extension",
                        )
                    }
                ),
                moved,
            )
            outcome.updated += len(moved)
        if progress:
            progress(label, min(start + size, total), total)
    if progress and not total:
        progress(label, 0, 0)
    numbers = sorted(n for n in touched if n)
    label = "Updating callbacks"
    for start in range(0, len(numbers), size):
        done = callback_reconcile.reconcile(
            connection, numbers[start : start + size], settings, now
        )
        outcome.callbacks.opened += done.opened
        outcome.callbacks.updated += done.updated
        outcome.callbacks.closed += done.closed
        if progress:
            progress(label, min(start + size, len(numbers)), len(numbers))
    callback_figures.prune(connection, settings, now)
    return outcome


def _values(record: CallRecord, source: str, now: datetime) -> dict[str, Any]:
    return {
        "call_id": record.call_id,
        "number": record.number,
        "state": record.state,
        "started_at": record.started_at,
        "answered_at": record.answered_at,
        "ended_at": record.ended_at,
        "waited_seconds": record.waited_seconds,
        "queue": record.queue,
        "line": None,
        "extension": record.extension,
        "source": source,
        "recorded_at": now,
    }


# --- desks' extensions --------------------------------------------------------------------------


def declare_extension(
    connection: Connection, agent: Agent, extension: str, now: datetime
) -> DeskExtension:
    """This agent's desk answers ``extension`` (it moves from whoever declared it before)."""
    connection.execute(
        delete(telephony_extensions).where(
            (telephony_extensions.c.agent_id == agent.id)
            | (telephony_extensions.c.extension == extension)
        )
    )
    connection.execute(
        insert(telephony_extensions).values(extension=extension, agent_id=agent.id, declared_at=now)
    )
    return DeskExtension(
        extension=extension,
        agent_id=agent.id,
        agent_name=agent.name,
        declared_at=clock.from_db(now),  # aware UTC on the wire, as everywhere
    )


def release_extension(connection: Connection, agent: Agent) -> bool:
    gone = connection.execute(
        delete(telephony_extensions).where(telephony_extensions.c.agent_id == agent.id)
    ).rowcount
    return bool(gone)


def signed_in_extensions(connection: Connection, now: datetime) -> list[DeskExtension]:
    """The extensions of desks signed in: declared within the last ``EXTENSION_HOURS`` by an
    active agent, and not released."""
    since = now - timedelta(hours=EXTENSION_HOURS)
    rows = connection.execute(
        select(telephony_extensions)
        .join(agents, agents.c.id == telephony_extensions.c.agent_id)
        .where(telephony_extensions.c.declared_at >= since, agents.c.active.is_(True))
        .order_by(telephony_extensions.c.extension)
    ).all()
    names = agent_names(connection, {row.agent_id for row in rows})
    return [
        DeskExtension(
            extension=row.extension,
            agent_id=row.agent_id,
            agent_name=names.get(row.agent_id),
            declared_at=clock.from_db(row.declared_at),
        )
        for row in rows
    ]
