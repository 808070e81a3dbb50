"""Callers this desk has opened or created recently (at most ``caller_limit``, the least
recently touched dropped first: personal data stays central), and their search offline, read
the way the central service reads a query."""

from __future__ import annotations

import re

from console.client.cache.meta import MetaRows
from console.client.cache.values import as_json, ts, utcnow
from console.domain.models import Caller, CallerSummary
from console.domain.query import MIN_QUERY_LENGTH, find_callers
from console.domain.text import fold

DEFAULT_CALLER_LIMIT = 500
_WORD = re.compile(r"[a-z0-9]+")


def _name_words(last_name: str, first_name: str) -> str:
    """A caller's name as the cache searches it: its words folded, each after a space, so a
    word after a hyphen or an apostrophe (Novak-Kos, D'Amico) starts a word, as on the central
    service."""
    return "".join(f" {word}" for word in _WORD.findall(fold(f"{last_name} {first_name}")))


# The callers each kind of lookup finds by its value (see console.domain.query.find_callers).
_HITS = {
    "reference": "SELECT caller_id FROM bookings WHERE reference = ?",
    # A booking made offline (its reference), or the confirmed one that keeps it as an alias.
    "provisional": "SELECT caller_id FROM bookings WHERE reference = ?1 "
    "OR json_extract(json, '$.provisional_reference') = ?1",
    "emso": "SELECT id FROM callers WHERE emso = ?",
    "zzzs": "SELECT id FROM callers WHERE zzzs_number = ?",
}


