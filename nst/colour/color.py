"""Moving colours between photo and painting (Gatys et al. 2017, "Controlling
perceptual factors in neural style transfer"), on (1, 3, H, W) tensors in [0, 1].

Keeping the photo's colours, two ways:
- histogram matching: recolour the style image so that its colour mean and
  covariance equal the content's, then transfer as usual;
- luminance only: transfer between grey (luma) images, then put the content's
  chroma back on the result. Colours stay exactly those of the photo.

Taking the painting's colours: `fit_palette_map` (sliced optimal transport,
the default) or `repaint` (mean and covariance) recolours the photo towards
the painting's palette before the optimisation starts. Matching Gram matrices
from the photo hardly moves its palette (the run stays near its start), so
the start has to carry the colours, while keeping the photo's shapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

# YIQ, the colour space the paper uses for luminance-only transfer.
RGB_TO_YIQ = torch.tensor(
    [
        [0.299, 0.587, 0.114],
        [0.595716, -0.274453, -0.321263],
        [0.211456, -0.522591, 0.311135],
    ]
)
YIQ_TO_RGB = torch.linalg.inv(RGB_TO_YIQ)

# How many of the paintings' pixels stand for their palette, and how many
# random rotations the palette transfer takes (10 reach the palette to within
# a few percent of the distance from the photo; more change nothing visible).
PALETTE_PIXELS = 65536
PALETTE_ITERATIONS = 10
# Knots of each fitted 1-D curve as applied: an even grid, so a colour finds its place by
# arithmetic instead of a search among 65536 values (spacing ~0.0004 of the colour range).
CURVE_KNOTS = 4096


def rgb_to_yiq(image: Tensor) -> Tensor:
    """(N, 3, H, W) RGB to YIQ."""
    return torch.einsum("ij,njhw->nihw", RGB_TO_YIQ.to(image), image)


def yiq_to_rgb(image: Tensor) -> Tensor:
    """(N, 3, H, W) YIQ to RGB."""
    return torch.einsum("ij,njhw->nihw", YIQ_TO_RGB.to(image), image)


def luminance(image: Tensor) -> Tensor:
    """The luma of an RGB image as a grey RGB image (Y in all three channels)."""
    y = rgb_to_yiq(image)[:, :1]
    return y.expand(-1, 3, -1, -1).contiguous()


def match_luminance(style_grey: Tensor, content_grey: Tensor) -> Tensor:
    """Shift and scale the style's luma to the content's mean and spread.

    Without it a dark painting would darken the photo even though only
    texture, not tone, is meant to move across.
    """
    s_mean, s_std = style_grey.mean(), style_grey.std().clamp_min(1e-6)
    c_mean, c_std = content_grey.mean(), content_grey.std()
    return ((style_grey - s_mean) / s_std * c_std + c_mean).clamp(0, 1)


def recombine(result: Tensor, content: Tensor) -> Tensor:
    """Luma of `result` with the chroma (I, Q) of `content`, back in RGB."""
    y = rgb_to_yiq(result)[:, :1]
    iq = rgb_to_yiq(content)[:, 1:]
    return yiq_to_rgb(torch.cat([y, iq], dim=1)).clamp(0, 1)


def symmetric_power(matrix: Tensor, power: float) -> Tensor:
    """matrix^power for a symmetric positive semi-definite matrix."""
    values, vectors = torch.linalg.eigh(matrix)
    return vectors @ torch.diag(values.clamp_min(1e-8).pow(power)) @ vectors.T


def moments(pixels: Tensor) -> tuple[Tensor, Tensor]:
    """Mean (C, 1) and covariance (C, C) of (C, N) pixels, in float64."""
    pixels = pixels.double()
    eye = torch.eye(pixels.shape[0], dtype=pixels.dtype)
    return pixels.mean(1, keepdim=True), torch.atleast_2d(torch.cov(pixels)) + 1e-5 * eye


def mixture_moments(parts: Sequence[tuple[Tensor, Tensor]], weights: Sequence[float]) -> tuple[Tensor, Tensor]:
    """Mean and covariance of a weighted mixture of pixel sets, from each set's moments."""
    total = float(sum(weights))
    mean = sum(w / total * m for (m, _), w in zip(parts, weights, strict=True))
    second = sum(w / total * (c + m @ m.T) for (m, c), w in zip(parts, weights, strict=True))
    return mean, second - mean @ mean.T


