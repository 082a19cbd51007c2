"""How long a run will take, told before it starts, from this server's own finished runs.

The work of a run is counted in megapixel-steps weighted by stage cost
(`megapixel_steps`); `web.costs.pace` learns this server's seconds per unit from
the runs it finishes, a picture's and a clip's. Before its first run of a
network the page uses the project's measurements (on a 2-core CPU, or on a GPU
an H200's), and says so. What the page offers from these estimates is
`web.costs.offers`.
"""

from __future__ import annotations

import nst
from nst.io.clip_reader import Clip
from nst.networks.device import resolve_compute
from nst.plan.cost import plan_work
from nst.plan.schedule import plan_stages

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
    ("vgg19-lite", "bf16"): 0.8,
    ("vgg19-lite", "fp32"): 2.5,
    ("squeezenet", "bf16"): 0.5,
    ("squeezenet", "fp32"): 0.5,
}
# The run's set-up: pictures read, the palette fitted, the first scale's style targets.
SETUP_SECONDS = 1.5
COMPUTE = resolve_compute()
PRECISION = COMPUTE.precision
ON_GPU = COMPUTE.device.type == "cuda"


def megapixel_steps(settings: nst.Settings, photo_size: tuple[int, int] | None = None) -> float:
    """The run's work in the loop's own step-cost model (`nst.plan.cost`), for a photo of `photo_size` (width, height).

    Without a photo, a square one (the most pixels at this size).
    """
    return plan_work(plan_stages(settings, photo_size or (settings.size, settings.size)))


def prior_seconds_per_unit(backbone: str) -> float:
    """The pace measured before this server has finished a run: on a GPU an H200's, else a 2-core CPU's."""
    if ON_GPU:
        # Imported here: web.costs.gpu_time builds on this module's `megapixel_steps`.
        from .gpu_time import SECONDS_PER_MEGAPIXEL_STEP as GPU_SECONDS_PER_MEGAPIXEL_STEP

        return GPU_SECONDS_PER_MEGAPIXEL_STEP[backbone]
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
    except (nst.SettingsError, TypeError, ValueError):
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
    where = "an H200 GPU" if ON_GPU else "a 2-core CPU"
    return f"as measured on {where}; this server's own runs will refine it"
