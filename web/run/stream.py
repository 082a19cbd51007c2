"""A run as the page streams it: every report of the library's generator noted, about one a second shown.

A picture's run (`web.run.picture.compute`) and a clip's (`web.run.clip.compute_clip`)
both stream through `stream_updates`; what differs between them is what they
note in the run's record and how a report reads on the page.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar

from nst.tiles.memory import release_memory

from ..page_update import PageUpdate
from .record import RunRecord

# The library reports every step; the page shows a new image at most this often. Each
# image costs a PNG in Gradio's cache and a download in the browser, and Stop takes
# effect at the next update, so about one a second keeps both cheap and prompt.
UPDATE_SECONDS = 1.0


class Report(Protocol):
    """A report of the library's generator: a picture's `nst.Progress`, a clip's `nst.clips.clip.ClipProgress`."""

    done: bool


R = TypeVar("R", bound=Report)


def stream_updates(
    run: Iterator[R], record: RunRecord, note: Callable[[R], None], show: Callable[[R], PageUpdate]
) -> Iterator[PageUpdate]:
    """The page updates of `run`: each report noted in `record` (`note`), about one a second shown (`show`), and
    always the last.

    Stops by itself when the visitor's session has ended (its tab closed and
    its files are gone): there is nobody left to show anything to. Closing
    this generator closes `run`; when it ends, however it ends, the memory the
    run freed goes back to the system.
    """
    # Contexts close in reverse: the run's arrays are freed, then their pages go back to the system.
    with memory_released(), contextlib.closing(run):
        shown_at = 0.0
        for report in run:
            note(report)
            if not report.done and time.monotonic() - shown_at < UPDATE_SECONDS:
                continue
            if not record.open:
                return
            shown_at = time.monotonic()
            yield show(report)


@contextlib.contextmanager
def memory_released() -> Iterator[None]:
    """Hand the memory a run freed back to the system (`nst.tiles.memory.release_memory`) when the block ends.

    A run allocates tens to hundreds of megabytes of images and activations
    and frees them when it ends, but glibc keeps freed memory in the
    allocating thread's arena, and the queue runs each job on whichever worker
    thread is free: the server's resident memory would ratchet up (a soak of
    the page, bench/soak.py, measured 80-230 MB more per 512 px run, never
    returned) instead of levelling off.
    """
    try:
        yield
    finally:
        release_memory()