def transfer_moments(pixels: Tensor, target: tuple[Tensor, Tensor]) -> Tensor:
    """(C, N) pixels mapped linearly so their mean and covariance become `target`'s.

    x' = C_t^(1/2) C_x^(-1/2) (x - mu_x) + mu_t, with symmetric square roots:
    of all linear maps that do this it moves the pixels least (the paper's
    "image analogies" variant).
    """
    mean, cov = moments(pixels)
    target_mean, target_cov = target
    transform = symmetric_power(target_cov, 0.5) @ symmetric_power(cov, -0.5)
    return (transform @ (pixels.double() - mean) + target_mean).to(pixels.dtype)


def match_histogram(style: Tensor, content: Tensor) -> Tensor:
    """Recolour `style` so its RGB mean and covariance equal `content`'s."""
    matched = transfer_moments(style[0].reshape(3, -1), moments(content[0].reshape(3, -1)))
    return matched.reshape_as(style[0]).unsqueeze(0).clamp(0, 1)


def palette(paintings: Sequence[Tensor], weights: Sequence[float]) -> tuple[Tensor, Tensor]:
    """The colour moments, in YIQ, of several paintings blended with `weights`."""
    return mixture_moments([moments(rgb_to_yiq(p)[0].reshape(3, -1)) for p in paintings], weights)


def palette_pixels(paintings: Sequence[Tensor], weights: Sequence[float], count: int = PALETTE_PIXELS) -> Tensor:
    """(3, N) pixels drawn from the paintings in proportion to their blend weights.

    An evenly spaced pick from each painting: a fixed, repeatable sample of
    its colours that keeps the transfer's cost independent of painting size.
    """
    total = float(sum(weights))
    parts = []
    for painting, weight in zip(paintings, weights, strict=True):
        if weight <= 0:  # a painting weighted 0 is left out exactly, as in the Gram blend
            continue
        pixels = painting[0].reshape(3, -1)
        wanted = max(1, round(count * weight / total))
        picks = torch.linspace(0, pixels.shape[1] - 1, min(wanted, pixels.shape[1])).round().long()
        parts.append(pixels[:, picks.to(pixels.device)])
    return torch.cat(parts, dim=1)


@dataclass(frozen=True)
class PaletteMap:
    """A colour-to-colour map onto a painting's palette, fitted once, applied at any size.

    Each step of the sliced transport moves a colour along one direction by an
    amount that depends only on its value there, so the whole transfer is a
    function of colour: fitted once on a sample of the photo's pixels, it
    recolours the photo at every scale of a run (fitting at every scale, which
    sorts all pixels, cost ~0.9 s of a 512 px run on two cores). Each 1-D step
    is kept as a table on an even grid (CURVE_KNOTS). A 3-D lookup table of
    the whole map would be cheaper still but blurs it: the colour distance of
    a transferred photo rose by a third.
    """

    rotations: tuple[Tensor, ...]
    # Per step, per rotated axis: the curve along it as (first value, grid spacing, table).
    curves: tuple[tuple[tuple[float, float, Tensor], ...], ...]

    def __call__(self, photo: Tensor) -> Tensor:
        """`photo` (1, 3, H, W) recoloured."""
        pixels = photo[0].reshape(3, -1).float()
        for rotation, curve in zip(self.rotations, self.curves, strict=True):
            rotation = rotation.to(pixels.device)
            projected = rotation.T @ pixels
            moved = torch.stack([look_up(projected[i], *curve[i]) for i in range(3)])
            pixels = pixels + rotation @ (moved - projected)
        return pixels.reshape_as(photo[0]).unsqueeze(0).to(photo.dtype).clamp(0, 1)


def even_curve(values: Tensor, targets: Tensor, knots: int = CURVE_KNOTS) -> tuple[float, float, Tensor]:
    """The piecewise-linear curve through (values, targets), increasing values, read on an even grid."""
    first, last = float(values[0]), float(values[-1])
    if last <= first:  # one colour along this direction: everything goes where it goes
        return first, 1.0, targets[:1].expand(2).clone()
    grid = torch.linspace(first, last, knots, dtype=values.dtype)
    return first, (last - first) / (knots - 1), interpolate(grid, values, targets)


def look_up(x: Tensor, first: float, spacing: float, table: Tensor) -> Tensor:
    """The curve `(first, spacing, table)` at `x`; beyond its ends, its end values."""
    table = table.to(x.device)
    position = ((x - first) / spacing).clamp(0, table.numel() - 1)
    low = position.floor().long().clamp(max=table.numel() - 2)
    return torch.lerp(table[low], table[low + 1], position - low)


