"""Which layers each stage counts: pure functions of the settings and the network's layer order, no network run."""

from __future__ import annotations

import pytest

from nst import Settings
from nst.core.layers import stage_layers, widest_kind
from nst.networks.vgg19 import layer_plan
from nst.plan.schedule import SHAPES, TEXTURE, WHOLE

VGG_ORDER = [name for _, name in layer_plan()]


def test_a_whole_picture_stage_counts_every_weighted_layer_and_leaves_weight_zero_out():
    layers = stage_layers(Settings(), WHOLE, VGG_ORDER)
    assert layers.style == ("relu1_1", "relu2_1", "relu3_1", "relu4_1")  # relu5_1 is weighted 0 by default
    assert layers.content == ("relu4_2", "relu2_2") and layers.content_weights == (2.0, 0.5)


def test_every_layer_weighted_zero_counts_them_all():
    settings = Settings(style_layer_weights=(0.0,) * 5)
    assert stage_layers(settings, WHOLE, VGG_ORDER).style == Settings().style_layers


def test_a_shape_stage_counts_its_deepest_style_layer_at_finish_deep_weight():
    settings = Settings(finish_deep_weight=0.25)
    shapes = stage_layers(settings, SHAPES, VGG_ORDER)
    whole = stage_layers(settings, WHOLE, VGG_ORDER)
    assert shapes.style == ("relu1_1", "relu2_1", "relu3_1", "relu4_1") and shapes.content == ("relu2_2",)
    deep = shapes.style.index("relu4_1")
    assert shapes.style_weights[deep] == pytest.approx(0.25 * whole.style_weights[whole.style.index("relu4_1")])
    assert shapes.style_weights[0] == whole.style_weights[0]


def test_a_texture_stage_counts_the_shallowest_layers_at_full_weight():
    texture = stage_layers(Settings(), TEXTURE, VGG_ORDER)
    assert texture.style == ("relu1_1", "relu2_1", "relu3_1") and texture.style_weights == (1000.0,) * 3
    assert texture.content == ("relu2_2",)


def test_a_stage_keeps_the_shallowest_content_layer_when_all_are_deeper_than_its_style_layers():
    """Content at relu4_2 only: the texture stage (style to relu3_1) still holds the photo, at relu4_2."""
    settings = Settings(content_layers=("relu4_2",), content_layer_weights=(1.0,))
    texture = stage_layers(settings, TEXTURE, VGG_ORDER)
    assert texture.content == ("relu4_2",) and texture.style == ("relu1_1", "relu2_1", "relu3_1")


def test_the_output_sizes_two_stages_share_the_shape_stages_layers():
    assert widest_kind(TEXTURE) == widest_kind(SHAPES) == SHAPES and widest_kind(WHOLE) == WHOLE
    settings = Settings()
    widest = stage_layers(settings, SHAPES, VGG_ORDER)
    texture = stage_layers(settings, TEXTURE, VGG_ORDER)
    assert set(texture.style) <= set(widest.style) and set(texture.content) <= set(widest.content)
