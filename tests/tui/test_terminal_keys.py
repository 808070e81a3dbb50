"""Keys as a terminal sends them, written into a pseudo-terminal running the console."""

from __future__ import annotations

import time

from terminal import console_in_terminal
from tui_shared import TODAY

ESC = b"\x1b"


def test_3_alt_digits_as_tmux_and_xterm_send_them_switch_screens(data_dir, tmp_path) -> None:
    """tmux and xterm (metaSendsEscape) send alt+N as ESC followed by the digit: Textual 8.2.8
    read that as a character (ESC 7 as "¶"); the console reads it as alt+N."""
    with console_in_terminal(data_dir, tmp_path, TODAY) as terminal:
        terminal.wait(lambda s: s.get("ready") and s.get("screen") == "LookupScreen")
        terminal.write(ESC + b"7")
        terminal.wait_screen("DirectoryScreen")
        terminal.write(ESC + b"2")
        terminal.wait_screen("SlotsScreen")
        terminal.write(ESC + b"3")
        terminal.wait_screen("BookingsScreen")
        terminal.write(ESC + b"1")
        state = terminal.wait_screen("LookupScreen")
        assert state["inputs"]["lookup-search"] == ""
        # Typing, then alt+7 at a typist's pace and straight after the last letter: no stray
        # character lands in the search box.
        terminal.write(b"kova" + ESC + b"7")
        terminal.wait_screen("DirectoryScreen")
        terminal.write(ESC + b"1")
        state = terminal.wait_screen("LookupScreen")
        assert state["inputs"]["lookup-search"] == "kova"


CTRL_N = b"\x0e"
TAB = b"\t"


def test_21_names_typed_after_tab_on_a_busy_console_land_each_in_its_field(
    data_dir, tmp_path
) -> None:
    """Issue 12 item 21: under CPU load, the letters typed right after tab landed in the field
    before ("JanezN" / "ovak" at 150 ms between keys). Here every key costs the console 200 ms
    of CPU and the keys come 150 ms apart, ctrl+n (the new-caller form) first: each name ends
    in its own field, and nothing in the caller search behind the form."""
    with console_in_terminal(data_dir, tmp_path, TODAY, slow_ms=200) as terminal:
        terminal.wait(lambda s: s.get("ready") and s.get("screen") == "LookupScreen")
        for key in [CTRL_N, *(bytes([c]) for c in b"Janez"), TAB, *(bytes([c]) for c in b"Novak")]:
            terminal.write(key)
            time.sleep(0.15)

        def typed(state: dict) -> bool:
            inputs = state.get("inputs", {})
            names = inputs.get("first_name-input", "") + inputs.get("last_name-input", "")
            return state.get("screen") == "NewCallerForm" and len(names) == len("JanezNovak")

        state = terminal.wait(typed, timeout=30)
        assert state["inputs"]["first_name-input"] == "Janez"
        assert state["inputs"]["last_name-input"] == "Novak"
        terminal.write(ESC)  # the form goes; what was typed in the search box shows
        state = terminal.wait_screen("LookupScreen")
        assert state["inputs"]["lookup-search"] == ""
