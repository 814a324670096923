"""glibc's malloc, set for one CLI run: one arena, whichever thread allocates.

glibc gives a thread that allocates while another holds an arena an arena of its own (up to
eight per CPU). A run loads state, expands the configuration and hashes secrets on worker
threads while the event loop reads; what a worker frees stays in its arena, where the loop
never reuses it: at 10,000 buyers a no-change plan peaked at 393 MB with them and 370 MB
with one (docs/performance.md). Python allocates holding the GIL, so its threads seldom wait
for one arena. Where malloc is not glibc's (macOS, musl), nothing is set.
"""

from __future__ import annotations

import ctypes

M_ARENA_MAX = -8  # glibc's malloc.h


def one_arena() -> bool:
    """Ask glibc's malloc for one arena from now on; False where malloc is not glibc's.
    glibc takes no way back (0 is refused), which a process running one command never needs."""
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 (glibc's own: musl's mallopt does nothing)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_ARENA_MAX, 1))
