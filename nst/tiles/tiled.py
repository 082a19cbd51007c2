"""One stage's objective evaluated tile by tile, with the style statistics of the whole picture.

A picture too large for the network's activations to fit in memory at once
is cut into tiles (`nst.tiles.tiles`), each with a halo of real neighbours as wide
as the deepest layer sees, so that its core's features are exactly the whole
picture's there. Two passes over the tiles make one evaluation:

1. Without gradients, each tile's share of every style layer's Gram matrix.
   A Gram matrix is a sum over positions, so the shares add up to the whole
   picture's: the style loss, and its slope with respect to each Gram
   matrix, are then known.
2. With gradients, each tile again: the content terms of its core, and the
   style terms through the known slopes (the inner product of the slope with
   the tile's share of the Gram matrix has exactly the tile's part of the
   gradient). Its pixels' gradient, halo included, is added into the
   picture's: every feature position is counted by one tile, so the sum is
   the untiled gradient, up to the order of floating-point sums.

The pixel terms (smoothness, the palette hold, a mask's keep term, a video
frame's temporal term) need no network and are taken over the whole picture. Memory then grows with the
picture only through its full-size images, not through the network's
activations. The price is the first pass: one forward pass more per step,
about half again the untiled step's work.

`Settings.tile_grams = "previous"` saves that pass: the slopes come from
the Gram matrices the previous step's tiles summed (the picture one step
earlier), and this step's tiles sum the new ones as they go. The gradient is
then no longer exactly the untiled one, but one optimiser step changes a
whole picture's Gram matrix very little (BENCHMARKS.md, Print size, measures
how little). A stage's first evaluation, with no previous sums, takes both
passes. The losses reported are always the picture's own.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..core.losses import content_loss, gram_matrix, layout_of
from ..core.objective import Objective
from .memory import release_memory
from .tiles import Tile, layer_reach, layer_shape


def added(so_far: list[Tensor], shares: list[Tensor]) -> list[Tensor]:
    """Per region, the Gram matrices summed so far plus one tile's shares (the shares alone at the first tile)."""
    return [a + b for a, b in zip(so_far, shares, strict=True)] if so_far else shares


