"""Tiles inside the optimisation: their geometry, and a tiled evaluation that equals the untiled one."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nst import Settings, stylize
from nst.networks.network import load_network
from nst.plan.schedule import SHAPES, WHOLE, Stage
from nst.stylize import prepare
from nst.tiles.tiled import TiledObjective
from nst.tiles.tiles import layer_reach, layer_shape, plan_tiles, tiled_features

from ..factories import make_half_mask, make_painting, make_photo

SIZE = (200, 136)


def test_cores_cover_every_pixel_once_on_the_networks_grid():
    tiles = plan_tiles((517, 301), 128, 45, 8)
    covered = torch.zeros(301, 517, dtype=torch.int32)
    for tile in tiles:
        left, top, right, bottom = tile.core
        covered[top:bottom, left:right] += 1
        assert all(edge % 8 == 0 for edge in (left, top)) and (right % 8 == 0 or right == 517)
        e_left, e_top, e_right, e_bottom = tile.extent
        assert e_left % 8 == 0 and e_top % 8 == 0 and e_left <= left and right <= e_right
        assert left - e_left in (0, 48) and (e_right - right in (0, 48) or e_right == 517)
    assert bool((covered == 1).all())


def test_each_feature_position_belongs_to_one_tile_at_every_stride():
    """Pooling drops a last odd pixel: the cores' positions still add up to the whole layer, once each."""
    network = load_network(Settings(precision="fp32"))
    width, height = 517, 301
    tiles = plan_tiles((width, height), 128, 45, 8)
    for layer in ("relu1_1", "relu2_1", "relu3_1", "relu4_1"):
        stride = layer_reach(network.extractor, layer).stride
        rows, columns = layer_shape(network.extractor, layer, (width, height))
        owned = torch.zeros(rows, columns, dtype=torch.int32)
        for tile in tiles:
            owned[tile.grid(stride)] += 1
        assert bool((owned == 1).all()), layer


def test_the_reach_and_shape_of_vgg19_layers():
    extractor = load_network(Settings(precision="fp32")).extractor
    assert layer_reach(extractor, "relu4_2").stride == 8 and layer_reach(extractor, "relu4_2").radius == 45
    assert layer_reach(extractor, "relu1_1").radius == 1
    image = torch.rand(1, 3, 301, 517)
    with torch.no_grad():
        features = extractor(image, ["relu3_1", "relu4_1"])
    assert tuple(features["relu4_1"].shape[2:]) == layer_shape(extractor, "relu4_1", (517, 301)) == (37, 64)
    assert tuple(features["relu3_1"].shape[2:]) == layer_shape(extractor, "relu3_1", (517, 301))


def evaluated(settings: Settings, kind: str, masked: bool, tile: int | None) -> tuple[dict, torch.Tensor]:
    """Every term and the gradient of one stage's objective at a perturbed start, untiled or in tiles of `tile`."""
    photo = make_photo(*SIZE)
    mask = make_half_mask(*SIZE) if masked else None
    parts = prepare(settings, photo, [make_painting()], mask, [make_painting(seed=4)] if masked else None)
    stage = Stage(SIZE, 1, kind)
    references = parts.references(stage)
    objective = parts.objective(stage, references)
    if tile is not None:
        extractor = parts.network.extractor
        deepest = max([*objective.content_layers, *objective.style_layers], key=extractor.layer_names.index)
        tiles = plan_tiles(SIZE, tile, layer_reach(extractor, deepest).radius, 8)
        assert len(tiles) > 4
        objective = TiledObjective(objective, tiles, SIZE)
    generator = torch.Generator().manual_seed(0)
    image = (references.start + 0.05 * torch.randn(references.start.shape, generator=generator)).clamp(0, 1)
    image.requires_grad_(True)
    total, terms = objective(image)
    total.backward()
    return {name: float(value.detach()) for name, value in terms.items()}, image.grad


@pytest.mark.slow
@pytest.mark.parametrize("kind, masked", [(WHOLE, False), (SHAPES, False), (SHAPES, True)])
def test_a_tiled_evaluation_equals_the_untiled_one(kind, masked):
    """In fp32 the terms and the gradient agree to rounding: the halo gives every core its whole-picture features."""
    settings = Settings(size=max(SIZE), precision="fp32")
    whole_terms, whole_gradient = evaluated(settings, kind, masked, None)
    tiled_terms, tiled_gradient = evaluated(settings, kind, masked, 64)
    assert tiled_terms.keys() == whole_terms.keys()
    for name, value in whole_terms.items():
        assert tiled_terms[name] == pytest.approx(value, rel=1e-4), name
    error = (tiled_gradient - whole_gradient).norm() / whole_gradient.norm()
    assert float(error) < 1e-4


