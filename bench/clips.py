"""Clips with known motion, made from any photo, and the temporal error of issue 26.

Steadiness is measured against the true motion, so the test clips are made
rather than found: a pan (a window sliding over a larger photo), a zoom, and
a cut-out disc of the photo moving across a still background (the occlusions
a temporal term must not smear). Each `KnownClip` streams its frames and gives,
for each frame, the true backward flow (to the frame before) and where it is
valid (the surface seen there was visible in the frame before).

`temporal_error` is the issue's measure: each frame against the next moved
back by the true motion, mean absolute difference in 0-255 levels over the
valid pixels, median over the pairs.

Run alone, this prints what the flow module's choices rest on (DIS's time and
error at each preset on a 480x320 pair) and the encoder's noise floor (the
same measure on a painted texture after an MP4 round trip):

    python bench/clips.py [--photo examples/content_chelsea.jpg] [--painting examples/style_mosaic.jpg]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from nst.clips.flow import optical_flow, reliability, warp  # noqa: E402
from nst.io.clip_reader import open_clip  # noqa: E402
from nst.io.clip_writer import write_clip  # noqa: E402

EXAMPLES = ROOT / "examples"
# The pan: 36 frames of 480x320 (3 s at 12 fps), 4 px a frame.
SIZE = (480, 320)
COUNT = 36
FPS = 12
PRESETS = {"ULTRAFAST": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, "FAST": cv2.DISOPTICAL_FLOW_PRESET_FAST,
           "MEDIUM": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}


@dataclass(frozen=True)
class Motion:
    """The true motion into one frame: its backward flow (H, W, 2) and where that flow is valid (H, W) bool."""

    flow: np.ndarray
    valid: np.ndarray


class KnownClip:
    """Frames made from a photo by a known motion; subclasses say how."""

    name = "clip"

    def __init__(self, photo: np.ndarray, size: tuple[int, int] = SIZE, count: int = COUNT) -> None:
        self.photo, self.size, self.count = photo, size, count

    def frames(self) -> Iterator[np.ndarray]:
        """(H, W, 3) uint8 RGB frames, made as they are consumed."""
        for index in range(self.count):
            yield self.frame(index)

    def frame(self, index: int) -> np.ndarray:
        raise NotImplementedError

    def motion(self, index: int) -> Motion:
        """The true motion from frame `index` back to frame `index - 1` (index >= 1)."""
        raise NotImplementedError


class Pan(KnownClip):
    """A window sliding `step` pixels a frame (x, y) across the photo, as a camera pan does."""

    name = "pan"

    def __init__(self, photo: np.ndarray, size: tuple[int, int] = SIZE, count: int = COUNT,
                 step: tuple[int, int] = (4, 0)) -> None:
        super().__init__(photo, size, count)
        self.step = step
        width, height = size
        needed = (width + abs(step[0]) * (count - 1), height + abs(step[1]) * (count - 1))
        if photo.shape[1] < needed[0] or photo.shape[0] < needed[1]:
            self.photo = fit(photo, needed)

    def frame(self, index: int) -> np.ndarray:
        width, height = self.size
        x = self.step[0] * index if self.step[0] >= 0 else -self.step[0] * (self.count - 1 - index)
        y = self.step[1] * index if self.step[1] >= 0 else -self.step[1] * (self.count - 1 - index)
        return np.ascontiguousarray(self.photo[y : y + height, x : x + width])

    def motion(self, index: int) -> Motion:
        # The window moved by step, so what is at p now was at p + step in the frame before.
        width, height = self.size
        flow = np.broadcast_to(np.array(self.step, np.float32), (height, width, 2)).copy()
        return Motion(flow, inside(flow))


class Zoom(KnownClip):
    """A zoom into the photo's centre by `factor` a frame, each frame resampled from the photo itself."""

    name = "zoom"

    def __init__(self, photo: np.ndarray, size: tuple[int, int] = SIZE, count: int = COUNT,
                 factor: float = 1.02) -> None:
        super().__init__(fit(photo, size), size, count)
        self.factor = factor

    def frame(self, index: int) -> np.ndarray:
        width, height = self.size
        scale = self.factor**index
        centre_x, centre_y = self.photo.shape[1] / 2, self.photo.shape[0] / 2
        # Frame pixel p shows photo point centre + (p - frame centre) / scale.
        matrix = np.array([[1 / scale, 0, centre_x - width / 2 / scale], [0, 1 / scale, centre_y - height / 2 / scale]])
        return cv2.warpAffine(self.photo, matrix, self.size, flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP)

    def motion(self, index: int) -> Motion:
        width, height = self.size
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        shrink = 1 / self.factor - 1
        flow = np.stack([(x - width / 2) * shrink, (y - height / 2) * shrink], axis=-1).astype(np.float32)
        return Motion(flow, inside(flow))


