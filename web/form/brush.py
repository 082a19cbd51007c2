"""The brush over the photo: where the painting goes, drawn by the visitor.

The page shows the photo in a `gr.ImageEditor` (as the library will see it:
EXIF-rotated, at most `EDITOR_SIDE` long) and the visitor brushes over it with
a translucent colour, so the photo stays visible under the strokes. After
every change the stroke layer becomes a black-and-white mask (white where
brushed) in a hidden image input, and that is what /stylize reads, exactly as
it reads a mask file an API caller sends. Clear and Invert rewrite the layer
and the mask together.

The editor sends its layers as RGBA images whose painted pixels have the
brush's opacity as alpha and whose untouched pixels are fully transparent, so
the mask is simply "alpha above zero".
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

import nst

from ..limits import DISPLAY_SIDE
from ..page_update import PageUpdate
from .uploads import thumbnail, upload_path

BRUSH_COLOR = (255, 45, 150)
BRUSH_OPACITY = 0.45
# The editor's canvas holds the photo at display size: a mask is feathered over a percent of
# the picture (nst.core.guidance), so it needs no more detail, and a 40 MP upload is not sent back and forth.
EDITOR_SIDE = DISPLAY_SIDE

EditorValue = dict[str, Any]


def brush_css_color() -> str:
    return f"rgb({', '.join(map(str, BRUSH_COLOR))})"


def editor_value(photo: Image.Image, mask: Image.Image | None = None) -> EditorValue:
    """The editor showing `photo`, with `mask` (white = brushed) drawn over it as a translucent layer."""
    layers = [] if mask is None else [stroke_layer(mask.resize(photo.size, Image.Resampling.BILINEAR))]
    composite = photo.convert("RGBA")
    for layer in layers:
        composite = Image.alpha_composite(composite, layer)
    return {"background": photo, "layers": layers, "composite": composite}


def stroke_layer(mask: Image.Image) -> Image.Image:
    """An RGBA layer in the brush colour, as opaque as the brush where `mask` is white, clear where black."""
    alpha = (np.asarray(mask.convert("L"), dtype=np.float32) * BRUSH_OPACITY).round().astype(np.uint8)
    layer = Image.new("RGBA", mask.size, (*BRUSH_COLOR, 0))
    layer.putalpha(Image.fromarray(alpha, "L"))
    return layer


def photo_for_editor(photo: dict[str, Any] | None) -> Image.Image | None:
    """The uploaded photo as the run will see it, small enough for the editor; None if there is none to show."""
    path = upload_path(photo)
    if path is None:
        return None
    try:
        return thumbnail(nst.load_image(path), EDITOR_SIDE)
    except nst.NSTError:
        return None  # the run itself will say what is wrong with the upload


def show_photo(photo: dict[str, Any] | None) -> PageUpdate:
    """A new photo: shown in the editor with no strokes, and no mask."""
    image = photo_for_editor(photo)
    return PageUpdate(editor=None if image is None else editor_value(image), mask=None)


def mask_from_editor(value: EditorValue | None) -> Image.Image | None:
    """White where any layer is painted, black elsewhere; None when nothing is painted (an ordinary run)."""
    layers = [layer for layer in (value or {}).get("layers") or [] if layer is not None]
    if not layers:
        return None
    painted = np.zeros(layers[0].size[::-1], dtype=bool)
    for layer in layers:
        painted |= np.asarray(layer.convert("RGBA"))[..., 3] > 0
    if not painted.any():
        return None
    return Image.fromarray(painted.astype(np.uint8) * 255, "L")


def invert(mask: dict[str, Any] | None, photo: dict[str, Any] | None) -> PageUpdate:
    """Swap brushed and unbrushed, in the editor's layer and in the mask alike."""
    image = photo_for_editor(photo)
    if image is None:
        return PageUpdate(editor=None, mask=None)
    path = upload_path(mask)
    brushed = nst.load_image(path).convert("L") if path else Image.new("L", image.size, 0)
    inverted = Image.eval(brushed, lambda level: 255 - level)
    if inverted.getextrema()[1] == 0:
        return PageUpdate(editor=editor_value(image), mask=None)
    return PageUpdate(editor=editor_value(image, inverted), mask=inverted)
