"""The console starts on the lookup: the other screens are imported when first shown."""

from __future__ import annotations

import subprocess
import sys

from console.shell.modes import SCREENS, screen_class, showing


def test_importing_the_app_leaves_the_other_screens_unloaded() -> None:
    modules = sorted(module for module, _name in SCREENS.values())
    code = f"import sys, console.app; print(','.join(m for m in {modules!r} if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""


def test_every_mode_has_its_screen() -> None:
    for mode, (module, name) in SCREENS.items():
        screen = screen_class(mode)
        assert screen.__module__ == module and screen.__name__ == name
        assert not showing(object(), mode)  # type: ignore[arg-type]


def test_the_console_and_its_embedded_service_load_no_orm() -> None:
    """SQLAlchemy Core only: the ORM is a large import the console would pay at every start."""
    code = (
        "import sys, console.app, console.server.app, console.client.embedded; "
        "print(any(m.startswith('sqlalchemy.orm') for m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
