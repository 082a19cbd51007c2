"""Pictures at display size: what the page streams and shows, while the full-size PNG waits on disk.

A 4096 px picture is a 30 MB PNG and 48 MB in memory; a browser shows it at
a few hundred pixels. The page therefore streams and shows every picture at
most `limits.DISPLAY_SIDE` px long, and keeps the full size only as the
download, written once when the run ends.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from nst.io.images import resize_long_side

from .. import limits


def larger_than_shown(size: tuple[int, int]) -> bool:
    """Whether a picture of `size` is larger than the page shows."""
    return max(size) > limits.DISPLAY_SIDE


def for_display(image: Image.Image) -> Image.Image:
    """`image` no longer than the display side on its long side (itself when it already is)."""
    return resize_long_side(image, limits.DISPLAY_SIDE) if larger_than_shown(image.size) else image


def display_array(picture: np.ndarray) -> np.ndarray:
    """An (H, W, 3) picture at display size, as an array."""
    return np.asarray(for_display(Image.fromarray(picture, "RGB")))
