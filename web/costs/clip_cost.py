"""What restyling a clip costs, counted in the units a picture's run is priced in.

A clip's first frame is an ordinary run; each later frame starts from the
previous result and takes only a short plan at the output size
(`nst.plan.schedule.later_frame_plan`). Besides its steps, every frame is encoded
into the MP4 and every later one has its motion found (two DIS flows), both on
the CPU whatever the network runs on, and both growing with the frame's
pixels. The pricing is done where pictures are priced: on ZeroGPU by
`web.costs.gpu_time`, on this server by `web.costs.estimate`.
"""

from __future__ import annotations

from dataclasses import dataclass

import nst
from nst.io.clip_reader import Clip
from nst.plan.cost import plan_work
from nst.plan.schedule import later_frame_plan, plan_stages

# Two DIS flows, the carry along them and one H.264 frame, per megapixel of the output frame:
# 0.21 s and 0.05 s for a 1024x576 frame of noise (the encoder's worst case) on this project's
# 2-core CPU under load, rounded up.
FRAME_SECONDS_PER_MEGAPIXEL = 0.45


@dataclass(frozen=True)
class ClipWork:
    """A clip run's work: weighted megapixel-steps (`nst.plan.cost`), steps, and the frames' own CPU time."""

    megapixel_steps: float
    steps: int
    frame_seconds: float


def clip_work(settings: nst.Settings, clip: Clip) -> ClipWork:
    """The first frame's plan plus `frame_count - 1` later frames' plans, at `settings.size`."""
    first = plan_stages(settings, (clip.width, clip.height))
    later = later_frame_plan(settings, first)
    others = max(0, clip.frame_count - 1)
    width, height = first[-1].size
    return ClipWork(
        megapixel_steps=plan_work(first) + others * plan_work(later),
        steps=sum(stage.steps for stage in first) + others * sum(stage.steps for stage in later),
        frame_seconds=clip.frame_count * width * height / 1e6 * FRAME_SECONDS_PER_MEGAPIXEL,
    )
