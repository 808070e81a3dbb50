"""Where the real data of ``../shared/data`` is, for tests that read it.

``AGENT_CONSOLE_SHARED_DATA`` (read when this module is imported, before the suite's autouse
fixture clears the ``AGENT_CONSOLE_*`` variables) or ``<repo root>/../shared/data``. Without it
such tests skip on a developer's machine and fail in CI (``CI=true``), where it is always there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_CONFIGURED = os.environ.get("AGENT_CONSOLE_SHARED_DATA")
SHARED_DATA = Path(_CONFIGURED) if _CONFIGURED else ROOT.parent / "shared" / "data"


def shared_data_or_skip() -> Path:
    """The real data folder (with ``zzzs/`` and ``zdravniki/``), or skip (fail in CI)."""
    if (SHARED_DATA / "zzzs").is_dir() and (SHARED_DATA / "zdravniki").is_dir():
        return SHARED_DATA
    message = f"the real doctor lists are not at {SHARED_DATA} (set AGENT_CONSOLE_SHARED_DATA)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)
