"""Callbacks: the queue of numbers to call back, with leased claims and the outcome of each try.

Where callbacks come from:

- **missed calls**: the telephone system's calls (``telephony_calls``: events posted to
  ``/v1/telephony/events``, Asterisk's queue_log and CDR imports) decide them, see
  :func:`reconcile`;
- **an agent's follow-up** at wrap-up (``follow_up_at``), see :func:`follow_up`, or posted;
- **a sync issue** a desk could not settle without the caller (posted by the desk).

The rules:

- One number has at most one open (``open`` or ``claimed``) callback: the partial unique index
  ``uq_callbacks_open_number``. Repeated calls that did not get through add to its ``tries``.
- The queue is ordered by ``rank_at``: when the number first waited (``waiting_since``), moved
  ahead by ``tries_boost_minutes`` for every further try. An agent's own callbacks (assigned
  to them) come first for that agent (earliest due first); they go to the pool
  ``assigned_minutes`` after they are due, and then come first for everyone. Nothing is
  claimed outside the callback hours (``[callbacks] hours``; Slovenian public holidays
  excluded).
- A claim is a lease: ``lease_minutes`` long, decided by one UPDATE (``FOR UPDATE SKIP LOCKED``
  on PostgreSQL, where writers run in parallel; SQLite's writers are serialised, and its UPDATE
  re-checks the status). A lapsed lease makes the callback claimable again (it is listed as
  ``open``); the agent whose lease lapsed may still record the attempt while nobody else has
  claimed it (a desk replaying what it did offline).
- Outcomes: ``reached`` names the console call it goes on in (``call_id``, required): the
  callback stays claimed by that agent, held by the call (``callbacks.call_id``; no lease lapses
  it, nobody else claims it, no other outcome or release is taken), and the call's wrap-up
  closes it as ``done`` (``reached``, the call linked): :func:`call_closed`. A call never
  wrapped up is closed by the service's sweep of abandoned calls (``[retention]
  abandon_calls_after_hours``), which closes its callback the same way: the caller was reached.
  A call already wrapped up when its ``reached`` arrives (a desk's replay) closes it at once.
  ``declined`` closes it as ``done`` at once; ``wrong_number`` fails it; ``no_answer`` and
  ``busy`` put it back after ``retry_minutes`` until ``max_attempts`` unanswered attempts, then
  fail it.
- A number that calls in and is served closes its open callback as ``reached_us``: an answered
  call from the telephone system, or an inbound console call matched to a caller with that
  phone (:func:`caller_reached_us`); not one reached by an agent and in its call (its wrap-up
  closes that one).

Every change goes into the change feed as entity ``callback``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ARRAY,
    Connection,
    Row,
    and_,
    any_,
    bindparam,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from console.domain.calendar import SEARCH_DAYS, OfficeHours
from console.domain.callbacks import (
    ACTIVE_STATUSES,
    AttemptOutcome,
    Callback,
    CallbackAttempt,
    CallbackIn,
    CallbackPage,
    CallbackResult,
    CallbackSource,
    CallbackStatus,
    CallbackWindow,
)
from console.domain.errors import InvalidValue
from console.domain.models import Agent
from console.domain.phone import parse_phone
from console.server import changes, clock
from console.server.agents import agent_names
from console.server.errors import conflict, not_found, unprocessable
from console.server.schema import (
    callback_attempts,
    callbacks,
    caller_phones,
    callers,
    calls,
)
from console.server.settings import CallbackSettings

ENTITY = "callback"
ACTIVE = [status.value for status in ACTIVE_STATUSES]
# Values per statement: PostgreSQL takes them as one array; SQLite as variables, of which
# builds before 3.32 allow 999.
CHUNK = 900
PG_CHUNK = 5000
WINDOW_SEARCH_DAYS = SEARCH_DAYS  # the callback hours open within a year, or never
NOTE_LENGTH = 1000
_ACTIVE_SQL = "status IN ('open', 'claimed')"
REACHED_RESULTS = ("reached", "reached_us", "declined")


# --- the callback hours -------------------------------------------------------------------------


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def in_window(hours: OfficeHours, at: datetime, *, holidays: bool = True) -> bool:
    """True when ``at`` (naive UTC or aware) falls inside the callback hours, and (unless
    ``holidays`` is False) not on a public holiday (:meth:`OfficeHours.open_at`, the rule the
    desk applies too)."""
    return hours.open_at(_aware(at), holidays=holidays)


def next_open(hours: OfficeHours, at: datetime, *, holidays: bool = True) -> datetime | None:
    """The first moment at or after ``at`` inside the callback hours (naive UTC); None when
    there is none within a year (the hours are 'closed')."""
    opens = hours.next_open(_aware(at), holidays=holidays)
    return clock.to_db(opens) if opens is not None else None


def window(settings: CallbackSettings, now: datetime) -> CallbackWindow:
    holidays = settings.exclude_holidays
    opens = next_open(settings.office_hours, now, holidays=holidays)
    return CallbackWindow(
        hours=settings.office_hours.describe(),
        holidays=holidays,
        open_now=in_window(settings.office_hours, now, holidays=holidays),
        next_open_at=clock.from_db(opens),
    )


# A callback kept for an agent comes before the whole pool (among such, the earliest due
# first): first in its agent's queue, and, once it goes to the pool overdue, in everyone's.
ASSIGNED_AHEAD = timedelta(days=3650)


def rank_at(
    waiting_since: datetime,
    tries: int,
    settings: CallbackSettings,
    *,
    due_at: datetime | None = None,
    assigned_to: int | None = None,
) -> datetime:
    """The queue's order: the oldest first, each try after the first moving it ahead; a
    callback kept for an agent before all of those. One column, so the claim reads the queue in
    its index's order instead of sorting it."""
    if assigned_to is not None and due_at is not None:
        return due_at - ASSIGNED_AHEAD
    return waiting_since - timedelta(minutes=settings.tries_boost_minutes * max(tries - 1, 0))


