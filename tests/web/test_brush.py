"""The page's brush: the photo in the editor, strokes into a mask, Clear and Invert."""

from __future__ import annotations

import numpy as np
from PIL import Image

from web.form.brush import BRUSH_COLOR, BRUSH_OPACITY, editor_value, invert, mask_from_editor, show_photo, stroke_layer
from web.page_update import PageUpdate

from ..factories import make_half_mask, make_photo


def upload(path) -> dict:
    """An upload as the page's events receive it (they skip Gradio's decoding)."""
    return {"path": str(path)}


def test_a_new_photo_fills_the_editor_with_no_strokes(photo_path):
    shown = show_photo(upload(photo_path))
    assert shown.mask is None and shown.editor["layers"] == []
    assert shown.editor["background"].size == (96, 72)
    assert show_photo(None) == PageUpdate(editor=None, mask=None)


def test_a_photo_that_cannot_be_read_leaves_the_editor_empty(tmp_path):
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image")
    assert show_photo(upload(junk)) == PageUpdate(editor=None, mask=None)


def test_strokes_become_a_white_on_black_mask():
    stroke = Image.new("RGBA", (96, 72), (0, 0, 0, 0))
    stroke.paste((*BRUSH_COLOR, round(255 * BRUSH_OPACITY)), (10, 20, 40, 50))
    mask = np.asarray(mask_from_editor({"background": make_photo(), "layers": [stroke], "composite": None}))
    assert mask.dtype == np.uint8 and mask.shape == (72, 96)
    assert (mask[20:50, 10:40] == 255).all() and mask.sum() == 255 * 30 * 30


def test_no_strokes_is_no_mask():
    empty = Image.new("RGBA", (96, 72), (0, 0, 0, 0))
    assert mask_from_editor({"background": make_photo(), "layers": [empty], "composite": None}) is None
    assert mask_from_editor({"background": make_photo(), "layers": [], "composite": None}) is None
    assert mask_from_editor(None) is None


def test_the_mask_is_shown_as_translucent_strokes_over_the_photo():
    value = editor_value(make_photo(), make_half_mask())
    layer = np.asarray(value["layers"][0])
    assert (layer[:, :48, 3] == round(255 * BRUSH_OPACITY)).all() and (layer[:, 48:, 3] == 0).all()
    composite = np.asarray(value["composite"].convert("RGB")).astype(int)
    photo = np.asarray(make_photo()).astype(int)
    assert np.array_equal(composite[:, 48:], photo[:, 48:])
    tinted = composite[:, :48] - photo[:, :48]
    assert 10 < np.abs(tinted).mean() < 100  # the photo still shows through


def test_stroke_layer_follows_grey_levels():
    grey = Image.new("L", (4, 4), 128)
    assert np.asarray(stroke_layer(grey))[..., 3].max() == round(128 * BRUSH_OPACITY)


def test_invert_swaps_brushed_and_unbrushed(tmp_path, photo_path):
    mask_path = tmp_path / "mask.png"
    make_half_mask().save(mask_path)
    swapped = invert(upload(mask_path), upload(photo_path))
    assert np.array_equal(np.asarray(swapped.mask), 255 - np.asarray(make_half_mask()))
    assert np.array_equal(np.asarray(mask_from_editor(swapped.editor)), np.asarray(swapped.mask))


def test_invert_with_nothing_brushed_brushes_everything_and_back(tmp_path, photo_path):
    everything = invert(None, upload(photo_path))
    assert np.asarray(everything.mask).min() == 255 and len(everything.editor["layers"]) == 1
    everything.mask.save(tmp_path / "all.png")
    nothing = invert(upload(tmp_path / "all.png"), upload(photo_path))
    assert nothing.mask is None and nothing.editor["layers"] == []
