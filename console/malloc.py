"""The C allocator's arenas: how many the console's process may keep, and giving back what
they hold freed.

glibc gives each thread that allocates an arena of its own (up to eight per core), and an arena
keeps what was freed in it for the next allocation instead of giving it back to the system.
The embedded service answers the desk's requests on a pool of worker threads (anyio's, for the
service's synchronous routes): over a shift each of them came to hold an arena of freed pages,
some 15 MB of the console's resident memory that nothing used again (measured with the shift
benchmark, ``python -m benchmarks --only shift``: 164 MB with the default, 147 MB with two
arenas, after the same 20 calls). Two arenas are plenty for a desk: one person's requests,
one at a time.

What an arena keeps freed stays in the process's resident memory until the allocator gives it
back, which it does by itself only from the top of the main heap. The desk frees big blocks at
known moments: the hourly refresh of the slot window replaces thousands of cached slots, and a
call's end drops what the call read (the caller's card, slot pages, the embedded service's
pages and SQLite's caches of connections its pool closed). After those :func:`give_back_freed`
asks glibc (``malloc_trim``) to return the whole free pages of every arena to the system.

Only glibc has ``mallopt(M_ARENA_MAX)`` and ``malloc_trim``; elsewhere (musl, macOS) these do
nothing. The arena limit applies to arenas made from then on: call it before the threads start.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import sys

M_ARENA_MAX = -8  # glibc's malloc.h
DESK_ARENAS = 2


def _libc() -> ctypes.CDLL | None:
    """The C library on Linux (glibc's or musl's); None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    return _load_libc()


@functools.cache
def _load_libc() -> ctypes.CDLL | None:
    """The C library, loaded once (finding it runs ``ldconfig``: not at every call's end)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def give_back_freed() -> bool:
    """Return the whole free pages the allocator's arenas hold to the system (glibc's
    ``malloc_trim(0)``); True if some were. A few milliseconds at most: call it at a quiet
    moment (a call's end, after the slot window's refresh)."""
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None)
    if trim is None:
        return False
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return bool(trim(0))


def limit_malloc_arenas(arenas: int = DESK_ARENAS) -> bool:
    """Let the process keep at most ``arenas`` malloc arenas; True if the allocator took it.
    ``MALLOC_ARENA_MAX`` in the environment, when set, is the operator's and wins."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    mallopt = getattr(_libc(), "mallopt", None)
    if mallopt is None:
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, arenas))
