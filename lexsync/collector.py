"""CPython's cyclic garbage collector, set for one CLI run.

A plan of thousands of buyers builds millions of containers (the configuration's models,
state, the live answers) that live until the run ends. At the collector's default thresholds
it walks all of them again and again: at 2,000 buyers that was a fifth of a no-change plan's
CPU (docs/performance.md). A CLI run therefore collects young objects less often, and at the
end of each phase moves what is alive out of the collector's sight (`gc.freeze`). Frozen
objects are still freed when their last reference goes; only a reference cycle among them
waits for the end of the command, when the setting is given back (`end_of_the_run`).

When the `lexsync` program itself exits, everything alive is frozen once more
(`leave_to_the_os`): the interpreter's last collection then walks nothing, and the memory of a
large run goes back to the system whole rather than object by object (~0.08 s of a targeted
plan at 10,000 buyers).
"""

from __future__ import annotations

import gc

# Young collections every 20,000 net allocations instead of 700; older ones less often too.
RUN_THRESHOLDS = (20_000, 50, 100)

_one_run = False
_before: tuple[int, int, int] | None = None  # the thresholds a run found, given back at its end


def set_for_one_run() -> None:
    """The process runs one command: collect less often, and freeze each phase."""
    global _one_run, _before
    if not _one_run:
        _before = gc.get_threshold()
    _one_run = True
    gc.set_threshold(*RUN_THRESHOLDS)


def keep_until_the_end() -> None:
    """What is alive now lives until the run ends: the collector need not walk it again."""
    if _one_run:
        gc.freeze()


def end_of_the_run() -> None:
    """The command is done: what it froze is the collector's again, at the thresholds it
    found (a program that runs commands in its own process keeps collecting as before)."""
    global _one_run, _before
    if _one_run:
        gc.unfreeze()
        if _before is not None:
            gc.set_threshold(*_before)
    _one_run, _before = False, None


def leave_to_the_os() -> None:
    """The process is about to exit: the interpreter's final collection need not walk what
    is alive, nor free its cycles one by one; exiting returns their memory whole. Only the
    program's entry point calls this, after its command (files are closed and flushed by
    then; the standard streams and atexit handlers are not affected)."""
    gc.freeze()
