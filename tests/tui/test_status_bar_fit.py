"""The status bar at 80 columns: offline, in a call, with a hold, a queue and a sync issue, it
says more than 80 columns hold. It leaves out what matters least (the last sync's age, the
agent's own name) and never cuts off the hold's countdown, the call's timer or the
connection; at 200 columns it says everything."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console
from rich.text import Text
from textual.app import App, ComposeResult

from console import i18n
from console.clock import Clock
from console.desk_views import SyncStatus
from console.domain.models import Agent, Caller, Role
from console.i18n import _
from widgets.offline_banner import OfflineBanner, banner_lines, rows_taken
from widgets.status_bar import ESSENTIAL, StatusBar, fitted


@dataclass
class InACall:
    """A desk in a call with a caller and a slot held."""

    agent: Agent | None = field(
        default_factory=lambda: Agent(id=1, name="Mojca Potočnik", role=Role.AGENT)
    )
    call_started: float | None = 0.0
    call_ended: float | None = None
    caller: Caller | None = field(
        default_factory=lambda: Caller(
            id=7,
            first_name="Janez",
            last_name="Kovač",
            phones=[],
            emso=None,
            zzzs_number=None,
            email=None,
            language="sl",
            notes="",
            flags=[],
            created_at=datetime.now(UTC),
            updated_at=datetime.now(UTC),
        )
    )
    read_only: bool = False
    clock: Clock = field(default_factory=Clock)
    agent_state: str | None = "on_call"

    def call_seconds(self, now: float | None = None) -> int | None:
        return 75

    def hold_seconds_left(self) -> int | None:
        return 150

    def away_label(self, language: str) -> str | None:
        return None


class Bar(App[None]):
    """The bar alone (it puts the offline banner under itself)."""

    def __init__(self, status: SyncStatus) -> None:
        super().__init__()
        self.status = status

    def compose(self) -> ComposeResult:
        yield StatusBar(InACall(), status=self.status)


def test_the_least_important_parts_go_first_and_the_essential_ones_never() -> None:
    parts = [(1, Text("aaaa")), (10, Text("BBBB")), (3, Text("cccc")), (1, Text("dddd"))]
    assert fitted(parts, 0).plain == "aaaaBBBBccccdddd"
    assert fitted(parts, 16).plain == "aaaaBBBBccccdddd"
    assert fitted(parts, 12).plain == "aaaaBBBBcccc"  # of two equal ones, the later goes first
    assert fitted(parts, 8).plain == "BBBBcccc"
    assert fitted(parts, 2).plain == "BBBB"  # what must show stays, even cut
    assert ESSENTIAL == 10


@pytest.mark.parametrize("language", ["sl", "en"])
async def test_offline_in_a_call_with_a_hold_at_80_columns(language: str) -> None:
    i18n.set_language(language)
    try:
        last = datetime.now(UTC) - timedelta(seconds=12)
        status = SyncStatus(state="offline", queued=3, issues=1, last_sync=last)
        app = Bar(status)
        async with app.run_test(size=(80, 6)) as pilot:
            await pilot.pause()
            bar = app.query_one(StatusBar)
            said = str(bar.render())
            assert len(said) <= 78, said  # 80 less the bar's padding: nothing cut off
            hold = "Zadržan termin 02:30" if language == "sl" else "Hold 02:30"
            call = "Klic 01:15" if language == "sl" else "Call 01:15"
            offline = "brez povezave" if language == "sl" else "offline"
            queued = "3 v čakalni vrsti" if language == "sl" else "3 queued"
            for needed in (hold, call, offline, "(F6)"):
                assert needed in said, (needed, said)
            # The queue's count, if the bar has no room for it, is in the banner beneath.
            banner = str(app.query_one(OfflineBanner).render())
            assert (queued in said) != (queued in banner), (said, banner)  # once, not twice
            assert app.query_one(OfflineBanner).region.height <= 2, banner
            await pilot.resize_terminal(200, 6)
            await pilot.pause()
            wide = str(bar.render())
            assert "Mojca Potočnik" in wide and "Janez Kovač" in wide and hold in wide
            assert ("pred 12 s" if language == "sl" else "12 s ago") in wide
    finally:
        i18n.set_language("sl")


@pytest.mark.parametrize("language", ["sl", "en"])
def test_the_banner_says_it_in_two_rows_at_80_columns_and_in_full_when_there_is_room(
    language: str,
) -> None:
    i18n.set_language(language)
    try:
        console = Console(width=200)
        queued = Text(_("{count} queued").format(count=1234))  # longer than any real queue
        synced = Text(_("last sync {age} ago").format(age="59 min"))
        unreachable = "ni dosegljiv" if language == "sl" else "unreachable"
        for left_out in ((None, None), (queued, None), (None, synced), (queued, synced)):
            lines = banner_lines(*left_out, 78, console)  # 80 columns less the padding
            said = " ".join(line.plain for line in lines)
            assert rows_taken(lines, 78, console) <= 2, said
            assert unreachable in said and "(P-…)" in said
            if left_out[0]:  # the queue's count, if the bar had no room for it, always
                assert queued.plain in said, said
        wide = banner_lines(queued, synced, 198, console)
        said = " ".join(line.plain for line in wide)
        assert rows_taken(wide, 198, console) <= 2
        assert _("Reconnecting by itself.") in said and synced.plain in said
        assert said.count(queued.plain) == 1
    finally:
        i18n.set_language("sl")


@pytest.mark.parametrize("language", ["sl", "en"])
def test_a_supervisors_banner_says_what_a_read_only_desk_needs_not_the_callers_advice(
    language: str,
) -> None:
    """A supervisor books nothing: no "tell the caller", but that the floor comes back."""
    i18n.set_language(language)
    try:
        console = Console(width=200)
        floor = "nadzor se vrne" if language == "sl" else "the floor comes back"
        for width in (78, 198):
            lines = banner_lines(None, None, width, console, read_only=True)
            said = " ".join(line.plain for line in lines)
            assert rows_taken(lines, width, console) <= 2, said
            assert "(P-…)" not in said and floor in said, said
    finally:
        i18n.set_language("sl")
