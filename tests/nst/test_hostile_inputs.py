"""Hostile and odd inputs through the loader, the command line and the engine.

Every file is made here, in code. Each one is either handled correctly (the
test id says what correct means) or refused with an `ImageInputError` whose
message names the problem and what to do about it; either way within seconds
and without decoding more pixels than the limits allow.
"""

from __future__ import annotations

import io
import os
import random
import struct
import subprocess
import sys
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile

from nst import Settings, stylize
from nst.errors import ImageInputError
from nst.io.images import MAX_ASPECT, MIN_SIDE, load_image

from ..factories import make_painting, make_photo

ROOT = Path(__file__).resolve().parents[2]
SECONDS = 5.0
# Python and numpy memory one load may use; PIL's own pixel buffers are not
# traced, so decoding is watched separately (`decodes`) and, for the bombs, by
# the peak memory of a whole command-line run.
TRACED_BYTES = 32 << 20

RED, GREEN, WHITE = (255, 0, 0), (0, 255, 0), (255, 255, 255)


# --- Files built by hand -----------------------------------------------------


def encoded(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def raw_png(width: int, height: int, bit_depth: int, colour_type: int, idat: bytes, *extra: bytes) -> bytes:
    """A PNG written chunk by chunk, so that its header may say anything."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + b"".join(extra)
            + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b""))


def deflated_zeros(count: int) -> bytes:
    """A zlib stream of `count` zero bytes, built without ever holding them.

    After a full flush the compressor has forgotten everything, so every
    megabyte of zeros deflates to the same bytes: repeat them, add the tail,
    and the Adler-32 of zeros, which is count*1 mod 65521 beside a 1.
    """
    block = 1 << 20

    def raw(size: int, flush: int) -> bytes:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        return compressor.compress(bytes(size)) + compressor.flush(flush)

    full, rest = divmod(count, block)
    adler = (count % 65521) << 16 | 1
    return b"\x78\xda" + raw(block, zlib.Z_FULL_FLUSH) * full + raw(rest, zlib.Z_FINISH) + struct.pack(">I", adler)


def png_bomb(side: int) -> bytes:
    """A complete side x side grey PNG of zeros: 8000 -> 63 kB for 64 MB, 50000 -> 2.5 MB for 2.5 GB."""
    return raw_png(side, side, 8, 0, deflated_zeros(side * (side + 1)))  # a filter byte starts each row


def text_chunk_bomb() -> bytes:
    """A small, valid 32x32 PNG whose zTXt comment inflates to 64 MB."""
    comment = png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"A" * (64 << 20), 9))
    return raw_png(32, 32, 8, 0, zlib.compress(bytes(33 * 32)), comment)


def jpeg_bomb() -> bytes:
    """A real JPEG whose frame header is patched to claim 60000x60000 pixels."""
    jpeg = encoded(make_photo(), "JPEG")
    frame = jpeg.index(b"\xff\xc0") + 5  # marker, length, precision, then height and width
    return jpeg[:frame] + struct.pack(">HH", 60000, 60000) + jpeg[frame + 4:]


def rgb16_png(colour: tuple[int, int, int], width: int = 24, height: int = 20) -> bytes:
    """16 bits per channel, which Pillow cannot write itself."""
    row = b"\x00" + struct.pack(">HHH", *colour) * width
    return raw_png(width, height, 16, 2, zlib.compress(row * height))


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def grey_ramp() -> Image.Image:
    return Image.fromarray(np.tile(np.arange(0, 256, 4, dtype=np.uint8), (20, 1)), "L")


def grey16_ramp() -> Image.Image:
    values = np.tile(np.linspace(0, 65535, 64).astype(np.uint16), (20, 1))
    return Image.frombytes("I;16", (64, 20), values.tobytes())


def palette_with_transparency() -> Image.Image:
    """Index 0 transparent, index 1 green: left half index 0, right half index 1."""
    image = Image.new("P", (32, 32), 0)
    image.putpalette([0, 0, 0, 0, 200, 0] + [0] * 762)
    image.paste(1, (16, 0, 32, 32))
    return image


def rgba_three_alphas() -> Image.Image:
    """Red at alpha 0, 128 and 255 in three bands."""
    image = Image.new("RGBA", (48, 16), (255, 0, 0, 0))
    image.paste((255, 0, 0, 128), (16, 0, 32, 16))
    image.paste((255, 0, 0, 255), (32, 0, 48, 16))
    return image


def grey_alpha() -> Image.Image:
    """Black at alpha 0 on the left, black at alpha 255 on the right."""
    image = Image.new("LA", (32, 16), (0, 0))
    image.paste((0, 255), (16, 0, 32, 16))
    return image


def float_with_gaps() -> Image.Image:
    """A 0-1 float image at 0.5 whose left half is NaN, as missing data is marked."""
    values = np.full((20, 32), 0.5, dtype=np.float32)
    values[:, :16] = np.nan
    return Image.fromarray(values, "F")


def animated(format: str, **options) -> bytes:
    red, green = Image.new("RGB", (24, 24), RED), Image.new("RGB", (24, 24), GREEN)
    return encoded(red, format, save_all=True, append_images=[green], **options)


def exif_rotated_jpeg() -> bytes:
    """Stored 40x20 with a white band on the left, tagged "rotate 90 clockwise to display"."""
    image = Image.new("RGB", (40, 20), (0, 0, 0))
    image.paste(WHITE, (0, 0, 10, 20))
    exif = Image.Exif()
    exif[0x0112] = 6
    return encoded(image, "JPEG", exif=exif, quality=95)


MINIMAL_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
               b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
SVG = (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
       b'<rect width="64" height="64" fill="red"/></svg>\n')
EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 32 32\n0 0 moveto 32 32 lineto stroke\nshowpage\n"


# --- What should happen --------------------------------------------------------


@dataclass(frozen=True)
class Refused:
    """An `ImageInputError` whose message says what is wrong and what to do."""

    problem: str
    action: str
    before_decoding: bool = False  # refused from the header alone: no pixel is decoded


NOT_AN_IMAGE = Refused("is not an image we can read", "Use a PNG, JPEG, WebP, GIF, BMP or TIFF file")
DAMAGED = Refused("could not be decoded", "try saving it again as PNG or JPEG")
TOO_LARGE = Refused("is too large", "Please resize it", before_decoding=True)


def uniform(colour: tuple[int, int, int], tolerance: int = 0) -> Callable[[np.ndarray], None]:
    def check(pixels: np.ndarray) -> None:
        assert np.abs(pixels.astype(int) - colour).max() <= tolerance, pixels.reshape(-1, 3)[:4]
    return check


def grey_equals_ramp(pixels: np.ndarray) -> None:
    assert (pixels[..., 0] == pixels[..., 1]).all() and (pixels[..., 1] == pixels[..., 2]).all()
    assert np.array_equal(pixels[..., 0], np.asarray(grey_ramp()))


def grey16_scaled_not_clipped(pixels: np.ndarray) -> None:
    expected = np.round(np.asarray(grey16_ramp(), dtype=np.float64) / 257)
    assert np.abs(pixels[..., 0] - expected).max() <= 1 and (pixels.max(axis=2) == pixels.min(axis=2)).all()
    assert 120 <= pixels[0, 32, 0] <= 135  # mid grey stays mid grey, not white


def palette_transparent_is_white(pixels: np.ndarray) -> None:
    assert (pixels[:, :16] == WHITE).all() and (pixels[:, 16:] == (0, 200, 0)).all()


def rgba_composited_on_white(pixels: np.ndarray) -> None:
    assert (pixels[:, :16] == WHITE).all()
    assert np.abs(pixels[:, 16:32].astype(int) - (255, 127, 127)).max() <= 1  # half red, half white
    assert (pixels[:, 32:] == RED).all()


def la_composited_on_white(pixels: np.ndarray) -> None:
    assert (pixels[:, :16] == WHITE).all() and (pixels[:, 16:] == 0).all()


def gaps_black_rest_mid_grey(pixels: np.ndarray) -> None:
    assert (pixels[:, :16] == 0).all() and (pixels[:, 16:] == 128).all()


def upright(pixels: np.ndarray) -> None:
    assert pixels.shape == (40, 20, 3)
    assert pixels[:8].mean() > 200 and pixels[12:].mean() < 50  # the band now runs along the top


CASES = [
    pytest.param("empty.png", lambda: b"", Refused("is empty", "please choose an image file"),
                 id="empty file -> refused"),
    pytest.param("noise.png", lambda: random.Random(0).randbytes(4096), NOT_AN_IMAGE, id="random bytes -> refused"),
    pytest.param("notes.png", lambda: b"Shopping list:\n- eggs\n- paint\n" * 20, NOT_AN_IMAGE,
                 id="text renamed .png -> refused"),
    pytest.param("paper.png", lambda: MINIMAL_PDF, NOT_AN_IMAGE, id="PDF renamed .png -> refused"),
    pytest.param("drawing.svg", lambda: SVG, NOT_AN_IMAGE, id="SVG -> refused (vector, not decoded)"),
    pytest.param("figure.eps", lambda: EPS, NOT_AN_IMAGE, id="EPS -> refused, never handed to Ghostscript"),
    pytest.param("cut.png", lambda: truncated(encoded(make_photo(), "PNG")), DAMAGED, id="truncated PNG -> refused"),
    pytest.param("cut-header.png", lambda: encoded(make_photo(), "PNG")[:30], NOT_AN_IMAGE,
                 id="PNG cut inside its header -> refused"),
    pytest.param("cut.jpg", lambda: truncated(encoded(make_photo(), "JPEG")), DAMAGED, id="truncated JPEG -> refused"),
    pytest.param("bomb.png", lambda: png_bomb(50_000), TOO_LARGE,
                 id="PNG declaring 50000x50000 -> 'too large' before decoding"),
    pytest.param("bomb8k.png", lambda: png_bomb(8_000), TOO_LARGE,
                 id="PNG declaring 8000x8000, under Pillow's own limit -> 'too large' before decoding"),
    pytest.param("bomb.jpg", lambda: jpeg_bomb(), TOO_LARGE, id="JPEG declaring 60000x60000 -> 'too large'"),
    pytest.param("comment.png", text_chunk_bomb, DAMAGED, id="PNG with a 64 MB zTXt comment -> refused"),
    pytest.param("dot.png", lambda: encoded(Image.new("RGB", (1, 1)), "PNG"),
                 Refused("is too small (1x1 pixels)", "at least 16 pixels"), id="1x1 -> refused"),
    pytest.param("strip.png", lambda: encoded(Image.new("RGB", (10_000, 20)), "PNG"),
                 Refused("is too long and thin (10000x20)", "Crop it"), id="10000x20 strip -> refused"),
    pytest.param("grey.png", lambda: encoded(grey_ramp(), "PNG"), grey_equals_ramp,
                 id="grayscale -> RGB with R==G==B==the grey"),
    pytest.param("bits.png", lambda: encoded(Image.new("1", (20, 20), 1), "PNG"), uniform(WHITE),
                 id="1-bit white -> RGB white"),
    pytest.param("palette.png", lambda: encoded(palette_with_transparency(), "PNG", transparency=0),
                 palette_transparent_is_white, id="PNG palette with transparency -> transparent index is white"),
    pytest.param("palette.gif", lambda: encoded(palette_with_transparency(), "GIF", transparency=0),
                 palette_transparent_is_white, id="GIF palette with transparency -> transparent index is white"),
    pytest.param("rgba.png", lambda: encoded(rgba_three_alphas(), "PNG"), rgba_composited_on_white,
                 id="RGBA -> composited on white (alpha 0 white, 128 pink, 255 red)"),
    pytest.param("la.png", lambda: encoded(grey_alpha(), "PNG"), la_composited_on_white,
                 id="grey+alpha -> composited on white"),
    pytest.param("cmyk.jpg", lambda: encoded(Image.new("CMYK", (32, 32), (0, 255, 255, 0)), "JPEG", quality=95),
                 uniform(RED, tolerance=3), id="CMYK JPEG -> red stays red"),
    pytest.param("grey16.png", lambda: encoded(grey16_ramp(), "PNG"), grey16_scaled_not_clipped,
                 id="16-bit grey PNG -> scaled to 8 bits, not clipped"),
    pytest.param("rgb16.png", lambda: rgb16_png((65535, 32768, 0)), uniform((255, 128, 0)),
                 id="16-bit RGB PNG -> (65535,32768,0) becomes (255,128,0)"),
    pytest.param("black16.png", lambda: raw_png(2000, 2000, 16, 0, deflated_zeros(2000 * 4001)), uniform((0, 0, 0)),
                 id="16-bit 2000x2000 grey PNG of 8 kB -> black, converted within the memory bound"),
    pytest.param("gaps.tif", lambda: encoded(float_with_gaps(), "TIFF"), gaps_black_rest_mid_grey,
                 id="float TIFF with NaN gaps -> gaps black, 0.5 mid grey"),
    pytest.param("anim.gif", lambda: animated("GIF", duration=100), uniform(RED), id="animated GIF -> first frame"),
    pytest.param("anim.webp", lambda: animated("WEBP", lossless=True, duration=100), uniform(RED),
                 id="animated WebP -> first frame"),
    pytest.param("anim.png", lambda: animated("PNG", duration=100), uniform(RED), id="animated PNG -> first frame"),
    pytest.param("pages.tif", lambda: animated("TIFF"), uniform(RED), id="multi-page TIFF -> first page"),
    pytest.param("turned.jpg", exif_rotated_jpeg, upright, id="EXIF-rotated JPEG -> upright, 20x40"),
]


def measured(call: Callable[[], Image.Image]) -> tuple[Image.Image | ImageInputError, float, int]:
    """The result or the `ImageInputError`, the wall time and the traced memory peak."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        outcome: Image.Image | ImageInputError = call()
    except ImageInputError as error:
        outcome = error
    finally:
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return outcome, seconds, peak


@pytest.fixture
def decodes(monkeypatch) -> list[tuple[int, int]]:
    """Sizes of the images Pillow is asked to decode (allocating their pixels) during a test."""
    sizes: list[tuple[int, int]] = []
    load = ImageFile.ImageFile.load

    def spy(self):
        sizes.append(self.size)
        return load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return sizes


def test_the_decode_spy_sees_decoding(decodes):
    load_image(encoded(make_photo(), "PNG"))
    assert (96, 72) in decodes


@pytest.mark.parametrize("name, make, expected", CASES)
def test_loader(tmp_path, decodes, name, make, expected):
    path = tmp_path / name
    path.write_bytes(make())
    outcome, seconds, peak = measured(lambda: load_image(path))
    assert seconds < SECONDS
    assert peak < TRACED_BYTES
    if isinstance(expected, Refused):
        assert isinstance(outcome, ImageInputError), f"accepted as {outcome}"
        message = str(outcome)
        assert expected.problem in message and expected.action in message, message
        assert "\n" not in message and "Traceback" not in message
        if expected.before_decoding:
            assert decodes == []
    else:
        assert isinstance(outcome, Image.Image), outcome
        assert outcome.mode == "RGB"
        expected(np.asarray(outcome))


# --- The same files through `python -m nst` ------------------------------------

# One file per way of refusing (each run costs seconds of torch import). The
# 8000x8000 bomb rather than the 50000x50000 one: Pillow refuses the latter by
# itself, so only this one shows that our own limit holds.
CLI_CASES = ["empty.png", "paper.png", "cut.jpg", "bomb8k.png", "dot.png", "strip.png"]
BUILDERS = {param.values[0]: param.values[1] for param in CASES}
# Refused runs stop before the network is loaded, so they all peak at the
# import's footprint; decoding the 8000x8000 bomb alone would add 64 MB of grey
# and 192 MB of RGB.
RSS_SLACK_KB = 100 << 10


def cli_run(args: list[str], stderr_path: Path, timeout: float = 120) -> tuple[int, int]:
    """Exit code and peak resident memory (kB) of `python -m nst ARGS`."""
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "nst", *args], cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=stderr)
        killer = threading.Timer(timeout, process.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_maxrss


def test_command_line_refuses_bad_files_in_one_line(tmp_path, painting_path):
    paths = []
    for name in CLI_CASES:
        paths.append(tmp_path / name)
        paths[-1].write_bytes(BUILDERS[name]())

    def run(path: Path) -> tuple[int, int]:
        return cli_run([str(path), str(painting_path), "-o", str(tmp_path / f"{path.stem}-out.png"),
                        "--size", "48", "--steps", "2"], tmp_path / f"{path.name}.stderr")

    with ThreadPoolExecutor(max_workers=2) as pool:  # each run spends seconds of CPU importing torch
        results = dict(zip(CLI_CASES, pool.map(run, paths), strict=True))
    baseline = min(peak for _, peak in results.values())
    for name, (code, peak) in results.items():
        stderr = (tmp_path / f"{name}.stderr").read_text()
        assert code == 1, (name, stderr)
        assert stderr.startswith("error: ") and stderr.count("\n") == 1 and "Traceback" not in stderr, (name, stderr)
        assert not (tmp_path / f"{Path(name).stem}-out.png").exists()
        assert peak - baseline < RSS_SLACK_KB, (name, peak, baseline)


# --- A style image far larger than the content ---------------------------------


def test_huge_style_with_small_content_keeps_the_content_shape(tmp_path):
    content, style = tmp_path / "content.png", tmp_path / "style.jpg"
    make_photo(64, 48).save(content)
    make_painting(96).resize((3000, 2000), Image.Resampling.BILINEAR).save(style, quality=90)
    started = time.perf_counter()
    records = list(stylize(content, style, Settings(size=48, steps=2)))
    assert time.perf_counter() - started < 60
    final = records[-1]
    assert final.done and final.step == 2
    assert final.image.shape == (36, 48, 3)  # 64x48 content at long side 48: 48x36, the style's 3:2 ignored


# --- Property-based: random bytes, random valid images -------------------------

MAGIC_NUMBERS = [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", b"GIF87a", b"GIF89a",
                 b"RIFF\x00\x10\x00\x00WEBPVP8 ", b"RIFF\x00\x10\x00\x00WEBPVP8L", b"BM", b"II*\x00", b"MM\x00*",
                 b"P6\n", b"8BPS", b"DDS ", b"%!PS-Adobe-3.0 EPSF", b"\x00\x00\x00\x0cjP  \r\n\x87\n"]


def seed_files() -> list[bytes]:
    """Valid files of every accepted format, for mutating."""
    photo = make_photo(40, 32)
    exif = Image.Exif()
    exif[0x0112] = 6
    return [encoded(photo, "PNG"), encoded(photo, "JPEG", exif=exif), encoded(photo.convert("CMYK"), "JPEG"),
            encoded(photo, "WEBP"), animated("WEBP", lossless=True), animated("GIF"), encoded(photo, "BMP"),
            encoded(photo, "TIFF", compression="tiff_lzw"), encoded(grey16_ramp(), "PNG"), animated("PNG")]


SEEDS = seed_files()


@st.composite
def mutated_files(draw) -> bytes:
    """A valid file with a few bytes overwritten, inserted or cut off."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        if len(data) < 2:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["overwrite", "insert", "delete", "cut"]))
        if action == "overwrite":
            data[at:at + 4] = draw(st.binary(min_size=1, max_size=4))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete":
            del data[at:at + draw(st.integers(1, 64))]
        else:
            del data[max(at, 1):]
    return bytes(data)


hostile_bytes = st.one_of(
    st.binary(max_size=512),
    st.builds(lambda magic, tail: magic + tail, st.sampled_from(MAGIC_NUMBERS), st.binary(max_size=512)),
    mutated_files(),
)


@pytest.mark.filterwarnings("ignore::UserWarning:PIL")  # Pillow's notes on the damage it meets
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@settings(max_examples=2000, deadline=None)
@given(hostile_bytes)
def test_random_bytes_give_an_rgb_image_or_a_clear_refusal(data):
    outcome, seconds, peak = measured(lambda: load_image(data))
    assert seconds < SECONDS and peak < TRACED_BYTES
    if isinstance(outcome, ImageInputError):
        assert str(outcome) and "\n" not in str(outcome)
    else:
        assert outcome.mode == "RGB" and min(outcome.size) >= MIN_SIDE


# Formats that store each mode as it is, so the file holds exactly that mode.
# JPEG is the only lossy one: WebP is saved lossless.
NATIVE = {
    "1": ["PNG", "BMP", "TIFF"],
    "L": ["PNG", "JPEG", "GIF", "BMP", "TIFF"],
    "LA": ["PNG", "TIFF"],
    "P": ["PNG", "GIF", "BMP", "TIFF"],
    "P+transparency": ["PNG", "GIF"],
    "RGB": ["PNG", "JPEG", "WEBP", "BMP", "TIFF"],
    "RGBA": ["PNG", "WEBP", "TIFF"],
    "CMYK": ["JPEG", "TIFF"],
    "I;16": ["PNG", "TIFF"],
    "I": ["TIFF"],
    "F": ["TIFF"],
}
SAVE_OPTIONS = {"JPEG": {"quality": 95}, "WEBP": {"lossless": True}}


def random_image(mode: str, size: tuple[int, int], seed: int, flat: bool) -> tuple[Image.Image, np.ndarray]:
    """An image of `mode` (noise, or one colour when `flat`) and the RGB the loader should make of it.

    The expected RGB follows the loader's contract, computed independently:
    alpha composited on white, 16-bit divided by 257, floats in 0-1 times 255.
    """
    rng = np.random.default_rng(seed)
    width, height = size

    def pixels(high: int, channels: int = 0, dtype=np.uint8) -> np.ndarray:
        shape = (height, width, channels) if channels else (height, width)
        one = (1, 1, channels) if channels else (1, 1)
        values = rng.integers(0, high, one if flat else shape, endpoint=True)
        return np.broadcast_to(values, shape).astype(dtype)

    def on_white(colour: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        return np.round(colour * (alpha / 255.0) + 255.0 * (1 - alpha / 255.0))

    def grey(values: np.ndarray) -> np.ndarray:
        return np.repeat(np.asarray(values, dtype=np.float64)[..., None], 3, axis=2)

    if mode == "1":
        values = pixels(1) * 255
        return Image.fromarray(values).convert("1"), grey(values)
    if mode == "L":
        values = pixels(255)
        return Image.fromarray(values, "L"), grey(values)
    if mode == "LA":
        values = pixels(255, 2)
        return Image.fromarray(values, "LA"), grey(on_white(values[..., 0], values[..., 1]))
    if mode.startswith("P"):
        palette = rng.integers(0, 255, (256, 3), endpoint=True, dtype=np.uint8)
        indices = pixels(255)
        image = Image.fromarray(indices, "P")
        image.putpalette(palette.tobytes())
        expected = palette[indices].astype(np.float64)
        if mode == "P+transparency":
            image.info["transparency"] = int(indices[0, 0])
            expected[indices == indices[0, 0]] = WHITE
        return image, expected
    if mode == "RGB":
        values = pixels(255, 3)
        return Image.fromarray(values, "RGB"), values.astype(np.float64)
    if mode == "RGBA":
        values = pixels(255, 4)
        return Image.fromarray(values, "RGBA"), on_white(values[..., :3], values[..., 3:])
    if mode == "CMYK":
        image = Image.fromarray(pixels(255, 4), "CMYK")
        return image, np.asarray(image.convert("RGB"), dtype=np.float64)
    if mode == "I;16":
        values = pixels(65535, dtype=np.uint16)
        return Image.frombytes("I;16", size, values.tobytes()), grey(np.round(values / 257.0))
    if mode == "I":
        values = pixels(int(rng.choice([255, 65535])), dtype=np.int32)
        top = 65535.0 if values.max() > 255 else 255.0  # 8-bit values in wide ints are not 16-bit data
        return Image.fromarray(values, "I"), grey(np.round(values / top * 255.0))
    values = rng.random((1, 1) if flat else (height, width)).astype(np.float32)
    values = np.broadcast_to(values, (height, width)).copy()
    return Image.fromarray(values, "F"), grey(np.round(values.astype(np.float64) * 255.0))


@st.composite
def valid_images(draw) -> tuple[str, str, tuple[int, int], bool, int]:
    mode = draw(st.sampled_from(sorted(NATIVE)))
    format = draw(st.sampled_from(NATIVE[mode]))
    size = (draw(st.integers(1, 300)), draw(st.integers(1, 300)))
    return mode, format, size, draw(st.booleans()), draw(st.integers(0, 2**32 - 1))


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_images())
def test_random_valid_images_load_as_the_rgb_they_show(case):
    mode, format, size, flat, seed = case
    image, expected = random_image(mode, size, seed, flat)
    options = dict(SAVE_OPTIONS.get(format, {}))
    if "transparency" in image.info:
        options["transparency"] = image.info["transparency"]
    data = encoded(image, format, **options)
    loaded, seconds, peak = measured(lambda: load_image(data))
    assert seconds < SECONDS and peak < TRACED_BYTES
    if min(size) < MIN_SIDE or max(size) / min(size) > MAX_ASPECT:
        assert isinstance(loaded, ImageInputError), f"accepted {size}"
        assert "too small" in str(loaded) or "long and thin" in str(loaded)
        return
    assert isinstance(loaded, Image.Image), loaded
    assert loaded.mode == "RGB" and loaded.size == size
    pixels = np.asarray(loaded).astype(np.float64)
    if flat:  # one colour in, one colour out
        assert np.ptp(pixels.reshape(-1, 3), axis=0).max() <= (2 if format == "JPEG" else 0)
    if format == "JPEG":  # lossy: the overall colour survives
        tolerance = 3 if flat else 8
        assert np.abs(pixels.mean(axis=(0, 1)) - expected.mean(axis=(0, 1))).max() <= tolerance
    else:
        assert np.abs(pixels - expected).max() <= 1
