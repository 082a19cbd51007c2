"""The time left a run's status shows: the library's estimate, kept from jumping up.

An estimate that reads "12 s left" and a second later "2 min left" tells a
visitor nothing. The shown time may fall as fast as the estimate does, but it
rises by at most a little between updates; between them it counts down.
"""

from __future__ import annotations

# How far the time shown may rise from one update to the next: a tenth, and a second.
RISE_SHARE, RISE_SECONDS = 0.1, 1.0


class TimeLeft:
    """The time left to show over one run's updates."""

    def __init__(self) -> None:
        self.shown: float | None = None
        self.shown_at = 0.0

    def __call__(self, estimate: float, elapsed: float) -> float:
        """The time left to show for the library's `estimate`, `elapsed` seconds into the run."""
        if self.shown is not None:
            counted_down = max(self.shown - (elapsed - self.shown_at), 0.0)
            estimate = min(estimate, counted_down * (1 + RISE_SHARE) + RISE_SECONDS)
        self.shown, self.shown_at = estimate, elapsed
        return estimate
