"""The distilled VGG-19 loads from the file beside its module and computes what it computed when pinned."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nst.errors import WeightsUnavailableError
from nst.networks import vgg19_lite
from nst.networks.registry import get_extractor
from nst.networks.vgg19 import MEAN_PIXEL_BGR
from nst.networks.vgg19_lite import AUX_LAYERS, WEIGHTS_PATH, load_vgg19_lite, read_weights

# Channels and downsampling of the layers nst uses, VGG-19's at a quarter of the width.
SHAPES = {
    "relu1_1": (16, 1),
    "relu2_1": (32, 2),
    "relu2_2": (32, 2),
    "relu3_1": (64, 4),
    "relu4_1": (128, 8),
    "relu4_2": (128, 8),
    "relu5_1": (128, 16),
}

# Feature means on `gradient_image()`, fp32, pinned when the network was added
# (to catch a changed file, layer order, padding or preprocessing).
PINNED_MEANS = {
    "relu1_1": 7.05725,
    "relu2_1": 12.4187,
    "relu2_2": 5.38211,
    "relu3_1": 4.56089,
    "relu4_1": 2.06540,
    "relu4_2": 1.24032,
    "relu5_1": 2.67037,
}
# Near 1: the maps were trained against a VGG-19 normalised to mean activation 1 per channel.
PINNED_AUX_MEANS = {"relu1_1": 1.92243, "relu2_1": 1.36770, "relu3_1": 1.10686, "relu4_1": 1.17011, "relu5_1": 0.705404}


def gradient_image(height: int = 96, width: int = 128) -> torch.Tensor:
    """A smooth, fully determined RGB image in [0, 1]: ramps in red and green, waves in blue."""
    y = torch.linspace(0.0, 1.0, height).view(height, 1).expand(height, width)
    x = torch.linspace(0.0, 1.0, width).view(1, width).expand(height, width)
    return torch.stack([x, y, 0.5 + 0.5 * torch.sin(6.0 * (x + y))]).unsqueeze(0)


@pytest.fixture(scope="module")
def lite():
    return load_vgg19_lite().freeze()


def test_the_weights_file_ships_beside_the_module():
    raw = read_weights()
    assert WEIGHTS_PATH == Path(vgg19_lite.__file__).with_name("vgg19_lite.pth") and WEIGHTS_PATH.is_file()
    assert all(t.dtype == torch.float32 for t in raw.values())
    assert tuple(raw["block5_conv1.weight"].shape) == (128, 128, 3, 3)
    assert {k for k in raw if k.startswith("aux.")} == {f"aux.{n}.{p}" for n in AUX_LAYERS for p in ("weight", "bias")}


def test_a_missing_weights_file_says_what_to_do(tmp_path):
    with pytest.raises(WeightsUnavailableError, match="vgg19"):
        read_weights(tmp_path / "vgg19_lite.pth")


def test_layer_names_are_vgg19s(lite):
    assert lite.layer_names == get_extractor("vgg19").layer_names


def test_shapes_and_pinned_means(lite):
    image = gradient_image()
    features = lite(image, list(SHAPES))
    for name, (channels, stride) in SHAPES.items():
        assert features[name].shape == (1, channels, 96 // stride, 128 // stride), name
    means = {name: features[name].mean().item() for name in PINNED_MEANS}
    assert means == pytest.approx(PINNED_MEANS, rel=1e-3)


def test_aux_projections_have_vgg19s_widths_and_pinned_means(lite):
    features = lite(gradient_image(), [*AUX_LAYERS, "relu4_2"], aux=True)
    assert {name: features[name].shape[1] for name in AUX_LAYERS} == AUX_LAYERS
    assert AUX_LAYERS == {"relu1_1": 64, "relu2_1": 128, "relu3_1": 256, "relu4_1": 512, "relu5_1": 512}
    assert features["relu4_2"].shape[1] == 128  # no map there: as it is
    assert all(features[name].min() >= 0 for name in AUX_LAYERS)
    means = {name: features[name].mean().item() for name in AUX_LAYERS}
    assert means == pytest.approx(PINNED_AUX_MEANS, rel=1e-3)


def test_the_trained_input_map_is_close_to_vggs_preprocessing(lite):
    # Trained along with the network, so near, not equal, to BGR x 255 minus the mean pixel.
    grey = torch.full((1, 3, 4, 4), 0.5)
    expected = 127.5 - torch.tensor(MEAN_PIXEL_BGR).view(1, 3, 1, 1)
    assert torch.allclose(lite.preprocess(grey), expected, atol=1.0)
    assert not torch.allclose(lite.preprocess(grey), expected, atol=1e-3)


def test_only_the_image_gets_gradients(lite):
    image = gradient_image(32, 32).requires_grad_(True)
    lite(image, ["relu4_1"])["relu4_1"].square().mean().backward()
    assert image.grad is not None and image.grad.abs().sum() > 0
    assert all(p.grad is None and not p.requires_grad for p in lite.parameters())


def test_the_registry_builds_it_and_bf16_keeps_the_preprocessing_in_fp32():
    full = get_extractor("vgg19-lite", "cpu", True)
    half = get_extractor("vgg19-lite", "cpu", True, True)
    assert full is get_extractor("vgg19-lite", "cpu", True)
    assert all(p.dtype == torch.bfloat16 for p in half.body.parameters())
    assert half.preprocess_weight.dtype == torch.float32
    image = gradient_image().contiguous(memory_format=torch.channels_last)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        low = half(image, ["relu3_1"])["relu3_1"].float()
    high = full(image, ["relu3_1"])["relu3_1"]
    assert float((low - high).norm() / high.norm()) < 0.03
