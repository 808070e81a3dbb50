"""The screen pop: a call ringing on this desk's extension shows its caller's card."""

from __future__ import annotations

from textual import on, work
from textual.screen import Screen

from console.desk_phone import CallInProgress, RingingCall
from console.i18n import _
from console.messages import DeskChanged, RingingChanged
from console.screens.startup import StartupScreen
from console.shell.base import Shell


class ScreenPopPart(Shell):
    """The extension declared to the central service, and the dialog of the call ringing."""

    _ringing: tuple[str, Screen] | None = None  # the call popped, and its dialog

    @work(exclusive=True, group="extension", exit_on_error=False)
    async def sign_in_extension(self) -> None:
        """Declare ``[telephony] extension`` to the central service (again after an outage;
        offline it waits for the desk to be back)."""
        if self.desk is not None and self.config.telephony.extension:
            if self.desk.phone.extension is None:
                await self.desk.phone.sign_in(self.config.telephony.extension)
            else:
                await self.desk.phone.declare_again()

    def _ringing_from_feed(self, ringing: list[RingingCall], ended: set[str]) -> None:
        """The change feed's subscriber (called on this loop by the sync task)."""
        if not self._unmounting and self.is_running:
            self.post_message(RingingChanged(ringing, ended))

    @on(RingingChanged)
    def _ringing_changed(self, message: RingingChanged) -> None:
        shown = self._ringing
        if shown is not None and shown[0] in message.ended:
            self._take_down(shown[1])
        if message.ringing:
            self.pop_ringing(message.ringing[-1])

    def _take_down(self, screen: Screen) -> None:
        """The call popped stopped ringing here: its dialog goes (now, or when it is shown
        again: the agent may have switched screens meanwhile)."""
        self._ringing = None
        ended = getattr(screen, "ring_ended", None)
        if ended is not None:
            ended()

    @work(exclusive=True, group="ringing", exit_on_error=False)
    async def pop_ringing(self, call: RingingCall) -> None:
        """Show the card of the caller a ringing number belongs to (the callers, when several;
        the new-caller form with the number, when none)."""
        from console.screens.ringing import RingingCallerForm, RingingDialog

        desk = self.desk
        if desk is None or isinstance(self.screen, StartupScreen):
            return
        matches = await desk.phone.matches(call)
        previous, self._ringing = self._ringing, None
        if previous is not None:
            self._take_down(previous[1])
        current = desk.call
        busy = current is not None and (
            current.caller_id is not None or desk.last_booking is not None
        )
        screen: Screen
        if matches.none and not busy:
            screen = RingingCallerForm(call)
            self.push_screen(screen, lambda outcome: self._ringing_form_closed(call, outcome))
        else:
            screen = RingingDialog(
                call, matches, today=desk.today(), dispositions=desk.dispositions, busy=busy
            )
            self.push_screen(screen, self._ringing_answered)
        self._ringing = (call.call_id, screen)

    def _ringing_answered(self, answer: object) -> None:
        from console.screens.ringing import TakeCall

        self._ringing = None
        if isinstance(answer, TakeCall):
            self.take_ringing(answer.call, answer.caller_id)

    def _ringing_form_closed(self, call: RingingCall, outcome: object) -> None:
        from console.screens.new_caller import FormOutcome

        self._ringing = None
        if not isinstance(outcome, FormOutcome):
            return
        if outcome.created is not None:  # saved: the call started with the new caller
            self.open_call(outcome.created.id)
        elif outcome.open_id is not None:  # the caller existed after all
            self.take_ringing(call, outcome.open_id)

    @work(exclusive=True, group="call", exit_on_error=False)
    async def take_ringing(self, call: RingingCall, caller_id: int | None) -> None:
        desk = self.desk
        if desk is None:
            return
        try:
            await desk.phone.take(call, caller_id)
        except CallInProgress:
            self.notify(
                _("A call is in progress: wrap it up first ({key}).").format(
                    key=self.key_label("wrapup")
                ),
                severity="warning",
            )
            return
        self.post_message(DeskChanged())
        self.open_call(caller_id, call.number if caller_id is None else None)
