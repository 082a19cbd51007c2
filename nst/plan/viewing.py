"""The painting at viewing size, kept while a large picture's finer stages add their detail.

A picture larger than VIEWING_SIZE is made as a run at that size, then
stages at each larger size (`nst.plan.schedule`). Those stages see the painting
at its own resolution, so left alone they repaint the picture in strokes
that are small for its size: reduced to viewing size, the result was a
lighter, finer texture than the viewing-size run's (BENCHMARKS.md, Print
size: Gram distance +0.07 to +0.32 at 1024 px). Fewer steps or a smaller
learning rate there did not help, since any step of a different objective
moves the statistics the viewer sees.

So the finer stages may only add what the viewing size cannot show. After
every step the picture is reduced to viewing size, its difference from the
viewing-size run's picture enlarged and taken away: the strokes' layout,
sizes and colours stay as that run laid them down, and the finer stages
sharpen their edges, add the painting's own fine brushwork and bring back
the photo's detail.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from ..settings import Settings
from .schedule import VIEWING_SIZE, Stage


class ViewingLock:
    """Keeps a larger picture's reduction at `picture`, the run's picture at viewing size."""

    def __init__(self, picture: Tensor) -> None:
        self.picture = picture.detach().clone()

    def __call__(self, image: Tensor) -> Tensor:
        """`image` less its low frequencies' departure from the kept picture.

        Reduced by area averaging (what a viewer's downscale does), enlarged
        bicubically: the two nearly undo each other below the viewing size's
        own detail, so one correction a step keeps the reduction on the kept
        picture without building up an error.
        """
        reduced = F.interpolate(image, size=self.picture.shape[2:], mode="area")
        departure = F.interpolate(reduced - self.picture, size=image.shape[2:], mode="bicubic", align_corners=False)
        return image - departure


def viewing_lock(settings: Settings, picture: Tensor, stage: Stage) -> ViewingLock | None:
    """The lock for `stage` when it is the first stage above viewing size, entered from `picture` at that size."""
    if not settings.keep_viewing or stage.long_side <= VIEWING_SIZE or max(picture.shape[2:]) != VIEWING_SIZE:
        return None
    return ViewingLock(picture)
