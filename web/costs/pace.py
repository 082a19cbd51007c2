"""How fast this server runs: seconds per unit of work, learned from its own finished runs.

The unit of work is `web.costs.estimate.megapixel_steps` (pixels times steps over a
run's stages, each stage weighted by its cost). Until this server has
finished a run of a network, its pace is the prior the estimate module gives
(measured on a 2-core CPU); each run that completes moves it towards what that
run took, half way, so the estimate follows a machine that becomes busier or
quieter within a couple of runs. What a visitor waits is measured, from the
moment the run's handler starts to its last picture: loading the network and
the pictures, streaming, the downloads.

Pictures and clips keep a pace each (`kind`): a clip's run also finds motion
and encodes video, which the clip's cost prices only roughly, so its pace
absorbs that error without skewing a picture's estimate.
"""

from __future__ import annotations

import threading

# How much the newest run counts against the pace learned before it.
NEWEST_WEIGHT = 0.5
# Work below this counts as this much, so that a tiny run's fixed costs do not read as a slow machine.
MIN_UNITS = 0.05


class Pace:
    """Seconds per unit of work on this server, by network: learned, or the prior until a run has finished."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seconds_per_unit: dict[tuple[str, str], float] = {}
        self._runs: dict[tuple[str, str], int] = {}

    def learn(self, backbone: str, units: float, seconds: float, setup: float, kind: str = "picture") -> None:
        """A run (of a picture, or of a clip: `kind`) of `units` of work finished in `seconds`, `setup` of which it
        costs besides its steps."""
        measured = max(seconds - setup, 0.0) / max(units, MIN_UNITS)
        key = (kind, backbone)
        with self._lock:
            known = self._seconds_per_unit.get(key)
            self._seconds_per_unit[key] = (
                measured if known is None else NEWEST_WEIGHT * measured + (1 - NEWEST_WEIGHT) * known
            )
            self._runs[key] = self._runs.get(key, 0) + 1

    def seconds_per_unit(self, backbone: str, kind: str = "picture") -> float | None:
        """The learned pace; None before this server has finished a run of `backbone` of this `kind`."""
        with self._lock:
            return self._seconds_per_unit.get((kind, backbone))

    def runs(self, backbone: str, kind: str = "picture") -> int:
        """How many finished runs of `backbone` of this `kind` the pace comes from."""
        with self._lock:
            return self._runs.get((kind, backbone), 0)


PACE = Pace()
