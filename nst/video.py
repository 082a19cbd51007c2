"""Video files in and out: a clip read as a stream of upright RGB frames, and written one frame at a time.

Decoding and encoding go through PyAV, which bundles FFmpeg in its wheels, so
no system ffmpeg is needed anywhere pip works. One exception: FFmpeg cannot
decode animated WebP, so those are read with Pillow (which already reads the
project's pictures), one frame at a time.

Frames never all sit in memory. `open_clip` reads the header and decodes the
first frame only (so a damaged file, an empty clip or a clip over the limits is
refused before any work starts); `Clip.frames()` is a generator that decodes
as it is consumed. `ClipWriter` encodes each frame as it is given, and a
writer closed early (the page's Stop) leaves a playable file of the frames so
far.

Frame rate: the restyled clip is written at a constant rate, so frames are
placed by their timestamps rather than counted. The rate chosen is FFmpeg's
"real base frame rate" of the stream (the finest rate on which all its
timestamps fall: 30 for a phone clip that drops frames at 30 fps), capped at
`MAX_FPS`. Each frame goes to the output slot nearest its timestamp; a stall in
a variable-rate clip holds the last frame over the empty slots, and frames that
fall into one slot keep only the last. A constant-rate clip comes out frame for
frame. Audio times are untouched, so the sound stays in step.
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

from .errors import NSTError, SettingsError
from .images import MIN_SIDE

# 4K UHD: the largest frames phones record. The library's default; the page passes its own, far smaller, limits.
MAX_PIXELS = 3840 * 2160
MAX_SECONDS = 600.0
# Displays show at most 60 frames a second; a 240 fps slow-motion clip would cost four times the work to no effect.
MAX_FPS = 60
# MP4's audio codecs that every browser plays: these are copied packet for packet, anything else becomes AAC.
COPY_AUDIO = {"aac", "mp3"}
RECIPE_TAG = "nst-recipe"
OUTPUT_FORMATS = {".mp4": "mp4", ".gif": "gif", ".webp": "webp"}
# x264's constant quality: 18 is visually lossless, which painted textures (all edges) need.
H264_OPTIONS = {"crf": "18", "preset": "medium"}
# Animated WebP codes each frame on its own, so its losses differ from frame to frame and read as flicker: on a
# painted pan, 4.2 levels of temporal error at quality 80, 2.8 at 90 (for 45% more bytes), 0 lossless (6x the bytes).
WEBP_OPTIONS = {"quality": "90"}
# Mean difference (0-255 levels) between a frame and its undithered palette picture above which the GIF's
# palette is remade: a palette made for the frame itself stays within about 3 on photos and paintings.
GIF_PALETTE_FIT = 6.0


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


class ClipWriter:
    """Frames in, one at a time; a playable file (MP4, GIF or WebP, by the path's suffix) when closed.

    MP4 is H.264 in yuv420p with BT.709 colour, its index at the front
    (`+faststart`) so a browser starts playing before the download ends, and
    the recipe in a metadata tag. Frames with an odd side lose their last row
    or column, as 4:2:0 colour needs even sides: cropping keeps every pixel
    shown a painted one. `audio_from` copies the source clip's sound (as
    packets when MP4 allows its codec, as AAC otherwise), cut to the length
    of the frames written: closing early keeps sound and picture together.
    GIF keeps one palette while the frames' colours fit it (see
    `palette_indices`). Nothing is written until the first frame, and closing
    without any leaves no file.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        fps: Fraction | float,
        *,
        audio_from: Clip | None = None,
        recipe: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.kind = OUTPUT_FORMATS.get(self.path.suffix.lower())
        if self.kind is None:
            suffix = self.path.suffix or "no extension"
            raise SettingsError(f"Clips are written as .mp4, .gif or .webp, not {suffix!r}.")
        self.fps = Fraction(fps).limit_denominator(1001)
        self.audio_from = audio_from if self.kind == "mp4" else None
        self.recipe = recipe
        self.frames_written = 0
        self.shape: tuple[int, ...] | None = None
        self.size: tuple[int, int] | None = None
        self.container: av.container.OutputContainer | None = None
        self.stream: av.video.stream.VideoStream | None = None
        self.palette: Image.Image | None = None
        self.audio: AudioCarrier | None = None
        self.closed = False

    def __enter__(self) -> ClipWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def write(self, frame: np.ndarray) -> None:
        """Encode one (H, W, 3) uint8 RGB frame; every frame must have the first one's size."""
        if self.closed:
            raise ValueError("This clip is closed.")
        if self.container is None:
            self.start(frame.shape[1], frame.shape[0])
        if frame.shape != self.shape or frame.dtype != np.uint8:
            raise ValueError(
                f"Frames must be uint8 RGB of the first one's shape {self.shape}, got {frame.dtype} {frame.shape}."
            )
        width, height = self.size
        video = self.to_video_frame(np.ascontiguousarray(frame[:height, :width]))
        video.pts = self.frames_written
        for packet in self.stream.encode(video):
            self.container.mux(packet)
        self.frames_written += 1
        if self.audio is not None:
            self.audio.carry_until(self.frames_written / self.fps)

    def start(self, width: int, height: int) -> None:
        """Open the file and its streams, now that the first frame gives the size."""
        self.shape = (height, width, 3)
        if self.kind == "mp4":
            width, height = width - width % 2, height - height % 2
        options = {"movflags": "+faststart+use_metadata_tags"} if self.kind == "mp4" else {"loop": "0"}
        self.container = av.open(str(self.path), "w", format=self.kind, options=options)
        if self.recipe is not None and self.kind == "mp4":
            self.container.metadata[RECIPE_TAG] = self.recipe
        codec, pix_fmt, codec_options = {
            "mp4": ("libx264", "yuv420p", H264_OPTIONS),
            "gif": ("gif", "pal8", {}),
            "webp": ("libwebp_anim", "yuv420p", WEBP_OPTIONS),
        }[self.kind]
        self.stream = self.container.add_stream(codec, rate=self.fps, options=codec_options)
        self.stream.width, self.stream.height, self.stream.pix_fmt = width, height, pix_fmt
        if self.kind == "mp4":
            # Tagged, so that browsers convert back with the matrix the pixels were made with.
            context = self.stream.codec_context
            context.colorspace, context.color_primaries, context.color_trc = 1, 1, 1  # BT.709, by FFmpeg's numbers
            context.color_range = 1  # limited ("MPEG") range, what players expect of H.264
        if self.audio_from is not None and self.audio_from.audio_codec is not None:
            self.audio = AudioCarrier(self.audio_from.path, self.container)
        self.size = (width, height)

    def to_video_frame(self, rgb: np.ndarray) -> av.VideoFrame:
        """The encoder's picture for one frame: BT.709 4:2:0, or the GIF's fixed palette."""
        if self.kind == "gif":
            indices = self.palette_indices(Image.fromarray(rgb))
            colours = np.zeros((256, 4), np.uint8)
            rgb_palette = np.asarray(indices.getpalette(), np.uint8).reshape(-1, 3)[:256]
            colours[: len(rgb_palette), 1:], colours[:, 0] = rgb_palette, 255  # PyAV takes ARGB
            return av.VideoFrame.from_ndarray((np.asarray(indices), colours), format="pal8")
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        if self.kind == "mp4":
            return frame.reformat(format="yuv420p", dst_colorspace="itu709", dst_color_range=1)
        return frame

    def palette_indices(self, image: Image.Image) -> Image.Image:
        """`image` in the GIF's palette, which is remade only when the frame's colours no longer fit it.

        A palette per frame would make flat colours flicker from frame to
        frame; one palette for the whole clip would paint a scene change in
        the first scene's colours. Keeping the palette while it fits does neither.
        """
        if self.palette is not None:
            indices = image.quantize(palette=self.palette, dither=Image.Dither.NONE)
            error = np.abs(np.asarray(indices.convert("RGB"), np.int16) - np.asarray(image, np.int16)).mean()
            if error <= GIF_PALETTE_FIT:
                return image.quantize(palette=self.palette)
        self.palette = image.quantize(256, method=Image.Quantize.MEDIANCUT)
        return image.quantize(palette=self.palette)

    def close(self) -> None:
        """Finish the file: flush the encoder, add the rest of the sound, write the index. Safe to call twice."""
        if self.closed:
            return
        self.closed = True
        if self.container is None:
            return
        try:
            for packet in self.stream.encode():
                self.container.mux(packet)
            if self.audio is not None:
                self.audio.carry_until(self.frames_written / self.fps)
        finally:
            if self.audio is not None:
                self.audio.close()
            self.container.close()


