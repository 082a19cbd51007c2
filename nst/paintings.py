"""The paintings of a run: those that style the picture, their blend, and those a mask gives the rest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from .errors import SettingsError


@dataclass(frozen=True)
class Paintings:
    """The run's paintings as loaded, each with its blend weight, and the second paintings of a mask's black region."""

    images: list[Image.Image]
    blend: tuple[float, ...]
    others: list[Image.Image]

    @property
    def others_blend(self) -> tuple[float, ...]:
        """The second paintings count equally."""
        return (1.0,) * len(self.others)


def with_blend(images: list[Image.Image], blend: Sequence[float], others: list[Image.Image]) -> Paintings:
    """`images` with their blend weights (equal when none are given), or an error when the counts differ."""
    weights = tuple(blend) or (1.0,) * len(images)
    if len(weights) != len(images):
        raise SettingsError(f"{len(images)} style images but {len(weights)} blend weights: give one per style.")
    return Paintings(images, weights, others)
