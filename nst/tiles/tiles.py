"""Tiles of a large picture: where each lies, with how many real neighbours around it, and which features are its own.

A network's feature at one position depends only on the input pixels within
its receptive field. A tile cut from the picture with a halo of real
neighbours at least that wide therefore has, in its core, exactly the
features the whole picture has there; its edges (the halo) are computed and
thrown away. Tile borders lie on the grid of the network's total stride, so
that every pooling window falls where it falls in the whole picture, and
each feature position belongs to exactly one tile's core: sums over
positions (Gram matrices, content terms) add up tile by tile to the whole
picture's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ..networks.interface import FeatureExtractor
from ..networks.network import Network


@dataclass(frozen=True)
class Reach:
    """How far a layer sees: the pixels its receptive field reaches beyond its own cell, and its stride."""

    radius: int
    stride: int

    @property
    def halo(self) -> int:
        """The radius rounded up to the stride: the halo a tile needs, with its extent on the network's grid."""
        return math.ceil(self.radius / self.stride) * self.stride


def layer_reach(extractor: FeatureExtractor, layer: str) -> Reach:
    """The receptive field reach and total stride of `layer`'s output, read off the network's modules.

    An output position i of a module with stride s sees inputs from
    i*s - before to i*s + after; over a stack of modules the reaches add up,
    each in the positions of its own input. The halo is the larger side.
    """
    before, after, stride = module_reach(extractor.body[: extractor.layer_names.index(layer) + 1])
    return Reach(max(before, after), stride)


def module_reach(module: nn.Module) -> tuple[int, int, int]:
    """(input positions seen before and after an output's own, stride) of a module.

    A composite module (a Sequential, SqueezeNet's Fire) is taken as its
    children one after another: exact for a stack, an overestimate for
    parallel branches, which only widens the halo.
    """
    if isinstance(module, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
        kernel, stride = _first(module.kernel_size), _first(module.stride)
        padding, dilation = _first(module.padding), _first(getattr(module, "dilation", 1))
        return padding, dilation * (kernel - 1) - padding, stride
    before, after, stride = 0, 0, 1
    for child in module.children():
        child_before, child_after, child_stride = module_reach(child)
        before, after, stride = before + child_before * stride, after + child_after * stride, stride * child_stride
    return before, after, stride


def layer_shape(extractor: FeatureExtractor, layer: str, size: tuple[int, int]) -> tuple[int, int]:
    """(height, width) of `layer`'s output for a picture of `size` (width, height), by the modules' own arithmetic."""
    width, height = size
    for module in extractor.body[: extractor.layer_names.index(layer) + 1]:
        height, width = module_shape(module, height), module_shape(module, width)
    return height, width


def module_shape(module: nn.Module, length: int) -> int:
    """A module's output length along one side, for an input of `length` (convolutions and pools; others keep it)."""
    if isinstance(module, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
        kernel, stride = _first(module.kernel_size), _first(module.stride)
        padding, dilation = _first(module.padding), _first(getattr(module, "dilation", 1))
        span = length + 2 * padding - dilation * (kernel - 1) - 1
        rounded = -(-span // stride) if getattr(module, "ceil_mode", False) else span // stride
        return rounded + 1
    for child in module.children():
        length = module_shape(child, length)
    return length


def _first(value: int | tuple[int, ...]) -> int:
    return value if isinstance(value, int) else value[0]


@dataclass(frozen=True)
class Tile:
    """One tile: its core (the pixels whose features it owns) and its extent (the core and its halo), as boxes.

    Boxes are (left, top, right, bottom) in pixels of the whole picture. A
    core that reaches the picture's right or bottom edge owns every feature
    position the layer has there, however its pooling rounds.
    """

    core: tuple[int, int, int, int]
    extent: tuple[int, int, int, int]
    at_right: bool
    at_bottom: bool

    def cut(self, image: Tensor) -> Tensor:
        """The tile's extent of a (N, C, H, W) picture."""
        left, top, right, bottom = self.extent
        return image[:, :, top:bottom, left:right]

    def own(self, features: Tensor, stride: int) -> Tensor:
        """The core's part of `features` (at `stride`) computed over the extent."""
        rows, columns = self.own_window(stride)
        return features[..., rows, columns]

    def own_window(self, stride: int) -> tuple[slice, slice]:
        """The core's (rows, columns) among the positions at `stride` of features computed over the extent."""
        left, top = self.extent[0] // stride, self.extent[1] // stride
        rows, columns = self.grid(stride)
        return _shifted(rows, top), _shifted(columns, left)

    def grid(self, stride: int) -> tuple[slice, slice]:
        """The core's (rows, columns) among the whole layer's positions at `stride`."""
        left, top, right, bottom = self.core
        rows = slice(top // stride, None if self.at_bottom else bottom // stride)
        columns = slice(left // stride, None if self.at_right else right // stride)
        return rows, columns


def _shifted(span: slice, by: int) -> slice:
    return slice(span.start - by, None if span.stop is None else span.stop - by)


def plan_tiles(size: tuple[int, int], tile: int, halo: int, align: int) -> list[Tile]:
    """Tiles of about `tile` pixels a side covering a picture of `size` (width, height), each with `halo` around it.

    Core borders fall on multiples of `align` (the network's total stride);
    the halo is rounded up to one, so extents start on the grid too.
    """
    width, height = size
    halo = math.ceil(halo / align) * align
    columns = _cuts(width, tile, align)
    rows = _cuts(height, tile, align)
    tiles = []
    for top, bottom in zip(rows, rows[1:], strict=False):
        for left, right in zip(columns, columns[1:], strict=False):
            extent = (max(0, left - halo), max(0, top - halo), min(width, right + halo), min(height, bottom + halo))
            tiles.append(Tile((left, top, right, bottom), extent, right == width, bottom == height))
    return tiles


def _cuts(length: int, tile: int, align: int) -> list[int]:
    """Where cores start and end along one side: even parts of at most about `tile`, on multiples of `align`."""
    parts = max(1, math.ceil(length / max(align, tile)))
    cuts = [0]
    for index in range(1, parts):
        cut = round(length * index / parts / align) * align
        if cut > cuts[-1] and cut < length:
            cuts.append(cut)
    return [*cuts, length]


def tiled_features(network: Network, image: Tensor, layers: Sequence[str], tiles: list[Tile]) -> dict[str, Tensor]:
    """`image`'s features at `layers`, computed tile by tile without gradients: the whole picture's, to rounding.

    A large picture's content targets: computed whole, the first layers'
    activations alone would hold several gigabytes at 4096 px.
    """
    extractor = network.extractor
    size = (image.shape[3], image.shape[2])
    whole: dict[str, Tensor] = {}
    with torch.no_grad():
        for tile in tiles:
            features = network.features(tile.cut(image), list(layers))
            for name in layers:
                stride = layer_reach(extractor, name).stride
                own = tile.own(features[name], stride)
                if name not in whole:
                    shape = (1, own.shape[1], *layer_shape(extractor, name, size))
                    whole[name] = own.new_empty(shape).contiguous(memory_format=torch.channels_last)
                whole[name][(..., *tile.grid(stride))] = own
    return whole
