"""Coarse-to-fine plans and size-invariant loss weights.

Optimising a small image first gets the large structures of the style into
place cheaply: the coarse scales, from `min_scale` up, count every layer and
take most of the steps, shared as (output / side) ^ coarse_bias. The output
size then comes in two stages. First only the texture layers count (the
shallowest `texture_layers` style layers): the painting's strokes at full
resolution, and the photo's edges back where the enlarged coarse change
blurred them. Then the shape layers join (the shallowest `finish_layers`,
the deepest of them at `finish_deep_weight`). Neither runs the network past
relu4_1, whose two last blocks cost a third of a full step at 512 px; and the
deepest layers at the output size pulled the photo's shapes apart faster
than the steps there could restore them (BENCHMARKS.md, the speed levers).

Coarse to fine pays only when the coarse scales are much smaller than the
output (Settings.use_multiscale): below that a run works at one scale, all
its steps counting every layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..io.images import size_for_long_side
from ..settings import Settings

SCALE_STEP = math.sqrt(2.0)
# The long side of a picture as people look at it whole. A larger picture is planned as a
# run at this size (the painting the viewer sees), then finer stages at each size up to the
# output (about sqrt(2) apart) that add the strokes and the photo's edges at full resolution:
# a plan shared over the larger sizes would leave each a step or two, and the picture at
# viewing size would be a weaker painting the larger it was made. The finer stages keep the
# picture reduced to this size as the run here made it (nst.plan.viewing).
VIEWING_SIZE = 1024


# A stage's kind, which says which layers it counts: every layer, the texture layers, or texture and shape layers.
WHOLE, TEXTURE, SHAPES = "whole", "texture", "shapes"


@dataclass(frozen=True)
class Stage:
    """One stage of a run: working size (width, height), its number of steps, its kind (the layers it counts).

    Each coarse scale is one stage; the output size has two (texture, then shapes).
    """

    size: tuple[int, int]
    steps: int
    kind: str = WHOLE

    @property
    def long_side(self) -> int:
        return max(self.size)


def scale_sizes(target: int, smallest: int) -> list[int]:
    """Long sides from the smallest up to `target`, growing by about sqrt(2)."""
    sides = [target]
    while sides[-1] / SCALE_STEP >= smallest - 0.5:
        sides.append(round(sides[-1] / SCALE_STEP))
    return sides[::-1]


def plan_stages(settings: Settings, content_size: tuple[int, int]) -> list[Stage]:
    """The stages of a run over an image of `content_size`, steps shared out.

    Every stage gets at least one step; the total is exactly `settings.steps`
    (fewer steps than stages drop the coarsest scales), plus `large_size_steps`
    at each size above VIEWING_SIZE. Too small for coarse to fine, or asked
    for one scale, a run takes all its steps at the output size, every layer counted.
    """
    output = size_for_long_side(content_size, settings.size)
    if not settings.use_multiscale:
        return [Stage(output, settings.steps)]
    if settings.size > VIEWING_SIZE and settings.large_size_steps > 0:
        return [*plan_stages(settings.replace(size=VIEWING_SIZE), content_size), *finer_stages(settings, content_size)]
    if settings.finish_share == 0:  # no finishing stages: every scale, the output's too, counts every layer
        sides = scale_sizes(settings.size, settings.min_scale)[-settings.steps :]
        return whole_scales(settings, content_size, sides, settings.steps)
    sides = coarse_sides(settings)
    finish = settings.steps if not sides else min(settings.steps, max(2, round(settings.steps * settings.finish_share)))
    coarse = settings.steps - finish
    sides = sides[len(sides) - coarse :] if coarse < len(sides) else sides
    return [*whole_scales(settings, content_size, sides, coarse), *texture_then_shapes(settings, output, finish)]


def texture_then_shapes(settings: Settings, size: tuple[int, int], steps: int) -> list[Stage]:
    """`steps` at `size`: `texture_share` of them with the texture layers, then the rest with the shape layers."""
    texture = min(steps - 1, round(steps * settings.texture_share))
    return [*([Stage(size, texture, TEXTURE)] if texture > 0 else []), Stage(size, steps - texture, SHAPES)]


def finer_stages(settings: Settings, content_size: tuple[int, int]) -> list[Stage]:
    """The stages above VIEWING_SIZE: at each size, `large_size_steps` as texture then shape steps."""
    sides = [side for side in scale_sizes(settings.size, VIEWING_SIZE) if side > VIEWING_SIZE]
    return [
        stage
        for side in sides
        for stage in texture_then_shapes(settings, size_for_long_side(content_size, side), settings.large_size_steps)
    ]


def later_frame_plan(settings: Settings, first: list[Stage]) -> list[Stage]:
    """The stages of a video frame after the first, whose run was planned as `first`.

    It starts from the previous result carried along the motion: a painting
    at the output size already, with the large strokes in place. So it skips
    the coarse scales and takes `later_steps` at the output size, shared
    between texture and shape stages as the first frame's were.
    """
    output = first[-1]
    if output.kind == WHOLE:
        return [Stage(output.size, settings.later_steps)]
    return texture_then_shapes(settings, output.size, settings.later_steps)


def whole_scales(settings: Settings, content_size: tuple[int, int], sides: list[int], steps: int) -> list[Stage]:
    """Scales at long sides `sides` counting every layer, `steps` shared as (output / side) ^ coarse_bias."""
    counts = share(steps, [(settings.size / side) ** settings.coarse_bias for side in sides])
    return [Stage(size_for_long_side(content_size, side), n) for side, n in zip(sides, counts, strict=True)]


def coarse_sides(settings: Settings) -> list[int]:
    """The long sides of the coarse scales of a coarse-to-fine run at `settings.size`.

    All but the output and the scale just below it, which adds little that
    the output's own stages do not: from the one below it, the output size is
    a 2x step. None when the output is under twice the smallest scale.
    """
    return scale_sizes(settings.size, settings.min_scale)[:-2]


def share(steps: int, shares: list[float]) -> list[int]:
    """`steps` shared in proportion to `shares`, at least one each, rounded by largest remainder."""
    if not shares:
        return []
    total = sum(shares)
    exact = [steps * part / total for part in shares]
    counts = [max(1, math.floor(x)) for x in exact]
    by_remainder = sorted(range(len(shares)), key=lambda i: (counts[i] - exact[i], i))
    for index in by_remainder[: max(0, steps - sum(counts))]:
        counts[index] += 1
    return counts


def size_factor(settings: Settings, long_side: int) -> float:
    """(reference_size / long_side)^2: what keeps summed terms size-invariant."""
    return (settings.reference_size / long_side) ** 2


def reach_factor(settings: Settings, kind: str) -> float:
    """How much faster a whole-picture scale moves at this strength: see `Settings.strength_reach`."""
    if kind != WHOLE:
        return 1.0
    return max(1.0, settings.style_strength) ** settings.strength_reach


def learning_rate_at(settings: Settings, step: int, total_steps: int | None = None) -> float:
    """The learning rate for 0-based `step`: dropped after `lr_drop_at` of the run (`total_steps`, as planned)."""
    total = settings.steps if total_steps is None else total_steps
    if settings.final_learning_rate is not None and step >= settings.lr_drop_at * total:
        return settings.final_learning_rate
    return settings.lr
