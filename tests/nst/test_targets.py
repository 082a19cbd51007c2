"""Style targets: blended across styles, and computed once per image and setting."""

from __future__ import annotations

import torch

from nst.core.targets import blended_grams, clear_cache, style_grams
from nst.networks.device import resolve_compute
from nst.networks.registry import get_extractor


def test_targets_are_cached_by_content_and_settings():
    clear_cache()
    model, compute = get_extractor("vgg19"), resolve_compute("cpu", "fp32")
    style = torch.rand(1, 3, 32, 32)
    first = style_grams(model, style, ["relu1_1", "relu2_1"], True, compute)
    assert style_grams(model, style.clone(), ["relu1_1", "relu2_1"], True, compute) is first
    assert style_grams(model, style, ["relu1_1", "relu2_1"], False, compute) is not first
    assert style_grams(model, style + 0.01, ["relu1_1", "relu2_1"], True, compute) is not first
    assert [g.shape for g in first] == [(1, 64, 64), (1, 128, 128)]


def test_blend_is_a_weighted_average_per_layer():
    a = [torch.ones(1, 2, 2), torch.zeros(1, 3, 3)]
    b = [torch.zeros(1, 2, 2), torch.ones(1, 3, 3)]
    blended = blended_grams([a, b], [3.0, 1.0])
    assert torch.allclose(blended[0], torch.full((1, 2, 2), 0.75))
    assert torch.allclose(blended[1], torch.full((1, 3, 3), 0.25))