def _after(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


class CallerRows(MetaRows):
    """Callers this desk opened or created, at most ``caller_limit``, and their search."""

    caller_limit: int

    def _upgrade_rows(self) -> None:
        super()._upgrade_rows()
        self._respell_names()

    def _respell_names(self) -> None:
        """Callers cached before names were kept as words (``Novak-Kos`` as `` novak-kos``):
        spelled as :func:`_name_words` spells them, so a word after a hyphen is found."""
        rows = self.db.execute(
            "SELECT id, name_folded FROM callers WHERE name_folded GLOB '*[^ a-z0-9]*'"
        ).fetchall()
        if rows:
            with self.transaction():
                for caller_id, folded in rows:
                    words = "".join(f" {word}" for word in _WORD.findall(folded))
                    self.db.execute(
                        "UPDATE callers SET name_folded = ? WHERE id = ?", [words, caller_id]
                    )

    def put_caller(self, caller: Caller, *, provisional: bool = False) -> None:
        """Remember a caller this desk opened or created; the oldest beyond the limit go."""
        with self.transaction():
            self._upsert(
                "callers",
                [
                    {
                        "id": caller.id,
                        "name_folded": _name_words(caller.last_name, caller.first_name),
                        "emso": caller.emso,
                        "zzzs_number": caller.zzzs_number,
                        "provisional": int(provisional),
                        "stale": 0,
                        "touched_at": ts(utcnow()),
                        "json": as_json(caller),
                    }
                ],
            )
            self.db.execute("DELETE FROM caller_phones WHERE caller_id = ?", (caller.id,))
            self._upsert(
                "caller_phones",
                ({"caller_id": caller.id, "number": p.number} for p in caller.phones),
                ("caller_id", "number"),
                ignore=True,
            )
            self.prune_callers()

    def caller(self, caller_id: int) -> Caller | None:
        row = self._one("SELECT json FROM callers WHERE id = ?", (caller_id,))
        return Caller.model_validate_json(row["json"]) if row else None

    def is_stale(self, caller_id: int) -> bool:
        row = self._one("SELECT stale FROM callers WHERE id = ?", (caller_id,))
        return bool(row and row["stale"])

    def mark_caller_stale(self, caller_id: int) -> None:
        """Another desk changed this caller: the copy here may be out of date."""
        self.db.execute("UPDATE callers SET stale = 1 WHERE id = ?", (caller_id,))

    def mark_all_callers_stale(self) -> list[int]:
        """Every caller the service knows may have changed unseen (a resync): mark them all;
        their ids."""
        with self.transaction():
            self.db.execute("UPDATE callers SET stale = 1 WHERE provisional = 0")
            return self._ids("SELECT id FROM callers WHERE provisional = 0 ORDER BY id", ())

    def has_caller(self, caller_id: int) -> bool:
        return self._one("SELECT 1 FROM callers WHERE id = ?", (caller_id,)) is not None

    def callers_with(self, *, emso: str | None = None, zzzs: str | None = None) -> list[Caller]:
        column, value = ("emso", emso) if emso else ("zzzs_number", zzzs)
        if not value:
            return []
        rows = self._rows(f"SELECT json FROM callers WHERE {column} = ?", (value,))
        return [Caller.model_validate_json(r["json"]) for r in rows]

    def caller_count(self) -> int:
        row = self._one("SELECT count(*) AS n FROM callers")
        return int(row["n"]) if row else 0

    def prune_callers(self, limit: int | None = None) -> int:
        """Keep the ``limit`` most recently touched callers (provisional ones always stay),
        and drop the bookings and calls of the others that this desk's agent did not make."""
        limit = self.caller_limit if limit is None else limit
        agent = self.agent()
        me = agent.id if agent else -1
        with self.transaction():
            doomed = [
                row["id"]
                for row in self._rows(
                    "SELECT id FROM callers WHERE provisional = 0 "
                    "ORDER BY touched_at DESC, id DESC LIMIT -1 OFFSET ?",
                    (limit,),
                )
            ]
            if not doomed:
                return 0
            marks = ",".join("?" * len(doomed))
            self.db.execute(f"DELETE FROM callers WHERE id IN ({marks})", doomed)
            self.db.execute(f"DELETE FROM caller_phones WHERE caller_id IN ({marks})", doomed)
            self.db.execute(
                f"DELETE FROM bookings WHERE caller_id IN ({marks}) "
                "AND provisional = 0 AND created_by != ?",
                [*doomed, me],
            )
            self.db.execute(
                f"DELETE FROM calls WHERE caller_id IN ({marks}) "
                "AND provisional = 0 AND agent_id != ?",
                [*doomed, me],
            )
        return len(doomed)

    def remove_caller(self, caller_id: int) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM callers WHERE id = ?", (caller_id,))
            self.db.execute("DELETE FROM caller_phones WHERE caller_id = ?", (caller_id,))

    def search_callers(self, query: str, limit: int = 20) -> tuple[str, list[CallerSummary], bool]:
        """Search the cached callers only, read the way the central service reads a query.

        Returns how the query was read, the callers sorted by name, and whether there were
        more than ``limit``.
        """
        text = query.strip()

        def lookup(kind: str, value: str) -> tuple[list[CallerSummary], bool]:
            if kind == "name":
                return self._search_names(value, limit)
            if kind == "phone":
                ids = self._ids(
                    "SELECT DISTINCT caller_id FROM caller_phones WHERE number >= ? AND number < ?",
                    (value, _after(value)),
                )
                found = self._summaries(ids, kind, limit + 1)
                return found[:limit], len(found) > limit
            ids = self._ids(_HITS[kind], (value,))
            matched = "reference" if kind == "provisional" else kind
            return self._summaries(ids, matched, limit), False

        return find_callers(text, lookup)

    def _search_names(self, text: str, limit: int) -> tuple[list[CallerSummary], bool]:
        """Cached callers with a name word starting with every word of ``text``, sorted by name,
        and whether there were more than ``limit``."""
        words = _WORD.findall(fold(text))[:4]
        if not words or sum(len(w) for w in words) < MIN_QUERY_LENGTH:
            return [], False
        # Every word of the query starts a word of the name (words are [a-z0-9]: no escaping;
        # name_folded is its words, each after a space: see _name_words).
        conditions = " AND ".join("name_folded LIKE ?" for _ in words)
        ids = self._ids(
            f"SELECT id FROM callers WHERE {conditions}", tuple(f"% {w}%" for w in words)
        )
        found = self._summaries(ids, "name", limit + 1)
        return found[:limit], len(found) > limit

    def _ids(self, sql: str, params: tuple) -> list[int]:
        return [next(iter(row.values())) for row in self._rows(sql, params)]

    def _summaries(self, ids: list[int], kind: str, limit: int) -> list[CallerSummary]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self._rows(
            f"SELECT json FROM callers WHERE id IN ({marks}) ORDER BY name_folded, id LIMIT ?",
            (*ids, limit),
        )
        summaries = []
        for row in rows:
            caller = Caller.model_validate_json(row["json"])
            summaries.append(
                CallerSummary(
                    id=caller.id,
                    first_name=caller.first_name,
                    last_name=caller.last_name,
                    birth_date=caller.birth_date,
                    phones=[p.number for p in caller.phones],
                    emso=caller.emso,
                    zzzs_number=caller.zzzs_number,
                    matched_on=kind,
                )
            )
        return summaries
