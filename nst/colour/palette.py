"""Every colour decision of a run, fitted once: where the start's colours go, and what holds them there.

Matching Gram matrices from the photo itself hardly moves its palette, so
the start has to carry the colours: the run starts from the photo repainted
in the paintings' palette, and a term holds the picture's colour
distribution to it (`nst.colour.palette_hold`). Both come from one colour map,
fitted on the photo and paintings at PALETTE_SIDE when the run begins and
applied at every working size, so each size starts from the same colours.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor

from ..io.images import resize_long_side, to_tensor
from ..paintings import Paintings
from ..settings import Settings
from . import color
from .palette_hold import PaletteHold, palette_quantiles

# Long side at which the colour map onto the painting's palette is fitted.
PALETTE_SIDE = 512

Recolour = Callable[[Tensor], Tensor]


class Palette:
    """The run's colour maps onto its paintings' palettes, and the palette hold's target."""

    def __init__(
        self, settings: Settings, photo: Image.Image, paintings: Paintings, mask: Tensor | None, device: torch.device
    ) -> None:
        self.settings = settings
        self.mask = mask
        # How far the start moves grows with the strength up to 1 (`Settings.palette` at 1 and above).
        self.amount = settings.palette * min(1.0, settings.style_strength)
        self.recolour: Recolour | None = None
        self.recolour_others: Recolour | None = None
        self.quantiles: Tensor | None = None  # the painting's palette as the hold compares with it
        if self.amount <= 0 or settings.preserve_color != "none":
            return
        side = min(PALETTE_SIDE, settings.size)
        fitted = fit(settings, photo, paintings.images, paintings.blend, side, device)
        self.recolour, samples = fitted
        if mask is not None and paintings.others:
            self.recolour_others, _ = fit(settings, photo, paintings.others, paintings.others_blend, side, device)
        if samples is not None and mask is None and self.holds:
            self.quantiles = palette_quantiles(samples.to(device))

    def held_harder(self, factor: float) -> Palette:
        """This palette with its hold `factor` times as strong, the maps shared (a clip's later frames)."""
        harder = copy.copy(self)
        harder.settings = self.settings.replace(palette_hold=self.settings.palette_hold * factor)
        return harder

    @property
    def holds(self) -> bool:
        """Whether the picture is held to a palette at all (not with the photo's luminance kept)."""
        s = self.settings
        return s.palette_hold > 0 and s.palette > 0 and s.preserve_color != "luminance"

    def repaint(self, photo: Tensor, seen: Tensor) -> Tensor:
        """The photo moved towards the paintings' palette: where the run starts, what the content terms hold.

        `seen` is the photo as the style terms see it, which is the start when
        the colours are not moved. Under a mask only the styled region moves
        (to the second paintings' palette in the black region, when there are some).
        """
        if self.recolour is None:
            return seen
        moved = self.recolour(photo)
        if self.mask is None:
            return torch.lerp(photo, moved, self.amount)
        guide = F.adaptive_avg_pool2d(self.mask.to(photo.device), photo.shape[2:])
        change = guide * (moved - photo)
        if self.recolour_others is not None:
            change = change + (1 - guide) * (self.recolour_others(photo) - photo)
        return photo + self.amount * change

    def hold(self, photo: Tensor, start: Tensor) -> PaletteHold | None:
        """The term that holds the picture to the palette its start was moved towards, at `photo`'s size.

        That palette, not the start's own: the transport reaches the
        painting's colours only to within a few percent, and stronger style
        should bring the picture closer to them. Under a mask, with the
        moments transfer, or with the photo's colours kept: the start's.
        """
        if not self.holds:
            return None
        s = self.settings
        # Up to strength 1 the palette itself moves with the strength; above it, the hold grows
        # faster than the style terms, so that a stronger style also comes nearer the painting's
        # colours instead of letting the texture pull them off.
        weight = s.palette_hold * s.style_strength * max(1.0, s.style_strength)
        if self.quantiles is None:
            return PaletteHold.of(start, weight)
        return PaletteHold.towards(photo, self.quantiles, self.amount, weight)


def fit(
    settings: Settings,
    photo: Image.Image,
    paintings: list[Image.Image],
    blend: Sequence[float],
    side: int,
    device: torch.device,
) -> tuple[Recolour, Tensor | None]:
    """The map of the photo's colours onto `paintings`' blended palette, and the painting pixels it was fitted to.

    "transport" moves the whole colour distribution (sliced optimal
    transport); "moments" matches mean and covariance only, and has no samples.
    """
    styles = [to_tensor(resize_long_side(painting, side), device) for painting in paintings]
    if settings.palette_transfer == "moments":
        target = color.palette(styles, blend)
        return (lambda image: color.repaint(image, target, 1.0)), None
    pixels = color.palette_pixels(styles, blend)
    photo_tensor = to_tensor(resize_long_side(photo, side), device)
    return color.fit_palette_map(photo_tensor, pixels), pixels
