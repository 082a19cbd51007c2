"""The one image loader: conversions done right, bad files refused clearly."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst.errors import ImageInputError
from nst.io.images import load_image, resize_long_side, to_array, to_tensor

from ..factories import make_photo


def saved(tmp_path: Path, image: Image.Image, name: str, **options) -> Path:
    path = tmp_path / name
    image.save(path, **options)
    return path


def test_rgb_png_round_trips_exactly(tmp_path):
    photo = make_photo()
    loaded = load_image(saved(tmp_path, photo, "p.png"))
    assert loaded.mode == "RGB"
    assert np.array_equal(np.asarray(loaded), np.asarray(photo))


def test_transparent_pixels_become_white(tmp_path):
    rgba = Image.new("RGBA", (32, 32), (255, 0, 0, 255))
    rgba.paste((0, 0, 255, 0), (0, 0, 16, 32))  # left half fully transparent blue
    loaded = np.asarray(load_image(saved(tmp_path, rgba, "a.png")))
    assert tuple(loaded[5, 5]) == (255, 255, 255)
    assert tuple(loaded[5, 25]) == (255, 0, 0)


def test_palette_with_transparency_is_composited(tmp_path):
    image = Image.new("P", (32, 32), 0)
    image.putpalette([0, 0, 0, 0, 200, 0] + [0] * 762)
    image.paste(1, (16, 0, 32, 32))
    path = saved(tmp_path, image, "p.png", transparency=0)
    loaded = np.asarray(load_image(path))
    assert tuple(loaded[0, 0]) == (255, 255, 255)
    assert tuple(loaded[0, 20]) == (0, 200, 0)


def test_16_bit_greyscale_is_scaled_not_clipped(tmp_path):
    values = np.full((32, 32), 32768, dtype=np.uint16)  # mid grey in 16 bits
    image = Image.frombytes("I;16", (32, 32), values.tobytes())
    loaded = np.asarray(load_image(saved(tmp_path, image, "g16.png")))
    assert loaded.shape == (32, 32, 3)
    assert abs(int(loaded[0, 0, 0]) - 128) <= 1


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    cmyk = Image.new("CMYK", (32, 32), (0, 255, 255, 0))  # pure red in CMYK
    loaded = np.asarray(load_image(saved(tmp_path, cmyk, "c.jpg", quality=95)))
    r, g, b = loaded[16, 16].tolist()
    assert r > 200 and g < 60 and b < 60


def test_exif_rotation_is_applied(tmp_path):
    image = Image.new("RGB", (40, 20), (0, 0, 0))
    image.paste((255, 255, 255), (0, 0, 10, 20))  # white band on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    loaded = load_image(saved(tmp_path, image, "r.jpg", exif=exif, quality=95))
    assert loaded.size == (20, 40)
    array = np.asarray(loaded)
    assert array[2, 10].mean() > 200  # the band is now along the top
    assert array[35, 10].mean() < 50


def test_animated_gif_gives_first_frame(tmp_path):
    frames = [Image.new("RGB", (24, 24), colour) for colour in ((255, 0, 0), (0, 255, 0))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    loaded = np.asarray(load_image(path))
    assert tuple(loaded[10, 10]) == (255, 0, 0)


def test_bytes_are_accepted():
    buffer = io.BytesIO()
    make_photo().save(buffer, format="PNG")
    assert load_image(buffer.getvalue()).size == (96, 72)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b"this is not an image at all" * 10, "not an image"),
        (b"%PDF-1.4\n1 0 obj<<>>endobj\n", "not an image"),
    ],
)
def test_non_images_are_refused(tmp_path, content, message):
    path = tmp_path / "fake.png"
    path.write_bytes(content)
    with pytest.raises(ImageInputError, match=message):
        load_image(path)


def test_truncated_png_is_refused(tmp_path):
    path = saved(tmp_path, make_photo(), "t.png")
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ImageInputError, match="truncated or damaged"):
        load_image(path)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(ImageInputError, match="No such file"):
        load_image(tmp_path / "nope.png")


def test_too_small_and_too_thin_are_refused(tmp_path):
    with pytest.raises(ImageInputError, match="too small"):
        load_image(saved(tmp_path, Image.new("RGB", (1, 1)), "tiny.png"))
    with pytest.raises(ImageInputError, match="long and thin"):
        load_image(saved(tmp_path, Image.new("RGB", (2000, 20)), "strip.png"))


def test_too_many_pixels_is_refused_before_decoding(tmp_path):
    path = saved(tmp_path, Image.new("RGB", (100, 100)), "big.png")
    with pytest.raises(ImageInputError, match="too large"):
        load_image(path, max_pixels=5000)


def test_resize_keeps_aspect_and_tensor_round_trip():
    photo = make_photo(200, 100)
    small = resize_long_side(photo, 64)
    assert small.size == (64, 32)
    tensor = to_tensor(small)
    assert tensor.shape == (1, 3, 32, 64) and 0.0 <= tensor.min() and tensor.max() <= 1.0
    assert np.array_equal(to_array(tensor), np.asarray(small))
