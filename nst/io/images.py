"""Reading, converting and resizing images: one loader for every caller.

Uploads come from strangers, so the loader is defensive: it reads only the
formats it names, refuses oversized pixel counts before decoding, takes the
first frame of animations, applies EXIF orientation, composites transparency
on white, scales 16-bit images properly instead of clipping them, and converts
CMYK and palette images to RGB. Every refusal is an `ImageInputError` whose
message says what to do.
"""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torch import Tensor

from ..errors import ImageInputError

ImageSource = str | os.PathLike | bytes | Image.Image

# 40 megapixels: bigger than any camera photo people upload, small enough that
# decoding it cannot exhaust memory.
MAX_PIXELS = 40_000_000
MIN_SIDE = 16
MAX_ASPECT = 10.0

# Only the formats the messages promise. Every other Pillow plugin is a parser
# that strangers' bytes could reach for no benefit (EPS even runs Ghostscript).
FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")

# What Pillow's parsers raise on malformed bytes, while reading the header or
# decoding: none of it is a bug of ours, all of it means "this file is damaged".
DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, struct.error, IndexError, Image.DecompressionBombError)


def open_image(source: ImageSource) -> Image.Image:
    """Open `source` lazily, turning every decoder complaint into `ImageInputError`."""
    if isinstance(source, Image.Image):
        return source
    try:
        if isinstance(source, bytes):
            if not source:
                raise ImageInputError("The file is empty: please upload an image file (PNG, JPEG, WebP, ...).")
            return Image.open(io.BytesIO(source), formats=FORMATS)
        path = Path(source)
        if path.is_file() and path.stat().st_size == 0:
            raise ImageInputError(f"{path.name} is empty: please choose an image file (PNG, JPEG, WebP, ...).")
        return Image.open(path, formats=FORMATS)
    except FileNotFoundError as error:
        raise ImageInputError(f"No such file: {source}") from error
    except IsADirectoryError as error:
        raise ImageInputError(f"{source} is a folder, not an image file.") from error
    except PermissionError as error:
        raise ImageInputError(f"{source} cannot be read: permission denied.") from error
    except UnidentifiedImageError as error:
        raise ImageInputError(
            f"{describe(source)} is not an image we can read. Use a PNG, JPEG, WebP, GIF, BMP or TIFF file."
        ) from error
    except Image.DecompressionBombError as error:
        raise too_large(source) from error
    except DECODE_ERRORS as error:
        raise damaged(source, error) from error


def describe(source: ImageSource) -> str:
    """A short name for messages: the file name, or 'The upload'."""
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    return "The upload"


def damaged(source: ImageSource, error: Exception) -> ImageInputError:
    """The error for files that look like images but cannot be decoded."""
    return ImageInputError(
        f"{describe(source)} could not be decoded ({error}). The file may be truncated or damaged; "
        "try saving it again as PNG or JPEG."
    )


def too_large(source: ImageSource, max_pixels: int = MAX_PIXELS) -> ImageInputError:
    """The error for images over the pixel limit."""
    return ImageInputError(
        f"{describe(source)} is too large: at most {max_pixels / 1_000_000:g} megapixels are accepted. "
        "Please resize it and try again."
    )


def check_dimensions(image: Image.Image, source: ImageSource, max_pixels: int = MAX_PIXELS) -> None:
    """Refuse images too big to decode safely, too small or too thin to stylise."""
    width, height = image.size
    if width * height > max_pixels:
        raise too_large(source, max_pixels)
    if min(width, height) < MIN_SIDE:
        raise ImageInputError(
            f"{describe(source)} is too small ({width}x{height} pixels): each side needs at least {MIN_SIDE} pixels."
        )
    if max(width, height) / min(width, height) > MAX_ASPECT:
        raise ImageInputError(
            f"{describe(source)} is too long and thin ({width}x{height}): the longer side may be at most "
            f"{MAX_ASPECT:g} times the shorter one. Crop it and try again."
        )


def grey_to_8_bit(array: np.ndarray, top: float) -> Image.Image:
    """Scale float32 grey values in [0, top] to an 8-bit image, rounding.

    Works in place: an 80 kB 16-bit PNG can hold 40 megapixels, and float64
    with a temporary per operation would spend a gigabyte on them.
    """
    array *= 255.0 / top
    array += 0.5
    np.clip(array, 0, 255, out=array)
    return Image.fromarray(array.astype(np.uint8), "L")


def to_rgb(image: Image.Image) -> Image.Image:
    """Convert any mode to 8-bit RGB, compositing transparency on white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        array = np.array(image, dtype=np.float32)
        top = 65535.0 if array.max() > 255 or image.mode.startswith("I;16") else 255.0
        image = grey_to_8_bit(array, top)
    elif image.mode == "F":
        # Float files mark missing data with NaN: draw every non-finite value
        # black, so none sways the 0-1 or 0-255 guess or casts to garbage.
        array = np.nan_to_num(np.array(image, dtype=np.float32), copy=False, nan=0.0, posinf=0.0, neginf=0.0)
        image = grey_to_8_bit(array, 1.0 if array.max() <= 1.0 else 255.0)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def load_image(source: ImageSource, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Open any supported image file, check it, and return it as 8-bit RGB.

    The size check reads only the header, so an image declaring billions of
    pixels is refused before any memory is spent on it. Reads only the first
    frame of an animation and applies EXIF orientation so that photos from
    phones come out upright.
    """
    image = open_image(source)
    check_dimensions(image, source, max_pixels)
    try:
        image.seek(0)
        image.load()
        image = ImageOps.exif_transpose(image) or image
        return to_rgb(image)
    except DECODE_ERRORS as error:
        raise damaged(source, error) from error


def as_image(source: ImageSource) -> Image.Image:
    """Accept a loaded PIL image as is (in RGB), load anything else."""
    if isinstance(source, Image.Image):
        return source.convert("RGB")
    return load_image(source)


def as_list(sources: ImageSource | Sequence[ImageSource]) -> list[ImageSource]:
    """One image or several, as a list."""
    if isinstance(sources, (list, tuple)):
        return list(sources)
    return [sources]


def size_for_long_side(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """(width, height) scaled so the longer side is `long_side`, aspect kept."""
    width, height = size
    scale = long_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def resize_long_side(image: Image.Image, long_side: int) -> Image.Image:
    """Resize so that the longer side is `long_side` pixels (Lanczos, aspect kept)."""
    target = size_for_long_side(image.size, long_side)
    if target == image.size:
        return image
    return image.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)


def to_tensor(image: Image.Image, device: torch.device | str = "cpu") -> Tensor:
    """RGB image to a (1, 3, H, W) float tensor in [0, 1]."""
    array = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0).contiguous().to(device)


def to_array(tensor: Tensor) -> np.ndarray:
    """(1, 3, H, W) tensor in [0, 1] to an (H, W, 3) uint8 array, on the CPU."""
    pixels = tensor.detach()[0].float().clamp(0, 1).mul(255).round().to(torch.uint8)
    return pixels.permute(1, 2, 0).cpu().numpy()
