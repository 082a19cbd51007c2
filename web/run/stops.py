"""Stop as a run's own ending: Stop is noted for the visitor's session, and that session's run ends itself.

Gradio's `cancels` would end the run from outside, but the page's client then
drops a Stylize pressed while the cancelled run is still being torn down, and
its clean-up can leave such a press waiting for good (Gradio 6.31: the run's
stream closes before the cancel request returns). A run that ends itself
completes like any other, and a press made meanwhile starts the next run as
soon as it has (the run event's `trigger_mode="always_last"`).

Each Stylize press is noted too, when it happens (before the run joins the
queue): a run still waiting in the queue when Stop comes ends as soon as it
starts, and a press made after Stop is never ended by that Stop.

Stop waits for the run to have ended before it answers, so that no update of
the run arrives after Stop's own, and what Stop hands over is where the run
really ended.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import gradio as gr


class Presses:
    """When each session last pressed Stylize and Stop, and which press a run answers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stylize: dict[str, float] = {}
        self._stop: dict[str, float] = {}
        self._ended: dict[str, threading.Event] = {}

    def stylize(self, session: str | None) -> None:
        """Stylize was pressed now."""
        if session is not None:
            with self._lock:
                self._stylize[session] = time.monotonic()

    def stop(self, session: str | None, wait: float) -> None:
        """Stop was pressed now: the session's run, and any it has waiting, should end; wait (at most `wait`
        seconds) until the running one has."""
        if session is None:
            return
        with self._lock:
            self._stop[session] = time.monotonic()
            ended = self._ended.get(session)
        if ended is not None:
            ended.wait(wait)

    @contextlib.contextmanager
    def running(self, session: str | None) -> Iterator[None]:
        """A run of `session` goes on for as long as the `with` block lasts."""
        ended = threading.Event()
        if session is not None:
            with self._lock:
                self._ended[session] = ended
        try:
            yield
        finally:
            ended.set()
            with self._lock:
                if self._ended.get(session) is ended:
                    del self._ended[session]

    def start(self, session: str | None) -> float:
        """A run starts: when it was asked for (its press, or now for a caller without one)."""
        with self._lock:
            return self._stylize.pop(session, time.monotonic()) if session is not None else time.monotonic()

    def stopped(self, session: str | None, asked_at: float) -> bool:
        """Whether Stop was pressed after the run asked for at `asked_at` was."""
        with self._lock:
            return session is not None and self._stop.get(session, -1.0) > asked_at

    def forget(self, session: str | None) -> None:
        """Drop a session's presses: its tab has closed."""
        with self._lock:
            self._stylize.pop(session, None)
            self._stop.pop(session, None)
            self._ended.pop(session, None)


PRESSES = Presses()


def note_stylize(request: gr.Request) -> None:
    """The Stylize button's first event: the press, noted as it happens."""
    PRESSES.stylize(request.session_hash)


def forget_presses(request: gr.Request) -> None:
    """Gradio's unload event: the tab has closed."""
    PRESSES.forget(request.session_hash)
