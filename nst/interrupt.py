"""Ctrl-C as a request to stop: the command line ends its run between steps and keeps the image reached.

Python turns SIGINT into a KeyboardInterrupt wherever the main thread happens
to be. Raised inside a finaliser or a weak reference's callback (a run tracks
the records it hands out in a WeakSet, and frees many objects a step), the
exception is printed as "ignored" and dropped, and the run goes on: twice in
full test runs, Ctrl-C did not end a 5000-step command within 60 s. A handler
that only sets a flag cannot be dropped; the loop reads the flag after every
record it gets. A second Ctrl-C interrupts at once, as Python's own would.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class StopRequest:
    """Whether Ctrl-C has been pressed since the block began; the first press is only noted."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second press: KeyboardInterrupt


@contextlib.contextmanager
def ctrl_c_requests_stop() -> Iterator[StopRequest]:
    """Within the block, Ctrl-C sets `requested` instead of raising; the previous handler comes back after.

    Only the main thread may set signal handlers; elsewhere (the command line
    called from a worker thread) Ctrl-C keeps Python's behaviour.
    """
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return
    previous = signal.signal(signal.SIGINT, request)
    try:
        yield request
    finally:
        signal.signal(signal.SIGINT, previous)
