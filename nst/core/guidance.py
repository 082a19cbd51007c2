"""Spatial control: the painting goes where the mask is white (Gatys et al. 2017, section 4).

A mask is a grey image over the photo: white = styled, black = kept as the
photo (or given to a second painting), grey = in between. It acts inside the
losses, never by pasting the photo over a styled picture:

- Style. At every style layer the mask is averaged over each feature's
  footprint (for VGG-19 the same 2x2 grid its pooling uses), and the Gram
  matrix is taken over the features weighted by it and divided by the mask's
  own mass rather than by the whole layer's size. That is the mean over the
  region alone, compared with the painting's full Gram matrix: the region gets
  the painting's full statistics, not the share its area would dilute them to.
  Each region's term is then weighted by its area, so that a pixel inside it
  is pulled as hard as in an ordinary run, whatever the region's size.
- Content. The ordinary content term applies everywhere; the kept region is
  also held to the photo by a pixel term weighted by the inverse mask. The
  deeper features near the edge see both sides, so the style fades out over a
  few pixels instead of stopping at a cut.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor

from ..errors import ImageInputError, SettingsError
from ..io.images import ImageSource, load_image
from .losses import gram_matrix

# A mask drawn over the photo and resized may differ from its proportions by
# rounding; anything further off was drawn for another picture.
ASPECT_TOLERANCE = 0.02
# Masks saved as JPEG carry compression noise a few levels from pure black or
# white; it would otherwise style the "black" region faintly.
SNAP_LEVELS = 8
# Width of the soft edge given to every mask, as a fraction of the long side
# (the standard deviation of a Gaussian blur). A hard edge would leave a cut
# that looks pasted; the style instead fades out over about 4% of the picture.
FEATHER = 0.01
# Weight of the pixel term that holds the kept region to the photo, at the
# reference size (a sum over pixels, rescaled with the content term).
KEEP_WEIGHT = 10.0


def read_mask(source: ImageSource, photo_size: tuple[int, int], output_size: tuple[int, int]) -> Tensor:
    """The mask as a (1, 1, H, W) tensor in [0, 1] at `output_size`.

    Any image the loader takes; its lightness is the mask (transparency counts
    as white, the loader's rule). Raises `ImageInputError` when the mask's
    proportions differ from the photo's by more than `ASPECT_TOLERANCE`.
    """
    image = load_image(source).convert("L")
    (mask_w, mask_h), (photo_w, photo_h) = image.size, photo_size
    if abs(math.log((mask_w / mask_h) / (photo_w / photo_h))) > math.log1p(ASPECT_TOLERANCE):
        raise ImageInputError(
            f"The mask is {mask_w}x{mask_h} pixels but the photo is {photo_w}x{photo_h}: a mask must have "
            "the photo's proportions. Draw it over the photo, or resize it to the photo's size."
        )
    levels = np.asarray(image, dtype=np.float32)
    levels[levels < SNAP_LEVELS] = 0
    levels[levels > 255 - SNAP_LEVELS] = 255
    snapped = Image.fromarray(levels.astype(np.uint8), "L")
    resized = snapped.resize(output_size, Image.Resampling.BILINEAR) if snapped.size != output_size else snapped
    return torch.from_numpy(np.asarray(resized, dtype=np.float32) / 255.0)[None, None]


def feather(mask: Tensor) -> Tensor:
    """`mask` (1, 1, H, W) with its edges softened by a Gaussian blur `FEATHER` of its long side wide.

    Separable, with the border repeated outwards so that a region touching the
    frame stays whole. (Torchvision has one, but importing it doubles nst's start-up.)
    """
    sigma = FEATHER * max(mask.shape[2:])
    radius = max(1, min(math.ceil(3 * sigma), min(mask.shape[2:]) - 1))
    offsets = torch.arange(-radius, radius + 1, dtype=mask.dtype)
    kernel = torch.exp(-0.5 * (offsets / sigma) ** 2)
    kernel = kernel / kernel.sum()
    padded = F.pad(mask, (radius, radius, radius, radius), mode="replicate")
    blurred = F.conv2d(padded, kernel.view(1, 1, 1, -1))
    return F.conv2d(blurred, kernel.view(1, 1, -1, 1))


def mask_for_run(
    source: ImageSource | None, photo_size: tuple[int, int], output_size: tuple[int, int], second_painting: bool
) -> Tensor | None:
    """The run's mask at `output_size`, or None when it changes nothing.

    An all-white mask styles everything: an ordinary run. An all-black one
    styles nothing unless a second painting takes the black region, and a
    second painting without a mask has no region to go to: both are errors.
    """
    if source is None:
        if second_painting:
            raise SettingsError("A painting for the unmasked region needs a mask that says where it goes.")
        return None
    mask = read_mask(source, photo_size, output_size)
    if bool(mask.min() == 1):
        return None
    if bool(mask.max() == 0) and not second_painting:
        raise ImageInputError(
            "The mask is all black, so nothing would be styled. Paint the part to restyle white "
            "(or give a second painting for the black region)."
        )
    return feather(mask)


@dataclass
class Region:
    """One painting's part of the picture: its guidance at the working size and its Gram targets."""

    guide: Tensor
    targets: list[Tensor]
    layers: dict[tuple[int, int], tuple[Tensor, Tensor, Tensor]] = field(default_factory=dict, repr=False)

    def at(self, size: tuple[int, int]) -> tuple[Tensor, Tensor, Tensor]:
        """At a feature map of `size`: sqrt of the averaged guide, the Gram's rescale, the area share.

        Weighting features by sqrt(g) makes the Gram matrix a sum weighted by
        g; multiplying by H*W / mass turns the layer's mean into the region's.
        """
        if size not in self.layers:
            guide = F.adaptive_avg_pool2d(self.guide, size)
            mass = guide.sum()
            self.layers[size] = (guide.sqrt(), size[0] * size[1] / mass, mass / (size[0] * size[1]))
        return self.layers[size]


def guided_gram(features: Tensor, root: Tensor, rescale: Tensor, normalize: bool) -> Tensor:
    """The Gram matrix of `features` over the region whose guide's square root is `root`.

    `root` takes the features' dtype: a float32 guide would lift bf16 features to
    float32, and the Gram product with them, at four times bf16's cost.
    """
    return gram_matrix(features * root.to(features.dtype), normalize) * rescale


@dataclass
class Regions:
    """Everything a masked run adds to the losses at one working size."""

    regions: list[Region]
    keep: Tensor | None  # None when a second painting takes the black region
    photo: Tensor
    keep_weight: float

    def style_loss(self, index: int, features: Tensor, weight: float, normalize: bool) -> Tensor:
        """`sum_r share_r * w * sum((G_r - A_r)^2)` at style layer `index`, over the regions."""
        total = features.new_zeros(())
        for region in self.regions:
            root, rescale, share = region.at(tuple(features.shape[2:]))
            gram = guided_gram(features, root, rescale, normalize)
            total = total + weight * share * (gram - region.targets[index]).pow(2).sum()
        return total

    def keep_loss(self, image: Tensor) -> Tensor:
        """`w * sum((1 - m) * (x - photo)^2)`: the kept region held to the photo, pixel by pixel."""
        return self.keep_weight * (self.keep * (image - self.photo).pow(2)).sum()


def regions_at(
    mask: Tensor,
    size: tuple[int, int],
    photo: Tensor,
    targets: list[Tensor],
    other_targets: Sequence[Tensor] | None,
    keep_weight: float,
) -> Regions:
    """The masked run's loss pieces at working `size` (width, height).

    With `other_targets` the black region is styled after the second painting;
    without, it is held to `photo`. A region with no pixels is left out.
    """
    guide = F.adaptive_avg_pool2d(mask.to(photo.device), (size[1], size[0]))
    parts = [(guide, targets)]
    if other_targets is not None:
        parts.append((1 - guide, list(other_targets)))
    regions = [Region(g, t) for g, t in parts if g.sum() > 0]
    keep = None if other_targets is not None else 1 - guide
    return Regions(regions, keep, photo, keep_weight)
