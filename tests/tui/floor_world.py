"""A known morning on the floor, for the floor's Pilot and snapshot tests.

Four agents on the seeded demo database (``conftest.TODAY``), driven through the real API
with the service's clock held (``floor_clock.FakeClock``) from 08:00 to 11:00, Ljubljana time:

- Ana Kos: a call from Marija Novak 08:05-08:10 with a booking and a minute of after-call
  work; on a call (ID card) since 10:50;
- Bojan Zupan: a call 09:00-09:04, wrapped up; in after-call work since 10:56;
- Cvetka Horvat: away (break) since 10:20: past the 30-minute alert;
- Dušan Mlakar: ready, then silent since 10:40 with 3 writes queued: unreachable, an alert.

The clock is left at 11:00 (the floor is read then).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient
from floor_clock import FakeClock

from console.config import FloorSection
from console.server.agents import create_agent
from console.server.app import create_app
from console.server.db import Database
from console.server.floor_settings import FloorSettings
from console.server.settings import ServerSettings

AGENTS = {
    "ana": ("Ana Kos", "tok-floor-ana"),
    "bojan": ("Bojan Zupan", "tok-floor-bojan"),
    "cvetka": ("Cvetka Horvat", "tok-floor-cvetka"),
    "dusan": ("Dušan Mlakar", "tok-floor-dusan"),
}


# The floor's settings in this world: a heartbeat every 5 minutes, unreachable after 10 (the
# console under test is given the same: FLOOR_SECTION).
HEARTBEAT = 300
FLOOR_SETTINGS = FloorSettings(heartbeat_seconds=HEARTBEAT, unreachable_after_seconds=2 * HEARTBEAT)
FLOOR_SECTION = FloorSection(heartbeat_seconds=HEARTBEAT, unreachable_after_seconds=2 * HEARTBEAT)


class Desks:
    """The scripted desks: each reports its state, and heartbeats while the clock moves on."""

    def __init__(self, client: TestClient, clock: FakeClock, day: date) -> None:
        self.client = client
        self.clock = clock
        self.day = day
        self.current: dict[str, dict] = {}  # what each live desk last reported

    def at(self, hour: int, minute: int = 0, second: int = 0) -> None:
        """Move the clock on to ``hour:minute:second``, the live desks heartbeating."""
        target = FakeClock.local(self.day, hour, minute, second)
        while (target - self.clock.now()).total_seconds() > HEARTBEAT / 2:
            self.clock.advance(HEARTBEAT / 2)
            for who, body in self.current.items():
                self._put(who, body)
        self.clock.set(target)

    def silent(self, who: str) -> None:
        """The desk stops reporting (its network went)."""
        self.current.pop(who, None)

    def _auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {AGENTS[who][1]}"}

    def state(self, who: str, body: dict) -> dict:
        self.current[who] = body
        return self._put(who, body)

    def _put(self, who: str, body: dict) -> dict:
        answer = self.client.put("/v1/desk/state", json=body, headers=self._auth(who))
        assert answer.status_code == 200, answer.text
        return answer.json()

    def start_call(self, who: str, caller_id: int | None = None) -> int:
        body = {"caller_id": caller_id} if caller_id else {}
        answer = self.client.post("/v1/calls", json=body, headers=self._auth(who))
        assert answer.status_code in (200, 201), answer.text
        return answer.json()["id"]

    def wrap_up(self, who: str, call_id: int, disposition: str, ended: str, acw: int) -> None:
        answer = self.client.post(
            f"/v1/calls/{call_id}/wrapup",
            json={"disposition": disposition, "ended_at": ended, "after_call_work_seconds": acw},
            headers=self._auth(who),
        )
        assert answer.status_code == 200, answer.text

    def caller(self, who: str, name: str) -> int:
        found = self.client.get("/v1/callers", params={"q": name}, headers=self._auth(who))
        return found.json()["callers"][0]["id"]

    def book(self, who: str, call_id: int, service_id: int, caller_id: int) -> None:
        headers = {**self._auth(who), "X-Call-Id": str(call_id)}
        slots = self.client.get(
            "/v1/slots", params={"service": service_id, "limit": 1}, headers=headers
        ).json()["slots"]
        hold = self.client.post(
            "/v1/holds", json={"slot_id": slots[0]["id"]}, headers={**headers}
        ).json()
        answer = self.client.post(
            "/v1/bookings",
            json={"caller_id": caller_id, "hold_id": hold["id"], "call_id": call_id},
            headers={**headers, "Idempotency-Key": f"floor-booking-{call_id}"},
        )
        assert answer.status_code in (200, 201), answer.text


def build_floor(data_dir: Path, clock: FakeClock, day: date) -> dict[str, int]:
    """The morning above in ``data_dir``'s central database; the agents' ids by key."""
    path = data_dir / "central.db"
    database = Database.open(path)
    ids: dict[str, int] = {}
    with database.write() as connection:
        for key, (name, token) in AGENTS.items():
            agent, _ = create_agent(connection, name, "agent", token=token)
            ids[key] = agent.id
    settings = ServerSettings(database=str(path), floor=FLOOR_SETTINGS)
    app = create_app(settings, database, migrate=False)
    with TestClient(app) as client:
        desks = Desks(client, clock, day)
        services = client.get(
            "/v1/services", headers={"Authorization": f"Bearer {AGENTS['ana'][1]}"}
        ).json()
        id_card = next(s["id"] for s in services if s["code"] == "ue-id-card")
        desks.at(8)
        for key in AGENTS:
            desks.state(key, {"state": "ready", "queued_writes": 0, "sync_issues": 0})
        desks.at(8, 5)
        marija = desks.caller("ana", "Marija Novak")
        call = desks.start_call("ana", marija)
        desks.state("ana", {"state": "on_call", "call_id": call, "service_id": id_card})
        desks.book("ana", call, id_card, marija)
        desks.at(8, 10)
        desks.state("ana", {"state": "after_call_work", "call_id": call})
        desks.at(8, 11)
        desks.wrap_up("ana", call, "booked", FakeClock.wire(FakeClock.local(day, 8, 10)), 60)
        desks.current["ana"] = {"state": "ready"}
        desks.at(9)
        call = desks.start_call("bojan")
        desks.current["bojan"] = {"state": "on_call", "call_id": call}
        desks.at(9, 4)
        desks.wrap_up("bojan", call, "information", FakeClock.wire(clock.now()), 0)
        desks.current["bojan"] = {"state": "ready"}
        desks.at(10, 20)
        desks.state("cvetka", {"state": "away", "reason": "break"})
        desks.at(10, 40)
        desks.state("dusan", {"state": "ready", "queued_writes": 3, "sync_issues": 0})
        desks.silent("dusan")
        desks.at(10, 50)
        ana_call = desks.start_call("ana")
        now = {"state": "on_call", "call_id": ana_call, "service_id": id_card}
        desks.state("ana", now)
        desks.at(10, 54)
        bojan_call = desks.start_call("bojan")
        desks.current["bojan"] = {"state": "on_call", "call_id": bojan_call}
        desks.at(10, 56)
        desks.state("bojan", {"state": "after_call_work", "call_id": bojan_call})
        desks.at(11)
    database.dispose()
    return ids
