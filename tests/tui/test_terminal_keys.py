"""Keys as a terminal sends them, written into a pseudo-terminal running the console."""

from __future__ import annotations

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
