"""One malloc arena for a CLI run (`lexsync/allocator.py`), counted by glibc itself."""

from __future__ import annotations

import ctypes
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Three worker threads allocate, then glibc lists its arenas (`malloc_info`: one <heap> each).
PROGRAM = """
import ctypes, sys, tempfile, threading
sys.path.insert(0, sys.argv[2])
from lexsync import allocator
if sys.argv[1] == "one":
    assert allocator.one_arena()
kept = []
def allocate():
    kept.extend(bytearray(100_000) for _ in range(20))
workers = [threading.Thread(target=allocate) for _ in range(3)]
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
libc = ctypes.CDLL(None)
libc.fopen.restype = ctypes.c_void_p
libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
libc.fclose.argtypes = [ctypes.c_void_p]
with tempfile.NamedTemporaryFile() as out:
    stream = libc.fopen(out.name.encode(), b"w")
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    print(open(out.name).read().count("<heap nr="))
"""


def glibc() -> bool:
    return hasattr(ctypes.CDLL(None), "gnu_get_libc_version")


def arenas(setting: str) -> int:
    done = subprocess.run([sys.executable, "-c", PROGRAM, setting, str(ROOT)],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


@pytest.mark.skipif(not glibc(), reason="the setting is glibc's; elsewhere nothing is set")
def test_worker_threads_allocate_in_the_one_arena() -> None:
    assert arenas("default") > 1  # (each thread that allocates gets its own)
    assert arenas("one") == 1