class MovingObject(KnownClip):
    """A disc cut out of the photo moving `step` px a frame across a still background: occlusions both sides."""

    name = "object"

    def __init__(self, photo: np.ndarray, size: tuple[int, int] = SIZE, count: int = COUNT, step: int = 6) -> None:
        width, height = size
        big = fit(photo, (width * 2, height))
        super().__init__(np.ascontiguousarray(big[:, :width]), size, count)
        self.radius = height // 4
        self.step = step
        self.start = (self.radius + 2, height // 2)
        if self.start[0] + step * (count - 1) + self.radius >= width:
            raise ValueError("The disc would leave the frame: fewer frames, a smaller step or a wider frame.")
        # The disc's picture comes from the other half of the photo, so it differs from the background.
        top, left, side = height // 2 - self.radius, width + width // 4, 2 * self.radius + 1
        self.cutout = big[top : top + side, left : left + side]

    def disc(self, index: int) -> np.ndarray:
        """(H, W) bool: where the disc is in frame `index`."""
        width, height = self.size
        y, x = np.mgrid[0:height, 0:width]
        centre_x, centre_y = self.start[0] + self.step * index, self.start[1]
        return (x - centre_x) ** 2 + (y - centre_y) ** 2 <= self.radius**2

    def frame(self, index: int) -> np.ndarray:
        frame = self.photo.copy()
        left = self.start[0] + self.step * index - self.radius
        top = self.start[1] - self.radius
        patch = frame[top : top + self.cutout.shape[0], left : left + self.cutout.shape[1]]
        mask = self.disc(index)[top : top + self.cutout.shape[0], left : left + self.cutout.shape[1]]
        patch[mask] = self.cutout[mask]
        return frame

    def motion(self, index: int) -> Motion:
        width, height = self.size
        now, before = self.disc(index), self.disc(index - 1)
        flow = np.zeros((height, width, 2), np.float32)
        flow[now, 0] = -self.step
        # The disc is seen in both frames; background is, unless the disc covered it the frame before.
        return Motion(flow, now | ~before)


def fit(photo: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The photo scaled (keeping its aspect) to cover `size`, and centre-cropped to it."""
    width, height = size
    scale = max(width / photo.shape[1], height / photo.shape[0])
    new = (max(width, round(photo.shape[1] * scale)), max(height, round(photo.shape[0] * scale)))
    photo = np.asarray(Image.fromarray(photo).resize(new, Image.Resampling.LANCZOS))
    top, left = (photo.shape[0] - height) // 2, (photo.shape[1] - width) // 2
    return np.ascontiguousarray(photo[top : top + height, left : left + width])


def inside(flow: np.ndarray) -> np.ndarray:
    """Where the flow lands inside the frame: the rest was outside the frame before."""
    height, width = flow.shape[:2]
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    to_x, to_y = x + flow[..., 0], y + flow[..., 1]
    return (to_x >= 0) & (to_x <= width - 1) & (to_y >= 0) & (to_y <= height - 1)


def temporal_error(frames: Iterable[np.ndarray], clip: KnownClip) -> float:
    """Median over consecutive pairs of the mean |frame - previous moved along the true motion|, 0-255 levels."""
    errors = []
    previous = None
    for index, frame in enumerate(frames):
        if previous is not None:
            motion = clip.motion(index)
            moved = warp(previous.astype(np.float32), motion.flow)
            errors.append(float(np.abs(frame.astype(np.float32) - moved)[motion.valid].mean()))
        previous = frame
    return statistics.median(errors)


def flow_error(clip: KnownClip, index: int, preset: int) -> float:
    """Mean end-point error (px) of DIS's backward flow into frame `index`, over the valid pixels."""
    estimated = optical_flow(clip.frame(index), clip.frame(index - 1), preset)
    motion = clip.motion(index)
    return float(np.linalg.norm(estimated - motion.flow, axis=-1)[motion.valid].mean())


def flow_time(first: np.ndarray, second: np.ndarray, preset: int, repeats: int = 10) -> float:
    """Median seconds for one pair's forward and backward flows, as `nst.clips.flow.carry` computes them."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        optical_flow(first, second, preset)
        optical_flow(second, first, preset)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def encoder_floor(clip: KnownClip, suffix: str = ".mp4") -> tuple[float, float]:
    """After a round trip through `nst.io` (MP4, GIF or WebP): the clip's temporal error, and its frames' error.

    The first is what encoding alone adds to steadiness (the floor a restyled
    clip is measured against); the second, how far decoded frames are from
    the frames given, shows that the first is small for a good reason.
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"floor{suffix}"
        write_clip(clip.frames(), path, FPS)
        steadiness = temporal_error(open_clip(path).frames(), clip)
        differences = [float(np.abs(decoded.astype(np.float32) - made).mean())
                       for decoded, made in zip(open_clip(path).frames(), clip.frames(), strict=True)]
        return steadiness, statistics.median(differences)


def load(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photo", type=Path, default=EXAMPLES / "content_chelsea.jpg")
    parser.add_argument("--painting", type=Path, default=EXAMPLES / "style_mosaic.jpg",
                        help="a painted texture for the encoder's noise floor")
    arguments = parser.parse_args()
    photo, painting = load(arguments.photo), load(arguments.painting)
    clips = [Pan(photo), Zoom(photo), MovingObject(photo)]

    print(f"DIS flow on {SIZE[0]}x{SIZE[1]} pairs (forward + backward), {arguments.photo.name}")
    print("| preset | ms a pair | pan error px | zoom error px | object error px | object pixels kept |")
    print("|---|---|---|---|---|---|")
    for name, preset in PRESETS.items():
        seconds = flow_time(clips[0].frame(0), clips[0].frame(1), preset)
        errors = [statistics.median(flow_error(clip, index, preset) for index in (1, COUNT // 2, COUNT - 1))
                  for clip in clips]
        obj = clips[2]
        forward = optical_flow(obj.frame(1), obj.frame(2), preset)
        backward = optical_flow(obj.frame(2), obj.frame(1), preset)
        kept = reliability(forward, backward).mean()
        print(f"| {name} | {seconds * 1000:.1f} | " + " | ".join(f"{e:.2f}" for e in errors) + f" | {kept:.1%} |")

    print("\nTemporal error of the source clips against their true motion (0-255 levels, median over pairs)")
    for clip in clips:
        print(f"  {clip.name}: {temporal_error(clip.frames(), clip):.2f}")
    print(f"\nEncoders' noise floor (nst.video round trip), painted texture {arguments.painting.name}")
    print("| clip | format | source's temporal error | after the round trip | decoded against given frames |")
    print("|---|---|---|---|---|")
    still, pan, zoom = Pan(painting, step=(0, 0)), Pan(painting), Zoom(painting)
    for name, clip, suffix in [("still", still, ".mp4"), ("pan", pan, ".mp4"), ("zoom", zoom, ".mp4"),
                               ("pan", pan, ".gif"), ("pan", pan, ".webp")]:
        steadiness, difference = encoder_floor(clip, suffix)
        source = temporal_error(clip.frames(), clip)
        print(f"| {name} | {suffix[1:]} | {source:.2f} | {steadiness:.2f} | {difference:.2f} |")

if __name__ == "__main__":
    main()
