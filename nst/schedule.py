"""Coarse-to-fine plans and size-invariant loss weights.

Optimising a small image first gets the large structures of the style into
place cheaply; each finer scale then only adds detail. Most steps go to the
small, cheap scales: a scale gets steps in proportion to (output / its size)
^ coarse_bias. A step's cost grows with the pixel count, so the finer scales
still take most of the time (BENCHMARKS.md has the split).

Coarse to fine pays only when the coarse scales are much smaller than the
output (Settings.use_multiscale): below that a run does the same work at one
scale, which reaches the painting's statistics sooner.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .images import size_for_long_side
from .settings import Settings

SCALE_STEP = math.sqrt(2.0)


@dataclass(frozen=True)
class Scale:
    """One stage of a run: working size (width, height) and its number of steps."""

    size: tuple[int, int]
    steps: int

    @property
    def long_side(self) -> int:
        return max(self.size)


def scale_sizes(target: int, smallest: int) -> list[int]:
    """Long sides from the smallest up to `target`, growing by about sqrt(2)."""
    sides = [target]
    while sides[-1] / SCALE_STEP >= smallest - 0.5:
        sides.append(round(sides[-1] / SCALE_STEP))
    return sides[::-1]


def plan_scales(settings: Settings, content_size: tuple[int, int]) -> list[Scale]:
    """The scales of a run over an image of `content_size`, steps shared out.

    Every scale gets at least one step; the total is exactly `settings.steps`
    (or the number of scales, if that is larger). Left to choose (`multiscale`
    None) and too small for coarse to fine, a run takes one scale and as many
    steps as cost what the coarse-to-fine plan would have: `steps` keeps
    meaning the same amount of work at every size.
    """
    if not settings.use_multiscale:
        steps = settings.steps
        if settings.multiscale is None:
            steps = same_work(plan_scales(settings.replace(multiscale=True), content_size))
        return [Scale(size_for_long_side(content_size, settings.size), steps)]
    sides = scale_sizes(settings.size, settings.min_scale)
    sides = sides[-settings.steps :]
    shares = [(settings.size / side) ** settings.coarse_bias for side in sides]
    total = sum(shares)
    steps = [max(1, math.floor(settings.steps * share / total)) for share in shares]
    # Hand the steps lost to rounding to the coarsest scales, where they are cheapest.
    index = 0
    while sum(steps) < settings.steps:
        steps[index % len(steps)] += 1
        index += 1
    return [Scale(size_for_long_side(content_size, side), n) for side, n in zip(sides, steps, strict=True)]


def same_work(plan: list[Scale]) -> int:
    """How many steps at the last scale of `plan` cost what the whole plan does (a step's cost goes with its pixels)."""
    last = plan[-1].size[0] * plan[-1].size[1]
    return max(1, round(sum(scale.steps * scale.size[0] * scale.size[1] for scale in plan) / last))


def size_factor(settings: Settings, long_side: int) -> float:
    """(reference_size / long_side)^2: what keeps summed terms size-invariant."""
    return (settings.reference_size / long_side) ** 2


def learning_rate_at(settings: Settings, step: int, total_steps: int | None = None) -> float:
    """The learning rate for 0-based `step`: dropped after `lr_drop_at` of the run (`total_steps`, as planned)."""
    total = settings.steps if total_steps is None else total_steps
    if settings.final_learning_rate is not None and step >= settings.lr_drop_at * total:
        return settings.final_learning_rate
    return settings.lr
