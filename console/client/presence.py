"""The desk's state on the floor: what it reports to ``PUT /v1/desk/state``, and the heartbeat.

:class:`Presence` keeps the state this desk's agent is in (ready, on a call, in after-call work,
away with a reason, signed out) and reports it to the central service:

- on start (:meth:`start`): reads the kept state, the away reasons and the heartbeat interval
  (``GET /v1/desk/state``), then reports ``ready`` with the outbox's counts;
- on every change (:meth:`post`): sent at once, in the background, in order (one report at a
  time, each carrying the whole state: a later one never loses to an earlier one);
- unchanged, as the heartbeat (:meth:`heartbeat`, every :attr:`heartbeat_seconds`: the app's
  timer calls it);
- after a replay (:meth:`replayed`), with how many writes it sent;
- on quit (:meth:`sign_out`).

Reports are never queued in the outbox: a state is about now. While the desk is offline
nothing is sent (a change is kept and goes with the next heartbeat once the service answers);
an unreachable service is not an error here. The service's answer is authoritative: the desk
adopts its state and call (e.g. ``ready`` after a wrap-up). A supervisor's desk reports
nothing (the service answers 403): after a 403 the presence stays silent.

No Textual here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from console.client.api import ApiRefused, CentralApi, Unreachable
from console.domain.floor import AgentState, AwayReason, DeskState, DeskStateIn

log = logging.getLogger(__name__)

DEFAULT_HEARTBEAT = 10


class Presence:
    """This desk's agent state and its reports (see the module docstring).

    ``may_send``: whether the desk is not offline (the Store's connection); ``counts``: the
    outbox's queued writes and open sync issues, sent with every report; ``call_id``: the
    current call's id on the service (None while there is none, or it is still provisional);
    ``on_change``: called after the state shown changed (the status bar redraws)."""

    def __init__(
        self,
        api: CentralApi,
        *,
        may_send: Callable[[], bool] = lambda: True,
        counts: Callable[[], tuple[int, int]] = lambda: (0, 0),
        call_id: Callable[[], int | None] = lambda: None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.api = api
        self.may_send = may_send
        self.counts = counts
        self.call_id = call_id
        self.on_change = on_change
        self.state: AgentState = AgentState.READY
        self.reason: str | None = None
        self.service_id: int | None = None
        self.since: datetime | None = None  # the service's, once it answered
        self.heartbeat_seconds: int = DEFAULT_HEARTBEAT
        self.away_reasons: list[AwayReason] = []
        self.silent = False  # a supervisor's desk (403): reports nothing
        self.last_answer: DeskState | None = None
        self.sent = 0  # reports the service answered (for tests and logs)
        self._lock = asyncio.Lock()
        self._version = 0  # bumped by every change made here: an older answer is not adopted
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- what the desk is -----------------------------------------------------------------

    def set(
        self,
        state: AgentState,
        *,
        reason: str | None = None,
        service_id: int | None = None,
    ) -> None:
        """The desk's state changed here (nothing is sent: see :meth:`post`)."""
        if state is not AgentState.ON_CALL and state is not AgentState.AFTER_CALL_WORK:
            service_id = None
        changed = (state, reason, service_id) != (self.state, self.reason, self.service_id)
        self.state, self.reason, self.service_id = state, reason, service_id
        if changed:
            self._version += 1
            self.since = None  # until the service says when it began
            self._changed()

    def post(
        self,
        state: AgentState,
        *,
        reason: str | None = None,
        service_id: int | None = None,
        replayed: int | None = None,
    ) -> None:
        """The desk's state changed: keep it and report it in the background, at once."""
        self.set(state, reason=reason, service_id=service_id)
        self._spawn(self.send(replayed=replayed))

    def reason_label(self, code: str | None, language: str) -> str | None:
        """An away reason in the console's language (the code if the service never named it)."""
        if code is None:
            return None
        for reason in self.away_reasons:
            if reason.code == code:
                return reason.label_en if language == "en" else reason.label
        return code

    # -- reports ------------------------------------------------------------------------

    async def start(self) -> DeskState | None:
        """Read what the service keeps (reasons, heartbeat), then report ready."""
        try:
            kept = await self.api.desk_state()
        except ApiRefused as refused:
            if refused.status == 403:
                self.silent = True
            return None
        except Unreachable:
            return None
        self.heartbeat_seconds = max(1, kept.heartbeat_seconds)
        self.away_reasons = list(kept.away_reasons)
        return await self.send()

    async def heartbeat(self) -> DeskState | None:
        """The state, unchanged (the app's timer calls this every ``heartbeat_seconds``)."""
        if self._tasks:
            return None  # a report is on its way: it is the heartbeat too
        return await self.send()

    async def replayed(self, count: int) -> DeskState | None:
        """Back from an outage: ``count`` queued writes were just replayed."""
        return await self.send(replayed=count)

    async def sign_out(self, timeout: float = 2.0) -> DeskState | None:
        """The agent quits: report ``signed_out`` (waiting at most ``timeout`` seconds)."""
        self.set(AgentState.SIGNED_OUT)
        with contextlib.suppress(TimeoutError):
            return await asyncio.wait_for(self.send(), timeout)
        return None

    async def send(self, *, replayed: int | None = None) -> DeskState | None:
        """Report the state now, one report at a time; None if nothing was sent (offline,
        unreachable, a supervisor's desk, or refused)."""
        async with self._lock:
            if self.silent or not self.may_send():
                return None
            report = self._report(replayed)
            version = self._version
            try:
                answer = await self.api.report_state(report)
            except Unreachable:
                return None
            except ApiRefused as refused:
                if refused.status == 403:
                    self.silent = True
                else:  # e.g. a reason the service no longer knows
                    log.warning("desk state refused: %s", refused.message)
                return None
            self.sent += 1
            if version == self._version:  # else the desk changed meanwhile: its report follows
                self._adopt(answer)
            return answer

    def _report(self, replayed: int | None) -> DeskStateIn:
        queued, issues = self.counts()
        body: dict[str, object] = {
            "state": self.state,
            "queued_writes": queued,
            "sync_issues": issues,
        }
        if self.state is AgentState.AWAY:
            body["reason"] = self.reason
        if self.state in (AgentState.ON_CALL, AgentState.AFTER_CALL_WORK):
            call_id = self.call_id()
            if call_id is not None and call_id > 0:
                body["call_id"] = call_id
            if self.service_id is not None:
                body["service_id"] = self.service_id
        if replayed is not None:
            body["replayed"] = replayed
        return DeskStateIn.model_validate(body)

    def _adopt(self, answer: DeskState) -> None:
        self.last_answer = answer
        before = (self.state, self.reason, self.since)
        if self.state is not AgentState.SIGNED_OUT:
            self.state = answer.state
            self.reason = answer.reason
            if answer.service_id is not None or answer.state not in (
                AgentState.ON_CALL,
                AgentState.AFTER_CALL_WORK,
            ):
                self.service_id = answer.service_id
        self.since = answer.since
        if (self.state, self.reason, self.since) != before:
            self._changed()

    # -- the background -----------------------------------------------------------------

    def _spawn(self, coroutine: Coroutine[Any, Any, object]) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:  # pragma: no cover - a bug
            log.error("a desk state report failed", exc_info=task.exception())

    async def flush(self) -> None:
        """Wait for the reports under way."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await self.flush()

    def _changed(self) -> None:
        if self.on_change is not None:
            try:
                self.on_change()
            except Exception:  # pragma: no cover - a bug in the listener
                log.exception("presence on_change failed")
