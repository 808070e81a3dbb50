"""This desk's state on the floor: reported on start, on changes, as a heartbeat; away and back."""

from __future__ import annotations

from textual import work
from textual.timer import Timer
from textual.worker import Worker

from console.i18n import _
from console.messages import DeskChanged
from console.shell.base import Shell


class PresencePart(Shell):
    """Ready, away (with a reason), the heartbeat, and signing out when the app closes."""

    _heartbeat_timer: Timer | None = None
    _heartbeat_worker: Worker | None = None

    @work(group="presence", exit_on_error=False)
    async def start_presence(self) -> None:
        """Report ready (with the outbox's counts), then a heartbeat every
        ``heartbeat_seconds`` the service asks for. Never queued: offline, nothing is sent."""
        presence = self.desk.presence if self.desk is not None else None
        if presence is None:
            return
        await presence.start()
        if presence.silent or self._unmounting:
            return
        self._heartbeat_timer = self.set_interval(presence.heartbeat_seconds, self._heartbeat)

    def _presence_changed(self) -> None:
        if not self._unmounting:
            self.post_message(DeskChanged())

    def _heartbeat(self) -> None:
        presence = self.desk.presence if self.desk is not None else None
        if presence is None or presence.silent or self._unmounting:
            return
        if self._heartbeat_worker is not None and self._heartbeat_worker.is_running:
            return  # the last one is still on its way (a slow service)
        self._heartbeat_worker = self.run_worker(
            presence.heartbeat(), group="heartbeat", exit_on_error=False
        )

    def report_replay(self, count: int) -> None:
        """Back from an outage: tell the floor how many queued writes this desk replayed."""
        presence = self.desk.presence if self.desk is not None else None
        if presence is not None and not presence.silent and not self._unmounting:
            self.run_worker(presence.replayed(count), group="presence", exit_on_error=False)

    def action_toggle_away(self) -> None:
        """Away with a reason (chosen in a dialog), or back to ready: one key."""
        desk = self.desk
        if desk is None or desk.presence is None or not self._desk_ready():
            return
        presence = desk.presence
        if presence.state == "away":
            desk.back_ready()
            return
        if desk.call is not None:
            self.notify(
                _("Wrap up the call first ({key}); then you can step away.").format(
                    key=self.key_label("wrapup")
                ),
                title=_("On a call"),
                severity="warning",
            )
            return
        from console.screens.away import AwayDialog

        def chosen(reason: str | None) -> None:
            if reason is not None and self.desk is not None:
                self.desk.go_away(reason)

        self.push_screen(AwayDialog(presence.away_reasons), chosen)

    async def stop_presence(self) -> None:
        """The app closes: no more heartbeats; the floor shows the desk signed out, not
        unreachable."""
        if self._heartbeat_timer is not None:
            self._heartbeat_timer.stop()
        presence = self.desk.presence if self.desk is not None else None
        if presence is not None:
            await presence.sign_out()
            await presence.aclose()
