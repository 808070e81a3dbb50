"""The ``agent-console`` command in a real terminal (tmux), checked from outside as an operator
would: the system clock faked under it (libfaketime) across midnight, and the service typed key
by key at a person's pace. The desk works on a copy of the seeded demo world (``conftest.py``),
whose slots start on Monday 4. 3. 2030.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tmux_terminal import Terminal, faketime_env

pytestmark = pytest.mark.slow


def config_file(folder: Path, data_dir: Path, ui: str = "") -> Path:
    path = folder / "config.toml"
    path.write_text(
        f'data_dir = "{data_dir}"\n'
        "[demo]\ncallers = 300\ndays = 10\n"
        f'[ui]\nlanguage = "en"\ntimers = false\n{ui}'
    )
    return path


def slot_form(screen: str) -> tuple[str, str] | None:
    """The From and To the slot search shows, if it is on the screen."""
    found = re.search(r"▊\s*(\d+\. \d+\. \d{4})\s*▎\s*▊\s*(\d+\. \d+\. \d{4})\s*▎", screen)
    return (found.group(1), found.group(2)) if found else None


@pytest.fixture
def terminal(tmp_path: Path, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """A terminal of 120x36, or of the size a test gives with ``indirect`` parametrization."""
    term = Terminal(tmp_path, getattr(request, "param", (120, 36)))
    yield term
    term.close()


def widest(screen: str) -> int:
    """The columns the console drew on: its widest line."""
    return max(len(line.rstrip()) for line in screen.splitlines())


def start(
    terminal: Terminal, tmp_path: Path, data_dir: Path, env: dict[str, str], ui: str = ""
) -> None:
    config = config_file(tmp_path, data_dir, ui)
    terminal.start([], {"AGENT_CONSOLE_CONFIG": str(config), "USER": "mojca", **env})
    terminal.wait_for(lambda s: "Type at least 2 characters" in s, "the caller lookup", 90)


def open_slot_search(terminal: Terminal) -> str:
    """F3 until the slot search is up (a key pressed while the console starts may be lost)."""
    for _attempt in range(10):
        terminal.keys("F3")
        try:
            return terminal.wait_for(lambda s: slot_form(s) is not None, "the slot search", 5)
        except AssertionError:
            continue
    raise AssertionError(f"the slot search never opened:\n{terminal.screen()}")


def test_a_console_started_at_2359_shows_the_new_day_after_midnight(
    terminal: Terminal, tmp_path: Path, data_dir: Path
) -> None:
    """The system clock (faked from outside) starts a minute before midnight; the console's
    slot search, opened before midnight, shows the new day after it without a restart."""
    start(terminal, tmp_path, data_dir, faketime_env("2030-03-04 23:59:00"))
    shown = open_slot_search(terminal)
    assert slot_form(shown) == ("4. 3. 2030", "18. 3. 2030"), (
        "the slot search opened after midnight: the machine is too slow for this check"
    )
    after = terminal.wait_for(
        lambda s: slot_form(s) == ("5. 3. 2030", "19. 3. 2030"), "the new day", timeout=120
    )
    assert "Service" in after


@pytest.mark.parametrize("terminal", [(120, 36), (80, 24)], ids=["120x36", "80x24"], indirect=True)
def test_the_service_typed_key_by_key_chooses_the_dentist_for_young_people(
    terminal: Terminal, tmp_path: Path, data_dir: Path
) -> None:
    """At 120x36 and at 80x24, the classic terminal: there the slot search's form is on two
    rows, with From and To on the screen (``slot_form`` finds them)."""
    start(terminal, tmp_path, data_dir, {}, ui="today = 2030-03-04\n")  # the world's first day
    open_slot_search(terminal)
    terminal.type("health-den-y", pause=0.15)
    typed = terminal.wait_for(lambda s: "health-den-y" in s, "what was typed", 10)
    assert "Zobozdravn-y" not in typed and "-yik" not in typed
    terminal.keys("Enter")
    chosen = terminal.wait_for(
        # "free slots" on a second line at 80 columns: the words as a person reads them
        lambda s: "Dentist for children and young people" in s and re.search(r"free\s+slots", s),
        "the dentist for children and young people, searched",
        30,
    )
    assert "No service matches" not in chosen


def test_the_console_fills_its_terminal_whatever_columns_says(
    terminal: Terminal, tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CI runner may export COLUMNS=80 and LINES=24; they would override the terminal's own
    size, and the console would draw 80 columns in a 120-column window (the slot search's
    From and To then off the screen it drew). The console gets the terminal's size."""
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("LINES", "24")
    start(terminal, tmp_path, data_dir, {})
    assert terminal.window_size() == (120, 36)
    shown = open_slot_search(terminal)
    assert widest(shown) > 110, shown
