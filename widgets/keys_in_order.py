"""Every key reaches the widget the order of the keystrokes implies, however busy the app is.

Textual 8.2.8's App hands each key to the widget focused *when the App reads the key*
(``App.on_event`` checks the priority bindings, then posts the key to the focused widget's
queue) and goes straight on to the next key. A key that moves the focus does so only later,
in other message pumps' turns:

- tab goes to the focused input, which does not use it; it bubbles up through the input's
  containers and the screen, back to the App, whose ordinary bindings (the screen's
  ``tab`` -> ``app.focus_next``) then move the focus;
- enter that submits an input posts ``Input.Submitted`` to the input; it bubbles to the
  screen, whose handler calls ``focus()`` on the next field, and that is itself a callback
  posted to the App's queue;
- a key that opens a screen or a dialog: the new screen sets its focus when it handles its
  ``ScreenResume``, or with ``focus()`` from its handlers.

Whatever the App read in the meantime (typed while the app was busy: under CPU load, 150 ms
between keys was enough; at once, as with type-ahead) was already posted to the field that had
the focus before: "Janez", tab, "Novak" gave "JanezN" and "ovak".

:class:`KeysInOrderApp` keeps the App from reading ahead of the keys it has handed out. A key
(and a paste, which goes to the focused widget too) is handed out only once the one before it
has been handled with all that followed from it: when every message pump it could have gone
through or affected has handled all it had queued (the widget the previous key went to and its
ancestors, the widget focused now and its ancestors, the screen, and the App itself). Until
then the keys wait, in order, and mouse events that come after a waiting key wait behind it
(a click moves the focus too). While the app keeps up (a key every 100 ms on an idle machine)
nothing waits: a key is handed out at once, as before.

The wait is bounded: after :data:`MAX_ROUNDS` rounds in which those pumps kept getting new
messages (something on them never stops talking), the next key is handed out anyway, as Textual
itself would have. A round whose callbacks a pump never runs (it was removed meanwhile) is
started again after :data:`WATCHDOG_SECONDS`; a handler that takes its time (an ``await`` in
it) is waited for, as the keys after it would wait for it in the same widget's queue.

The pumps' queues are read through :func:`widgets.textual_internals.pump_busy`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any

from textual import events
from textual.app import App, ReturnType
from textual.dom import DOMNode

from widgets.textual_internals import pump_busy

log = logging.getLogger(__name__)

MAX_ROUNDS = 50  # rounds of waiting for the pumps to go quiet before a key is handed out anyway
WATCHDOG_SECONDS = 0.5  # a round not finished by then is started again (a pump went away)

# What the App hands to a widget: it waits behind anything still waiting.
HELD = (events.Key, events.Paste, events.MouseEvent)
# Of those, what is handed out only once what came before it has settled: keys and pastes go
# to the focused widget, a click moves the focus (the mouse moving, the wheel only keep their
# place in the line).
IN_TURN = (events.Key, events.Paste, events.MouseDown, events.MouseUp, events.Click)


class KeysInOrderApp(App[ReturnType]):
    """An App that hands a key to a widget only once the key before it has been handled,
    with the focus changes it made (see the module's documentation)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keys_in_order = KeyOrder(self)

    async def on_event(self, event: events.Event) -> None:
        order = self.keys_in_order
        if event.is_forwarded or not isinstance(event, HELD) or not self.is_running:
            await super().on_event(event)
        elif order.waiting or (isinstance(event, IN_TURN) and not order.settled()):
            order.hold(event)
        else:
            await order.hand_out(event)

    async def handle_input(self, event: events.Event) -> None:
        """Textual's own handling of a key, a paste or a mouse event (the App's ``on_event``)."""
        await super().on_event(event)


class KeyOrder:
    """The keys (and what came behind them) waiting for the key before them to be handled."""

    def __init__(self, app: KeysInOrderApp) -> None:
        self.app = app
        self.held: deque[events.Event] = deque()
        self.last_path: tuple[DOMNode, ...] = ()  # where the last key went: it bubbles there
        self.round = 0  # the round in progress (an older round's callbacks are ignored)
        self.pending = 0  # the round's callbacks not yet run
        self.rounds = 0  # rounds finished since an event was last handed out
        self.watchdog: asyncio.TimerHandle | None = None
        self.waited = 0  # events handed out after waiting (read by tests)

    @property
    def waiting(self) -> bool:
        return bool(self.held)

    def _focus(self) -> DOMNode:
        app = self.app
        try:
            return app.focused or app.screen
        except Exception:  # no screen yet, or closing
            return app

    def path(self) -> list[DOMNode]:
        """The pumps a key could still be going through, or be changing the focus from."""
        pumps: list[DOMNode] = []
        for pump in (*self.last_path, *self._focus().ancestors_with_self):
            if not any(pump is seen for seen in pumps):
                pumps.append(pump)
        return pumps

    def settled(self) -> bool:
        """Whether everything the last key set going has been handled (asked in the App's own
        turn: the one message the App is handling is its caller's)."""
        app = self.app
        return not any(pump_busy(pump, own=pump is app) for pump in self.path())

    def hold(self, event: events.Event) -> None:
        self.held.append(event)
        if len(self.held) == 1:
            self.start_round()

    async def hand_out(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.Paste):  # where Textual sends it
            self.last_path = tuple(self._focus().ancestors_with_self)
        await self.app.handle_input(event)

    # -- waiting ------------------------------------------------------------------------------

    def start_round(self) -> None:
        """Ask every busy pump on the path to call back once it has handled what it has queued;
        when all have, the App (after its own queue) looks again."""
        app = self.app
        self.round += 1
        round_id = self.round
        self.pending = 0
        for pump in self.path():
            if pump is not app and pump_busy(pump) and pump.call_later(self._pump_done, round_id):
                self.pending += 1
        if not self.pending:
            app.call_later(self._look_again, round_id)
        if self.watchdog is not None:
            self.watchdog.cancel()
        self.watchdog = asyncio.get_running_loop().call_later(
            WATCHDOG_SECONDS, self._watchdog_fired, round_id
        )

    def _pump_done(self, round_id: int) -> None:
        if round_id != self.round:
            return
        self.pending -= 1
        if self.pending == 0:
            self.app.call_later(self._look_again, round_id)

    def _watchdog_fired(self, round_id: int) -> None:
        if round_id == self.round and self.held and self.app.is_running:
            self.app.call_later(self._restart, round_id)

    def _restart(self, round_id: int) -> None:
        if round_id == self.round and self.held:
            self.start_round()

    async def _look_again(self, round_id: int) -> None:
        if round_id != self.round:
            return
        self.rounds += 1
        await self.release()

    async def release(self) -> None:
        """Hand out the waiting events in order, each once the one before it has settled."""
        while self.held:
            if isinstance(self.held[0], IN_TURN) and not self.settled():
                if self.rounds < MAX_ROUNDS:
                    self.start_round()
                    return
                log.debug("keys in order: the app never settled; handing a key out anyway")
            self.rounds = 0
            event = self.held.popleft()
            self.waited += 1
            await self.hand_out(event)
        self.round += 1  # nothing waits: a late callback of the last round does nothing
        if self.watchdog is not None:
            self.watchdog.cancel()
            self.watchdog = None
