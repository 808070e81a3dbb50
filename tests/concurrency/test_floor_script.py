"""Scripted desks against a real server (uvicorn on loopback, real HTTP): a known morning of
calls, states and bookings, and the floor gives exactly the figures worked out by hand from it.
On SQLite and PostgreSQL.

The service's clock is held by the test (the server runs in a thread of this process, and
``console.server.clock.now`` is where it reads the time): the script sets the time before each
step, and every signed-in desk heartbeats in between, as desks do.

The morning (Ljubljana time, today), with heartbeats every 60 s and a desk unreachable after
180 s of silence:

- 08:00 Ana (agent) and Bor (agent2) report ready.
- 08:00:10 Ana starts call 1 (Janez); 08:01 books s1 in it; 08:03 reports after-call work;
  08:04 wraps up "booked", talk ended 08:03:00, 60 s after-call work. Talk 170 s, handle 230 s.
- 08:05 Bor starts call 2 (Špela); 08:06 books s2; 08:07 reschedules s2 to s3; wraps up at
  08:08:30 "rescheduled", talk ended 08:08:00, 30 s after-call work (his desk never reported
  it: the wrap-up records it). Talk 180 s, handle 210 s.
- 08:30 Ana reports that dr. Novak is full (a directory report).
- 09:00 Cene (admin's desk) reports ready with 3 writes queued, then goes silent.
- 09:10 Ana starts call 3 (Marija); 09:11 cancels s1 in it; wraps up at 09:12:45 "cancelled",
  talk ended 09:12:00, 45 s after-call work. Talk 120 s, handle 165 s.
- 08:12 and 09:15 the telephone system reports a missed call (two numbers): two callbacks queued.
- 09:20 Ana goes away (break).
- 09:25 Bor starts call 4 (no caller yet), still on it at 09:30.
- 09:30 the supervisor reads the floor.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import httpx
import pytest
import support
from floor_clock import FakeClock, today
from served import Central
from sqlalchemy import func, select

from console.server.agents import create_agent
from console.server.db import Database
from console.server.floor_settings import FloorSettings
from console.server.schema import audit_log
from console.server.settings import ServerSettings

HEARTBEAT = 60
FLOOR = FloorSettings(
    heartbeat_seconds=HEARTBEAT,
    unreachable_after_seconds=180,
    long_call_minutes=4,
    long_after_call_work_minutes=10,
    long_away_minutes=9,
    report_open_hours=0.5,
)


@dataclass
class Desk:
    """One agent's desk: its HTTP client and what it last reported (its heartbeat)."""

    client: httpx.Client
    body: dict = field(default_factory=dict)
    silent: bool = False

    def report(self, **body: object) -> dict:
        self.body = dict(body)
        response = self.client.put("/v1/desk/state", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def heartbeat(self) -> None:
        if self.body and not self.silent and self.body["state"] != "signed_out":
            response = self.client.put("/v1/desk/state", json=self.body)
            assert response.status_code == 200, response.text
            assert response.json()["changed"] is False, response.json()

    def post(self, path: str, body: dict, status: int = 201) -> dict:
        response = self.client.post(path, json=body)
        assert response.status_code == status, response.text
        return response.json()

    def start_call(self, caller_id: int | None) -> int:
        call = self.post("/v1/calls", {"caller_id": caller_id})
        self.body = {"state": "on_call"}  # the service moved the state; the desk follows
        return call["id"]

    def wrap_up(self, call_id: int, disposition: str, ended: datetime, acw: int) -> None:
        self.post(
            f"/v1/calls/{call_id}/wrapup",
            {
                "disposition": disposition,
                "ended_at": FakeClock.wire(ended),
                "after_call_work_seconds": acw,
            },
            200,
        )
        self.body = {"state": "ready"}


@dataclass
class Morning:
    clock: FakeClock
    day: date
    desks: dict[str, Desk]
    supervisor: httpx.Client
    world: support.World
    database: Database
    calls: dict[int, int] = field(default_factory=dict)  # script's number -> call id
    references: dict[str, str] = field(default_factory=dict)

    def t(self, hour: int, minute: int, second: int = 0) -> datetime:
        return FakeClock.local(self.day, hour, minute, second)

    def at(self, hour: int, minute: int, second: int = 0) -> None:
        """Move the clock to ``hh:mm:ss``, every desk heartbeating on its way."""
        target = self.t(hour, minute, second)
        while self.clock.now() + timedelta(seconds=HEARTBEAT) <= target:
            self.clock.advance(HEARTBEAT)
            for desk in self.desks.values():
                desk.heartbeat()
        self.clock.set(target)


@pytest.fixture
def morning(database_url_param: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Morning]:
    database = Database.open(database_url_param)
    world = support.build_world(database)
    day = today()
    clock = FakeClock(FakeClock.local(day, 7, 59)).install(monkeypatch)
    settings = ServerSettings(database=database_url_param, floor=FLOOR)
    central = Central(database, database_url_param, settings)
    central.start()
    clients = []

    def client(who: str) -> httpx.Client:
        made = httpx.Client(base_url=central.url, headers=world.headers(who), timeout=30)
        clients.append(made)
        return made

    try:
        desks = {name: Desk(client(who)) for name, who in (("ana", "agent"), ("bor", "agent2"))}
        desks["cene"] = Desk(client("admin"))
        with database.write() as connection:
            create_agent(connection, "Asterisk", "telephony", token=PBX_TOKEN)
        pbx = httpx.Client(
            base_url=central.url, headers={"Authorization": f"Bearer {PBX_TOKEN}"}, timeout=30
        )
        clients.append(pbx)
        desks["pbx"] = Desk(pbx)
        yield Morning(clock, day, desks, client("supervisor"), world, database)
    finally:
        for made in clients:
            made.close()
        central.stop()
        database.dispose()


PBX_TOKEN = "pbx-token-for-the-floor-script"


def play(m: Morning) -> None:
    ana, bor, cene = m.desks["ana"], m.desks["bor"], m.desks["cene"]
    counter1 = support.slots_of(m.world, "counter-1")
    counter2 = support.slots_of(m.world, "counter-2")
    callers = m.world.callers
    m.at(8, 0)
    ana.report(state="ready", queued_writes=0, sync_issues=0)
    bor.report(state="ready")
    m.at(8, 0, 10)
    m.calls[1] = ana.start_call(callers["janez"])
    m.at(8, 1)
    made = ana.post(
        "/v1/bookings",
        {"caller_id": callers["janez"], "slot_id": counter1[0], "call_id": m.calls[1]},
    )
    m.references["s1"] = made["reference"]
    m.at(8, 3)
    ana.report(state="after_call_work", call_id=m.calls[1])
    m.at(8, 4)
    ana.wrap_up(m.calls[1], "booked", m.t(8, 3), 60)
    m.at(8, 5)
    m.calls[2] = bor.start_call(callers["spela"])
    m.at(8, 6)
    made = bor.post(
        "/v1/bookings",
        {"caller_id": callers["spela"], "slot_id": counter1[1], "call_id": m.calls[2]},
    )
    m.at(8, 7)
    moved = bor.post(
        f"/v1/bookings/{made['reference']}/reschedule",
        {"slot_id": counter2[0], "call_id": m.calls[2]},
    )
    m.references["s2"], m.references["s3"] = made["reference"], moved["reference"]
    m.at(8, 8, 30)
    bor.wrap_up(m.calls[2], "rescheduled", m.t(8, 8), 30)
    m.at(8, 12)
    m.desks["pbx"].post(
        "/v1/telephony/events",
        {"event": "missed", "call_id": "pbx-1", "number": "+38641111222"},
        200,
    )
    m.at(8, 30)
    novak = m.world.providers["dr-novak"]
    ana.post(f"/v1/directory/{novak}/reports", {"kind": "full", "note": "poln"})
    m.at(9, 0)
    cene.report(state="ready", queued_writes=3)
    cene.silent = True
    m.at(9, 10)
    m.calls[3] = ana.start_call(callers["marija"])
    m.at(9, 11)
    ana.post(f"/v1/bookings/{m.references['s1']}/cancel", {"call_id": m.calls[3]}, 200)
    m.at(9, 12, 45)
    ana.wrap_up(m.calls[3], "cancelled", m.t(9, 12), 45)
    m.at(9, 15)
    m.desks["pbx"].post(
        "/v1/telephony/events",
        {"event": "missed", "call_id": "pbx-2", "number": "+38641333444"},
        200,
    )
    m.at(9, 20)
    ana.report(state="away", reason="break", queued_writes=0, sync_issues=0)
    m.at(9, 25)
    m.calls[4] = bor.start_call(None)
    m.at(9, 30)


def test_the_floor_gives_the_figures_worked_out_by_hand(morning: Morning) -> None:
    m = morning
    play(m)
    response = m.supervisor.get("/v1/floor")
    assert response.status_code == 200, response.text
    floor = response.json()
    wire = FakeClock.wire
    assert floor["at"] == wire(m.t(9, 30))

    agents = {agent["name"]: agent for agent in floor["agents"]}
    assert sorted(agents) == ["Test admin", "Test agent", "Test agent2"]
    ana, bor, cene = agents["Test agent"], agents["Test agent2"], agents["Test admin"]
    assert {k: ana[k] for k in STATE_KEYS} == {
        "state": "away",
        "reported_state": "away",
        "reason": "break",
        "since": wire(m.t(9, 20)),
        "seconds_in_state": 600,
        "call": None,
    }
    assert {k: ana[k] for k in DAY_KEYS} == {
        "calls_today": 2,
        "wrapped_today": 2,
        "avg_handle_seconds": 197.5,  # (230 + 165) / 2
        "avg_after_call_work_seconds": 52.5,  # (60 + 45) / 2
        "bookings_today": 1,
        "cancellations_today": 1,
        "reschedules_today": 0,
        "queued_writes": 0,
        "sync_issues": 0,
    }
    assert {k: bor[k] for k in STATE_KEYS} == {
        "state": "on_call",
        "reported_state": "on_call",
        "reason": None,
        "since": wire(m.t(9, 25)),
        "seconds_in_state": 300,
        "call": {
            "id": m.calls[4],
            "started_at": wire(m.t(9, 25)),
            "talk_seconds": 300,
            "service_id": None,
            "service_name": None,
            "service_name_en": None,
        },
    }
    assert {k: bor[k] for k in DAY_KEYS} == {
        "calls_today": 2,
        "wrapped_today": 1,
        "avg_handle_seconds": 210.0,
        "avg_after_call_work_seconds": 30.0,
        "bookings_today": 1,
        "cancellations_today": 0,
        "reschedules_today": 1,
        "queued_writes": 0,
        "sync_issues": 0,
    }
    assert (cene["state"], cene["reported_state"], cene["since"], cene["queued_writes"]) == (
        "unreachable",
        "ready",
        wire(m.t(9, 0)),
        3,
    )
    assert cene["calls_today"] == 0 and cene["avg_handle_seconds"] is None

    today_ = floor["today"]
    assert {k: v for k, v in today_.items() if k not in ("hours", "dispositions")} == {
        "date": m.day.isoformat(),
        "calls": 4,
        "wrapped": 3,
        "avg_handle_seconds": 201.7,  # (230 + 210 + 165) / 3
        "avg_after_call_work_seconds": 45.0,  # (60 + 30 + 45) / 3
        "bookings": 2,
        "cancellations": 1,
        "reschedules": 1,
        "open_reports": 1,
        "oldest_open_report_at": wire(m.t(8, 30)),
    }
    assert today_["dispositions"] == [
        {"code": "booked", "count": 1},
        {"code": "cancelled", "count": 1},
        {"code": "rescheduled", "count": 1},
    ]
    busy = {
        h["hour"]: (h["calls"], h["bookings"])
        for h in today_["hours"]
        if h["calls"] or h["bookings"]
    }
    assert busy == {"08:00": (2, 2), "09:00": (2, 0)}
    assert len(today_["hours"]) in (23, 24, 25)
    assert today_["hours"][0]["hour"] == "00:00"
    missed = {h["hour"]: h["missed_calls"] for h in today_["hours"] if h["missed_calls"]}
    assert missed == {"08:00": 1, "09:00": 1}

    services = {s["code"]: s for s in floor["services"]}
    ids = services["ue-id-card"]
    assert ids["bookings_today"] == 2  # s1 and s2 were booked today; s3 was a reschedule
    # Two counters, 6 slots a day each, on the world's 3 working days; s3 is the one booked.
    assert [(w["working_days"], w["free"], w["booked"], w["total"]) for w in ids["windows"]] == [
        (1, 11, 1, 12),
        (3, 35, 1, 36),
        (5, 35, 1, 36),
    ]
    assert ids["windows"][0]["fill"] == round(1 / 12, 4)
    assert ids["windows"][0]["until"] == m.world.days[0].isoformat()
    gp = services["health-gp"]
    assert gp["bookings_today"] == 0
    assert [(w["free"], w["booked"], w["total"], w["fill"]) for w in gp["windows"]] == [
        (6, 0, 6, 0.0),
        (18, 0, 18, 0.0),
        (18, 0, 18, 0.0),
    ]

    alerts = [
        (
            a["kind"],
            a["agent_name"] or a["provider_name"],
            a["since"],
            a["seconds"],
            a["threshold_seconds"],
        )
        for a in floor["alerts"]
    ]
    assert alerts == [
        ("old_report", "dr. Ana Novak", wire(m.t(8, 30)), 3600, 1800),
        ("unreachable_with_queue", "Test admin", wire(m.t(9, 0)), 1800, 180),
        ("long_away", "Test agent", wire(m.t(9, 20)), 600, 540),
        ("long_call", "Test agent2", wire(m.t(9, 25)), 300, 240),
    ]
    queue = floor["callbacks"]
    assert (queue["queue_length"], queue["claimed"], queue["missed_today"]) == (2, 0, 2)
    assert queue["oldest_wait_seconds"] == 78 * 60  # since 08:12
    assert (queue["closed_today"], queue["reached_share"]) == (0, None)
    # The world's callers gave no consent to messages: nothing to send today.
    assert floor["messages"] == {
        "day": m.day.isoformat(),
        "queued": 0,
        "sending": 0,
        "sent": 0,
        "failed": 0,
        "cancelled": 0,
    }
    assert floor["thresholds"]["long_call_seconds"] == 240

    feed = m.supervisor.get("/v1/changes", params={"since": 0}).json()["changes"]
    states = {}
    for change in feed:
        if change["entity"] == "agent_state":
            states.setdefault(change["entity_id"], []).append(change["data"]["state"])
    agent_ids = m.world.agents
    assert states == {
        agent_ids["agent"]: [
            "ready", "on_call", "after_call_work", "ready", "on_call", "ready", "away",
        ],
        agent_ids["agent2"]: ["ready", "on_call", "ready", "on_call"],
        agent_ids["admin"]: ["ready"],
    }  # fmt: skip


STATE_KEYS = ("state", "reported_state", "reason", "since", "seconds_in_state", "call")
DAY_KEYS = (
    "calls_today",
    "wrapped_today",
    "avg_handle_seconds",
    "avg_after_call_work_seconds",
    "bookings_today",
    "cancellations_today",
    "reschedules_today",
    "queued_writes",
    "sync_issues",
)


def test_one_agents_day_and_the_audited_read_of_who_called(morning: Morning) -> None:
    m = morning
    play(m)
    ana = m.world.agents["agent"]
    path = f"/v1/floor/agents/{ana}/calls"
    day = m.supervisor.get(path).json()  # today by default
    assert day["date"] == m.day.isoformat() and day["caller_identity"] is False
    wire = FakeClock.wire
    summary = [
        (
            c["id"],
            c["started_at"],
            c["ended_at"],
            c["talk_seconds"],
            c["after_call_work_seconds"],
            c["handle_seconds"],
            c["disposition"],
            c["service_name"],
            [(b["reference"], b["action"], b["status"]) for b in c["bookings"]],
            c["caller"],
        )
        for c in day["calls"]
    ]
    s1 = m.references["s1"]
    assert summary == [
        (m.calls[1], wire(m.t(8, 0, 10)), wire(m.t(8, 3)), 170, 60, 230, "booked",
         "Osebna izkaznica", [(s1, "booked", "cancelled")], None),
        (m.calls[3], wire(m.t(9, 10)), wire(m.t(9, 12)), 120, 45, 165, "cancelled",
         "Osebna izkaznica", [(s1, "cancelled", "cancelled")], None),
    ]  # fmt: skip
    assert (day["wrapped"], day["avg_handle_seconds"], day["avg_after_call_work_seconds"]) == (
        2,
        197.5,
        52.5,
    )
    assert (day["bookings"], day["cancellations"], day["reschedules"]) == (1, 1, 0)
    # 07:59 is yesterday's no-state; ready 10 + 3960 + 435 s, on calls 170 + 120, after-call
    # work 60 + 45, away since 09:20.
    assert {t["state"]: t["seconds"] for t in day["time_in_state"]} == {
        "ready": 4405,
        "on_call": 290,
        "after_call_work": 105,
        "away": 600,
    }
    bor = m.supervisor.get(f"/v1/floor/agents/{m.world.agents['agent2']}/calls").json()
    assert [(b["action"], b["status"]) for b in bor["calls"][0]["bookings"]] == [
        ("booked", "rescheduled"),
        ("rescheduled", "confirmed"),
    ]
    assert bor["calls"][1]["wrapped_at"] is None and bor["calls"][1]["handle_seconds"] is None

    def audited() -> int:
        with m.database.read() as connection:
            return connection.execute(
                select(func.count()).where(
                    audit_log.c.agent_id == m.world.agents["supervisor"],
                    audit_log.c.action == "read",
                )
            ).scalar_one()

    assert audited() == 0
    named = m.supervisor.get(path, params={"include_caller": "true", "date": m.day.isoformat()})
    assert named.status_code == 200, named.text
    assert named.json()["caller_identity"] is True
    assert [c["caller"]["last_name"] for c in named.json()["calls"]] == ["Kovač", "Novak"]
    assert named.json()["calls"][0]["caller"]["phone"] == "+38641234567"
    assert audited() == 2  # one audited read per caller shown

    other_day = m.supervisor.get(path, params={"date": (m.day - timedelta(days=1)).isoformat()})
    assert other_day.json()["calls"] == [] and other_day.json()["wrapped"] == 0
    assert m.supervisor.get(path, params={"date": "3000-01-01"}).json()["field"] == "date"
    assert m.supervisor.get(path, params={"date": "tomorrow"}).status_code == 422
    assert m.supervisor.get("/v1/floor/agents/999999/calls").status_code == 404
