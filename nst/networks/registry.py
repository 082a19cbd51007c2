"""The feature networks by name, each built once per process.

The networks share one interface (`interface.FeatureExtractor`); this
module only maps a backbone's name to its loader and keeps what it built, so
that every run in a process (the web app's visitors, a benchmark's variants)
reuses one frozen network per device and memory format.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch

from ..errors import SettingsError
from .interface import FeatureExtractor
from .squeezenet import load_squeezenet
from .vgg19 import load_vgg19
from .vgg19_lite import load_vgg19_lite

LOADERS: dict[str, Callable[[], FeatureExtractor]] = {
    "vgg19": load_vgg19,
    "vgg19-lite": load_vgg19_lite,
    "squeezenet": load_squeezenet,
}
BACKBONES = tuple(LOADERS)


def get_extractor(
    backbone: str, device: str = "cpu", channels_last: bool = False, bf16: bool = False
) -> FeatureExtractor:
    """The frozen extractor for `backbone` on `device`, built once per process for each set of arguments.

    With `bf16` the weights are stored in bf16, for runs under bf16 autocast:
    autocast keeps its casts only of weights that need gradients, so frozen
    fp32 weights would be cast afresh at every call (about 80 MB of copying
    for VGG-19, a sixth of a 128 px step).
    """
    # Spelled out, so that a call that leaves defaults out gets the same network as one that gives them.
    return build_extractor(backbone, str(device), bool(channels_last), bool(bf16))


@functools.lru_cache(maxsize=8)
def build_extractor(backbone: str, device: str, channels_last: bool, bf16: bool) -> FeatureExtractor:
    """Build the frozen extractor (see `get_extractor`, which keeps one per set of arguments)."""
    if backbone not in LOADERS:
        raise SettingsError(f"Unknown feature extractor {backbone!r}; choose from {', '.join(BACKBONES)}.")
    model = LOADERS[backbone]().to(torch.device(device))
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    if bf16:
        model.body.to(torch.bfloat16)  # the preprocessing's constants stay exact
    return model.freeze()
