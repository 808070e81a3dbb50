"""Messages to callers: what the outbox costs a booking, and how fast the sender empties it.

**Booking p50 with the outbox write.** One API server (messages on); one client books free
slots for callers who consented to e-mail, a request at a time, alternating between bookings
that write their confirmation and reminder and bookings with ``"notify": false``, which leave
the outbox alone (the same early return as ``[messages] enabled = false``). The figure is the
p50 with the outbox write; the floor is the p50 without it, measured in the same run, by the
same process, on the same caches. Target: at most 1 ms more. (Two servers, one with messages
off, were tried first: on SQLite each switch of process made the next writer re-read pages the
other had changed, which measured the switching, not the outbox.)

**Queued messages sent.** ``MESSAGES`` rows are queued (copies of the real bookings'
confirmations, each with its own Message-ID), then ``agent-console send-messages --once`` is
timed, from start to exit, against a local aiosmtpd (``agent-console mail-sink --quiet``, its
own process). The floor: the same number of messages of the same size, rendered once, pushed
through ``smtplib`` over one connection to the same server: the SMTP round trips alone.
"""

from __future__ import annotations

import os
import smtplib
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import bindparam, func, select, text, update

from benchmarks.dataset import REPO, Dataset
from benchmarks.report import Row, judge
from benchmarks.server import ApiServer, free_port
from benchmarks.stats import percentile
from benchmarks.workload import bench_tokens, free_slot_ids, sample_callers
from console.server.messages import content
from console.server.messages.contact import message_language
from console.server.messages.sender import _DETAILS
from console.server.messages.settings import MessageSettings
from console.server.schema import callers, messages

SEND_TARGET_SECONDS = 60.0
EXTRA_MS_TARGET = 1.0
CONSENTING = 200  # callers given e-mail consent for the run (put back afterwards)


@dataclass
class Result:
    on_ms: list[float]
    off_ms: list[float]
    queued: int
    send_seconds: float
    sent: int
    floor_seconds: float
    message_bytes: int


def _config(directory: Path, *, enabled: bool, smtp_port: int = 8025) -> Path:
    path = directory / "messages.toml"
    path.write_text(
        f"[messages]\nenabled = {'true' if enabled else 'false'}\ndelay_seconds = 0\n"
        f"batch = 200\n[messages.smtp]\nport = {smtp_port}\n"
    )
    return path


def _consent(database, ids: list[int]) -> list[tuple]:  # type: ignore[no-untyped-def]
    """Give these callers e-mail consent; return what they had, to put it back."""
    with database.write() as connection:
        before = connection.execute(
            select(
                callers.c.id,
                callers.c.email,
                callers.c.message_channel,
                callers.c.message_consent,
                callers.c.message_consent_at,
            ).where(callers.c.id.in_(ids))
        ).all()
        connection.execute(
            update(callers)
            .where(callers.c.id == bindparam("ident"))
            .values(
                email=bindparam("mail"),
                message_channel="email",
                message_consent=True,
            ),
            [
                {"ident": row.id, "mail": row.email or f"bench{row.id}@example.org"}
                for row in before
            ],
        )
    return [tuple(row) for row in before]


def _restore(database, before: list[tuple]) -> None:  # type: ignore[no-untyped-def]
    with database.write() as connection:
        connection.execute(text("DELETE FROM messages"))
        connection.execute(
            update(callers)
            .where(callers.c.id == bindparam("ident"))
            .values(
                email=bindparam("mail"),
                message_channel=bindparam("channel"),
                message_consent=bindparam("consent"),
                message_consent_at=bindparam("at"),
            ),
            [
                {"ident": i, "mail": m, "channel": ch, "consent": co, "at": at}
                for i, m, ch, co, at in before
            ],
        )


def _book_alternating(
    server: ApiServer, token: str, caller_ids: list[int], slot_ids: list[int]
) -> tuple[list[float], list[float]]:
    headers = {"Authorization": f"Bearer {token}"}
    timings: dict[bool, list[float]] = {True: [], False: []}
    with httpx.Client(headers=headers, timeout=30) as client:
        for index, slot_id in enumerate(slot_ids):
            notify = index % 2 == 1
            body = {
                "caller_id": caller_ids[index % len(caller_ids)],
                "slot_id": slot_id,
                "notify": notify,
                # A kept dataset holds earlier runs' bookings for these callers: an overlap is
                # not what is measured here (both halves pass the same check).
                "allow_overlap": True,
            }
            began = time.perf_counter()
            answer = client.post(f"{server.url}/v1/bookings", json=body)
            elapsed = (time.perf_counter() - began) * 1000
            if answer.status_code != 201:
                raise RuntimeError(f"booking failed: {answer.status_code} {answer.text}")
            if bool(answer.json()["messages"]) != notify:  # (no reminder within a day)
                raise RuntimeError(f"notify={notify}, yet messages: {answer.json()['messages']}")
            if index >= 2:  # the first of each kind warms up
                timings[notify].append(elapsed)
    return timings[True], timings[False]


def _queue(database, count: int) -> int:  # type: ignore[no-untyped-def]
    """Copies of the queued confirmations until ``count`` messages are due now."""
    with database.write() as connection:
        # The bookings' reminders are not due: only confirmations are copied and counted.
        connection.execute(messages.delete().where(messages.c.kind == "reminder"))
        templates = connection.execute(
            select(messages).where(messages.c.kind == "booked").order_by(messages.c.id)
        ).all()
        if not templates:
            raise RuntimeError("no confirmations were queued by the bookings")
        have = len(templates)
        rows = []
        for index in range(count - have):
            row = dict(templates[index % have]._mapping)
            row.pop("id")
            row["message_id"] = f"<{uuid.uuid4().hex}.bench@localhost>"
            rows.append(row)
        for start in range(0, len(rows), 1000):
            connection.execute(messages.insert(), rows[start : start + 1000])
        return connection.execute(
            select(func.count()).select_from(messages).where(messages.c.status == "queued")
        ).scalar_one()


