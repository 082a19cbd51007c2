"""The memory budget: when a stage runs whole, when in tiles, and a clear refusal when even tiles cannot fit."""

from __future__ import annotations

import pytest

from nst import Settings, SettingsError, stylize
from nst.cli import memory
from nst.colour.palette_hold import HOLD_PIXELS, PaletteHold, sample_stride
from nst.networks.network import load_network
from nst.tiles.budget import GB, activation_bytes, budget_bytes, needs_bytes, tiles_for

from ..factories import make_painting, make_photo

LAYERS = ["relu2_2", "relu1_1", "relu2_1", "relu3_1", "relu4_1"]


@pytest.fixture(scope="module")
def network():
    return load_network(Settings(precision="fp32"))


def test_activations_cost_more_the_deeper_the_pass_goes(network):
    shallow = activation_bytes(network, ["relu2_1"])
    deep = activation_bytes(network, LAYERS)
    assert 0 < shallow < deep
    assert 1_000 < deep < 20_000, "bytes a pixel of a VGG-19 pass to relu4_1 in fp32"


def test_a_stage_that_fits_runs_whole_and_one_that_does_not_runs_in_tiles(network):
    size = (4096, 2560)
    assert tiles_for(Settings(max_memory=64 * GB), network, size, LAYERS, ["relu2_2"]) is None
    tiles = tiles_for(Settings(max_memory=6 * GB), network, size, LAYERS, ["relu2_2"])
    assert tiles is not None and len(tiles) > 4
    core = max((t.core[2] - t.core[0]) * (t.core[3] - t.core[1]) for t in tiles)
    assert core <= 1024 * 1024


def test_the_tile_setting_forces_tiles_of_that_side(network):
    tiles = tiles_for(Settings(tile=64), network, (200, 136), LAYERS, ["relu2_2"])
    assert all(t.core[2] - t.core[0] <= 72 for t in tiles) and len(tiles) >= 6
    assert tiles_for(Settings(tile=256), network, (200, 136), LAYERS, ["relu2_2"]) is None


def test_a_picture_too_large_even_for_tiles_is_refused_before_the_run_with_the_largest_that_fits():
    settings = Settings(size=8192, max_memory=2 * GB, precision="fp32")
    with pytest.raises(SettingsError, match=r"needs about [\d.]+ GB .* largest that fits is about (\d+) px") as error:
        next(stylize(make_photo(96, 72), make_painting(), settings))
    largest = int(error.value.args[0].split("largest that fits is about ")[1].split(" px")[0])
    network = load_network(settings)
    scaled = (largest, round(largest * 72 / 96))
    assert needs_bytes(network, scaled, LAYERS, ["relu2_2"]) <= budget_bytes(settings, network.device)
    assert 512 < largest < 8192


def test_max_memory_is_checked_and_read_from_the_command_lines_units():
    with pytest.raises(SettingsError, match="max_memory"):
        Settings(max_memory=1e6)
    assert memory("6G") == 6 * GB and memory("512M") == 512 * 2**20 and memory("6GB") == 6 * GB
    assert memory("2GiB") == 2 * GB


def test_the_palette_hold_reads_a_large_picture_sparsely_and_keeps_its_size():
    import torch

    generator = torch.Generator().manual_seed(0)
    small = torch.rand(1, 3, 256, 256, generator=generator)
    large = torch.nn.functional.interpolate(small, scale_factor=8, mode="nearest")  # the same colours, 64x the pixels
    assert sample_stride(small) == 1 and sample_stride(large) > 1
    assert large.shape[2] * large.shape[3] / sample_stride(large) ** 2 <= HOLD_PIXELS
    hold_small, hold_large = PaletteHold.of(small, 1.0), PaletteHold.of(large, 1.0)
    moved_small, moved_large = (small * 0.9).clamp(0, 1), (large * 0.9).clamp(0, 1)
    assert float(hold_large(moved_large)) == pytest.approx(float(hold_small(moved_small)), rel=0.05)
