"""A term that holds the picture's colours to the palette its start was moved to.

The run starts from the photo repainted in the painting's palette, and the
content terms hold that start in feature space. Gram matrices constrain the
colours only through the second moments of the first layers' filters, so
strong style terms let the palette drift: at strength 4 the colours had
moved back away from the painting's (colour distance +0.003 to +0.031 from
strength 1, bench/quality.py). This term pins the distribution of the
pixels' colours, not where they are: the picture may move any colour
anywhere as long as the whole keeps the start's palette (a histogram loss,
as in Risser et al. 2017, on pixels, in the sliced form of Heitz et al. 2021).

Along fixed directions in RGB, the pixels' projections are sorted and
compared with the target's, sorted: the squared distance between two
quantile functions, which is the 1-D optimal-transport cost. Sorting is the
cost: twelve directions over a 512x341 picture took 96 ms a step (a tenth of
a VGG-19 step on two cores), so each evaluation takes the next three of the
twelve in turn, a quarter of the sorting; over a few steps the optimiser sees them all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from .color import resample

# Four random rotations of RGB give twelve directions: enough that a palette cannot
# match them all and still differ visibly; fixed, so a run is repeatable.
ROTATIONS = 4
# Above this many pixels the hold reads every n-th pixel of every n-th row: a colour
# distribution is known well long before that, and sorting all of a print-size picture's
# pixels cost 10% of a 2048 px run (and 48 bytes a pixel for its target).
HOLD_PIXELS = 1 << 20


def directions(device: torch.device) -> Tensor:
    """(3 * ROTATIONS, 3) unit directions in RGB, the same every time."""
    generator = torch.Generator().manual_seed(0)
    axes = [torch.linalg.qr(torch.randn(3, 3, generator=generator))[0].T for _ in range(ROTATIONS)]
    return torch.cat(axes).to(device)


def sample_stride(image: Tensor) -> int:
    """Every how many pixels the hold reads `image` along each side: 1 up to HOLD_PIXELS."""
    return max(1, math.ceil(math.sqrt(image.shape[2] * image.shape[3] / HOLD_PIXELS)))


def sorted_projections(image: Tensor, along: Tensor) -> Tensor:
    """(K, H*W) projections of the (1, 3, H, W) image's pixels on `along` (K, 3), each row sorted."""
    return (along @ image[0].reshape(3, -1).float()).sort(dim=1).values


def palette_quantiles(pixels: Tensor) -> Tensor:
    """A painting's (3, N) pixels as `PaletteHold.towards` takes them: sorted along each direction.

    The same at every scale of a run, so a run sorts them once.
    """
    return sorted_projections(pixels.reshape(1, 3, 1, -1), directions(pixels.device))


@dataclass
class PaletteHold:
    """A target palette at one scale, and how much keeping it counts."""

    along: Tensor
    target: Tensor
    weight: float
    stride: int = 1
    turn: int = 0

    @classmethod
    def of(cls, start: Tensor, weight: float) -> PaletteHold:
        """Hold to the palette of `start`; `weight` counts against the squared relative error.

        The sum of squared differences is divided by the start's own spread
        along the directions (its quantiles about their means, squared and
        summed): a relative error, like the other terms under "relative"
        weighting, so a weight means the same at every size and for every palette.
        """
        along, stride = directions(start.device), sample_stride(start)
        return cls.relative(along, sorted_projections(start[..., ::stride, ::stride], along), weight, stride)

    @classmethod
    def towards(cls, photo: Tensor, palette: Tensor, amount: float, weight: float) -> PaletteHold:
        """Hold to the palette `amount` (0 to 1) of the way from `photo`'s to a painting's.

        `palette` is the painting's `palette_quantiles`. Along each direction
        the target is the photo's quantile function moved that far towards
        the painting's (both at the photo's pixel count): the displacement
        interpolation between the two palettes.
        """
        along, stride = directions(photo.device), sample_stride(photo)
        own = sorted_projections(photo[..., ::stride, ::stride], along)
        theirs = resample(palette.to(photo.device), own.shape[1])
        return cls.relative(along, torch.lerp(own, theirs, amount), weight, stride)

    @classmethod
    def relative(cls, along: Tensor, target: Tensor, weight: float, stride: int = 1) -> PaletteHold:
        """Hold to `target`, with `weight` divided by the target's own spread about its means.

        The spread is a sum over the pixels read, like the error it divides,
        so reading every `stride`-th pixel leaves the term's size as it was.
        """
        spread = float((target - target.mean(dim=1, keepdim=True)).pow(2).sum().clamp_min(1e-12))
        return cls(along, target, weight / spread, stride)

    def __call__(self, image: Tensor) -> Tensor:
        """`weight * sum((sorted projections of image - the target's)^2)` along the next three directions.

        Each three are an orthonormal basis, so every evaluation charges a
        change of colour in any direction; the weight is scaled by
        ROTATIONS so the term's size does not depend on how many are used.
        """
        rows = slice(3 * self.turn, 3 * self.turn + 3)
        self.turn = (self.turn + 1) % ROTATIONS
        sampled = image[..., :: self.stride, :: self.stride]
        error = sorted_projections(sampled, self.along[rows]) - self.target[rows]
        return ROTATIONS * self.weight * error.pow(2).sum()
