"""The console in a pseudo-terminal's child process, telling the test what it shows.

Run by :mod:`terminal` (``python pty_console.py SETTINGS.json REPORT.json``): the real app on
the test's copy of the seeded data, its input the bytes the test writes into the terminal, as
a terminal would send them. Every 50 ms it writes what is on screen to ``REPORT.json``
(atomically): the screen's class, the focused widget's id, and every input's value. With
``slow_ms`` in the settings, every key the console reads costs it that much CPU first (a
loaded machine, made repeatable). Not a test module.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import date
from pathlib import Path

from textual import events
from textual.widgets import Input

import console.app as app_module
from console.app import AgentConsole
from console.config import CacheSection, Config, DemoSection, UiSection
from console.domain.models import Role


class ReportingConsole(AgentConsole):
    # Textual reads CSS_PATH beside the module of the class: the console's own files.
    CSS_PATH = [str(Path(app_module.__file__).parent / path) for path in AgentConsole.CSS_PATH]
    report_path: Path
    slow_seconds = 0.0

    async def on_event(self, event: events.Event) -> None:
        if self.slow_seconds and isinstance(event, events.Key) and not event.is_forwarded:
            busy_until = time.perf_counter() + self.slow_seconds
            while time.perf_counter() < busy_until:  # the CPU, not a sleep: nothing else runs
                pass
        await super().on_event(event)

    def on_ready(self) -> None:
        self.set_interval(0.05, self._report)

    def _report(self) -> None:
        screen = self.screen
        focused = screen.focused
        state = {
            "screen": type(screen).__name__,
            "ready": self.desk is not None,
            "focused": focused.id if focused is not None else None,
            "inputs": {
                widget.id: widget.value for widget in screen.query(Input) if widget.id is not None
            },
        }
        temporary = self.report_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(state), encoding="utf-8")
        os.replace(temporary, self.report_path)


def main() -> None:
    settings = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    config = Config(
        data_dir=settings["data_dir"],
        demo=DemoSection(callers=300, days=10),
        cache=CacheSection(sync_seconds=2.0),
        ui=UiSection(
            timers=False,
            today=date.fromisoformat(settings["today"]),
            search_delay_ms=0,
            language=settings.get("language", "sl"),
        ),
    )
    app = ReportingConsole(config, role=Role(settings.get("role", "agent")))
    app.report_path = Path(sys.argv[2])
    app.slow_seconds = settings.get("slow_ms", 0) / 1000
    app.run()


if __name__ == "__main__":
    main()
