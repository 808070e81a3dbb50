"""Calls an earlier session left open (it quit or crashed during them), offered for wrap-up."""

from __future__ import annotations

from textual import work

from console.i18n import _, ngettext
from console.messages import DeskChanged
from console.shell.base import Shell


class OpenCallsPart(Shell):
    """The offer, once the outbox is empty; the call resumed; those left for later."""

    # Calls left open the agent chose to leave for now ("later"): not offered again until the
    # next start.
    _left_for_later: frozenset[int] = frozenset()

    @work(exclusive=True, group="open-calls", exit_on_error=False)
    async def offer_open_calls(self) -> None:
        """List this agent's calls left open (an earlier session quit or crashed during them)
        and offer to wrap each up; those the agent leaves for later wait for the next start."""
        from console.screens.open_calls import OpenCallsDialog

        desk = self.desk
        if desk is None or desk.read_only or self._unmounting:
            return
        if any(isinstance(screen, OpenCallsDialog) for screen in self.screen_stack):
            return
        if desk.sync_status().queued:
            return  # a queued wrap-up may close one: offered once everything is sent
        found = [
            left for left in await desk.open_calls() if left.call.id not in self._left_for_later
        ]
        if not found or self._unmounting or desk.call is not None:
            return  # (during a call the offer waits: it comes again after its wrap-up)
        self.push_screen(OpenCallsDialog(found), self._open_call_chosen)

    def _open_call_chosen(self, chosen: object) -> None:
        from console.desk_views import LeftOpen
        from console.screens.open_calls import OpenCallsDialog

        if isinstance(chosen, LeftOpen):
            self.resume_call(chosen)
            return
        for screen in self.screen_stack:  # (none: the dialog has gone)
            if isinstance(screen, OpenCallsDialog):
                return
        desk = self.desk
        if desk is not None:
            self.run_worker(self._leave_for_later(), group="open-calls-later")

    async def _leave_for_later(self) -> None:
        desk = self.desk
        if desk is None:
            return
        left = await desk.open_calls()
        self._left_for_later = self._left_for_later | {item.call.id for item in left}
        if left:
            self.notify(
                ngettext(
                    "{count} call stays open: it is offered again on the next start.",
                    "{count} calls stay open: they are offered again on the next start.",
                    len(left),
                ).format(count=len(left)),
                timeout=6,
            )

    @work(exclusive=True, group="call", exit_on_error=False)
    async def resume_call(self, left: object) -> None:
        """Make a call left open the desk's call and open its wrap-up."""
        from console.desk_views import LeftOpen

        desk = self.desk
        if desk is None or not isinstance(left, LeftOpen):
            return
        if desk.call is not None:
            self.notify(
                _("A call is in progress: wrap it up first ({key}).").format(
                    key=self.key_label("wrapup")
                ),
                severity="warning",
            )
            return
        await desk.resume_call(left.call)
        self.post_message(DeskChanged())
        await self.switch_mode("wrapup")
