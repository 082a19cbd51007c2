"""Video files in: a clip checked, described and read as a stream of upright RGB frames.

Decoding goes through PyAV, which bundles FFmpeg in its wheels, so no system
ffmpeg is needed anywhere pip works. One exception: FFmpeg cannot decode
animated WebP, so those are read with Pillow (which already reads the
project's pictures), one frame at a time.

Frames never all sit in memory. `open_clip` reads the header and decodes the
first frame only (so a damaged file, an empty clip or a clip over the limits is
refused before any work starts); `Clip.frames()` is a generator that decodes
as it is consumed.

Frame rate: a clip is read at a constant rate, so frames are placed by their
timestamps rather than counted. The rate chosen is FFmpeg's "real base frame
rate" of the stream (the finest rate on which all its timestamps fall: 30 for
a phone clip that drops frames at 30 fps), capped at `MAX_FPS`. Each frame
goes to the slot nearest its timestamp; a stall in a variable-rate clip holds
the last frame over the empty slots, and frames that fall into one slot keep
only the last. A constant-rate clip comes out frame for frame. Audio times
are untouched, so the sound stays in step.
"""

from __future__ import annotations

import math
import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error
import numpy as np
from PIL import Image

from ..errors import NSTError
from .images import MIN_SIDE

# 4K UHD: the largest frames phones record. The library's default; the page passes its own, far smaller, limits.
MAX_PIXELS = 3840 * 2160
MAX_SECONDS = 600.0
# Displays show at most 60 frames a second; a 240 fps slow-motion clip would cost four times the work to no effect.
MAX_FPS = 60
# The metadata tag in which a written MP4 carries its recipe (`clip_writer.ClipWriter`).
RECIPE_TAG = "nst-recipe"


class ClipInputError(NSTError):
    """A video file we cannot use: unreadable, damaged, empty, without a picture, or over a limit."""


@dataclass(frozen=True)
class Clip:
    """A video file checked and described; `frames()` streams its pictures.

    Sizes are those of the upright frames (a portrait phone clip stored on its
    side reports its portrait size). `frame_count` is what `frames()` is
    expected to yield: exact for constant-rate clips, the duration at `fps`
    for variable-rate ones, where the count depends on the timestamps.
    """

    path: Path
    width: int
    height: int
    fps: Fraction
    frame_count: int
    duration: float
    rotation: int
    variable_rate: bool
    audio_codec: str | None
    max_seconds: float

    def frames(self) -> Iterator[np.ndarray]:
        """The clip's frames as (H, W, 3) uint8 RGB arrays, upright, at `fps`, decoded as they are consumed."""
        timed = webp_frames(self.path) if is_webp(self.path) else ffmpeg_frames(self.path)
        # A header can understate the length; the limit holds for what is actually decoded.
        slots_allowed = math.floor(self.max_seconds * self.fps) + 1
        try:
            for count, frame in enumerate(constant_rate(timed, self.fps), start=1):
                if count > slots_allowed:
                    raise too_long(self.path, self.max_seconds)
                if frame.shape[:2] != (self.height, self.width):
                    # A stream may change size midway (VP9 allows it); the clip keeps its first size.
                    resized = Image.fromarray(frame).resize((self.width, self.height), Image.Resampling.BICUBIC)
                    frame = np.asarray(resized)
                yield frame
        finally:
            timed.close()

    def first_picture(self) -> Image.Image:
        """The first frame as `frames()` gives it: what a clip's recipe, before/after and mask go by."""
        frames = self.frames()
        try:
            return Image.fromarray(next(frames))
        finally:
            frames.close()


