"""Parsing a large configuration in a child process, while the run does other work.

The YAML of a 1,000-buyer network costs about a second of CPU to parse, all of it holding
the interpreter's lock: a plan that loads its configuration on a worker thread while it
reads saw its reads slowed by as much. A child process parses on another core and hands
back the values pickled, some 20x cheaper to read than to parse, with the paths of the
strings that mention `${` (so interpolation need not look at every value).

The child runs exactly the in-process fast path (`fastyaml.parse_values`); whatever it
answers None for, and everything when it cannot run, answers differ from the texts it was
given, or it fails in any way, is parsed in-process as before. It gets the texts on stdin
and an environment without the caller's variables (no credentials reach it).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lexsync.config.fastyaml import Values

# Below this many characters parsing in-process is cheaper than starting a process.
PARSE_AHEAD_CHARS = 1_000_000
WAIT_SECONDS = 120
# The child needs only where Python and its libraries are.
_KEPT_VARIABLES = ("PATH", "PYTHONPATH", "PYTHONHOME", "LD_LIBRARY_PATH", "SYSTEMROOT",
                   "VIRTUAL_ENV", "LANG", "LC_ALL", "TMPDIR", "TEMP", "TMP")
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_CHILD = (f"import sys; sys.path.insert(0, {_PACKAGE_ROOT!r}); "
          "from lexsync.config.parse_ahead import child_main; child_main()")


class ParseAhead:
    """One child parsing the given texts; `values` collects its answer."""

    def __init__(self, texts: list[str], process: subprocess.Popen[bytes]) -> None:
        self.texts = texts
        self._process: subprocess.Popen[bytes] | None = process
        weakref.finalize(self, _reap, process)

    @classmethod
    def start(cls, texts: list[str]) -> ParseAhead | None:
        """A child parsing `texts`, or None when they are small or no child can start."""
        if sum(len(text) for text in texts) < PARSE_AHEAD_CHARS:
            return None
        env = {name: os.environ[name] for name in _KEPT_VARIABLES if name in os.environ}
        try:
            process = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        except (OSError, ValueError):
            return None
        return cls(texts, process)

    def values(self, texts: list[str]) -> list[Values | None] | None:
        """The child's `fastyaml.Values` for `texts` (None for a text it left to the full
        reader), or None when it parsed other texts or could not answer."""
        process, self._process = self._process, None
        if process is None:
            return None
        try:
            out, _ = process.communicate(pickle.dumps(self.texts, protocol=5), timeout=WAIT_SECONDS)
        except (OSError, subprocess.SubprocessError):
            _reap(process)
            return None
        if process.returncode != 0 or texts != self.texts:
            return None
        try:
            values = pickle.loads(out)  # noqa: S301 - from our own child, over a pipe
        except Exception:  # a torn or empty answer: parse in-process
            return None
        if not isinstance(values, list) or len(values) != len(texts):
            return None
        return values


def _reap(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()


def _yield_the_cpu() -> None:
    """Parse at a lower priority: the run's reads, waiting on the network, are what its wall
    time hangs on, and on a busy machine they should get a core before this does."""
    # No nice() on Windows; a refusal changes nothing.
    with contextlib.suppress(AttributeError, OSError):
        os.nice(10)


def child_main() -> None:
    import gc

    from lexsync.config import fastyaml
    from lexsync.config.yamlio import MAX_DEPTH

    gc.disable()  # about a million containers, none in a cycle
    _yield_the_cpu()
    texts = pickle.load(sys.stdin.buffer)
    values = [fastyaml.parse_values(text, MAX_DEPTH) for text in texts]
    sys.stdout.buffer.write(pickle.dumps(values, protocol=5))