def fit_palette_map(photo: Tensor, palette: Tensor, iterations: int = PALETTE_ITERATIONS) -> PaletteMap:
    """The map taking `photo`'s colours to the distribution of `palette`'s (3, N) pixels.

    Sliced optimal transport (Pitié et al. 2007, iterative distribution
    transfer): along a few random rotations of RGB, each pixel moves to the
    painting's value at its own rank. Unlike matching mean and covariance it
    reaches a many-coloured palette (Starry Night's blues with its yellows),
    and since every step keeps the order of the pixels along its direction,
    light and dark regions stay where they were: the photo's shapes remain.
    The steps are fitted on PALETTE_PIXELS evenly spaced pixels of `photo`;
    the rotations come from a fixed seed, so a run is repeatable.
    """
    generator = torch.Generator().manual_seed(0)
    pixels = palette_pixels([photo], [1.0]).float().cpu()
    reference = palette.float().cpu()
    rotations, curves = [], []
    for _ in range(iterations):
        rotation, _ = torch.linalg.qr(torch.randn(3, 3, generator=generator, dtype=torch.float64))
        rotation = rotation.float()
        projected = rotation.T @ pixels
        sorted_values = projected.sort(dim=1).values
        reference_sorted = resample((rotation.T @ reference).sort(dim=1).values, pixels.shape[1])
        curve = tuple(even_curve(*one_to_one(sorted_values[i], reference_sorted[i])) for i in range(3))
        moved = torch.stack([look_up(projected[i], *curve[i]) for i in range(3)])
        pixels = pixels + rotation @ (moved - projected)
        rotations.append(rotation)
        curves.append(curve)
    return PaletteMap(tuple(rotations), tuple(curves))


def resample(quantiles: Tensor, count: int) -> Tensor:
    """(K, M) increasing rows read at `count` evenly spaced ranks, linearly between neighbours.

    Both sets of ranks are even grids, so where each falls is arithmetic, not a search.
    """
    last = quantiles.shape[1] - 1
    position = torch.linspace(0, last, count, dtype=quantiles.dtype, device=quantiles.device)
    low = position.floor().long().clamp(max=last)
    high = (low + 1).clamp(max=last)
    return torch.lerp(quantiles[:, low], quantiles[:, high], position - low)


def one_to_one(sorted_values: Tensor, matched: Tensor) -> tuple[Tensor, Tensor]:
    """(values, where they go) with each value once: equal values go to the mean of their matches.

    Rank matching sends the pixels of a flat region to many different colours;
    as a function of colour, which the map must be, they all go to one.
    """
    values, inverse, counts = torch.unique_consecutive(sorted_values, return_inverse=True, return_counts=True)
    sums = torch.zeros_like(values).index_add_(0, inverse, matched)
    return values, sums / counts


def interpolate(x: Tensor, xp: Tensor, fp: Tensor) -> Tensor:
    """Piecewise-linear interpolation of (xp, fp) at x, for increasing 1-D xp (numpy's interp)."""
    index = torch.searchsorted(xp, x).clamp(1, xp.numel() - 1)
    left, right = xp[index - 1], xp[index]
    weight = ((x - left) / (right - left).clamp_min(1e-12)).clamp(0, 1)
    return torch.lerp(fp[index - 1], fp[index], weight)


def repaint(photo: Tensor, target: tuple[Tensor, Tensor], amount: float) -> Tensor:
    """`photo` moved `amount` (0 to 1) of the way to the palette `target` (YIQ moments).

    Luma and chroma are matched separately: the luma by an affine map to the
    painting's mean and spread, which leaves every local contrast pattern,
    and so every edge, in place (SSIM's structure term does not change);
    the chroma (I, Q) by the mean-and-covariance transfer. Matching all
    three channels at once would also rewrite the luma from the photo's
    colours, and edges between two colours of equal brightness would vanish.
    """
    if amount <= 0:
        return photo
    yiq = rgb_to_yiq(photo)[0].reshape(3, -1)
    mean, cov = target
    luma = transfer_moments(yiq[:1], (mean[:1], cov[:1, :1]))
    chroma = transfer_moments(yiq[1:], (mean[1:], cov[1:, 1:]))
    moved = yiq_to_rgb(torch.cat([luma, chroma]).reshape_as(photo[0]).unsqueeze(0)).clamp(0, 1)
    return torch.lerp(photo, moved, amount)
