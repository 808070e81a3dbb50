"""How many API worker processes `agent-console serve` runs when [service] workers is 0."""

from __future__ import annotations

import os

import pytest

from console.config import ServiceSection
from console.server.db import default_workers


def test_sqlite_runs_one_worker_its_writers_queue_inside_one_process(tmp_path) -> None:
    assert default_workers(tmp_path / "central.db") == 1
    assert default_workers(f"sqlite:///{tmp_path / 'central.db'}") == 1


def test_postgresql_runs_one_per_core_up_to_eight(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql://agent_console@127.0.0.1:5432/agent_console"
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert default_workers(url) == 2
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert default_workers(url) == 8
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert default_workers(url) == 1


def test_zero_means_pick_and_a_number_is_kept() -> None:
    assert ServiceSection().workers == 0
    assert ServiceSection(workers=3).workers == 3
    with pytest.raises(ValueError):
        ServiceSection(workers=-1)
