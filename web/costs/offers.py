"""What this server offers: the largest picture and the longest clip it finishes within a run's time limit.

The hardware's caps and the operator's (`web.limits`: NST_MAX_SIZE,
NST_CLIP_SECONDS, NST_CLIP_SIDE) are upper bounds. Within them the page
offers what the estimate (`web.costs.estimate`, from this server's learned
pace) says finishes within OFFER_SHARE of the deadline (NST_DEADLINE); the
rest of the deadline is the margin for a pace that varies from run to run.
The texts here say why a limit is what it is, and what fits when a choice
does not.
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction
from pathlib import Path

import nst
from nst.io.clip_reader import Clip

from .. import limits
from ..status import duration
from .estimate import estimate_clip_seconds, estimate_seconds, pace_basis

OFFER_SHARE = 0.8
# Before a clip is in, the length on offer is that of a phone's landscape video at this rate.
NOMINAL_FPS, NOMINAL_ASPECT = 30, 16 / 9


def time_budget() -> float:
    """Seconds a run on offer may be expected to take: a share of the deadline, read at each call."""
    return OFFER_SHARE * limits.deadline()


def sizes() -> list[int]:
    """The size slider's values, largest first."""
    top = limits.MAX_SIZE
    return sorted({top, *range(limits.MIN_SIZE, top + 1, limits.SIZE_STEP)}, reverse=True)


def largest_size(settings: nst.Settings) -> int | None:
    """The largest size on the slider at which a run of `settings` finishes in time, for a square photo (the most
    pixels); None when not even the smallest does."""
    budget = time_budget()
    return next((size for size in sizes() if estimate_seconds(settings.replace(size=size)) <= budget), None)


@dataclasses.dataclass(frozen=True)
class ClipFit:
    """What fits of a clip at the settings' size: the whole of it, its first `frames`, or all of it at `size`."""

    seconds: float  # the whole clip's estimate at the settings' size
    fits: bool
    frames: int  # the most frames from its start that finish in time (0: not even the first)
    size: int | None  # the largest size on the slider at which the whole clip does; None when none does

    def first_seconds(self, clip: Clip) -> float:
        """The length of the part that fits, rounded down to a tenth of a second."""
        return math.floor(10 * self.frames / clip.fps) / 10


def clip_fit(settings: nst.Settings, clip: Clip) -> ClipFit:
    """What of `clip` finishes in time at `settings.size` (the clip's own size, within the page's cap)."""
    budget = time_budget()

    def fits(size: int, frames: int) -> bool:
        shorter = dataclasses.replace(clip, frame_count=frames)
        return estimate_clip_seconds(settings.replace(size=size), shorter) <= budget

    seconds = estimate_clip_seconds(settings, clip)
    if seconds <= budget:
        return ClipFit(seconds, True, clip.frame_count, settings.size)
    low, high = 0, clip.frame_count - 1  # the most frames that fit lies in [low, high]
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(settings.size, middle) else (low, middle - 1)
    smaller = (size for size in sizes() if size < settings.size)
    return ClipFit(seconds, False, low, next((size for size in smaller if fits(size, clip.frame_count)), None))


def nominal_clip(seconds: float, side: int) -> Clip:
    """A clip of `seconds` of a phone's landscape video, `side` px long, for the length on offer before one is in."""
    frames = max(1, round(seconds * NOMINAL_FPS))
    return Clip(
        path=Path("nominal.mp4"), width=side, height=round(side / NOMINAL_ASPECT), fps=Fraction(NOMINAL_FPS),
        frame_count=frames, duration=seconds, rotation=0, variable_rate=False, audio_codec=None, max_seconds=seconds,
    )


def longest_clip(settings: nst.Settings) -> float:
    """The longest clip on offer at `settings.size`: the page's cap, or less where this server would not finish
    it in time (seconds, to a tenth)."""
    cap = limits.clip_seconds()
    clip = nominal_clip(cap, settings.size)
    fit = clip_fit(settings, clip)
    return cap if fit.fits else fit.first_seconds(clip)


def deadline_text() -> str:
    """The time limit, as the texts name it."""
    return duration(limits.deadline())


def size_info(settings: nst.Settings, largest: int | None) -> str:
    """The size slider's hint: how large a picture this server offers, and why no larger."""
    if largest is None:
        return (
            f"Even {limits.MIN_SIZE} px at {settings.steps} steps would not finish within the {deadline_text()} "
            "a run may take on this server: choose fewer steps."
        )
    if largest == limits.MAX_SIZE:
        return f"Up to {largest} px, this page's largest."
    return (
        f"Up to {largest} px here at {settings.steps} steps: a larger picture would not finish within the "
        f"{deadline_text()} a run may take on this server."
    )


def estimate_text(settings: nst.Settings, largest: int | None) -> str:
    """The line under the steps slider: about how long, on what that is based, and, where the run would not
    finish in time, what would."""
    seconds = estimate_seconds(settings)
    text = f"About {duration(seconds, tenths=True)} for a square photo, {pace_basis(settings.backbone)}."
    if largest is not None and settings.size <= largest:
        return text
    if seconds > limits.deadline():
        text += f" Runs stop after {deadline_text()} here, keeping the image reached"
    else:
        text += f" That is close to the {deadline_text()} a run may take here"
    if largest is None:
        return text + f": choose fewer steps ({limits.MIN_SIZE} px would not finish either)."
    return text + f". **{largest} px** finishes in time."


def caps_text(settings: nst.Settings) -> str:
    """The clip's caps as the page shows them by the clip input: the longest clip on offer at the chosen size,
    and why."""
    cap, longest = limits.clip_seconds(), longest_clip(settings)
    frames = (
        f"restyled at most **{limits.clip_side()} px** on the long side (the output size, when smaller), frames up "
        f"to {limits.clip_pixels() / 1_000_000:.1f} megapixels."
    )
    if longest >= cap:
        return f"Clips up to **{cap:g} s**, {frames}"
    if longest > 0:
        return (
            f"Clips up to **{longest:g} s** here (at {settings.size} px, {NOMINAL_FPS} fps): a longer one would not "
            f"finish within the {deadline_text()} a run may take on this server. The page takes clips up to "
            f"{cap:g} s and offers the start of a longer one. Clips are {frames}"
        )
    return (
        f"At {settings.size} px not even a short clip would finish within the {deadline_text()} a run may take "
        f"on this server: choose a smaller size. Clips are {frames}"
    )


def clip_estimate_text(settings: nst.Settings, clip: Clip, fit: ClipFit) -> str:
    """About how long `clip` takes here at the settings' size and, where it would not finish in time, what
    would."""
    text = (
        f"About {duration(fit.seconds, tenths=True)} for this clip ({clip.frame_count} frames at {settings.size} px), "
        f"{pace_basis(settings.backbone, 'clip')}."
    )
    if fit.fits:
        return text
    choices = []
    if fit.first_seconds(clip) > 0:
        choices.append(f"**its first {fit.first_seconds(clip):g} s**")
    if fit.size is not None:
        choices.append(f"**the whole clip at {fit.size} px**")
    would = f" {' or '.join(choices)} would." if choices else " Choose a shorter clip at a smaller size."
    return text + f" It would not finish within the {deadline_text()} a run may take here:" + would
