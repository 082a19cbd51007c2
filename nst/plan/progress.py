"""The records the loop hands out: where it is, what it has, what it cost.

A record is plain data. Its picture is made when first read (the page looks
about once a second while the loop reports every step), from a snapshot
(`nst.core.canvas.Snapshot`) that holds a few tensors and never the run, so a
record kept after the run has moved on or ended keeps nothing of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from PIL import Image


@dataclass(frozen=True, eq=False)
class Progress:
    """One report from the loop: where it is, what it has, what it cost.

    `size` is the working size of the current scale; `image` is always the
    picture at the output size. At a coarse scale it is the repainted photo at
    the output size plus the change the run has made so far, enlarged: what
    the next scale will start from. While the run goes on it is made when
    first read, from `picture` (an array, or a `Snapshot` that makes one):
    the page looks about once a second while the loop reports every step,
    and enlarging every report would cost more than a coarse step. A
    snapshot holds a few tensors, never the run; once the run has ended
    (finished, stopped, failed or closed), every record still held has its
    picture as an array, so keeping records keeps nothing of the run.
    """

    step: int
    total_steps: int
    scale: int
    scales: int
    size: tuple[int, int]
    picture: np.ndarray | Callable[[], np.ndarray] = field(repr=False)
    losses: dict[str, float]
    elapsed: float
    setup_seconds: float
    iterations_per_second: float
    seconds_left: float
    device: str
    precision: str
    done: bool = False
    stop_reason: str = ""

    @classmethod
    def of_picture(cls, picture: np.ndarray, total_steps: int) -> Progress:
        """A record of `picture` (an RGB array) before any step: what a run that failed at once started from."""
        height, width = picture.shape[:2]
        return cls(
            step=0, total_steps=total_steps, scale=1, scales=1, size=(width, height), picture=picture, losses={},
            elapsed=0.0, setup_seconds=0.0, iterations_per_second=0.0, seconds_left=0.0, device="", precision="",
        )

    @cached_property
    def image(self) -> np.ndarray:
        """The picture so far at the output size, an (H, W, 3) uint8 array."""
        return self.picture() if callable(self.picture) else self.picture

    def settle(self) -> None:
        """Keep the picture made, not the means to make it: the run is ending, and what it held must go with it."""
        if callable(self.picture):
            object.__setattr__(self, "picture", self.image)  # the record stays frozen to everyone else

    def to_pil(self) -> Image.Image:
        """The current image as a PIL RGB image."""
        return Image.fromarray(self.image, "RGB")

    def __getstate__(self) -> dict[str, object]:
        """Pickled (ZeroGPU sends records between processes) with the picture made, not the means to make it."""
        state = dict(self.__dict__)
        state["picture"] = self.image
        state.pop("image", None)
        return state
