"""How much memory a stage needs, and the tiles that keep a run within its budget.

Two things grow with the picture. The network's activations, kept for the
backward pass, cost about a kilobyte and a half per pixel in bf16 to relu4_1
(more in fp32): measured here, once per network, layer and precision, by
counting what autograd saves for a small input. And the full-size pictures
the run holds whatever it does (the picture, its gradient, Adam's two
moments, the last good picture, the photo and its start, the content
targets): about a hundred bytes a pixel. A stage whose activations fit in
the budget runs whole, which is fastest; one whose do not runs in tiles
(`nst.tiles.tiled`) of at most TILE_PIXELS, each within what the budget leaves
after the full-size pictures. A picture whose full-size pictures alone do
not leave room for the smallest tile is refused before the run starts.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Sequence

import torch

from ..core.layers import stage_layers, widest_kind
from ..errors import SettingsError
from ..networks.network import Network
from ..plan.schedule import Stage
from ..settings import Settings
from .tiles import Tile, layer_reach, plan_tiles

GB = 1 << 30
# What the process holds before any picture: Python, torch and its libraries, the network.
BASE_BYTES = 1.0 * GB
# Without a budget set, a run may use this share of the machine's memory (or the GPU's).
DEFAULT_SHARE = 0.5
# Tiles stop paying back beyond about a megapixel: the halo costs (1 + 2 * 48 / 1024)^2 = 1.2
# times the core there, and a larger tile only holds more memory.
TILE_PIXELS = 1024 * 1024
# The smallest tile core worth running: below it the halo costs several times the core.
MIN_TILE = 128
# Full-size tensors of three float32 channels a run holds at once at its largest (the picture,
# its gradient, Adam's moments, the last good picture, the photo, its start, temporaries);
# 16 held the measured peaks within their budgets (BENCHMARKS.md, Print size).
PICTURE_COPIES = 16
# What autograd saves is most, not all, of a pass's memory: the pass's own temporaries (each
# layer's output before the next has saved its input, the backward pass's gradients) come on
# top. Untiled 2048x2048 shape stages peaked at 1.52 kB a pixel above the rest, in bf16, where
# autograd saved 0.83 kB.
PASS_OVERHEAD = 1.9


def machine_bytes(device: torch.device) -> int:
    """The memory of the device runs compute on: the GPU's own, else the machine's."""
    if device.type == "cuda":
        return torch.cuda.get_device_properties(device).total_memory
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def budget_bytes(settings: Settings, device: torch.device) -> float:
    """The run's memory budget: `Settings.max_memory`, or DEFAULT_SHARE of the device's."""
    return settings.max_memory if settings.max_memory is not None else DEFAULT_SHARE * machine_bytes(device)


@functools.lru_cache(maxsize=32)
def _saved_per_pixel(network: Network, layers: tuple[str, ...]) -> float:
    """Bytes a pass to `layers` keeps for its backward pass, per input pixel; each storage counted once.

    A convolution keeps its input and the ReLU before it keeps the same
    tensor as its output: counted by storage, not by what holds it. The
    network's weights, which it keeps too, do not grow with the picture.
    """
    side = 64
    weights = {tensor.untyped_storage().data_ptr() for tensor in network.extractor.state_dict().values()}
    storages: dict[int, int] = {}

    def count(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in weights:
            storages[storage.data_ptr()] = storage.nbytes()
        return tensor

    image = torch.rand(1, 3, side, side, device=network.device, requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(count, lambda tensor: tensor):
        features = network.features(image, list(layers))
    del features
    return sum(storages.values()) / side**2


def activation_bytes(network: Network, layers: Sequence[str]) -> float:
    """Bytes per input pixel that a pass with gradients to `layers` holds, in the network's precision."""
    return PASS_OVERHEAD * _saved_per_pixel(network, tuple(layers))


