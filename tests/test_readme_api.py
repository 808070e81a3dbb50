"""The README's API section tells what the service does: every error code with its status, and
the limits the code enforces (issue 13: "the README's API section lists the limits and every
error code")."""

from __future__ import annotations

import re
from pathlib import Path

from console.domain import models
from console.server import errors, guard

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
API = README[README.index("### API") : README.index("## Benchmarks")]


def test_every_error_code_is_in_the_readme_with_its_status() -> None:
    rows = set(re.findall(r"^\| (\d{3}) \| `([a-z_]+)` \|", API, re.MULTILINE))
    assert rows == {(str(status), code) for status, code, _ in errors.ERROR_CODES}


def test_the_limits_in_the_readme_are_the_codes() -> None:
    assert f"{guard.MAX_BODY_BYTES // 1024} KiB" in API
    assert f"nested at most {guard.MAX_JSON_DEPTH} levels" in API
    assert models.MAX_ID == 2**53 - 1 and "2^53−1" in API
    assert models.EARLIEST.date().isoformat() in API  # 2000-01-01
    assert "2099-12-31" in API and models.LATEST.year == 2100
    fields = models.CallerIn.model_fields
    assert fields["first_name"].metadata and "`first_name`, `last_name` 1–80" in API
    assert f"`phones` at most {models.MAX_PHONES}" in API
    assert f"`flags` at most {models.MAX_FLAGS}" in API
    assert "8–80 visible ASCII" in API