def _sample_message(database) -> bytes:  # type: ignore[no-untyped-def]
    with database.read() as connection:
        ident = connection.execute(select(func.min(messages.c.id))).scalar_one()
        row = connection.execute(_DETAILS, {"ids": [ident]}).one()
    settings = MessageSettings()
    appointment = content.appointment(row, message_language(row.language))
    return content.email(appointment, settings, row.email)


def _floor(port: int, data: bytes, count: int) -> float:
    """The same number of messages through smtplib, over one connection: seconds."""
    began = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for _ in range(count):
            smtp.sendmail("noreply@localhost", ["caller@example.org"], data)
    return time.perf_counter() - began


def _start_sink(port: int, env: dict[str, str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "console.cli", "mail-sink", "--quiet"]
    sink = subprocess.Popen(
        [*command, "--port", str(port), "--sms-port", "0"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=2) as smtp:
                smtp.noop()
            return sink
        except OSError:
            if sink.poll() is not None or time.monotonic() > deadline:
                sink.kill()
                raise RuntimeError("the mail sink did not start") from None
            time.sleep(0.1)


def run(dataset: Dataset, *, bookings: int, queued: int, workers: int) -> Result:
    database = dataset.open()
    scratch = tempfile.TemporaryDirectory(prefix="bench-messages-")
    directory = Path(scratch.name)
    port = free_port()
    try:
        sample = sample_callers(database, dataset, CONSENTING, seed=16)
        before = _consent(database, sample.ids)
        try:
            [token] = bench_tokens(database, 1)
            slot_ids = free_slot_ids(database, bookings + 2, seed=16)
            config = _config(directory, enabled=True)
            with ApiServer(dataset.url, workers=workers, config=config.read_text()) as server:
                on_ms, off_ms = _book_alternating(server, token, sample.ids, slot_ids)
            count = _queue(database, queued)
            env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_CONSOLE_")}
            env["AGENT_CONSOLE_DATA_DIR"] = str(directory / "data")
            sink = _start_sink(port, env)
            try:
                env["AGENT_CONSOLE_CONFIG"] = str(_config(directory, enabled=True, smtp_port=port))
                began = time.perf_counter()
                command = ["send-messages", "--once", "--db", dataset.url]
                done = subprocess.run(
                    [sys.executable, "-m", "console.cli", *command],
                    cwd=REPO,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=1800,
                    check=False,
                )
                seconds = time.perf_counter() - began
                if done.returncode != 0:
                    raise RuntimeError(f"send-messages failed: {done.stdout}{done.stderr}")
                with database.read() as connection:
                    sent = connection.execute(
                        select(func.count())
                        .select_from(messages)
                        .where(messages.c.status == "sent", messages.c.kind == "booked")
                    ).scalar_one()
                data = _sample_message(database)
                floor = _floor(port, data, count)
            finally:
                sink.terminate()
                sink.wait(30)
        finally:
            _restore(database, before)
    finally:
        database.dispose()
        scratch.cleanup()
    return Result(
        on_ms=on_ms,
        off_ms=off_ms,
        queued=count,
        send_seconds=seconds,
        sent=sent,
        floor_seconds=floor,
        message_bytes=len(data),
    )


def rows(result: Result, backend: str) -> list[Row]:
    on, off = percentile(result.on_ms, 0.5), percentile(result.off_ms, 0.5)
    return [
        Row(
            figure="messages_send",
            title=f"{result.queued:,} queued messages sent (SMTP)",
            backend=backend,
            value=result.send_seconds,
            unit="s",
            target=f"≤ {SEND_TARGET_SECONDS:g} s",
            floor=result.floor_seconds,
            ratio=result.send_seconds / result.floor_seconds if result.floor_seconds else None,
            status=judge(result.send_seconds, at_most=SEND_TARGET_SECONDS)
            if result.sent == result.queued
            else "MISS",
            notes=(
                f"messages, {backend}: `agent-console send-messages --once` from start to exit "
                f"(claim, render text + HTML + .ics, SMTP, mark sent: a transaction each) to a "
                f"local aiosmtpd in its own process; {result.sent:,} of {result.queued:,} "
                f"marked sent ({result.queued / result.send_seconds:,.0f}/s); floor = the same "
                f"number of {result.message_bytes:,}-byte messages through smtplib over one "
                "connection"
            ),
        ),
        Row(
            figure="messages_booking",
            backend=backend,
            value=on,
            unit="ms",
            target=f"≤ floor + {EXTRA_MS_TARGET:g} ms",
            floor=off,
            ratio=on / off if off else None,
            status=judge(on, at_most=off + EXTRA_MS_TARGET),
            notes=(
                f"booking p50 with the outbox write, {backend}: {on:.2f} ms writing the "
                f"confirmation and reminder in the booking's transaction vs {off:.2f} ms with "
                f'"notify": false (the floor), {on - off:+.2f} ms; {len(result.on_ms)} + '
                f"{len(result.off_ms)} bookings alternating on one API server, one client"
            ),
        ),
    ]
