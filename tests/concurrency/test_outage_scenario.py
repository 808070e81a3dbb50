"""Issue 17's outage, end to end: ``agent-console serve`` (2 workers on PostgreSQL), desk A
behind a link that refuses, hangs and drops answers, desk B taking one of A's offline slots,
desk A killed with ``kill -9`` with its writes queued, then the console and ``agent-console
sync`` replaying at the same moment (``benchmarks/outage.py``, which also times it: ``python
-m benchmarks.outage``). What must hold, asserted here; never how long it took:

- offline is shown when connections are refused and when they hang;
- the booking whose answer was lost is the booking the service made, with no issue;
- every queued write lands exactly once, the re-entered caller is matched by EMŠO, no slot is
  booked twice, the outbox empties;
- exactly one sync issue is raised, and it is true: the slot desk B took.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.outage import scenario


@pytest.mark.slow
async def test_the_outage_of_issue_17(database_url_param: str, tmp_path: Path) -> None:
    workers = 2 if database_url_param.startswith("postgresql") else 1
    result = await scenario(database_url_param, tmp_path, workers=workers, log=lambda _m: None)
    assert result.offline_refused > 0 and result.offline_hung > 0  # both were seen
    assert result.queued == 9  # a lost booking + its reference kept, and 7 offline writes
    assert result.lost_answer_mapped
    assert result.twin_matched
    assert (result.replayed, result.conflicts, result.refused) == (8, 1, 0)
    assert (result.issues, result.false_issues) == (1, 0)
    assert result.double_bookings == 0 and result.duplicated_writes == 0
    assert result.sync_exit in (0, 3)  # 3: done, and an issue waits for the agent