def _rank_of(row: Any, settings: CallbackSettings, **changed: Any) -> datetime:
    """``row``'s rank with ``changed`` columns applied."""
    value = {name: changed.get(name, getattr(row, name)) for name in (
        "waiting_since", "tries", "due_at", "assigned_to"
    )}  # fmt: skip
    return rank_at(
        value["waiting_since"],
        value["tries"],
        settings,
        due_at=value["due_at"],
        assigned_to=value["assigned_to"],
    )


# --- reading ------------------------------------------------------------------------------------


def lapsed(now: datetime) -> Any:
    """Claimed, but its lease ran out: back in the queue (not one held by its call)."""
    return and_(
        callbacks.c.status == "claimed",
        callbacks.c.call_id.is_(None),
        callbacks.c.lease_expires_at <= now,
    )


def held(now: datetime) -> Any:
    """Claimed and still held: by a lease, or by the call it was reached in."""
    return and_(
        callbacks.c.status == "claimed",
        or_(callbacks.c.call_id.is_not(None), callbacks.c.lease_expires_at > now),
    )


_MATCHED = (
    select(caller_phones.c.number, caller_phones.c.caller_id)
    .where(caller_phones.c.number.in_(bindparam("numbers", expanding=True)))
    .order_by(caller_phones.c.number, caller_phones.c.caller_id)
)


def matched_callers(connection: Connection, numbers: Iterable[str]) -> dict[str, list[int]]:
    """The callers who have each number among their phones, by id."""
    wanted = sorted(set(numbers))
    found: dict[str, list[int]] = defaultdict(list)
    for chunk in _chunks(wanted):
        for number, caller_id in connection.execute(_MATCHED, {"numbers": chunk}):
            found[number].append(int(caller_id))
    return dict(found)


def _caller_names(connection: Connection, ids: Iterable[int]) -> dict[int, str]:
    """First and last names of these callers, by id (for a queue on screen)."""
    found: dict[int, str] = {}
    for chunk in _chunks(sorted(ids)):
        query = select(callers.c.id, callers.c.first_name, callers.c.last_name).where(
            callers.c.id.in_(chunk)
        )
        for caller_id, first, last in connection.execute(query):
            found[int(caller_id)] = f"{first} {last}"
    return found


