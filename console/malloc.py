"""The C allocator's arenas: how many the console's process may keep.

glibc gives each thread that allocates an arena of its own (up to eight per core), and an arena
keeps what was freed in it for the next allocation instead of giving it back to the system.
The embedded service answers the desk's requests on a pool of worker threads (anyio's, for the
service's synchronous routes): over a shift each of them came to hold an arena of freed pages,
some 15 MB of the console's resident memory that nothing used again (measured with the shift
benchmark, ``python -m benchmarks --only shift``: 164 MB with the default, 147 MB with two
arenas, after the same 20 calls). Two arenas are plenty for a desk: one person's requests,
one at a time.

Only glibc has ``mallopt(M_ARENA_MAX)``; elsewhere (musl, macOS) this does nothing. It applies
to arenas made from then on: call it before the threads start.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

M_ARENA_MAX = -8  # glibc's malloc.h
DESK_ARENAS = 2


def limit_malloc_arenas(arenas: int = DESK_ARENAS) -> bool:
    """Let the process keep at most ``arenas`` malloc arenas; True if the allocator took it.
    ``MALLOC_ARENA_MAX`` in the environment, when set, is the operator's and wins."""
    if not sys.platform.startswith("linux") or os.environ.get("MALLOC_ARENA_MAX"):
        return False
    name = ctypes.util.find_library("c") or "libc.so.6"
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, arenas))
