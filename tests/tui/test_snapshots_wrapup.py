"""Snapshots of the wrap-up form (F9), in Slovenian and in English.

The demo date is fixed (4. 3. 2030) and the timers are off, so the call duration and the
after-call work read 00:00 and the call back's weekday is stable.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

SIZE = (120, 36)


NOTES = {
    "sl": (
        "Zanimalo ga je, katere dokumente potrebuje za potni list.\n"
        "Poklical bo znova, ko preveri staro izkaznico.",
        "Potrdi seznam dokumentov",
    ),
    "en": (
        "Asked which documents a passport needs.\nWill call again after checking the old ID card.",
        "Confirm the list of documents",
    ),
}


async def _filled_form(pilot: Pilot, language: str) -> None:
    """Janez Kovač called; the agent chose a disposition, wrote notes and a call back."""
    app = pilot.app
    await pilot.press("f2")
    await app.workers.wait_for_complete()
    found = await app.desk.search("0101990500003")
    await app.desk.open_caller(found.callers[0].id)
    await pilot.press("f9")
    await app.workers.wait_for_complete()
    await pilot.pause()
    screen = app.screen
    await pilot.press("4")  # Information only
    notes, follow_up_note = NOTES[language]
    screen.notes.load_text(notes)
    screen.follow_up.value = True
    await pilot.pause()
    screen.follow_up_at.text = "5. 3. 2030 10:00"
    screen.follow_up_note.value = follow_up_note
    screen.follow_up_at.focus_input()
    await pilot.pause()


async def _empty_form(pilot: Pilot) -> None:
    """An anonymous call (F2 alone starts none: ctrl+g on the lookup does), wrapped up."""
    app = pilot.app
    await pilot.press("f2", "ctrl+g")
    await app.workers.wait_for_complete()
    app.clear_notifications()  # "Anonymous call started" (shown 4 s): not the wrap-up's
    await pilot.press("f9")
    await app.workers.wait_for_complete()
    await pilot.pause()


async def _refused_save(pilot: Pilot) -> None:
    """Saved with no disposition and an impossible call-back date: both are marked."""
    await _empty_form(pilot)
    screen = pilot.app.screen
    screen.follow_up.value = True
    await pilot.pause()
    screen.follow_up_at.text = "31. 2. 2030 10:00"
    await pilot.press("ctrl+s")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def _supervisor(pilot: Pilot) -> None:
    await pilot.press("f9")
    await pilot.pause()


@pytest.mark.parametrize("language", ["sl", "en"])
class TestWrapUpSnapshots:
    def test_filled_form_with_a_call_back(self, snap_compare, make_app, ready, language) -> None:
        async def run_before(pilot: Pilot) -> None:
            await ready(pilot)
            await _filled_form(pilot, language)

        assert snap_compare(make_app(language=language), run_before=run_before, terminal_size=SIZE)

    def test_refused_save_marks_the_fields(self, snap_compare, make_app, ready, language) -> None:
        async def run_before(pilot: Pilot) -> None:
            await ready(pilot)
            await _refused_save(pilot)

        assert snap_compare(make_app(language=language), run_before=run_before, terminal_size=SIZE)

    def test_supervisor_has_no_wrap_up_key(self, snap_compare, make_app, ready, language) -> None:
        """F9 shows nothing for a supervisor, and the footer has no F9 (issue 12 item 18)."""

        async def run_before(pilot: Pilot) -> None:
            await ready(pilot)
            await _supervisor(pilot)

        app = make_app(language=language, role="supervisor")
        assert snap_compare(app, run_before=run_before, terminal_size=SIZE)
