"""How many seconds of GPU a run asks Hugging Face ZeroGPU for, from the run's own settings.

ZeroGPU grants a GPU per call for the duration the call asks for. A visitor
whose daily quota left (2 minutes without an account, 5 with a free one) is
below the request is refused outright ("quota exceeded"), shorter requests
get a GPU sooner, and a call that overruns its grant may be aborted. So the
request is a tight upper bound: the expected time, times a margin, never
below a floor that covers starting the GPU worker. The run's own deadline is
then set to end inside the grant (`deadline_within`), so a GPU slower than
expected cuts the run short with its image kept instead of losing it.

VGG-19's coefficients were measured on an H200, the card ZeroGPU's durations
refer to (the `spaces` package scales requests by its own factor on other
cards): BENCHMARKS.md's GPU section. SqueezeNet's, the worker's start and the
downloads are still derived, not measured there.
"""

from __future__ import annotations

import dataclasses
import math

import nst
from nst.io.clip_reader import Clip
from nst.plan.schedule import plan_stages

from .clip_cost import clip_work
from .estimate import megapixel_steps

# Seconds per optimisation step per megapixel (a whole step's; web.costs.estimate counts the cheaper
# stages as their share), and per step whatever its size (a hundred-odd kernel launches, the
# optimiser, one read of the losses). VGG-19 on an H200, fitted over runs of 1.7 to 1049
# megapixel-steps (2026-12-04): 0.0036 and 0.0084 s, rounded up. SqueezeNet's features cost
# a tenth of VGG-19's on this project's CPU; small kernels use a GPU less well, hence a sixth.
# The distilled VGG-19 has not been timed on a GPU: its arithmetic is a thirteenth of VGG-19's,
# and a quarter of VGG-19's time is asked for, which small kernels cannot exceed by much.
SECONDS_PER_MEGAPIXEL_STEP = {"vgg19": 0.004, "vgg19-lite": 0.001, "squeezenet": 0.0007}
SECONDS_PER_STEP = 0.01
# Weighting the style losses by a mask's regions adds Gram matrices per region to every step.
MASK_FACTOR = 1.2
# The GPU worker's start: fork, CUDA set-up, the network's weights onto the GPU, first kernels.
START_SECONDS = 5.0
# Each painting: resized and sent to the GPU, its Gram targets computed at every scale.
SECONDS_PER_STYLE = 0.5
# The downloads, written on the worker's CPU: the PNG and the WebP animation of up to 60 frames
# (measured on this project's 2-core CPU under load: 1.0 s at 512 px, 3.7 s at 1024 px, 3:2).
FINISH_SECONDS = 1.0
FINISH_SECONDS_PER_MEGAPIXEL = 3.5
MARGIN = 1.5
FLOOR_SECONDS = 15
# The most one ZeroGPU request may hold: about five minutes, as ZeroGPU's maintainers put it
# (the limit is not documented and may change); a run that needs more is refused, not cut off.
MOST_SECONDS = 300


def finish_seconds(settings: nst.Settings) -> float:
    """Time to write a run's downloads once it ends, for a square output (the most pixels)."""
    return FINISH_SECONDS + FINISH_SECONDS_PER_MEGAPIXEL * settings.size**2 / 1e6


def expected_seconds(settings: nst.Settings, styles: int = 1, masked: bool = False) -> float:
    """The run's expected time on the GPU, from the worker's start to the last download written."""
    steps = sum(stage.steps for stage in plan_stages(settings, (settings.size, settings.size)))
    compute = steps_seconds(settings, megapixel_steps(settings), steps, styles, masked)
    return compute + finish_seconds(settings)


def steps_seconds(settings: nst.Settings, work: float, steps: int, styles: int, masked: bool) -> float:
    """The worker's start, the paintings' targets and `steps` steps of `work` megapixel-steps, on the GPU."""
    compute = work * SECONDS_PER_MEGAPIXEL_STEP[settings.backbone] + steps * SECONDS_PER_STEP
    if masked:
        compute *= MASK_FACTOR
    return START_SECONDS + styles * SECONDS_PER_STYLE + compute


def requested(expected: float) -> int:
    """Whole seconds of GPU to ask for: the expected time with a margin, at least the floor."""
    return max(FLOOR_SECONDS, math.ceil(MARGIN * expected))


def gpu_seconds(settings: nst.Settings, styles: int = 1, masked: bool = False) -> int:
    """Whole seconds of GPU to ask for a picture."""
    return requested(expected_seconds(settings, styles, masked))


def check_fits(settings: nst.Settings, styles: int = 1, masked: bool = False) -> None:
    """Refuse a run that one GPU request cannot hold, naming the largest size that fits."""
    if gpu_seconds(settings, styles, masked) <= MOST_SECONDS:
        return
    size = settings.size
    while size > 256 and gpu_seconds(settings.replace(size=size), styles, masked) > MOST_SECONDS:
        size -= 256
    raise nst.SettingsError(
        f"A {settings.size} px picture needs more GPU time than one request here may hold "
        f"({MOST_SECONDS} s, the downloads included). Choose {size} px or less."
    )


def expected_clip_seconds(settings: nst.Settings, clip: Clip, styles: int = 1, masked: bool = False) -> float:
    """A clip run's expected time on the GPU: the worker's start, every frame's steps, flows and encoding, the
    MP4 closed (its last frames and the sound: a picture's `FINISH_SECONDS`)."""
    work = clip_work(settings, clip)
    compute = steps_seconds(settings, work.megapixel_steps, work.steps, styles, masked)
    return compute + work.frame_seconds + FINISH_SECONDS


def clip_gpu_seconds(settings: nst.Settings, clip: Clip, styles: int = 1, masked: bool = False) -> int:
    """Whole seconds of GPU to ask for a clip, as `gpu_seconds` does for a picture."""
    return requested(expected_clip_seconds(settings, clip, styles, masked))


def check_clip_fits(settings: nst.Settings, clip: Clip, styles: int = 1, masked: bool = False) -> None:
    """Refuse a clip that one GPU request cannot hold, naming the longest clip and the largest size that fit."""

    def fits(size: int, frames: int) -> bool:
        shorter = dataclasses.replace(clip, frame_count=frames)
        return clip_gpu_seconds(settings.replace(size=size), shorter, styles, masked) <= MOST_SECONDS

    if fits(settings.size, clip.frame_count):
        return
    frames = clip.frame_count
    while frames > 1 and not fits(settings.size, frames):
        frames -= 1
    longest = math.floor(10 * frames / clip.fps) / 10
    choices = [f"a clip of {longest:g} s or less"] if fits(settings.size, frames) else []
    size = settings.size
    while size > 64 and not fits(size, clip.frame_count):
        size -= 64
    if fits(size, clip.frame_count):
        choices.append(f"{size} px or less")
    raise nst.SettingsError(
        f"A {float(clip.frame_count / clip.fps):.1f} s clip at {settings.size} px needs more GPU time than one request "
        f"here may hold ({MOST_SECONDS} s). Choose {', or '.join(choices) or 'a shorter clip at a smaller size'}."
    )


def deadline_within(settings: nst.Settings, granted: float) -> float:
    """The optimisation's deadline inside a grant of `granted` seconds.

    What remains after the worker's start and the downloads; a run that
    reaches it stops with its image and still has time to hand it over.
    """
    return max(1.0, granted - START_SECONDS - finish_seconds(settings))
