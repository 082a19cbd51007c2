"""SqueezeNet 1.1, the original design's small and fast feature network.

The ImageNet weights come through torchvision's weights API, which downloads
them once into the torch cache (`$TORCH_HOME/hub/checkpoints`). Where that
download cannot happen, the error says how to get going anyway.
"""

from __future__ import annotations

import os

import torch
from torch import Tensor

from ..errors import WeightsUnavailableError
from .interface import FeatureExtractor

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class SqueezeNetFeatures(FeatureExtractor):
    """The 13 modules of `squeezenet1_1().features`, named by index "0" ... "12".

    Index 1 is the ReLU after conv1, 3 = fire2, 4 = fire3, 6 = fire4, 7 = fire5,
    the layers the reference recipe uses.
    """

    def __init__(self, features: torch.nn.Sequential) -> None:
        super().__init__()
        self.body = features
        self.layer_names = tuple(str(i) for i in range(len(features)))
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def preprocess(self, image: Tensor) -> Tensor:
        """ImageNet normalisation of an RGB image in [0, 1]."""
        return (image - self.mean) / self.std


def load_squeezenet() -> SqueezeNetFeatures:
    """Load the ImageNet weights through torchvision, downloading them on first use."""
    # Imported here: torchvision adds about a second to every start of the library,
    # the command line and the app, and only this network needs it.
    from torchvision.models import SqueezeNet1_1_Weights, squeezenet1_1

    try:
        network = squeezenet1_1(weights=SqueezeNet1_1_Weights.IMAGENET1K_V1)
    except Exception as error:  # the download or the cached file failed in any of many ways
        cache = os.path.join(torch.hub.get_dir(), "checkpoints")
        raise WeightsUnavailableError(
            "The SqueezeNet 1.1 weights could not be loaded "
            f"({type(error).__name__}: {error}). They are downloaded once from the internet into "
            f"{cache}. Connect once and retry, set TORCH_HOME to a folder whose hub/checkpoints "
            "holds squeezenet1_1-b8a52dc0.pth, or choose the embedded VGG-19 (backbone 'vgg19'), "
            "which needs no download."
        ) from error
    return SqueezeNetFeatures(network.features)