@pytest.mark.slow
def test_a_run_forced_into_tiles_paints_the_untiled_picture():
    """End to end through `stylize`: tiles of 64 px over a 200 px picture leave no seam (fp32: equal to rounding)."""
    settings = Settings(size=200, steps=6, precision="fp32")
    photo, painting = make_photo(*SIZE), make_painting()
    *_, whole = stylize(photo, painting, settings)
    *_, tiled = stylize(photo, painting, settings.replace(tile=64))
    error = np.mean((whole.image.astype(np.float64) - tiled.image.astype(np.float64)) ** 2)
    assert 10 * np.log10(255**2 / max(error, 1e-12)) > 45
    assert tiled.image.shape == whole.image.shape == (136, 200, 3)


@pytest.mark.slow
def test_tiles_reusing_the_previous_steps_grams_report_current_losses_and_a_near_gradient():
    """One pass a step instead of two: the step-old Gram matrices steer the gradient, the terms reported are current."""
    # Without the palette hold, which reads its directions in turns, one evaluation to the next.
    settings = Settings(size=max(SIZE), precision="fp32", palette_hold=0)
    parts = prepare(settings, make_photo(*SIZE), [make_painting()])
    stage = Stage(SIZE, 1, SHAPES)
    references = parts.references(stage)
    whole = parts.objective(stage, references)
    extractor = parts.network.extractor
    tiles = plan_tiles(SIZE, 64, layer_reach(extractor, "relu4_1").radius, 8)
    tiled = TiledObjective(whole, tiles, SIZE, reuse_grams=True)
    generator = torch.Generator().manual_seed(0)
    before = (references.start + 0.05 * torch.randn(references.start.shape, generator=generator)).clamp(0, 1)
    after = (before + 0.01 * torch.randn(before.shape, generator=generator)).clamp(0, 1)

    def terms_and_gradient(objective, image):
        image = image.clone().requires_grad_(True)
        total, terms = objective(image)
        total.backward()
        return {name: float(value) for name, value in terms.items()}, image.grad

    terms_and_gradient(tiled, before)  # the stage's first evaluation: both passes, and the sums kept
    tiled_terms, tiled_gradient = terms_and_gradient(tiled, after)
    whole_terms, whole_gradient = terms_and_gradient(whole, after)
    for name, value in whole_terms.items():
        assert tiled_terms[name] == pytest.approx(value, rel=1e-4), name
    error = float((tiled_gradient - whole_gradient).norm() / whole_gradient.norm())
    assert 1e-4 < error < 0.05  # not the exact gradient, but near it


@pytest.mark.slow
def test_a_run_in_tiles_reusing_grams_stays_near_the_untiled_picture():
    settings = Settings(size=200, steps=6, precision="fp32")
    photo, painting = make_photo(*SIZE), make_painting()
    *_, whole = stylize(photo, painting, settings)
    *_, tiled = stylize(photo, painting, settings.replace(tile=64, tile_grams="previous"))
    error = np.mean((whole.image.astype(np.float64) - tiled.image.astype(np.float64)) ** 2)
    assert 10 * np.log10(255**2 / max(error, 1e-12)) > 40


def test_features_computed_tile_by_tile_are_the_whole_pictures():
    """A large picture's content targets are computed in tiles: the same tensors as the whole picture's."""
    network = load_network(Settings(precision="fp32"))
    image = torch.rand(1, 3, 301, 517, generator=torch.Generator().manual_seed(1))
    tiles = plan_tiles((517, 301), 128, layer_reach(network.extractor, "relu4_2").radius, 8)
    tiled = tiled_features(network, image, ["relu2_2", "relu4_2"], tiles)
    with torch.no_grad():
        whole = network.features(image, ["relu2_2", "relu4_2"])
    for name in ("relu2_2", "relu4_2"):
        assert tiled[name].shape == whole[name].shape
        assert torch.allclose(tiled[name], whole[name], rtol=1e-5, atol=1e-3), name
