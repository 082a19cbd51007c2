"""VGG-19 distilled to a quarter of its channels, from Collaborative Distillation.

Wang, Li, Wang, Hu and Yang, "Collaborative Distillation for Ultra-Resolution
Universal Style Transfer", CVPR 2020 (github.com/MingSun-Tse/Collaborative-Distillation,
MIT licence, copyright (c) 2020 Huan Wang). Their conv5_1 encoder keeps VGG-19's
layout with 16, 32, 64, 128 and 128 channels per block, about a sixteenth of
the arithmetic. `vgg19_lite.pth`, beside this module, holds its weights
renamed to VGG-19's layer names; we rebuild the network here.

Distillation also trained a 1x1 map from each of relu1_1 ... relu5_1 back to
VGG-19's width (the `aux` maps); the features can be returned through them.
Their target was the WCT authors' normalised VGG-19, whose channels are
rescaled to a mean activation of one, so the projections match VGG-19's
features channel by channel only up to a positive scale per channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import WeightsUnavailableError
from .interface import FeatureExtractor, conv_relu_pool_stack

WEIGHTS_PATH = Path(__file__).with_name("vgg19_lite.pth")

# (channels, convolutions) per block up to conv5_1, VGG-19's layout at a quarter of its widths.
BLOCKS = ((16, 2), (32, 2), (64, 4), (128, 4), (128, 1))

# The relu layers that have a 1x1 map back to VGG-19, and VGG-19's widths there.
AUX_LAYERS = {"relu1_1": 64, "relu2_1": 128, "relu3_1": 256, "relu4_1": 512, "relu5_1": 512}


def layer_plan() -> list[tuple[str, str, int]]:
    """(kind, name, output channels) for each module up to relu5_1, named as in VGG-19."""
    plan: list[tuple[str, str, int]] = []
    width = 3
    for block, (channels, convs) in enumerate(BLOCKS, start=1):
        if block > 1:
            plan.append(("pool", f"pool{block - 1}", width))
        width = channels
        for k in range(1, convs + 1):
            plan.append(("conv", f"block{block}_conv{k}", channels))
            plan.append(("relu", f"relu{block}_{k}", channels))
    return plan


def read_weights(path: Path = WEIGHTS_PATH) -> dict[str, Tensor]:
    """Load the state dict that ships beside this module."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (FileNotFoundError, RuntimeError, OSError) as error:
        raise WeightsUnavailableError(
            f"The vgg19-lite weights could not be read from {path} ({type(error).__name__}: {error}). "
            "They ship with nst: reinstall it, or choose the backbone 'vgg19'."
        ) from error


def loaded_conv(raw: dict[str, Tensor], name: str, shape: tuple[int, ...], **options: object) -> nn.Conv2d:
    """A convolution of `shape` (out, in, k, k) holding the weights stored under `name`."""
    weight, bias = raw[f"{name}.weight"], raw[f"{name}.bias"]
    if tuple(weight.shape) != shape:
        raise WeightsUnavailableError(f"{WEIGHTS_PATH.name} holds {name} as {tuple(weight.shape)}, not {shape}.")
    conv = nn.Conv2d(shape[1], shape[0], shape[2], **options)
    with torch.no_grad():
        conv.weight.copy_(weight)
        conv.bias.copy_(bias)
    return conv


class VGG19LiteFeatures(FeatureExtractor):
    """The distilled encoder up to relu5_1, its layers named as VGG-19's (conv/relu/pool).

    Every 3x3 convolution pads by reflection, as the network was trained.
    """

    def __init__(self, raw: dict[str, Tensor]) -> None:
        super().__init__()
        widths = {name: channels for _, name, channels in layer_plan()}

        def conv(name: str, in_channels: int) -> tuple[nn.Module, int]:
            shape = (widths[name], in_channels, 3, 3)
            return loaded_conv(raw, name, shape, padding=1, padding_mode="reflect"), widths[name]

        self.body, self.layer_names = conv_relu_pool_stack([(kind, name) for kind, name, _ in layer_plan()], conv)
        self.aux = nn.ModuleDict(
            {name: loaded_conv(raw, f"aux.{name}", (width, widths[name], 1, 1)) for name, width in AUX_LAYERS.items()}
        )
        # The input map was trained with the rest, so it is only close to VGG's fixed
        # swap to BGR, times 255, minus the mean pixel; ours keeps the trained one.
        self.register_buffer("preprocess_weight", raw["preprocess.weight"].float().clone())
        self.register_buffer("preprocess_bias", raw["preprocess.bias"].float().clone())

    def preprocess(self, image: Tensor) -> Tensor:
        """RGB in [0, 1] to (about) BGR in 0-255 minus VGG's mean pixel, through the trained 1x1 map."""
        # In fp32 even under autocast, as VGG-19's constants are: the 0-255 values need the precision.
        with torch.autocast(image.device.type, enabled=False):
            return F.conv2d(image.float(), self.preprocess_weight, self.preprocess_bias)

    def forward(self, image: Tensor, layers: Sequence[str], aux: bool = False) -> dict[str, Tensor]:
        """`{name: output}` for `layers`; with `aux`, the AUX_LAYERS among them come back at VGG-19's widths.

        The projection is the trained 1x1 map followed by a ReLU, as in
        distillation; layers without a map (relu4_2, pools) come back as they are.
        """
        outputs = super().forward(image, layers)
        if aux:
            for name in outputs.keys() & self.aux.keys():
                outputs[name] = F.relu(self.aux[name](outputs[name]))
        return outputs


def load_vgg19_lite() -> VGG19LiteFeatures:
    """Build the distilled VGG-19 from the weights file beside this module."""
    return VGG19LiteFeatures(read_weights())
