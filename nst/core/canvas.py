"""The picture between stages: where it starts, how it grows from one size to the next, what records show.

The canvas knows the photo at every working size and its repainted start
there (`nst.colour.palette`), made once at the output size, where every picture a
record carries is shown. It never holds the picture being optimised: that
belongs to the stage's descent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor

from ..colour import color
from ..colour.palette import Palette
from ..errors import SettingsError
from ..io.images import to_array, to_tensor
from ..settings import Settings


class Canvas:
    """The photo and its repainted start at any size; the run's first picture; pictures carried and shown."""

    def __init__(
        self,
        settings: Settings,
        photo: Image.Image,
        output_size: tuple[int, int],
        palette: Palette,
        device: torch.device,
    ) -> None:
        self.settings = settings
        self.photo_image = photo
        self.output_size = output_size
        self.palette = palette
        self.device = device
        self.output: tuple[Tensor, Tensor] | None = None

    @property
    def only_luminance(self) -> bool:
        return self.settings.preserve_color == "luminance"

    @property
    def carries_change(self) -> bool:
        """Whether a finer size starts from its own start plus the coarser change (see `enlarge`)."""
        return self.settings.rescale == "change" and self.settings.init == "content"

    def tensor(self, image: Image.Image, size: tuple[int, int]) -> Tensor:
        """`image` at `size` (width, height) as a (1, 3, H, W) tensor on the run's device."""
        resized = image if image.size == size else image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        return to_tensor(resized, self.device)

    def seen(self, photo: Tensor) -> Tensor:
        """The photo as the style terms see it: its luminance when only that is styled."""
        return color.luminance(photo) if self.only_luminance else photo

    def photo_and_start(self, size: tuple[int, int]) -> tuple[Tensor, Tensor]:
        """The photo at `size` and its repainted start; at the output size made once, for every record's picture."""
        if size == self.output_size and self.output is not None:
            return self.output
        photo = self.tensor(self.photo_image, size)
        made = photo, self.palette.repaint(photo, self.seen(photo))
        if size == self.output_size:
            self.output = made
        return made

    def first(self, photo: Tensor, start: Tensor, init_image: Image.Image | None) -> Tensor:
        """The run's first picture, at the first stage's size: the start, noise, or a given image."""
        s = self.settings
        if s.init == "noise":
            generator = torch.Generator().manual_seed(s.seed) if s.seed is not None else None
            image = torch.rand(photo.shape, generator=generator).to(self.device)
        elif s.init == "image":
            if init_image is None:
                raise SettingsError("init 'image' needs an initial image.")
            image = self.tensor(init_image, (photo.shape[3], photo.shape[2]))
        else:
            image = start.clone()
        return color.luminance(image) if self.only_luminance else image

    def carry(
        self, image: Tensor, coarser_start: Tensor, start: Tensor, keep: Callable[[Tensor], Tensor] | None = None
    ) -> Tensor:
        """`image`, made from `coarser_start`, at the size of `start` (the repainted photo there), `keep` applied."""
        image = enlarge(image, start, coarser_start if self.carries_change else None)
        if keep is not None:
            image = keep(image)
        return image.clamp(0, 1) if self.settings.clamp else image

    def snapshot(self, image: Tensor, photo: Tensor, start: Tensor) -> Snapshot:
        """What makes the picture of `image` when asked, without the run; `photo` and `start` are at its size."""
        width, height = self.output_size
        copy = image.detach().clone()
        if tuple(image.shape[2:]) == (height, width):
            return Snapshot(copy, photo=photo if self.only_luminance else None)
        output_photo, output_start = self.photo_and_start(self.output_size)
        scale_start = start if self.carries_change else None
        return Snapshot(copy, output_start, scale_start, output_photo if self.only_luminance else None)

    def picture(self, image: Tensor, photo: Tensor, start: Tensor) -> np.ndarray:
        """`image` as the user sees it, at the output size."""
        return self.snapshot(image, photo, start)()


@dataclass(frozen=True, eq=False)
class Snapshot:
    """An image as the loop had it, and the few tensors that make it the picture at the output size.

    It holds no reference to the run: a record kept after the loop has moved
    on must not keep the run's features, style targets and palette map alive.
    """

    image: Tensor
    output_start: Tensor | None = None  # the repainted photo at the output size, when `image` is smaller
    scale_start: Tensor | None = None  # where `image`'s scale started, when its change is what gets enlarged
    photo: Tensor | None = None  # the photo at the output size, when only its luminance was styled

    def __call__(self) -> np.ndarray:
        image = self.image
        if self.output_start is not None:
            image = enlarge(image, self.output_start, self.scale_start)
        image = image.clamp(0, 1) if self.photo is None else color.recombine(image, self.photo)
        return to_array(image)


def enlarge(image: Tensor, start: Tensor, scale_start: Tensor | None) -> Tensor:
    """`image` at the size of `start`.

    With `scale_start` (where `image`'s own size started), `start` plus the
    change `image` made from it, enlarged: carrying the change rather than
    the picture keeps the photo's detail that the coarser size could not
    hold, where enlarging the picture itself blurs it and the finer size then
    spends steps restoring edges its content term asks for anyway. Without,
    the image itself enlarged.
    """
    size = start.shape[2:]
    if image.shape[2:] == size:  # the next stage at the same size: the image as it is
        return image
    if scale_start is None:
        return F.interpolate(image, size=size, mode="bicubic", align_corners=False)
    return start + F.interpolate(image - scale_start, size=size, mode="bicubic", align_corners=False)
