"""Handing the memory a run freed back to the system, so the server's footprint levels off.

A run allocates tens to hundreds of megabytes of images and activations and
frees them when it ends, but glibc keeps freed memory in the allocating
thread's arena for reuse, and the queue runs each job on whichever worker
thread is free. The server's resident memory then ratchets up: a soak of the
page (bench/soak.py) measured about 3 MB more per small run and 80-230 MB
more per 512 px run, never returned; Python's own objects grew by a
twentieth of that. `malloc_trim(0)` returns the free pages of every arena.
Off glibc (macOS, musl) there is no such call and nothing to do.
"""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Callable, Iterator


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


MALLOC_TRIM = _malloc_trim()


def release_memory() -> None:
    """Give the pages freed since the last call back to the operating system, where the C library can."""
    if MALLOC_TRIM is not None:
        MALLOC_TRIM(0)


@contextlib.contextmanager
def memory_released() -> Iterator[None]:
    """Release memory (see `release_memory`) when the block ends, however it ends."""
    try:
        yield
    finally:
        release_memory()
