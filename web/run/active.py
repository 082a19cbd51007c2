"""A count of the stylisations computing in this process, which tests and operators can watch."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator


class ActiveRuns:
    """How many stylisations are computing in this process right now.

    A run counts from its start until its generator is finished or closed,
    which is how Stop and a closed tab end it; anyone can watch that happen.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0

    @property
    def count(self) -> int:
        """Runs computing now."""
        return self._count

    @contextlib.contextmanager
    def track(self) -> Iterator[None]:
        """Count a run for as long as the `with` block lasts."""
        with self._lock:
            self._count += 1
        try:
            yield
        finally:
            with self._lock:
                self._count -= 1


ACTIVE_RUNS = ActiveRuns()
