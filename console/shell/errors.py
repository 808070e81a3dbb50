"""Errors in one place: a failed worker (the app's or a screen's) becomes one notification."""

from __future__ import annotations

from textual import on
from textual.worker import Worker, WorkerState

from console.client.api import ApiError, ApiRefused, Unreachable
from console.i18n import _
from console.screens.startup import StartupScreen
from console.shell.base import Shell


class ErrorsPart(Shell):
    """The one error display: on the startup screen while connecting, else a notification."""

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        if event.worker.group == "connect" and isinstance(self.screen, StartupScreen):
            self.screen.show_failure(describe(error) + "\n" + _("Press ctrl+q to quit."))
            return
        self.show_error(error)

    def show_error(self, error: BaseException | None) -> None:
        # The connection state comes from the Store (it fails over by itself); an Unreachable
        # that reaches here is what the cache cannot answer offline.
        if isinstance(error, Unreachable) and self.store is not None:
            self.store.wake()
        # Markup off: a message may name a config key in brackets ("[server] token").
        self.notify(describe(error), title=title(error), severity="error", timeout=8, markup=False)


def title(error: BaseException | None) -> str:
    """The notification's title for ``error``."""
    if isinstance(error, Unreachable):
        return _("Central service unreachable")
    if isinstance(error, ApiRefused):
        if error.status == 409:
            return _("Conflict")
        if error.status == 403:
            return _("Not allowed")
        if error.status == 422:
            return _("Check the input")
        return _("Refused")
    return _("Error")


def never_connected() -> str:
    """Why a desk that was never online cannot start without the central system."""
    return _(
        "The central system is unreachable, and this desk has never been connected to it: "
        "it needs the central system once before it can work offline."
    )


def describe(error: BaseException | None) -> str:
    """What went wrong, in the agent's language where the console knows the case."""
    if isinstance(error, Unreachable) and "never been online" in error.message:
        return never_connected()
    if isinstance(error, Unreachable) and "local cache" in error.message:
        return _(
            "The central system is unreachable, and this is not in this desk's local cache: "
            "only callers, bookings and slots this desk has seen are."
        )
    if isinstance(error, ApiError):
        return error.message
    return f"{type(error).__name__}: {error}"
