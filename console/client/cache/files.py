"""Where a desk's cache files are: one per central service, in the user's data directory."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

_FILE_SLUG = re.compile(r"[^a-z0-9]+")


def cache_path(data_path: Path | str, server_url: str) -> Path:
    """The cache file for one central service: ``desk-<host>-<hash>.db`` in ``data_path``.

    One file per service, so a desk pointed at another service never mixes their callers,
    slots or queued writes.
    """
    slug = _FILE_SLUG.sub("-", server_url.lower().split("://")[-1]).strip("-")[:40] or "server"
    digest = hashlib.sha1(server_url.encode()).hexdigest()[:8]
    return Path(data_path) / f"desk-{slug}-{digest}.db"


def desk_caches(data_path: Path | str) -> list[Path]:
    """The desk cache files in ``data_path`` (one per central service used), by name."""
    folder = Path(data_path)
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.glob("desk-*.db") if path.is_file())
