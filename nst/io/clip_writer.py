"""Video files out: a restyled clip written one frame at a time, with the source's sound.

Encoding goes through PyAV, which bundles FFmpeg in its wheels. `ClipWriter`
encodes each frame as it is given, and a writer closed early (the page's
Stop) leaves a playable file of the frames so far. The clip is written at the
constant rate its frames were read at (`clip_reader`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from ..errors import SettingsError
from .clip_reader import RECIPE_TAG, Clip

# MP4's audio codecs that every browser plays: these are copied packet for packet, anything else becomes AAC.
COPY_AUDIO = {"aac", "mp3"}
OUTPUT_FORMATS = {".mp4": "mp4", ".gif": "gif", ".webp": "webp"}
# x264's constant quality: 18 is visually lossless, which painted textures (all edges) need.
H264_OPTIONS = {"crf": "18", "preset": "medium"}
# Animated WebP codes each frame on its own, so its losses differ from frame to frame and read as flicker: on a
# painted pan, 4.2 levels of temporal error at quality 80, 2.8 at 90 (for 45% more bytes), 0 lossless (6x the bytes).
WEBP_OPTIONS = {"quality": "90"}
# Mean difference (0-255 levels) between a frame and its undithered palette picture above which the GIF's
# palette is remade: a palette made for the frame itself stays within about 3 on photos and paintings.
GIF_PALETTE_FIT = 6.0


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
