"""Handing the memory a run freed back to the system, so the server's footprint levels off.

A run allocates tens to hundreds of megabytes of images and activations and
frees them when it ends, but glibc keeps freed memory in the allocating
thread's arena for reuse, and the queue runs each job on whichever worker
thread is free. The server's resident memory then ratchets up: a soak of the
page (bench/soak.py) measured about 3 MB more per small run and 80-230 MB
more per 512 px run, never returned; Python's own objects grew by a
twentieth of that. So the page releases them when each run ends (`nst.tiles.memory`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from nst.tiles.memory import release_memory

__all__ = ["memory_released", "release_memory"]


@contextlib.contextmanager
def memory_released() -> Iterator[None]:
    """Release memory (see `nst.tiles.memory.release_memory`) when the block ends, however it ends."""
    try:
        yield
    finally:
        release_memory()
