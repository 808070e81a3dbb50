"""The Store's state on screen: the status bars and the offline banner, and what is announced
(back online, a local copy reloaded, sync issues, references the replay confirmed)."""

from __future__ import annotations

from typing import cast

from textual import on
from textual.timer import Timer

from console.client.connection import OFFLINE, ONLINE, SYNCING
from console.client.feed import ChangeBatch
from console.desk import SyncStatus
from console.i18n import _
from console.messages import DeskChanged, SyncChanged
from console.offline_wording import reference_text
from console.screens.lookup import LookupScreen
from console.screens.quit import QuitConfirmation
from console.shell.base import Shell
from console.shell.modes import Loads, showing

STATUS_DELAY = 0.15  # the Store reports every replayed row: redraw at most this often


class SyncStatusPart(Shell):
    """The Store's callbacks, on this app's event loop, turned into redraws and notifications."""

    _status_timer: Timer | None = None
    _seen_state: str = ONLINE
    _replay_total: int = 0
    _outage: bool = False  # offline (or writes queued) since the desk was last caught up
    _known_issues: set[int] | None = None
    _known_confirmed: set[int] | None = None

    def _store_changed(self, state: str) -> None:
        """The Store's callback: called after every change of state, outbox or issues (once
        per replayed row), on this app's event loop. A change of state shows at once (going
        offline must be visible); the rest arrives as :class:`SyncChanged` messages (a run of
        them is one), redrawn at most every ``STATUS_DELAY`` seconds."""
        if self._unmounting or not self.is_running:
            return
        changed = state != self._seen_state
        if changed and state == SYNCING and self.store is not None:
            self._replay_total = self.store.outbox_size()
        self._seen_state = state
        if changed and self.desk is not None:
            if self._status_timer is not None:
                self._status_timer.stop()
            self._apply_sync_status()
        else:
            self.post_message(SyncChanged(state))

    def _feed_read(self, batch: ChangeBatch) -> None:
        """The desk's change-feed poller read a batch (on this app's event loop): say so when
        it had to reload the local copy from scratch (the screens reload what they show)."""
        if batch.resynced and not self._unmounting:
            self.notify(
                _(
                    "This desk was away longer than the central system keeps its list of "
                    "changes: its local copy (services, slots, callers) was loaded again from "
                    "scratch. Writes waiting to be sent are kept and go as usual."
                ),
                title=_("Local copy reloaded"),
                severity="warning",
                timeout=20,
            )

    @on(SyncChanged)
    def _sync_changed(self) -> None:
        if self._status_timer is None and not self._unmounting:
            self._status_timer = self.set_timer(STATUS_DELAY, self._apply_sync_status)

    def _apply_sync_status(self) -> None:
        self._status_timer = None
        if self.desk is None or self._unmounting:
            return
        previous = self.sync_status
        status = self.desk.sync_status()
        if status.state == SYNCING:
            total = max(self._replay_total, status.queued)
            status = SyncStatus(
                state=status.state,
                queued=status.queued,
                issues=status.issues,
                last_sync=status.last_sync,
                done=total - status.queued,
                total=total,
            )
        self.sync_status = status
        self.connection_state = status.state
        if status.state == OFFLINE or (status.queued and status.state != ONLINE):
            self._outage = True
        elif status.state == ONLINE and not status.queued and self._outage:
            self._outage = False
            self.notify(
                _("The central system answers again; everything queued has been sent."),
                title=_("Back online"),
                timeout=8,
            )
            self.offer_open_calls()  # the service's own list, now that every wrap-up is in
        if previous.state == SYNCING and status.state != SYNCING:
            self._after_replay()
            self.report_replay(max(0, max(self._replay_total, previous.total) - status.queued))
        if previous.state != status.state == ONLINE and self.desk.phone.extension:
            self.sign_in_extension()  # declared again after an outage
        self._announce_issues()
        self._announce_confirmed()
        if (previous.issues, previous.confirmed) != (status.issues, status.confirmed):
            self.refresh_bindings()
            if showing(self.screen, "sync"):
                cast(Loads, self.screen).load()
        if previous.state != status.state and status.state == ONLINE:
            self._back_online()
        for screen in self.screen_stack:
            if isinstance(screen, QuitConfirmation):
                screen.refresh_reasons()
        self.refresh_status_bars()

    def _announce_issues(self) -> None:
        if self.desk is None:
            return
        current = {issue.id for issue in self.desk.sync_issues()}
        new = current - (self._known_issues or set())
        self._known_issues = current
        if new:
            self.notify(
                _(
                    "{count} queued write(s) need you: a slot may have been taken while this desk "
                    "was offline. Press {key} for the sync issues: rebook or call back."
                ).format(count=len(new), key=self.issues_key),
                title=_("Sync issues"),
                severity="warning",
                timeout=20,
            )

    def _announce_confirmed(self) -> None:
        """Bookings the replay confirmed: the agent gave the caller a provisional reference,
        and is told the real one at once (F6 lists them until passed on)."""
        if self.desk is None:
            return
        confirmed = self.desk.confirmations()
        new = [c for c in confirmed if c.id not in (self._known_confirmed or set())]
        first = self._known_confirmed is None
        self._known_confirmed = {c.id for c in confirmed}
        if not new:
            return
        if len(new) == 1 and not first:
            one = new[0]
            message = _(
                "{given} is confirmed as {real} ({name}). Tell the caller the real reference: "
                "{key}."
            ).format(
                given=reference_text(one.provisional),
                real=reference_text(one.reference),
                name=one.caller_name or "—",
                key=self.issues_key,
            )
        else:
            message = _(
                "{count} bookings made offline are confirmed under their real references. "
                "Tell the callers: {key}."
            ).format(count=len(new), key=self.issues_key)
        self.notify(message, title=_("Confirmed"), timeout=30, markup=False)

    def _back_online(self) -> None:
        """Screens showing what the local cache answered while offline ask again."""
        for screen in self.screen_stack:
            back_online = getattr(screen, "back_online", None)
            if callable(back_online):
                back_online()

    def _after_replay(self) -> None:
        """Provisional bookings on screen became real ones (or issues): show them afresh."""
        screen = self.screen
        if showing(screen, "bookings"):
            cast(Loads, screen).load()
        elif isinstance(screen, LookupScreen) and self.desk is not None and self.desk.caller:
            screen.refresh_bookings()

    def watch_connection_state(self) -> None:
        self.refresh_status_bars()

    @on(DeskChanged)
    def _desk_changed(self) -> None:
        self.refresh_status_bars()

    def stop_status_redraws(self) -> None:
        """The app closes: no more redraws of the sync status."""
        if self._status_timer is not None:
            self._status_timer.stop()
