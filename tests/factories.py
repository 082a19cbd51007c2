"""Small test images made in code, so no test depends on files outside the repo."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torchvision.models import squeezenet1_1

SQUEEZENET_FILE = "squeezenet1_1-b8a52dc0.pth"


def make_photo(width: int = 96, height: int = 72, seed: int = 0) -> Image.Image:
    """A smooth 'photo': a sky gradient, a sun and a dark house, plus a little noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    sky = np.stack([0.3 + 0.4 * y / height, 0.5 + 0.3 * y / height, 0.9 - 0.2 * y / height], axis=-1)
    sun = ((x - 0.75 * width) ** 2 + (y - 0.25 * height) ** 2) < (0.12 * height) ** 2
    sky[sun] = (1.0, 0.85, 0.3)
    house = (x > 0.15 * width) & (x < 0.45 * width) & (y > 0.5 * height)
    sky[house] = (0.45, 0.2, 0.15)
    sky += rng.normal(0, 0.02, sky.shape)
    return Image.fromarray((np.clip(sky, 0, 1) * 255).astype(np.uint8), "RGB")


def make_painting(size: int = 96, seed: int = 1) -> Image.Image:
    """A 'painting': bold diagonal stripes in two colours with random blotches."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    stripes = (np.sin((x + y) / 3.0) > 0)[..., None]
    image = np.where(stripes, np.array([0.95, 0.75, 0.1]), np.array([0.1, 0.2, 0.7]))
    for _ in range(12):
        cx, cy, r = rng.uniform(0, size, 2).tolist() + [rng.uniform(3, 9)]
        blot = ((x - cx) ** 2 + (y - cy) ** 2) < r**2
        image[blot] = rng.uniform(0, 1, 3)
    return Image.fromarray((image * 255).astype(np.uint8), "RGB")


def save_random_squeezenet(torch_home: Path) -> None:
    """Put randomly initialised SqueezeNet 1.1 weights where torchvision looks for the ImageNet ones.

    Torchvision does not re-check a cached file, so the real loading code runs
    offline; the pictures are meaningless but every code path is the real one.
    """
    checkpoints = torch_home / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    torch.save(squeezenet1_1(weights=None).state_dict(), checkpoints / SQUEEZENET_FILE)


def make_half_mask(width: int = 96, height: int = 72) -> Image.Image:
    """A mask over `make_photo`: white (styled) left half, black (kept) right half."""
    pixels = np.zeros((height, width), np.uint8)
    pixels[:, : width // 2] = 255
    return Image.fromarray(pixels, "L")


def numbered_frame(index: int, width: int = 64, height: int = 48) -> np.ndarray:
    """A frame that says which it is: its grey level is 20 * index, with a white bar moving 4 px a frame.

    Big flat areas and one edge survive lossy codecs, so a decoded frame is
    told apart from its neighbours by its mean level.
    """
    frame = np.full((height, width, 3), 20 * index % 256, np.uint8)
    left = 4 * index % width
    frame[:, left : left + 8] = 255
    frame[:8, :8] = (255, 0, 0)  # a red corner: which way up the picture is
    return frame


def make_clip(
    path: Path,
    count: int = 10,
    *,
    codec: str = "libx264",
    fps: int | Fraction = 12,
    size: tuple[int, int] = (64, 48),
    times: list[int] | None = None,
    rotation: int = 0,
    audio: str | None = None,
) -> Path:
    """Write a clip of `numbered_frame`s with PyAV: a video codec and container, optional sound and rotation.

    `times` gives each frame's timestamp in 1/fps ticks (variable rate when
    they are uneven); `rotation` is stored as display-matrix side data, as
    phones do; `audio` names an audio encoder ("aac", "libopus") for a 440 Hz tone as long as the clip.
    """
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = *size, "yuv420p"
        if rotation:
            stream.set_display_rotation(rotation)
        if audio:
            sound = container.add_stream(audio, rate=48000, layout="mono")
        for index in range(count):
            rgb = numbered_frame(index, *size)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = times[index] if times else index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        if audio:
            samples = int(48000 * (times[-1] + 1 if times else count) / fps)
            tone = 0.3 * np.sin(2 * np.pi * 440 * np.arange(samples) / 48000).astype(np.float32)
            for start in range(0, samples, 960):
                chunk = av.AudioFrame.from_ndarray(tone[None, start : start + 960], format="fltp", layout="mono")
                chunk.sample_rate, chunk.pts = 48000, start
                for packet in sound.encode(chunk):
                    container.mux(packet)
            for packet in sound.encode():
                container.mux(packet)
    return path


def make_animation(path: Path, count: int = 10, durations: list[int] | None = None) -> Path:
    """An animated GIF or WebP of `numbered_frame`s written by Pillow, a writer independent of `nst.io`."""
    frames = [Image.fromarray(numbered_frame(index)) for index in range(count)]
    options = {"lossless": True} if path.suffix == ".webp" else {}
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=durations or 100, loop=0, **options)
    return path


def make_pan(path: Path, count: int = 5, size: tuple[int, int] = (96, 64), step: int = 4) -> Path:
    """An MP4 of a window sliding `step` px a frame to the right across `make_photo`: a camera pan of known motion."""
    from nst.io.clip_writer import write_clip

    width, height = size
    photo = np.asarray(make_photo(width + step * (count - 1), height))
    frames = (np.ascontiguousarray(photo[:, step * i : step * i + width]) for i in range(count))
    return write_clip(frames, path, 12)