def _models(
    connection: Connection, rows: Sequence[Row], settings: CallbackSettings, now: datetime
) -> list[Callback]:
    if not rows:
        return []
    ids = [row.id for row in rows if row.attempt_count]
    attempts: dict[int, list[Row]] = defaultdict(list)
    for chunk in _chunks(ids):
        for attempt in connection.execute(
            select(callback_attempts)
            .where(callback_attempts.c.callback_id.in_(chunk))
            .order_by(callback_attempts.c.id)
        ):
            attempts[attempt.callback_id].append(attempt)
    names = agent_names(connection, {a.agent_id for found in attempts.values() for a in found})
    matched = matched_callers(connection, [row.number for row in rows])
    who = _caller_names(connection, {i for found in matched.values() for i in found})
    hours = settings.office_hours
    out = []
    for row in rows:
        active = row.status in ACTIVE
        in_call = row.status == "claimed" and row.call_id is not None
        leased = in_call or (row.status == "claimed" and row.lease_expires_at > now)
        status = CallbackStatus.OPEN if active and not leased else CallbackStatus(row.status)
        out.append(
            Callback(
                id=row.id,
                number=row.number,
                source=CallbackSource(row.source),
                status=status,
                result=CallbackResult(row.result) if row.result else None,
                note=row.note,
                caller_ids=matched.get(row.number, []),
                caller_names=[who.get(i, "") for i in matched.get(row.number, [])],
                caller_id=row.caller_id,
                origin_call_id=row.origin_call_id,
                created_at=clock.from_db(row.created_at),
                waiting_since=clock.from_db(row.waiting_since),
                tries=row.tries,
                last_tried_at=clock.from_db(row.last_tried_at),
                due_at=clock.from_db(row.due_at),
                callable_from=clock.from_db(
                    next_open(hours, max(row.due_at, now), holidays=settings.exclude_holidays)
                )
                if active
                else None,
                attempt_count=row.attempt_count,
                max_attempts=settings.max_attempts,
                assigned_to=row.assigned_to,
                claimed_by=row.claimed_by,
                claimed_at=clock.from_db(row.claimed_at),
                lease_expires_at=clock.from_db(row.lease_expires_at)
                if leased and not in_call
                else None,
                call_id=row.call_id,
                closed_at=clock.from_db(row.closed_at),
                attempts=[
                    CallbackAttempt(
                        id=a.id,
                        at=clock.from_db(a.at),
                        agent_id=a.agent_id,
                        agent_name=names.get(a.agent_id),
                        outcome=AttemptOutcome(a.outcome),
                        note=a.note,
                        call_id=a.call_id,
                    )
                    for a in attempts.get(row.id, [])
                ],
            )
        )
    return out


def get(
    connection: Connection, callback_id: int, settings: CallbackSettings, now: datetime
) -> Callback:
    row = connection.execute(select(callbacks).where(callbacks.c.id == callback_id)).first()
    if row is None:
        raise not_found("callback", callback_id)
    return _models(connection, [row], settings, now)[0]


def page(
    connection: Connection,
    settings: CallbackSettings,
    now: datetime,
    *,
    status: str | None,
    number: str | None = None,
    limit: int = 200,
) -> CallbackPage:
    """Callbacks by status: ``active`` (open and claimed, the default) in queue order, one
    status (a lapsed claim counts as open), or ``closed`` (done, failed, cancelled), newest
    first."""
    query = select(callbacks)
    chosen = status or "active"
    if chosen == "active":
        query = query.where(callbacks.c.status.in_(ACTIVE))
    elif chosen == "open":
        query = query.where(or_(callbacks.c.status == "open", lapsed(now)))
    elif chosen == "claimed":
        query = query.where(held(now))
    elif chosen == "closed":
        query = query.where(callbacks.c.status.notin_(ACTIVE))
    else:
        query = query.where(callbacks.c.status == chosen)
    if number is not None:
        try:
            query = query.where(callbacks.c.number == parse_phone(number))
        except InvalidValue as exc:
            raise unprocessable(exc.message, "number") from None
    if chosen in ("active", "open", "claimed"):
        query = query.order_by(callbacks.c.rank_at, callbacks.c.id)
    else:
        query = query.order_by(callbacks.c.closed_at.desc(), callbacks.c.id.desc())
    rows = connection.execute(query.limit(limit + 1)).all()
    return CallbackPage(
        callbacks=_models(connection, rows[:limit], settings, now),
        window=window(settings, now),
        more=len(rows) > limit,
    )


# --- the feed -----------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return clock.from_db(value).isoformat() if value is not None else None