def picture_bytes(size: tuple[int, int], content_bytes_per_pixel: float) -> float:
    """The full-size tensors a run holds at `size` (width, height), with its content targets'."""
    return size[0] * size[1] * (PICTURE_COPIES * 3 * 4 + content_bytes_per_pixel)


def content_bytes(network: Network, layers: Sequence[str]) -> float:
    """Bytes per pixel of the content targets at `layers`, stored as the network makes them."""
    element = 2 if network.compute.bf16 else 4
    return sum(channels(network, name) * element / layer_reach(network.extractor, name).stride ** 2 for name in layers)


@functools.lru_cache(maxsize=64)
def channels(network: Network, layer: str) -> int:
    """How many channels `layer` has."""
    with torch.no_grad():
        return network.features(torch.zeros(1, 3, 32, 32, device=network.device), [layer])[layer].shape[1]


def tiles_for(
    settings: Settings, network: Network, size: tuple[int, int], layers: Sequence[str], content_layers: Sequence[str]
) -> list[Tile] | None:
    """The tiles a stage at `size` computing `layers` runs in, or None when it runs whole.

    `Settings.tile` forces tiles of that side (tests and studies); otherwise
    the stage runs whole when its activations fit in the budget beside the
    full-size pictures, and in tiles as large as fit (up to TILE_PIXELS) when not.
    """
    extractor = network.extractor
    deepest = max(layers, key=extractor.layer_names.index)
    reach = layer_reach(extractor, deepest)
    if settings.tile is not None:
        return plan_tiles(size, settings.tile, reach.radius, reach.stride) if max(size) > settings.tile else None
    per_pixel = activation_bytes(network, layers)
    room = budget_bytes(settings, network.device) - BASE_BYTES
    room -= picture_bytes(size, content_bytes(network, content_layers))
    if size[0] * size[1] * per_pixel <= room:
        return None
    side = min(math.isqrt(TILE_PIXELS), math.isqrt(max(0, int(room / per_pixel)))) - 2 * reach.halo
    if side < MIN_TILE:
        raise SettingsError(too_large_message(settings, network, size, layers, content_layers))
    return plan_tiles(size, side, reach.radius, reach.stride)


def check_memory(settings: Settings, network: Network, stage: Stage) -> None:
    """Refuse, before any work, a run whose largest stage cannot fit its budget even in the smallest tiles."""
    layers = stage_layers(settings, widest_kind(stage.kind), network.extractor.layer_names)
    tiles_for(settings, network, stage.size, [*layers.content, *layers.style], layers.content)


def needs_bytes(network: Network, size: tuple[int, int], layers: Sequence[str], content_layers: Sequence[str]) -> float:
    """The least memory a stage at `size` can run in: its full-size pictures and the smallest tile."""
    reach = layer_reach(network.extractor, max(layers, key=network.extractor.layer_names.index))
    smallest = (MIN_TILE + 2 * reach.halo) ** 2
    tile = min(size[0] * size[1], smallest) * activation_bytes(network, layers)
    return BASE_BYTES + picture_bytes(size, content_bytes(network, content_layers)) + tile


def too_large_message(
    settings: Settings, network: Network, size: tuple[int, int], layers: Sequence[str], content_layers: Sequence[str]
) -> str:
    """Why a picture of `size` cannot be made within the budget, and the largest long side that can."""
    budget = budget_bytes(settings, network.device)
    needed = needs_bytes(network, size, layers, content_layers)
    long_side = max(size)
    while long_side > 64:
        long_side = int(long_side * 0.97)
        scaled = (round(size[0] * long_side / max(size)), round(size[1] * long_side / max(size)))
        if needs_bytes(network, scaled, layers, content_layers) <= budget:
            break
    return (
        f"A {size[0]}x{size[1]} picture needs about {needed / GB:.1f} GB even in tiles, more than the "
        f"{budget / GB:.1f} GB this run may use. The largest that fits is about {long_side} px on its long side; "
        "choose that size or smaller, or allow more memory (max_memory, --max-memory)."
    )
