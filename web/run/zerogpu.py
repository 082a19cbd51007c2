"""Running on Hugging Face ZeroGPU: a GPU per run for the time it needs, the networks built once.

ZeroGPU (https://huggingface.co/docs/hub/spaces-zerogpu) runs a function
decorated with `spaces.GPU` in a forked worker process that holds a GPU for
the duration the call asks for; the arguments and every value a generator
yields cross into and out of that process by pickling, so they must be plain
data (PIL images, arrays, paths), never CUDA tensors. Its docs ask for models
to be put on "cuda" when the app's module is imported: outside the decorated
functions a CUDA emulation stands in, and the worker receives the weights on
the real GPU. So on ZeroGPU the feature networks are built here, once, into
the same per-device cache that every run reads, by the loop's own helper
(`nst.networks.network.load_network`). ZeroGPU does not support `torch.compile`; we do not use it anyway (it
did not pay off on the CPU either, see BENCHMARKS.md).

Anywhere else (no `spaces` package, or a Space on other hardware, where the
package's decorator does nothing) nothing here changes anything: `gpu` returns
the function as it is, nothing is built early, and run deadlines stay as set.

`spaces` patches torch when imported on ZeroGPU, so `app.py` imports this
module before anything asks torch about CUDA.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

try:
    import spaces
    from spaces.config import Config as SpacesConfig
except ImportError:
    spaces = None

import nst
from nst.io.clip_reader import Clip
from nst.networks.network import load_network
from nst.networks.registry import BACKBONES

from ..costs.gpu_time import check_clip_fits, check_fits, clip_gpu_seconds, deadline_within, gpu_seconds

ON_ZEROGPU = spaces is not None and SpacesConfig.zero_gpu


def run_gpu_seconds(arguments: inspect.BoundArguments) -> int:
    """Seconds of GPU for a call of the run function, from its `settings`, its `style_images` and its `mask`,
    and for a clip's run its `clip` (every frame)."""
    values = arguments.arguments
    styles = len(values.get("style_images") or [None])
    masked = values.get("mask") is not None
    if values.get("clip") is not None:
        return clip_gpu_seconds(values["settings"], values["clip"], styles=styles, masked=masked)
    return gpu_seconds(values["settings"], styles=styles, masked=masked)


def gpu(fn: Callable) -> Callable:
    """On ZeroGPU, hold a GPU for each call of `fn` for as long as its arguments say it needs; elsewhere, `fn`.

    `fn` takes the run's `settings` and `style_images` (and optionally a
    `mask`); the duration ZeroGPU receives is worked out from those, with the
    very arguments of the call.
    """
    if not ON_ZEROGPU:
        return fn
    signature = inspect.signature(fn)

    def duration(*args: Any, **kwargs: Any) -> int:
        return run_gpu_seconds(signature.bind(*args, **kwargs))

    return spaces.GPU(duration=duration)(fn)


def fit_to_gpu(settings: nst.Settings, styles: int = 1, masked: bool = False, clip: Clip | None = None) -> nst.Settings:
    """On ZeroGPU, end the run (of a picture, or of `clip`) inside the GPU time it will ask for; elsewhere,
    `settings` unchanged.

    A run that would overrun its grant is stopped by its own deadline, keeping
    its image (a clip, its frames made) and leaving time for the downloads,
    instead of being aborted. One that cannot fit a request is refused.
    """
    if not ON_ZEROGPU:
        return settings
    if clip is None:
        check_fits(settings, styles, masked)
        granted = gpu_seconds(settings, styles, masked)
    else:
        check_clip_fits(settings, clip, styles, masked)
        granted = clip_gpu_seconds(settings, clip, styles, masked)
    inside = deadline_within(settings, granted)
    limit = inside if settings.deadline is None else min(settings.deadline, inside)
    return dataclasses.replace(settings, deadline=limit)


def build_networks(backbones: tuple[str, ...] = BACKBONES) -> None:
    """Build the feature networks where runs will look for them: on ZeroGPU, on "cuda" at import, as it asks.

    Built by the helper every run builds its network with, from the default
    settings of each backbone, so a run finds them in the cache. SqueezeNet's
    weights are downloaded on first use: if that fails here, the run that asks
    for it reports why, as it does elsewhere.
    """
    for backbone in backbones:
        try:
            load_network(nst.Settings(backbone=backbone))
        except nst.WeightsUnavailableError:
            continue


if ON_ZEROGPU:
    build_networks()