def feed_data(row: Any) -> dict[str, Any]:
    """What a ``callback`` change carries: enough for a queue on screen to update in place."""
    return {
        "number": row.number,
        "status": row.status,
        "result": row.result,
        "source": row.source,
        "tries": row.tries,
        "attempt_count": row.attempt_count,
        "waiting_since": _iso(row.waiting_since),
        "due_at": _iso(row.due_at),
        "rank_at": _iso(row.rank_at),
        "assigned_to": row.assigned_to,
        "claimed_by": row.claimed_by,
        "lease_expires_at": _iso(row.lease_expires_at)
        if row.status == "claimed" and row.call_id is None
        else None,
        "call_id": row.call_id,
    }


def _record(connection: Connection, rows: Iterable[Any], op: str, agent_id: int | None) -> None:
    changes.record_many(
        connection, [(ENTITY, int(row.id), op, feed_data(row)) for row in rows], agent_id
    )


# --- opening and merging ------------------------------------------------------------------------


def one_of(connection: Connection, column: Any, values: list[Any]) -> Any:
    """``column IN (values)``: on PostgreSQL as ``= ANY(array)``, one parameter, so that a
    statement over hundreds of values is neither rendered nor parsed at that length."""
    if connection.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


def chunk_size(connection: Connection) -> int:
    return PG_CHUNK if connection.dialect.name == "postgresql" else CHUNK