class WithGradient(torch.autograd.Function):
    """A loss value whose gradient with respect to the image was computed already, tile by tile."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, image: Tensor, value: Tensor, gradient: Tensor) -> Tensor:
        ctx.save_for_backward(gradient)
        return value.clone()

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: Tensor) -> tuple[Tensor, None, None]:
        (gradient,) = ctx.saved_tensors
        # In place: the gradient is this evaluation's own, and a copy would be one more full-size picture.
        return gradient.mul_(grad), None, None


class Core(torch.autograd.Function):
    """A tile's core cut from its layer's features, its gradient handed back in the features' own memory layout.

    Autograd's own slice hands back a gradient in channel-major layout whatever
    the features' layout, and with channels-last features every copy into it
    and every sum with the gradient the next layer sends back ran strided: at
    2048x1280 in 832 px tiles that was over a third of a tiled step. The core
    is also copied out whole, pixel-major as the features are, for the Gram
    product's faster layout.
    """

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, features: Tensor, rows: slice, columns: slice) -> Tensor:
        ctx.shape, ctx.window = features.shape, (rows, columns)
        ctx.layout = layout_of(features)
        return features[..., rows, columns].contiguous(memory_format=ctx.layout)

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: Tensor) -> tuple[Tensor, None, None]:
        whole = torch.empty(ctx.shape, dtype=grad.dtype, device=grad.device, memory_format=ctx.layout).zero_()
        rows, columns = ctx.window
        whole[..., rows, columns] = grad
        return whole, None, None


class TiledObjective:
    """`objective`, evaluated over `tiles` of the picture: the same total, terms and gradient."""

    def __init__(
        self, objective: Objective, tiles: list[Tile], size: tuple[int, int], reuse_grams: bool = False
    ) -> None:
        self.objective = objective
        self.tiles = tiles
        self.reuse_grams = reuse_grams
        # The whole picture's Gram matrices summed by the last evaluation's tiles (reuse_grams only).
        self.previous_grams: list[list[Tensor]] | None = None
        extractor = objective.network.extractor
        layers = dict.fromkeys([*objective.content_layers, *objective.style_layers])
        self.strides = {name: layer_reach(extractor, name).stride for name in layers}
        self.shapes = {name: layer_shape(extractor, name, size) for name in objective.style_layers}
        self.needed = list(layers)

    def __call__(self, image: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        """The total loss at `image` (its gradient already attached), and each term for reporting."""
        reused = self.previous_grams if self.reuse_grams else None
        style, slopes = self.style_terms(self.whole_grams(image) if reused is None else reused)
        gradient = torch.zeros_like(image)
        content = {f"content/{name}": image.new_zeros(()) for name in self.objective.content_layers}
        summed: list[list[Tensor]] = [[] for _ in self.objective.style_layers]
        for tile in self.tiles:
            piece = tile.cut(image).detach().requires_grad_(True)
            features = self.objective.network.features(piece, self.needed)
            own_content = self.content_terms(tile, features)
            tile_loss = self.style_through_slopes(tile, features, slopes, summed) + sum(own_content.values())
            tile_loss.backward()
            left, top, right, bottom = tile.extent
            gradient[:, :, top:bottom, left:right] += piece.grad
            for name, value in own_content.items():
                content[name] = content[name] + value.detach()
            # The tile's activations are freed now; without this the heap keeps them as fragments (nst.tiles.memory).
            release_memory()
        pixels = image.detach().requires_grad_(True)
        pixel_terms = self.objective.pixel_terms(pixels)
        sum(pixel_terms.values()).backward()
        gradient += pixels.grad
        if self.reuse_grams:
            self.previous_grams = summed
            if reused is not None:
                style = self.style_values(summed)
        terms = {**content, **style, **{name: value.detach() for name, value in pixel_terms.items()}}
        total = sum(terms.values())
        return WithGradient.apply(image, total, gradient), terms

    def whole_grams(self, image: Tensor) -> list[list[Tensor]]:
        """Per style layer, per region (one without a mask), the whole picture's unnormalised Gram matrix."""
        objective = self.objective
        grams: list[list[Tensor]] = [[] for _ in objective.style_layers]
        with torch.no_grad():
            for tile in self.tiles:
                features = objective.network.features(tile.cut(image), list(objective.style_layers))
                for index, name in enumerate(objective.style_layers):
                    parts = self.weighted(tile, name, features[name])
                    shares = [gram_matrix(part, normalize=False) for part in parts]
                    grams[index] = added(grams[index], shares)
        return grams

    def style_values(self, grams: list[list[Tensor]]) -> dict[str, Tensor]:
        """Each style layer's loss from the whole picture's Gram matrices, without slopes (for reporting)."""
        with torch.no_grad():
            return {
                f"style/{name}": self.style_loss(index, name, grams[index])
                for index, name in enumerate(self.objective.style_layers)
            }

    def core(self, tile: Tile, name: str, features: Tensor) -> Tensor:
        """The core's part of layer `name`'s `features`, computed over the tile's extent (see `Core`)."""
        rows, columns = tile.own_window(self.strides[name])
        if features.requires_grad:
            return Core.apply(features, rows, columns)
        return features[..., rows, columns].contiguous(memory_format=layout_of(features))

    def weighted(self, tile: Tile, name: str, features: Tensor) -> list[Tensor]:
        """The core's features of layer `name`, once per region, each weighted by the square root of its guide."""
        own = self.core(tile, name, features)
        regions = self.objective.regions
        if regions is None:
            return [own]
        rows, columns = tile.grid(self.strides[name])
        return [own * region.at(self.shapes[name])[0][..., rows, columns].to(own.dtype) for region in regions.regions]

    def style_terms(self, grams: list[list[Tensor]]) -> tuple[dict[str, Tensor], list[list[Tensor]]]:
        """Each style layer's loss from the whole picture's Gram matrices, and its slope with respect to each of them.

        The slope is taken by autograd on the Gram matrices alone: the same
        formula as the untiled loss, so the two cannot drift apart.
        """
        objective = self.objective
        terms, slopes = {}, []
        for index, name in enumerate(objective.style_layers):
            raw = [gram.detach().requires_grad_(True) for gram in grams[index]]
            loss = self.style_loss(index, name, raw)
            slopes.append(list(torch.autograd.grad(loss, raw)))
            terms[f"style/{name}"] = loss.detach()
        return terms, slopes

    def style_loss(self, index: int, name: str, raw: list[Tensor]) -> Tensor:
        """`sum_r share_r * w * sum((G_r - A_r)^2)` from unnormalised Gram matrices (one region without a mask)."""
        objective = self.objective
        height, width = self.shapes[name]
        divisor = raw[0].shape[-1] * height * width if objective.normalize_gram else 1
        weight = objective.style_weights[index]
        if objective.regions is None:
            return weight * (raw[0] / divisor - objective.style_targets[index]).pow(2).sum()
        total = raw[0].new_zeros(())
        for region, gram in zip(objective.regions.regions, raw, strict=True):
            _, rescale, share = region.at(self.shapes[name])
            total = total + weight * share * (gram / divisor * rescale - region.targets[index]).pow(2).sum()
        return total

    def style_through_slopes(
        self, tile: Tile, features: dict[str, Tensor], slopes: list[list[Tensor]], summed: list[list[Tensor]]
    ) -> Tensor:
        """The tile's style terms as far as the gradient goes: each slope times the tile's share of its Gram matrix.

        The shares are also added into `summed` (per layer, per region): the
        whole picture's Gram matrices once every tile has run.
        """
        total = features[self.objective.style_layers[0]].new_zeros((), dtype=torch.float32)
        for index, name in enumerate(self.objective.style_layers):
            shares = [gram_matrix(part, normalize=False) for part in self.weighted(tile, name, features[name])]
            for share, slope in zip(shares, slopes[index], strict=True):
                total = total + (share * slope).sum()
            if self.reuse_grams:
                summed[index] = added(summed[index], [share.detach() for share in shares])
        return total

    def content_terms(self, tile: Tile, features: dict[str, Tensor]) -> dict[str, Tensor]:
        """The content terms over the tile's core."""
        objective = self.objective
        terms = {}
        for name, weight, target in zip(
            objective.content_layers, objective.content_weights, objective.content_targets, strict=True
        ):
            rows, columns = tile.grid(self.strides[name])
            own = self.core(tile, name, features[name])
            terms[f"content/{name}"] = content_loss(weight, own, target[..., rows, columns].float())
        return terms
