"""Provisional ids and references: what the desk made while offline, mapped to the real ones.

Offline, a caller, a call, a booking, a hold or a report gets a negative id (the cache's
counter), and a booking a ``P-`` reference; the agent works with those until the replay has
sent the write that makes them. The replay then records the real id (``idmap`` in the cache),
and :class:`IdMap` answers with it from then on: a later queued write that names a provisional
id is sent with the real one, and a screen that still shows it finds the real record.
"""

from __future__ import annotations

import re

from console.client.cache import LocalCache
from console.domain.reference import PROVISIONAL_PREFIX, format_reference

# A provisional reference as the agent or the wrap-up form writes it: P-K7M4PXR, P-K7M 4PX R.
PROVISIONAL_IN_TEXT = re.compile(r"\bP-([0-9A-Z]{3}) ?([0-9A-Z]{3}) ?([0-9A-Z])\b")


class Unresolved(Exception):
    """A write refers to a provisional id (or reference) that has no real one yet."""

    def __init__(self, kind: str, local: int | str) -> None:
        super().__init__(f"{kind} {local}")
        self.kind = kind
        self.local = local


def is_provisional_id(value: int | None) -> bool:
    """True for the negative ids of what was made offline (callers, calls, bookings, …)."""
    return value is not None and value < 0


def is_provisional(reference: str) -> bool:
    """True for a booking reference made offline (``P-…``)."""
    return reference.upper().startswith(PROVISIONAL_PREFIX)


def references_in(text: str) -> list[str]:
    """The provisional references quoted in ``text``, as stored (``P-K7M4PXR``)."""
    return [PROVISIONAL_PREFIX + "".join(m.groups()) for m in PROVISIONAL_IN_TEXT.finditer(text)]


class IdMap:
    """Provisional ids and references → real ones, kept in the desk's cache (``idmap``)."""

    def __init__(self, cache: LocalCache) -> None:
        self.cache = cache

    def map(self, kind: str, local: int | str, real: int | str) -> None:
        """``local`` (a provisional ``kind``: caller, call, booking, reference, report) is
        ``real`` on the service."""
        self.cache.map_id(kind, local, real)

    def real_int(self, kind: str, value: int | None, *, strict: bool = False) -> int | None:
        """The real id of ``value`` (itself when it is real, or None). A provisional one not
        replayed yet: None, or :class:`Unresolved` when ``strict``."""
        if value is None or value > 0:
            return value
        real = self.cache.real_id(kind, value)
        if real is not None:
            return int(real)
        if strict:
            raise Unresolved(kind, value)
        return None

    def real_ref(self, reference: str, *, strict: bool = False) -> str | None:
        """The real reference of a booking (itself when it is real); as :meth:`real_int`."""
        if not is_provisional(reference):
            return reference
        real = self.cache.real_id("reference", reference.upper())
        if real is None and strict:
            raise Unresolved("reference", reference)
        return real

    def resolved(self, kind: str, value: int | None) -> tuple[bool, int | None]:
        """(known to the service, its real id — else the provisional one) for an id the desk
        passes in."""
        if value is None or value > 0:
            return True, value
        real = self.real_int(kind, value)
        return (real is not None), (real if real is not None else value)

    def confirmed_references(self, text: str) -> str:
        """``P-K7M 4PX R`` → ``A3C 9KM T (P-K7M 4PX R)`` for each provisional reference the
        service has confirmed; the others stay as written."""

        def confirmed(match: re.Match[str]) -> str:
            real = self.real_ref(PROVISIONAL_PREFIX + "".join(match.groups()))
            return f"{format_reference(real)} ({match.group(0)})" if real else match.group(0)

        return PROVISIONAL_IN_TEXT.sub(confirmed, text)
