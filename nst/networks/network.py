"""The network a run computes with: where, how precisely, and the features of an image.

Every caller that runs the network (the loop, the ZeroGPU warm-up, each
benchmark) builds it here from the settings, so that all of them get the
same compute choices and the same cached network (`nst.networks.registry`), and
no copy of the construction can drift from the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from ..settings import Settings
from .device import Compute, resolve_compute
from .interface import FeatureExtractor
from .registry import get_extractor


@dataclass(frozen=True)
class Network:
    """A frozen feature extractor and the compute choices it was built for."""

    compute: Compute
    extractor: FeatureExtractor

    @property
    def device(self) -> torch.device:
        return self.compute.device

    def features(self, image: Tensor, layers: Sequence[str]) -> dict[str, Tensor]:
        """`image`'s features at `layers`, in the memory format and precision chosen (bf16 ones stay bf16)."""
        if self.compute.channels_last:
            image = image.contiguous(memory_format=torch.channels_last)
        with self.compute.autocast():
            return self.extractor(image, layers)


def load_network(settings: Settings) -> Network:
    """The network `settings` ask for (backbone, device, precision, memory format), built once per process."""
    compute = resolve_compute(settings.device, settings.precision, settings.channels_last)
    extractor = get_extractor(settings.backbone, str(compute.device), compute.channels_last, compute.bf16)
    return Network(compute, extractor)
