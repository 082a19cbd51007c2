"""How long a run will take, told before it starts, from this project's measured step costs."""

from __future__ import annotations

import nst
from nst.cost import plan_work
from nst.device import resolve_compute
from nst.schedule import plan_stages

from .limits import deadline
from .status import duration

# Seconds per optimisation step per megapixel on a 2-core x86 CPU, by network and by the
# precision the library picks there, from bench/speed.py (BENCHMARKS.md, Speed): the default
# run on the square example photo (1.84 megapixel-steps as counted here) took about 6 s in
# the library on a CPU with native bf16 and about 20 s in fp32 on the same CPU held to AVX2,
# as on a CPU without bf16 (set-up included; the process's own start and imports not).
# SqueezeNet steps cost 0.08 s at 512x341 in either precision.
SECONDS_PER_MEGAPIXEL_STEP = {
    ("vgg19", "bf16"): 2.7,
    ("vgg19", "fp32"): 10.0,
    ("squeezenet", "bf16"): 0.5,
    ("squeezenet", "fp32"): 0.5,
}
# The run's set-up: pictures read, the palette fitted, the first scale's style targets.
SETUP_SECONDS = 1.5
PRECISION = resolve_compute().precision


def megapixel_steps(settings: nst.Settings) -> float:
    """The run's work in the loop's own step-cost model (`nst.cost`), for a square photo (the most pixels)."""
    return plan_work(plan_stages(settings, (settings.size, settings.size)))


def estimate_seconds(settings: nst.Settings) -> float:
    """A rough run time on a 2-core CPU, for a square photo (the most pixels at this size)."""
    return SETUP_SECONDS + megapixel_steps(settings) * SECONDS_PER_MEGAPIXEL_STEP[settings.backbone, PRECISION]


def estimate_text(backbone: str, size: float, steps: float, multiscale: bool) -> str:
    """The line under the steps slider: expected time, and whether the time limit cuts it short."""
    try:
        automatic = None if multiscale else False  # the page's box on: coarse to fine where it pays
        settings = nst.Settings(backbone=backbone, size=int(size), steps=int(steps), multiscale=automatic)
    except nst.SettingsError:
        return ""
    seconds = estimate_seconds(settings)
    text = f"At most about {duration(seconds)} on a 2-core CPU; a GPU is many times faster."
    limit = deadline()
    if seconds > limit:
        text += f" Runs stop after {duration(limit)} here, keeping the image reached."
    return text
