"""Quitting: first ask if that would leave something behind (a call not wrapped up, a slot
held, writes not sent yet); quitting anyway leaves a line on the terminal."""

from __future__ import annotations

from rich.text import Text

from console.i18n import _
from console.screens.quit import (
    EXIT_QUEUED,
    RELEASE,
    WRAP_UP,
    QuitConfirmation,
    QuitReason,
    call_reason,
    hold_reason,
    queued_reason,
    quit_line,
)
from console.shell.base import Shell


class QuittingPart(Shell):
    """ctrl+q and the palette's Quit, the quit dialog's answers, and ctrl+c's hint."""

    def quit_reasons(self) -> list[QuitReason]:
        """What quitting now would leave behind (QuitConfirmation lists it)."""
        reasons: list[QuitReason] = []
        desk = self.desk
        if desk is not None and not self._unmounting:
            if desk.call is not None and not desk.read_only:
                caller = desk.caller
                name = f"{caller.first_name} {caller.last_name}" if caller is not None else None
                wrap_key = self.key_label("quit.wrap_up")  # the dialog's own key, not F9
                reasons.append(call_reason(name, desk.call.started_at, wrap_key))
            if desk.hold is not None:
                reasons.append(hold_reason(desk.hold))
            queued = queued_reason(desk.queued_writes(), self.sync_command)
            if queued is not None:
                reasons.append(queued)
        return reasons

    async def action_quit(self) -> None:
        """ctrl+q (and the palette's Quit): quit, but first ask if that would leave something
        behind: a call not wrapped up, a slot held, writes not sent yet."""
        if any(isinstance(screen, QuitConfirmation) for screen in self.screen_stack):
            return
        if not self.quit_reasons():
            self.exit()
            return

        def answered(answer: bool | str | None) -> None:
            if answer == WRAP_UP:
                self.run_worker(self.action_show_wrapup(), group="quit", exclusive=True)
            elif answer == RELEASE:
                self.run_worker(self._release_and_quit(), group="quit", exclusive=True)
            elif answer is True:
                self.quit_anyway()

        self.push_screen(
            QuitConfirmation(self.quit_reasons, send_now=self.action_reconnect_quietly), answered
        )

    async def _release_and_quit(self) -> None:
        """Let the held slot go now (another desk may book it at once), leave the call open
        (the next start offers it for wrap-up), and quit."""
        if self.desk is not None:
            await self.desk.release_hold()
        self.quit_anyway()

    def quit_anyway(self) -> None:
        """Quit, leaving a line on the terminal if writes stay queued (exit status 1)."""
        queued = len(self.desk.queued_writes()) if self.desk is not None else 0
        if not queued:
            self.exit()
            return
        line = quit_line(queued, self.sync_command)
        self.exit(result=line, return_code=EXIT_QUEUED, message=Text(line))

    def action_reconnect_quietly(self) -> None:
        if self.store is not None:
            self.store.wake()

    def action_help_quit(self) -> None:
        """ctrl+c does not quit (it copies in an input): say which key does."""
        self.notify(
            _("Press {key} to quit the console.").format(key=self.key_label("quit")),
            title=_("Do you want to quit?"),
        )