def open_clip(path: str | os.PathLike, *, max_pixels: int = MAX_PIXELS, max_seconds: float = MAX_SECONDS) -> Clip:
    """Check a video file and describe it, decoding only its first frame; `ClipInputError` says what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise ClipInputError(f"No such file: {path}" if not path.exists() else f"{path} is not a file.")
    if path.stat().st_size == 0:
        raise ClipInputError(f"{path.name} is empty: please choose a video file (MP4, WebM, GIF or WebP).")
    probe = probe_webp if is_webp(path) else probe_ffmpeg
    width, height, fps, duration, frame_count, audio_codec, variable_rate = probe(path)
    if width * height > max_pixels:
        raise ClipInputError(
            f"{path.name}'s frames are too large ({width}x{height}): at most {max_pixels / 1_000_000:g} megapixels "
            "a frame are accepted. Please make the clip smaller and try again."
        )
    if min(width, height) < MIN_SIDE:
        raise ClipInputError(
            f"{path.name}'s frames are too small ({width}x{height}): each side needs at least {MIN_SIDE} pixels."
        )
    if duration > max_seconds:
        raise too_long(path, max_seconds, duration)
    first = first_frame(path)
    rotation = first.rotation
    if rotation % 180:
        width, height = height, width
    return Clip(
        path=path,
        width=width,
        height=height,
        fps=fps,
        frame_count=max(1, frame_count),
        duration=duration,
        rotation=rotation,
        variable_rate=variable_rate,
        audio_codec=audio_codec,
        max_seconds=max_seconds,
    )


def too_long(path: Path, max_seconds: float, duration: float | None = None) -> ClipInputError:
    """The error for clips over the length limit."""
    length = f" ({duration:.1f} s)" if duration is not None else ""
    return ClipInputError(
        f"{path.name} is too long{length}: at most {max_seconds:g} seconds are accepted. "
        "Please trim it and try again."
    )


@dataclass(frozen=True)
class TimedFrame:
    """A decoded picture, its time in seconds from the clip's first frame, and how it must be turned upright."""

    time: Fraction
    rgb: np.ndarray
    rotation: int = 0


def open_container(path: Path) -> av.container.InputContainer:
    """FFmpeg's demuxer on `path`, its complaints turned into `ClipInputError`."""
    try:
        return av.open(str(path), metadata_errors="ignore")
    except av.error.EOFError as error:
        raise ClipInputError(f"{path.name} ends before its first frame: the clip is empty or truncated.") from error
    except av.error.FFmpegError as error:
        raise ClipInputError(
            f"{path.name} is not a video we can read ({error.strerror}). Use an MP4, WebM, GIF or WebP file."
        ) from error


def probe_ffmpeg(path: Path) -> tuple[int, int, Fraction, float, int, str | None, bool]:
    """Size, rate, duration, expected frames, audio codec and whether the rate varies, from the header alone."""
    with open_container(path) as container:
        if not container.streams.video:
            if container.streams.audio:
                raise ClipInputError(f"{path.name} has only sound: it has no video track to restyle.")
            raise ClipInputError(f"{path.name} has no frames: the clip is empty.")
        stream = container.streams.video[0]
        width, height = stream.codec_context.width, stream.codec_context.height
        guessed, average = stream.guessed_rate, stream.average_rate
        fps = Fraction(guessed) if guessed and 0 < guessed <= MAX_FPS else Fraction(average or MAX_FPS)
        fps = min(fps, Fraction(MAX_FPS))
        if stream.duration is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        else:
            duration = 0.0
        # Average and base rate agree for a constant-rate clip (both are 30000/1001 for NTSC's 29.97 fps),
        # up to the container's clock: a GIF counts in hundredths of a second, so its 12 fps frames last
        # 8 or 9 of them and average 12.5 fps. Within one tick of the clock a frame's length is constant.
        variable_rate = bool(average) and abs(float(average) - float(fps)) > 0.01 * float(fps)
        if variable_rate and stream.time_base:
            variable_rate = abs(1 / float(average) - 1 / float(fps)) > float(stream.time_base)
        frame_count = stream.frames if stream.frames and not variable_rate else round(duration * fps)
        audio = container.streams.audio[0].codec_context.name if container.streams.audio else None
    return width, height, fps, duration, frame_count, audio, variable_rate


def first_frame(path: Path) -> TimedFrame:
    """The clip's first picture: proof that it decodes, and the rotation its frames carry."""
    frames = webp_frames(path) if is_webp(path) else ffmpeg_frames(path)
    try:
        return next(frames)
    except StopIteration:
        raise ClipInputError(f"{path.name} has no frames: the clip is empty.") from None
    finally:
        frames.close()


