"""How long a run will take, told before it starts, from this server's own finished runs.

The work of a run is counted in megapixel-steps weighted by stage cost
(`megapixel_steps`); `web.costs.pace` learns this server's seconds per unit from
the runs it finishes. Before its first run of a network the page uses the
project's measurements on a 2-core CPU, and says so.
"""

from __future__ import annotations

from typing import Any

import nst
from nst.io.clip_reader import Clip
from nst.networks.device import resolve_compute
from nst.plan.cost import plan_work
from nst.plan.schedule import plan_stages

from .. import limits
from ..form.uploads import open_clip_upload
from ..status import duration
from .clip_cost import clip_work
from .pace import PACE

# The prior: seconds per optimisation step per megapixel on a 2-core x86 CPU, by network
# and by the precision the library picks there, from bench/speed.py (BENCHMARKS.md, Speed):
# the default run on the square example photo (1.84 megapixel-steps as counted here) took
# about 6 s in the library on a CPU with native bf16 and about 20 s in fp32 on the same CPU
# held to AVX2, as on a CPU without bf16 (set-up included; the process's own start and
# imports not). SqueezeNet steps cost 0.08 s at 512x341 in either precision.
SECONDS_PER_MEGAPIXEL_STEP = {
    ("vgg19", "bf16"): 2.7,
    ("vgg19", "fp32"): 10.0,
    ("squeezenet", "bf16"): 0.5,
    ("squeezenet", "fp32"): 0.5,
}
# The run's set-up: pictures read, the palette fitted, the first scale's style targets.
SETUP_SECONDS = 1.5
PRECISION = resolve_compute().precision


def megapixel_steps(settings: nst.Settings, photo_size: tuple[int, int] | None = None) -> float:
    """The run's work in the loop's own step-cost model (`nst.plan.cost`), for a photo of `photo_size` (width, height).

    Without a photo, a square one (the most pixels at this size).
    """
    return plan_work(plan_stages(settings, photo_size or (settings.size, settings.size)))


def prior_seconds_per_unit(backbone: str) -> float:
    """The pace measured on a 2-core CPU, for a server that has not finished a run yet."""
    return SECONDS_PER_MEGAPIXEL_STEP.get((backbone, PRECISION), SECONDS_PER_MEGAPIXEL_STEP[backbone, "fp32"])


def seconds_per_unit(backbone: str) -> float:
    """This server's pace for a picture of `backbone`: learned from its runs, else the prior."""
    return PACE.seconds_per_unit(backbone) or prior_seconds_per_unit(backbone)


def clip_seconds_per_unit(backbone: str) -> float:
    """This server's pace for a clip of `backbone`: learned from its clips, else from its pictures, else the
    prior."""
    return PACE.seconds_per_unit(backbone, "clip") or seconds_per_unit(backbone)


def estimate_seconds(settings: nst.Settings) -> float:
    """About how long a run takes here, for a square photo (the most pixels at this size)."""
    return SETUP_SECONDS + megapixel_steps(settings) * seconds_per_unit(settings.backbone)


def estimate_clip_seconds(settings: nst.Settings, clip: Clip) -> float:
    """About how long restyling `clip` takes here: every frame's steps at this server's pace, its flows and
    encoding."""
    work = clip_work(settings, clip)
    return SETUP_SECONDS + work.megapixel_steps * clip_seconds_per_unit(settings.backbone) + work.frame_seconds


def learn_from_run(settings: nst.Settings, photo_size: tuple[int, int], seconds: float) -> None:
    """A run over a photo of `photo_size` completed in `seconds`, as the visitor waited: this server's pace."""
    PACE.learn(settings.backbone, megapixel_steps(settings, photo_size), seconds, SETUP_SECONDS)


def learn_from_clip(settings: nst.Settings, clip: Clip, seconds: float) -> None:
    """A run over every frame of `clip` completed in `seconds`: this server's pace for clips."""
    work = clip_work(settings, clip)
    PACE.learn(settings.backbone, work.megapixel_steps, seconds, SETUP_SECONDS + work.frame_seconds, kind="clip")


def estimate_settings(backbone: str, size: float, steps: float, multiscale: bool) -> nst.Settings | None:
    """The settings an estimate is for, from the widgets it follows; None while they are not valid."""
    try:
        automatic = None if multiscale else False  # the page's box on: coarse to fine where it pays
        return nst.Settings(backbone=backbone, size=int(size), steps=int(steps), multiscale=automatic)
    except nst.SettingsError:
        return None


def pace_basis(backbone: str, kind: str = "picture") -> str:
    """What an estimate (of a picture, or of a clip: `kind`) is based on: this server's own runs, or the
    measurements it starts from."""
    runs = PACE.runs(backbone, kind)
    if runs:
        noun = "clip" if kind == "clip" else "run"
        return f"judging by this server's {f'last {noun}' if runs == 1 else f'recent {noun}s'}"
    if kind == "clip" and PACE.runs(backbone):
        return "judging by this server's runs of pictures"
    return "as measured on a 2-core CPU; this server's own runs will refine it"


def estimate_text(backbone: str, size: float, steps: float, multiscale: bool) -> str:
    """The line under the steps slider: about how long, on what that is based, and whether the time limit cuts it."""
    settings = estimate_settings(backbone, size, steps, multiscale)
    if settings is None:
        return ""
    seconds = estimate_seconds(settings)
    text = f"About {duration(seconds)} for a square photo, {pace_basis(backbone)}."
    limit = limits.deadline()
    if seconds > limit:
        text += f" Runs stop after {duration(limit)} here, keeping the image reached."
    return text


def caps_text() -> str:
    """The clip caps as the page shows them beside the clip input."""
    return (
        f"Clips up to **{limits.clip_seconds():g} s**, restyled at most **{limits.clip_side()} px** on the long side "
        f"(the output size, when smaller); frames up to {limits.clip_pixels() / 1_000_000:.1f} megapixels."
    )


def clip_caps(payload: dict[str, Any] | None, backbone: str, size: float, steps: float, multiscale: bool) -> str:
    """The caps beside the clip input and, once a clip is in, about how long it takes here at the chosen size.

    Worded as the picture's estimate (`estimate_text`) and from the same
    learned pace; a clip the page refuses gets no estimate (the status says
    why, see `web.form.uploads.check_clip_upload`).
    """
    settings = estimate_settings(backbone, size, steps, multiscale)
    try:
        clip = open_clip_upload(payload)
    except nst.NSTError:
        clip = None
    if clip is None or settings is None:
        return caps_text()
    settings = settings.replace(size=limits.clip_size(settings.size))
    seconds = estimate_clip_seconds(settings, clip)
    text = (
        f"{caps_text()}\n\nAbout {duration(seconds)} for this clip ({clip.frame_count} frames at {settings.size} px), "
        f"{pace_basis(backbone, 'clip')}."
    )
    limit = limits.deadline()
    if seconds > limit:
        text += f" Runs stop after {duration(limit)} here, keeping the frames made."
    return text