def write_clip(
    frames: Iterable[np.ndarray],
    path: str | os.PathLike,
    fps: Fraction | float,
    *,
    audio_from: Clip | None = None,
    recipe: str | None = None,
) -> Path:
    """Encode all of `frames` (any iterable, consumed as it goes) into `path`; see `ClipWriter`."""
    with ClipWriter(path, fps, audio_from=audio_from, recipe=recipe) as writer:
        for frame in frames:
            writer.write(frame)
    return writer.path


class AudioCarrier:
    """The source clip's first sound track, moved into the output as the video reaches each moment.

    Interleaving as the frames come keeps no more than a frame's worth of
    sound waiting, and stopping early leaves the sound as long as the picture.
    """

    def __init__(self, source: Path, output: av.container.OutputContainer) -> None:
        self.input = av.open(str(source), metadata_errors="ignore")
        self.source = self.input.streams.audio[0]
        video = self.input.streams.video[0]
        # The output's first frame is the source's first video frame: sound keeps its offset from it.
        self.offset = Fraction(video.start_time or 0) * video.time_base
        self.copy = self.source.codec_context.name in COPY_AUDIO
        if self.copy:
            self.stream = output.add_stream_from_template(self.source)
        else:
            rate = self.source.codec_context.sample_rate or 48000
            self.stream = output.add_stream("aac", rate=rate, layout="stereo")
            self.resampler = av.AudioResampler(format="fltp", layout="stereo", rate=rate)
        self.output = output
        self.packets = self.input.demux(self.source)
        self.waiting: av.Packet | None = None
        self.samples_out = 0

    def carry_until(self, end: Fraction) -> None:
        """Move every packet that starts before `end` seconds of video."""
        while True:
            packet = self.waiting or next(self.packets, None)
            self.waiting = None
            if packet is None:
                return
            if packet.pts is None:
                continue
            start = Fraction(packet.pts) * self.source.time_base - self.offset
            if start >= end:
                self.waiting = packet
                return
            if start + Fraction(packet.duration or 0) * self.source.time_base < 0:
                # Sound that ends before the first frame. One that ends exactly there is AAC's priming
                # (stored at negative times), which the decoder needs to start cleanly.
                continue
            if self.copy:
                self.copy_packet(packet)
            else:
                self.transcode(packet)

    def copy_packet(self, packet: av.Packet) -> None:
        """Mux `packet` unchanged but for its times, which move with the video's start."""
        shift = round(self.offset / self.source.time_base)
        packet.pts -= shift
        if packet.dts is not None:
            packet.dts -= shift
        packet.stream = self.stream
        self.output.mux(packet)

    def transcode(self, packet: av.Packet) -> None:
        """Decode `packet`'s sound and encode it as AAC, for codecs MP4 players cannot take as they are."""
        for frame in packet.decode():
            for resampled in self.resampler.resample(frame):
                resampled.pts = self.samples_out
                self.samples_out += resampled.samples
                for out in self.stream.encode(resampled):
                    self.output.mux(out)

    def close(self) -> None:
        """Flush the AAC encoder (when transcoding) and let go of the source."""
        if not self.copy:
            for out in self.stream.encode(None):
                self.output.mux(out)
        self.input.close()


def read_recipe_tag(path: str | os.PathLike) -> str | None:
    """The recipe text an MP4 written by `ClipWriter` carries, or None when it has none."""
    with open_container(Path(path)) as container:
        return container.metadata.get(RECIPE_TAG)
