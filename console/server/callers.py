"""Callers: search by name, phone, EMŠO, ZZZS number or booking reference; create; update."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import date
from typing import cast

from sqlalchemy import (
    Connection,
    TextClause,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from console.domain.caller_fields import clean_caller_fields
from console.domain.models import Agent, Caller, CallerIn, CallerPatch, CallerSummary, Phone
from console.domain.phone import is_mobile
from console.domain.query import MIN_QUERY_LENGTH, find_callers
from console.domain.text import fold
from console.server import audit, changes, clock
from console.server.errors import ApiProblem, conflict, not_found, unprocessable
from console.server.messages import contact
from console.server.schema import caller_phones, callers

_WORD = re.compile(r"[a-z0-9]+")


def search(
    connection: Connection, query: str, limit: int = 20
) -> tuple[str, list[CallerSummary], bool]:
    """Read ``query`` (see :func:`~console.domain.query.find_callers`) and find up to ``limit``
    callers.

    Returns how the query was read, the callers sorted by name, and whether there were more.
    """

    def lookup(kind: str, value: str) -> tuple[list[CallerSummary], bool]:
        if kind == "name":
            ids = _search_names(connection, value, limit + 1)
            return _name_page(connection, ids, limit), len(ids) > limit
        if kind == "phone":
            hits = {"low": value, "high": _after(value), "hits": limit + 1}
            found = _page(connection, kind, hits, limit + 1)
            return found[:limit], len(found) > limit
        return _page(connection, kind, {"value": value}, limit), False

    return find_callers(query, lookup)


# The callers each kind of query finds (at most one for an EMŠO, a ZZZS number or a reference;
# a provisional reference is the alias of one booking, rarely of two).
_HITS = {
    "reference": "SELECT caller_id FROM bookings WHERE reference = :value",
    "provisional": "SELECT caller_id FROM bookings WHERE provisional_reference = :value",
    "emso": "SELECT id FROM callers WHERE emso = :value",
    "zzzs": "SELECT id FROM callers WHERE zzzs_number = :value",
    "phone": "SELECT caller_id FROM caller_phones WHERE number >= :low AND number < :high "
    "LIMIT :hits",
}
# A page of callers sorted by name with their phones, in one statement.
_PAGE = (
    "SELECT c.id, c.first_name, c.last_name, c.birth_date, c.emso, c.zzzs_number, p.number "
    "FROM (SELECT id, first_name, last_name, birth_date, emso, zzzs_number, name_folded "
    "FROM callers WHERE id IN ({hits}) ORDER BY name_folded, id LIMIT :limit) c "
    "LEFT JOIN caller_phones p ON p.caller_id = c.id "
    "ORDER BY c.name_folded, c.id, p.position"
)
_PAGES = {kind: text(_PAGE.format(hits=hits)) for kind, hits in _HITS.items()}
_PAGES["name"] = text(_PAGE.replace("IN ({hits})", "IN :ids")).bindparams(
    bindparam("ids", expanding=True)
)


def _name_page(connection: Connection, ids: list[int], limit: int) -> list[CallerSummary]:
    """The first ``limit`` of ``ids`` (the name index's matches in id order), sorted by name."""
    if not ids:
        return []
    return _page(connection, "name", {"ids": ids[:limit]}, limit)


def _page(connection: Connection, kind: str, params: dict, limit: int) -> list[CallerSummary]:
    """Up to ``limit`` callers that a ``kind`` query finds, sorted by name, phones in order.

    Built without validation (``model_construct``): every value comes from the database's own
    checked columns, and the answer is serialised straight from these objects.
    """
    found: list[CallerSummary] = []
    last_id = None
    for row in connection.execute(_PAGES[kind], {**params, "limit": limit}):
        if row.id != last_id:
            last_id = row.id
            phones: list[str] = []
            found.append(
                CallerSummary.model_construct(
                    id=row.id,
                    first_name=row.first_name,
                    last_name=row.last_name,
                    birth_date=_iso(row.birth_date),
                    phones=phones,
                    emso=row.emso,
                    zzzs_number=row.zzzs_number,
                    matched_on="reference" if kind == "provisional" else kind,
                )
            )
        if row.number is not None:
            phones.append(row.number)
    return found


def _after(prefix: str) -> str:
    """The smallest string greater than every string that starts with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _search_names(connection: Connection, query: str, limit: int) -> list[int]:
    """Ids of up to ``limit`` callers whose name words start with every word of ``query``.

    Matches come in id order, which the index can deliver without looking at every match:
    a bare ``novak`` matches tens of thousands of people, and ranking them all by name would
    cost more than the agent gains (they type a given name next). The caller sorts the page.
    """
    words = _WORD.findall(fold(query))
    if not words or sum(len(w) for w in words) < MIN_QUERY_LENGTH:
        return []
    words = words[:4]
    if connection.dialect.name == "sqlite":
        return _search_names_sqlite(connection, words, limit)
    return _search_names_pg(connection, words, limit)


def _search_names_sqlite(connection: Connection, words: list[str], limit: int) -> list[int]:
    """FTS5 finds the callers whose name words start with the query's words, in id order.

    A one-letter word (``novak m``, typed on the way to ``novak marija``) has no prefix index
    (``search_index.SQLITE_FTS``: 2 to 4 letters), so FTS5 would merge the lists of every
    word starting with that letter: 20-40 ms on 2.1M callers. When the query has longer words,
    FTS5 looks those up and the one-letter words are tested on each match's name instead, in
    id order until the page is full: ~1 ms, the same callers.
    """
    longer = [word for word in words if len(word) > 1]
    letters = [word for word in words if len(word) == 1]
    params: dict[str, object] = {
        "match": " ".join(f'"{word}"*' for word in longer or words),
        "limit": limit,
    }
    if not (longer and letters):  # FTS5 alone
        statement = (
            "SELECT rowid FROM callers_fts WHERE callers_fts MATCH :match "
            "ORDER BY rowid LIMIT :limit"
        )
    else:
        conditions = ""
        for number, letter in enumerate(letters):  # a word start: after a separator or the start
            params[f"start{number}"] = f"*[^a-z0-9]{letter}*"
            conditions += f" AND (' ' || c.name_folded) GLOB :start{number}"
        statement = (
            "SELECT f.rowid FROM callers_fts f JOIN callers c ON c.id = f.rowid "
            f"WHERE callers_fts MATCH :match{conditions} ORDER BY f.rowid LIMIT :limit"
        )
    return [row[0] for row in connection.execute(text(statement), params)]


# How many callers, in id order, the PostgreSQL name search tests one by one before it asks
# the word index (``search_index``) for the rest; none by default: the index gives its matches
# in id order, like FTS5. The two give the same page (see the tests).
PG_SCAN_FIRST = 0
# A query word that starts more distinct words than this is tested on each candidate's name
# instead of merging that many lists; if every word does, the callers are read in id order.
PG_MAX_EXPANSION = 64
# How many query words are looked up in the word lists (the rest are tested on each name).
PG_LISTED_WORDS = 2


# The callers in id order, walked along the primary key: "OFFSET 0" keeps the planner from
# merging the word tests into this query and choosing an index that gives no order.
_IN_ID_ORDER = "SELECT id, name_folded FROM callers"
_FENCE = "ORDER BY id OFFSET 0"


def _search_names_pg(connection: Connection, words: list[str], limit: int) -> list[int]:
    """The first ``limit`` matches by id on PostgreSQL, as FTS5 finds them on SQLite.

    Each query word stands for the distinct name words it starts (``caller_word_list``, a
    range of its primary key); each of those words has its callers in id order
    (``caller_words``). The lists of the query words that start the fewest words are read
    for a first range of ids only (:data:`PG_FIRST_SPAN`) and intersected there, the other
    query words tested on those callers' names; the next, longer range only if the page is
    not full. So ``novak`` or ``kova jan`` read a few thousand list entries, not every Novak;
    a query word that starts no word at all ends the search at once. (The planner would not
    merge the lists in id order itself: it reads and sorts them whole.)
    """
    params: dict[str, object] = {"limit": limit, "bound": 0}
    tests = []
    for number, word in enumerate(words):  # words are [a-z0-9]+: nothing to escape
        params[f"inner{number}"] = f"%{word}%"
        params[f"start{number}"] = f"(^|[^a-z0-9]){word}"
        tests.append(f"name_folded LIKE :inner{number} AND name_folded ~ :start{number}")
    ids: list[int] = []
    if PG_SCAN_FIRST > 0:
        bound = connection.execute(_pg_statement("SELECT min(id) FROM callers")).scalar()
        if bound is None:
            return []
        params["bound"] = bound + PG_SCAN_FIRST
        ids = _scan_in_id_order(connection, " AND ".join(tests), params, "id < :bound")
        if len(ids) >= limit:
            return ids
        params["limit"] = limit - len(ids)
    expansions = _expand(connection, words)
    if any(not found for found in expansions):
        return ids
    # The lists of the (at most two) query words that start the fewest distinct words are
    # intersected; the other query words are tested on the names of the callers in both.
    merged = sorted(
        (n for n, found in enumerate(expansions) if len(found) <= PG_MAX_EXPANSION),
        key=lambda n: len(expansions[n]),
    )[:PG_LISTED_WORDS]
    if not merged:
        rest = _scan_in_id_order(connection, " AND ".join(tests), params, "id >= :bound")
        return ids + rest
    others = " AND ".join(tests[n] for n in range(len(words)) if n not in merged)
    last = connection.execute(_pg_statement("SELECT max(id) FROM callers")).scalar()
    if last is None:
        return ids
    listed = {f"words{n}": expansions[m] for n, m in enumerate(merged)}
    in_every_list = _PG_IN_EVERY_LIST[len(merged)]
    low, span = cast(int, params["bound"]) - 1, PG_FIRST_SPAN
    while len(ids) < limit and low < last:
        # The callers with an id in (low, low + span] on every query word's lists.
        high = low + span
        matches = [
            row[0]
            for row in connection.execute(
                in_every_list,
                {**listed, "low": low, "high": high, "limit": None if others else limit - len(ids)},
            )
        ]
        if matches and others:
            matches = [
                row[0]
                for row in connection.execute(
                    _pg_statement(
                        f"SELECT id FROM callers WHERE id = ANY(:ids) AND {others} ORDER BY id"
                    ),
                    {**params, "ids": matches},
                )
            ]
        ids += matches[: limit - len(ids)]
        # The next range: long enough for the rest of the page at the rate this one had
        # (half again for luck), at least twice as long; sixteen times if it had none.
        wanted = span * (limit - len(ids)) * 3 // (2 * len(matches)) if matches else span * 16
        low, span = high, max(wanted, span * 2)
    return ids


# The callers in a range of ids found in the lists of every query word: each list is read
# along the primary key (word, caller_id) for that range only.
_PG_LIST = (
    "SELECT caller_id FROM caller_words WHERE word = ANY(CAST(:words{n} AS text[])) "
    "AND caller_id > :low AND caller_id <= :high"
)
_PG_IN_EVERY_LIST = {
    1: text(f"SELECT DISTINCT caller_id FROM ({_PG_LIST.format(n=0)}) l ORDER BY 1 LIMIT :limit"),
    2: text(f"{_PG_LIST.format(n=0)} INTERSECT {_PG_LIST.format(n=1)} ORDER BY 1 LIMIT :limit"),
}
# The first range of ids read (a few per cent of the register); the next ranges are as long
# as the matches found so far suggest, so a rare combination costs a few statements at most.
PG_FIRST_SPAN = 50_000


def _expand(connection: Connection, words: list[str]) -> list[list[str]]:
    """For each query word, the distinct name words it starts (up to one over the limit)."""
    params: dict[str, object] = {"most": PG_MAX_EXPANSION + 1}
    parts = []
    for number, word in enumerate(words):
        params[f"low{number}"] = word
        params[f"high{number}"] = _after(word)
        parts.append(
            f"(SELECT {number}, word FROM caller_word_list "
            f"WHERE word >= :low{number} AND word < :high{number} ORDER BY word LIMIT :most)"
        )
    found: list[list[str]] = [[] for _ in words]
    for number, word in connection.execute(_pg_statement(" UNION ALL ".join(parts)), params):
        found[number].append(word)
    return found


def _scan_in_id_order(connection: Connection, test: str, params: dict, where: str) -> list[int]:
    rows = connection.execute(
        _pg_statement(
            f"SELECT id FROM ({_IN_ID_ORDER} WHERE {where} {_FENCE}) c "
            f"WHERE {test} ORDER BY id LIMIT :limit"
        ),
        params,
    )
    return [row[0] for row in rows]


_PG_STATEMENTS: dict[str, TextClause] = {}


def _pg_statement(sql: str) -> TextClause:
    """``text(sql)``, built once per distinct statement (one per number of words)."""
    statement = _PG_STATEMENTS.get(sql)
    if statement is None:
        statement = _PG_STATEMENTS[sql] = text(sql)
    return statement


def _iso(value: date | str | None) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else value.isoformat()


def _phones_of(connection: Connection, caller_ids: list[int]) -> dict[int, list[Phone]]:
    found: dict[int, list[Phone]] = defaultdict(list)
    if not caller_ids:
        return found
    rows = connection.execute(
        select(caller_phones)
        .where(caller_phones.c.caller_id.in_(caller_ids))
        .order_by(caller_phones.c.caller_id, caller_phones.c.position)
    )
    for row in rows:
        found[row.caller_id].append(Phone(number=row.number, label=row.label))
    return found


def get(connection: Connection, caller_id: int) -> Caller:
    row = connection.execute(select(callers).where(callers.c.id == caller_id)).first()
    if row is None:
        raise not_found("caller", caller_id)
    phones = _phones_of(connection, [row.id]).get(row.id, [])
    return Caller(
        id=row.id,
        first_name=row.first_name,
        last_name=row.last_name,
        phones=phones,
        emso=row.emso,
        zzzs_number=row.zzzs_number,
        email=row.email,
        language=row.language,
        notes=row.notes,
        flags=json.loads(row.flags),
        birth_date=_iso(row.birth_date),
        created_at=clock.from_db(row.created_at),
        updated_at=clock.from_db(row.updated_at),
        message_channel=row.message_channel,
        message_consent=row.message_consent,
        message_consent_at=clock.from_db(row.message_consent_at),
        message_address=contact.address_of(row, phones),
    )


def exists(connection: Connection, caller_id: int) -> bool:
    return (
        connection.execute(select(callers.c.id).where(callers.c.id == caller_id)).first()
        is not None
    )


def name_folded(first_name: str, last_name: str) -> str:
    return fold(f"{last_name} {first_name}")


def _clean_fields(values: dict) -> dict:
    """Validate and normalise what a form sent (see :func:`clean_caller_fields`), flags as the
    JSON the column holds; raise InvalidValue naming the API's field."""
    cleaned = clean_caller_fields(values)
    if cleaned.get("flags") is not None:
        cleaned["flags"] = json.dumps(cleaned["flags"])
    if cleaned.get("message_channel") is not None:
        channel = cleaned["message_channel"]
        cleaned["message_channel"] = str(getattr(channel, "value", channel))
    return cleaned


def _write_phones(connection: Connection, caller_id: int, numbers: list[str]) -> None:
    connection.execute(delete(caller_phones).where(caller_phones.c.caller_id == caller_id))
    if numbers:
        connection.execute(
            insert(caller_phones),
            [
                {
                    "caller_id": caller_id,
                    "number": number,
                    "label": "mobile" if is_mobile(number) else "landline",
                    "position": position,
                }
                for position, number in enumerate(numbers)
            ],
        )


def _duplicate(connection: Connection, values: dict, exclude_id: int | None = None) -> None:
    for name, label in (("emso", "EMŠO"), ("zzzs_number", "ZZZS number")):
        value = values.get(name)
        if not value:
            continue
        query = select(callers.c.id).where(callers.c[name] == value)
        if exclude_id is not None:
            query = query.where(callers.c.id != exclude_id)
        other = connection.execute(query).scalar()
        if other is not None:
            raise ApiProblem(
                409,
                "caller_exists",
                f"Caller {other} already has this {label}; open that record.",
                field=name,
            )


def create(
    connection: Connection, agent: Agent, payload: CallerIn, call_id: int | None = None
) -> int:
    values = _clean_fields(payload.model_dump())
    _duplicate(connection, values)
    contact.check_channel(values["message_channel"], values.get("email"), values["phones"])
    phones = values.pop("phones")
    now = clock.now()
    if values["message_consent"]:
        values["message_consent_at"] = now
    values.update(
        name_folded=name_folded(values["first_name"], values["last_name"]),
        created_at=now,
        updated_at=now,
    )
    try:
        caller_id = connection.execute(
            insert(callers).values(**values).returning(callers.c.id)
        ).scalar_one()
    except IntegrityError:
        raise conflict("caller_exists", "A caller with this EMŠO or ZZZS number exists.") from None
    _write_phones(connection, caller_id, phones)
    audit.record(
        connection, agent, "create", "caller", caller_id, caller_id=caller_id, call_id=call_id
    )
    changes.record(connection, "caller", caller_id, "created", agent.id)
    return caller_id


def patch(
    connection: Connection,
    agent: Agent,
    caller_id: int,
    payload: CallerPatch,
    call_id: int | None = None,
) -> list[str]:
    """Apply the fields that were sent; return the names of the fields that changed."""
    sent = payload.model_dump(exclude_unset=True)
    if not sent:
        raise unprocessable("Nothing to change: send at least one field.", "body")
    current = get(connection, caller_id)
    values = _clean_fields(sent)
    _duplicate(connection, values, exclude_id=caller_id)
    if {"message_channel", "email", "phones"} & values.keys():
        contact.check_channel(
            values.get("message_channel") or current.message_channel,
            values.get("email", current.email),
            values["phones"]
            if values.get("phones") is not None
            else [phone.number for phone in current.phones],
        )
    if values.get("message_consent") is None:
        values.pop("message_consent", None)
    elif values["message_consent"] != current.message_consent:
        values["message_consent_at"] = clock.now()
    if values.get("message_channel", "") is None:
        values.pop("message_channel")
    phones = values.pop("phones", None)
    if phones is not None:
        _write_phones(connection, caller_id, phones)
    first = values.get("first_name", current.first_name)
    last = values.get("last_name", current.last_name)
    values["name_folded"] = name_folded(first, last)
    values["updated_at"] = clock.now()
    try:
        connection.execute(update(callers).where(callers.c.id == caller_id).values(**values))
    except IntegrityError:
        # Another caller took this EMŠO or ZZZS number since _duplicate looked (a race): the
        # database's unique index decides, and the answer is the same as _duplicate's.
        raise conflict("caller_exists", "A caller with this EMŠO or ZZZS number exists.") from None
    fields = sorted(sent)
    audit.record(
        connection,
        agent,
        "update",
        "caller",
        caller_id,
        caller_id=caller_id,
        call_id=call_id,
        detail=",".join(fields),
    )
    changes.record(connection, "caller", caller_id, "updated", agent.id, {"fields": fields})
    return fields


def count(connection: Connection) -> int:
    return connection.execute(select(func.count()).select_from(callers)).scalar_one()
