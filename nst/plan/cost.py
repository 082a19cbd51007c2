"""What a step costs, in one model shared by the run's time left and the page's estimate.

A step's cost grows with the pixels of its stage, and with how deep the
network runs there: a texture stage stops at relu3_1, a shape stage at
relu4_1, a whole-picture stage at the deepest weighted layer. Costs are in
megapixel-steps of a whole-picture step; what one costs in seconds is
measured, by the run as it goes and by the page from its own runs.
"""

from __future__ import annotations

from .schedule import SHAPES, TEXTURE, WHOLE, Stage

# A step's cost at each kind of stage, as a share of a step that counts every layer:
# VGG-19 at 512x341, fp32, one thread (bench/speed.py).
STAGE_COST = {WHOLE: 1.0, TEXTURE: 0.42, SHAPES: 0.70}


def step_work(stage: Stage) -> float:
    """One step of `stage`, in megapixel-steps of a whole-picture step."""
    return stage.size[0] * stage.size[1] / 1e6 * STAGE_COST[stage.kind]


def plan_work(plan: list[Stage]) -> float:
    """Every step of `plan`, in megapixel-steps of a whole-picture step."""
    return sum(stage.steps * step_work(stage) for stage in plan)
