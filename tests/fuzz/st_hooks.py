"""Schemathesis hooks for the central service: positive cases keep the rules the OpenAPI
document states in words but a JSON schema cannot.

Schemathesis draws a "positive" request from the schema alone: any integer for ``caller_id``,
any 8 visible characters for ``Idempotency-Key``, any 7 symbols for a booking reference. The
service refuses (422 naming the field; 410 for a cursor) those that break a documented rule no
schema can express: an id must name a record (``caller_id``, ``call_id`` or ``X-Call-Id`` a
call of this agent's, ``referred_provider_id`` a doctor), a key is used for one request only,
a reference's last symbol is its check symbol, an EMŠO has its check digit, a call ends after
it started and not in the future (an attempt within the last week, a callback due within a
year), a time falls in the years 2000-2099, a window's ``to`` is after its ``from``, a feed
cursor is one the feed gave (not past its end), a phone number is one, messages by SMS or
e-mail need a mobile or an address on the card, a desk away says why with one of the configured
reasons (and no reason otherwise), a call and a service go only with a call's states, a
``service_id`` names a service, a provisional reference has its check symbol, a
call sent after the fact started within the last week. Before a request
goes out, this hook makes each *positive* part of it keep those rules, using the records of
the world the test built (``AGENT_CONSOLE_FUZZ_WORLD``). Negative parts are left exactly as
drawn: the service must refuse them. Everything else (types, lengths, patterns, ranges,
required and unknown properties) is tested as drawn.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from collections.abc import MutableMapping
from datetime import UTC, date, datetime
from typing import Any

import schemathesis

from console.domain.emso import generate_emso
from console.domain.models import EARLIEST, LATEST
from console.domain.reference import new_reference

WORLD: dict[str, Any] = json.loads(os.environ.get("AGENT_CONSOLE_FUZZ_WORLD", "{}"))
_random = random.Random(2026)

PHONES = ["041 234 567", "+386 1 234 56 78", "031555111", "+38640111222"]

# Values that satisfy the validators: EMŠO with its check digit, phones, ZZZS numbers, e-mail.
VALID_CALLER_FIELDS = {
    "emso": [
        *(generate_emso(date(1950 + n, 1 + n % 12, 1 + n), "F", _random) for n in range(5)),
        None,
    ],
    "phones": [["041 234 567"], ["+386 1 234 56 78", "031555111"], []],
    "zzzs_number": ["123456789", "987654321", None],
    "email": ["ana.kos@example.si", None],
}


def _positive(case: Any, location: str) -> bool:
    meta = case.meta
    if meta is None:
        return False
    for place, component in meta.components.items():
        if getattr(place, "value", str(place)).lower() == location:
            return not component.mode.is_negative
    return True  # a location the case did not generate is as the schema says


def _ids(name: str) -> list[int]:
    return list(WORLD.get(name, []))


AWAY_REASONS = ["break", "lunch", "meeting", "training"]  # [floor] away_reasons' defaults
CALL_STATES = {"on_call", "after_call_work"}

PATH_POOLS = {"caller_id": "callers", "call_id": "calls", "provider_id": "doctors"}


def _in_calendar(text: Any) -> Any:
    """A time drawn outside the years 2000 to 2099 moved into them (the same moment of the
    year 2050): the service's calendar, which the schema states only in words."""
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return text
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if EARLIEST <= aware < LATEST:
        return text
    try:
        return moment.replace(year=2050).isoformat()
    except ValueError:  # 29 February
        return moment.replace(year=2048).isoformat()


def _window_in_order(query: MutableMapping[str, Any]) -> None:
    """``to`` after ``from`` (by default now): swap them when drawn the other way round."""
    if "to" not in query:
        return
    try:
        end = datetime.fromisoformat(str(query["to"]))
        start = datetime.fromisoformat(str(query["from"])) if "from" in query else datetime.now(UTC)
    except ValueError:
        return
    if "from" not in query:
        if (end if end.tzinfo else end.replace(tzinfo=UTC)) <= start:
            del query["to"]
        return
    aware = [t if t.tzinfo else t.replace(tzinfo=UTC) for t in (start, end)]
    if aware[1] > aware[0]:
        return
    if aware[1] == aware[0]:
        del query["to"]
    else:
        query["from"], query["to"] = query["to"], query["from"]


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    path = case.operation.path
    if _positive(case, "header") and isinstance(case.headers, MutableMapping):
        for name in list(case.headers):
            lowered = name.lower()
            if lowered == "idempotency-key":
                case.headers[name] = f"fuzz-{uuid.uuid4().hex}"
            elif lowered == "x-call-id":
                case.headers[name] = str(_random.choice(_ids("calls")))
    parameters = case.path_parameters
    if _positive(case, "path") and isinstance(parameters, MutableMapping):
        if "reference" in parameters:
            parameters["reference"] = _random.choice(
                [*WORLD.get("references", []), new_reference(_random)]
            )
        for name, value in parameters.items():
            # The stateful phase may follow a link from a null (a call without a caller).
            if value is None:
                parameters[name] = _random.choice(_ids(PATH_POOLS.get(name, "callers")))
    query = case.query if isinstance(case.query, MutableMapping) else None
    if query is not None and _positive(case, "query"):
        if "since" in query:
            # A cursor is a sequence number the feed gave: not past its end (410 resync).
            query["since"] = _random.randint(0, WORLD.get("last_seq", 0))
        if "number" in query:
            query["number"] = _random.choice(PHONES)  # a number the validators accept
        if path == "/v1/slots":
            for name in ("from", "to"):
                if name in query:
                    query[name] = _in_calendar(query[name])
            _window_in_order(query)
    body = case.body
    if not _positive(case, "body") or not isinstance(body, dict):
        return
    for field, pool in (
        ("caller_id", "callers"),
        ("call_id", "calls"),
        ("referred_provider_id", "doctors"),
    ):
        if body.get(field) is not None:
            body[field] = _random.choice(_ids(pool))
    if path.startswith("/v1/callers"):
        for field, choices in VALID_CALLER_FIELDS.items():
            if field in body:
                body[field] = _random.choice(choices)
        if body.get("message_channel") in ("sms", "email"):
            # By SMS needs a mobile on the card, by e-mail an address: the card's state.
            body["message_channel"] = "none"
    if path.startswith(("/v1/callbacks", "/v1/telephony")):
        if body.get("number") not in (None, "", "anonymous"):
            body["number"] = _random.choice(PHONES)
        # An attempt is within the last week and not ahead; a callback due within a year.
        body.pop("at", None)
        body.pop("due_at", None)
    if path == "/v1/desk/state" and isinstance(body.get("state"), str):
        if body["state"] == "away":
            body["reason"] = _random.choice(AWAY_REASONS)
        else:
            body.pop("reason", None)
        if body["state"] not in CALL_STATES:
            body.pop("call_id", None)
            body.pop("service_id", None)
        elif body.get("service_id") is not None:
            body["service_id"] = _random.choice(_ids("services"))
    if "provisional_reference" in body and body["provisional_reference"] is not None:
        # A provisional reference (P- and a reference whose last symbol is its check symbol),
        # one per booking: a new one each time.
        body["provisional_reference"] = f"P-{new_reference(_random)}"
    if path == "/v1/calls":
        # A call's own start and end (a desk's, sent after the fact) are within the last week.
        body.pop("started_at", None)
        body.pop("ended_at", None)
    if path.endswith("/wrapup"):
        # A call's end and follow-up relate to when it started and to now: the service's clock.
        body.pop("ended_at", None)
        body.pop("follow_up_at", None)