def ffmpeg_frames(path: Path) -> Iterator[TimedFrame]:
    """Decoded frames with their times, upright, one at a time; decoding errors become `ClipInputError`."""
    with open_container(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        start = None
        decoded = 0
        try:
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                time = Fraction(frame.pts) * stream.time_base
                start = time if start is None else start
                decoded += 1
                rgb = upright(frame.to_ndarray(format="rgb24"), frame.rotation)
                yield TimedFrame(time - start, rgb, frame.rotation)
        except av.error.FFmpegError as error:
            where = f"after {decoded} frames" if decoded else "at its first frame"
            raise ClipInputError(
                f"{path.name} could not be decoded {where} ({error.strerror}). The file may be truncated or damaged."
            ) from error


def upright(rgb: np.ndarray, rotation: int) -> np.ndarray:
    """The picture as it is meant to be seen; `rotation` is counter-clockwise degrees, as FFmpeg reports it."""
    quarter_turns = round(rotation / 90) % 4
    return np.ascontiguousarray(np.rot90(rgb, quarter_turns)) if quarter_turns else rgb


def constant_rate(timed: Iterable[TimedFrame], fps: Fraction) -> Iterator[np.ndarray]:
    """Frames at a constant `fps`: each goes to the slot nearest its time, a gap holds the frame before it.

    Frames that land in the same slot keep only the last (the newest picture
    for that moment). Holds one decoded frame, so the stream stays a stream.
    """
    held: np.ndarray | None = None
    next_slot = 0
    for frame in timed:
        slot = math.floor(frame.time * fps + Fraction(1, 2))
        if held is not None and slot > next_slot:
            for _ in range(slot - next_slot):
                yield held
            next_slot = slot
        held = frame.rgb
    if held is not None:
        yield held


def is_webp(path: Path) -> bool:
    """Whether the file is a WebP by its first bytes (RIFF....WEBP), whatever its name."""
    with path.open("rb") as file:
        head = file.read(12)
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def webp_durations(path: Path) -> list[int]:
    """Each frame's display time in ms, read from the ANMF chunks without decoding; [] for a still WebP.

    Browsers show frames of 10 ms or less for 100 ms, as they do for GIFs; so does this.
    """
    durations = []
    with path.open("rb") as file:
        file.seek(12)
        while header := file.read(8):
            if len(header) < 8:
                break
            fourcc, size = header[:4], struct.unpack("<I", header[4:])[0]
            if fourcc == b"ANMF":
                payload = file.read(16)
                if len(payload) < 16:
                    break
                milliseconds = int.from_bytes(payload[12:15], "little")
                durations.append(milliseconds if milliseconds > 10 else 100)
                file.seek(size + (size & 1) - 16, os.SEEK_CUR)
            else:
                file.seek(size + (size & 1), os.SEEK_CUR)
    return durations


def open_webp(path: Path) -> Image.Image:
    """Pillow's reader on a WebP, its complaints turned into `ClipInputError`."""
    try:
        return Image.open(path, formats=["WEBP"])
    except Image.DecompressionBombError as error:
        raise ClipInputError(f"{path.name}'s frames are too large to decode safely.") from error
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise ClipInputError(f"{path.name} is a WebP file we cannot read ({error}).") from error


def probe_webp(path: Path) -> tuple[int, int, Fraction, float, int, str | None, bool]:
    """The same description as `probe_ffmpeg`, for an animated WebP (which has no sound)."""
    with open_webp(path) as image:
        width, height = image.size
        count = getattr(image, "n_frames", 1)
    durations = webp_durations(path) or [100]
    if len(durations) != count:
        raise ClipInputError(f"{path.name} is damaged: its header lists {count} frames but {len(durations)} are there.")
    duration = sum(durations) / 1000
    # WebP times are whole milliseconds, so 12 fps is stored as 83, 83 and 84 ms: within 2 ms is constant.
    variable_rate = max(durations) - min(durations) > 2
    if variable_rate:
        fps = Fraction(1000, min(durations))  # the shortest frame's rate: no frame is dropped
    else:
        fps = Fraction(len(durations) * 1000, sum(durations))
        fps = Fraction(round(fps)) if abs(fps - round(fps)) < fps / 100 else fps.limit_denominator(1001)
    fps = min(fps, Fraction(MAX_FPS))
    frame_count = count if not variable_rate else round(duration * fps)
    return width, height, fps, duration, frame_count, None, variable_rate


def webp_frames(path: Path) -> Iterator[TimedFrame]:
    """An animated WebP's frames with their times; Pillow decodes each on `seek`, holding one canvas."""
    durations = webp_durations(path) or [100]
    with open_webp(path) as image:
        time = Fraction(0)
        try:
            for index, milliseconds in enumerate(durations):
                image.seek(index)
                yield TimedFrame(time, np.asarray(image.convert("RGB")))
                time += Fraction(milliseconds, 1000)
        except (OSError, ValueError, EOFError) as error:
            raise ClipInputError(f"{path.name} could not be decoded ({error}). The file may be damaged.") from error


def read_recipe_tag(path: str | os.PathLike) -> str | None:
    """The recipe text an MP4 written by `ClipWriter` carries, or None when it has none."""
    with open_container(Path(path)) as container:
        return container.metadata.get(RECIPE_TAG)