def _chunks(values: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _number(text: str, field: str = "number") -> str:
    try:
        return parse_phone(text)
    except InvalidValue as exc:
        raise unprocessable(exc.message, field) from None


def _open_row(connection: Connection, number: str, *, lock: bool = False) -> Row | None:
    query = select(callbacks).where(callbacks.c.number == number, callbacks.c.status.in_(ACTIVE))
    if lock and connection.dialect.name == "postgresql":
        query = query.with_for_update()
    return connection.execute(query).first()


@dataclass(frozen=True)
class Request:
    """An agent's request for a callback (posted, or from a wrap-up's follow-up)."""

    number: str
    source: CallbackSource
    due_at: datetime
    note: str
    caller_id: int | None
    origin_call_id: int | None
    assigned_to: int | None


def _merge_note(old: str, new: str) -> str:
    if not new or new in old:
        return old
    merged = f"{old} · {new}" if old else new
    return merged[:NOTE_LENGTH]


def open_for(
    connection: Connection,
    agent: Agent,
    request: Request,
    settings: CallbackSettings,
    now: datetime,
) -> tuple[bool, int]:
    """Open a callback for an agent's request, or merge it into the number's open one (the
    request's due time and owner win, unless someone holds it; its note is added). Returns
    (created, id)."""
    for _attempt in range(2):
        existing = _open_row(connection, request.number, lock=True)
        if existing is None:
            try:
                with connection.begin_nested():
                    row = connection.execute(
                        insert(callbacks)
                        .values(
                            number=request.number,
                            source=request.source.value,
                            status="open",
                            note=request.note[:NOTE_LENGTH],
                            caller_id=request.caller_id,
                            origin_call_id=request.origin_call_id,
                            created_at=now,
                            created_by=agent.id,
                            waiting_since=now,
                            tries=0,
                            due_at=request.due_at,
                            rank_at=rank_at(
                                now,
                                0,
                                settings,
                                due_at=request.due_at,
                                assigned_to=request.assigned_to,
                            ),
                            assigned_to=request.assigned_to,
                        )
                        .returning(callbacks)
                    ).one()
            except IntegrityError:
                continue  # opened at this moment by another writer: merge into it
            _record(connection, [row], "created", agent.id)
            return True, row.id
        values: dict[str, Any] = {"note": _merge_note(existing.note, request.note)}
        if existing.status == "open":
            values |= {"due_at": request.due_at, "assigned_to": request.assigned_to}
            values["rank_at"] = _rank_of(existing, settings, **values)
        if request.caller_id is not None and existing.caller_id is None:
            values["caller_id"] = request.caller_id
        row = connection.execute(
            update(callbacks)
            .where(callbacks.c.id == existing.id)
            .values(**values)
            .returning(callbacks)
        ).one()
        _record(connection, [row], "updated", agent.id)
        return False, row.id
    raise conflict("callback_busy", "This number's callback is changing; try again.")


def create(
    connection: Connection,
    agent: Agent,
    payload: CallbackIn,
    settings: CallbackSettings,
    now: datetime,
) -> tuple[bool, Callback]:
    """``POST /v1/callbacks``: (created, the callback)."""
    due = clock.to_db(payload.due_at) if payload.due_at else now
    if due > now + timedelta(days=WINDOW_SEARCH_DAYS):
        raise unprocessable("A callback can be due at most a year ahead.", "due_at")
    if payload.caller_id is not None and not _exists(connection, callers.c.id, payload.caller_id):
        raise unprocessable(f"No caller {payload.caller_id}.", "caller_id", "caller_not_found")
    if payload.call_id is not None and not _exists(connection, calls.c.id, payload.call_id):
        raise unprocessable(f"No call {payload.call_id}.", "call_id", "call_not_found")
    request = Request(
        number=_number(payload.number),
        source=CallbackSource(payload.source),
        due_at=due,
        note=payload.note,
        caller_id=payload.caller_id,
        origin_call_id=payload.call_id,
        assigned_to=agent.id if payload.assign == "me" else None,
    )
    created, callback_id = open_for(connection, agent, request, settings, now)
    return created, get(connection, callback_id, settings, now)


def _exists(connection: Connection, column: Any, value: int) -> bool:
    return connection.execute(select(column).where(column == value)).first() is not None


def follow_up(
    connection: Connection,
    agent: Agent,
    call: Row,
    due_at: datetime,
    note: str,
    number: str | None,
    assign: str,
    settings: CallbackSettings,
) -> int | None:
    """A wrap-up's follow-up becomes a callback (kept for this agent unless ``assign`` is
    ``pool``) on ``number`` or else the call's caller's first phone; None when there is no
    number to call (the follow-up stays on the call)."""
    chosen = _number(number, "follow_up_number") if number else None
    if chosen is None and call.caller_id is not None:
        chosen = connection.execute(
            select(caller_phones.c.number)
            .where(caller_phones.c.caller_id == call.caller_id)
            .order_by(caller_phones.c.position)
            .limit(1)
        ).scalar()
    if chosen is None:
        return None
    request = Request(
        number=chosen,
        source=CallbackSource.AGENT_FOLLOW_UP,
        due_at=due_at,
        note=note,
        caller_id=call.caller_id,
        origin_call_id=call.id,
        assigned_to=agent.id if assign == "me" else None,
    )
    return open_for(connection, agent, request, settings, clock.now())[1]


# --- what the telephone system's calls decide ---------------------------------------------------


def _naive(value: datetime | str | None) -> datetime | None:
    return clock.to_db(clock.from_db(value)) if value is not None else None  # type: ignore[arg-type]


def caller_reached_us(
    connection: Connection, caller_id: int, at: datetime, agent_id: int | None
) -> int:
    """An inbound call in the console was matched to ``caller_id``: the open callbacks of that
    caller's numbers that were waiting by ``at`` are closed as ``reached_us``. Returns how many."""
    numbers = select(caller_phones.c.number).where(caller_phones.c.caller_id == caller_id)
    which = (
        callbacks.c.number.in_(numbers)
        & callbacks.c.status.in_(ACTIVE)
        & callbacks.c.call_id.is_(None)  # reached by an agent: its call's wrap-up closes it
        & (callbacks.c.waiting_since <= at)
    )
    return _close_done(connection, which, CallbackResult.REACHED_US, at, agent_id)


def call_closed(connection: Connection, call_id: int, at: datetime, agent_id: int | None) -> int:
    """The call a callback was reached in is closed (wrapped up by its agent, or by the
    service's sweep of abandoned calls): the callback is done, ``reached``, the call linked.
    Returns how many were closed (0 or 1)."""
    which = (callbacks.c.call_id == call_id) & (callbacks.c.status == "claimed")
    return _close_done(connection, which, CallbackResult.REACHED, at, agent_id)


def _close_done(
    connection: Connection,
    which: ColumnElement[bool],
    result: CallbackResult,
    at: datetime,
    agent_id: int | None,
) -> int:
    """Close the callbacks ``which`` picks as done with ``result``, each in the feed."""
    rows = connection.execute(
        update(callbacks)
        .where(which)
        .values(
            status=CallbackStatus.DONE.value,
            result=result.value,
            closed_at=at,
            lease_expires_at=None,
        )
        .returning(callbacks)
    ).all()
    _record(connection, rows, "closed", agent_id)
    return len(rows)
