"""nst.video: clips made in code with PyAV and Pillow, read back, written, and refused."""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from nst.errors import NSTError, SettingsError
from nst.io.clip_reader import ClipInputError, open_clip, read_recipe_tag
from nst.io.clip_writer import ClipWriter, write_clip

from ..factories import make_animation, make_clip, numbered_frame


def frame_numbers(frames: list[np.ndarray]) -> list[int]:
    """Which `numbered_frame` each decoded frame is, by its grey level below the red corner."""
    levels = [float(frame[16:, :, 1].mean()) for frame in frames]
    # The level of frame i is (56 * 20 i + 8 * 255) / 64 over the rows the white bar crosses.
    return [round((level * 64 - 8 * 255) / 56 / 20) for level in levels]


def close_to(decoded: np.ndarray, index: int, tolerance: float = 6.0) -> bool:
    """Whether a decoded frame matches `numbered_frame(index)` within a lossy codec's error (mean levels)."""
    expected = numbered_frame(index, decoded.shape[1], decoded.shape[0])
    return float(np.abs(decoded.astype(np.float32) - expected).mean()) < tolerance


@pytest.mark.parametrize(
    ("name", "codec"),
    # HEVC in MOV is what iPhones record by default.
    [("clip.mp4", "libx264"), ("vp9.webm", "libvpx-vp9"), ("vp8.webm", "libvpx"), ("iphone.mov", "libx265")],
)
def test_reads_mp4_webm_and_mov_frame_for_frame(tmp_path: Path, name: str, codec: str) -> None:
    clip = open_clip(make_clip(tmp_path / name, 10, codec=codec))
    assert (clip.width, clip.height, clip.fps, clip.frame_count) == (64, 48, 12, 10)
    assert clip.duration == pytest.approx(10 / 12, abs=0.01)
    assert not clip.variable_rate and clip.audio_codec is None
    frames = list(clip.frames())
    assert [frame.shape for frame in frames] == [(48, 64, 3)] * 10
    assert all(frame.dtype == np.uint8 for frame in frames)
    assert all(close_to(frame, index) for index, frame in enumerate(frames))


@pytest.mark.parametrize("name", ["anim.gif", "anim.webp"])
def test_reads_animated_gif_and_webp_with_their_timing(tmp_path: Path, name: str) -> None:
    steady = open_clip(make_animation(tmp_path / name, 6))
    assert (steady.fps, steady.frame_count, steady.variable_rate) == (10, 6, False)
    assert frame_numbers(list(steady.frames())) == [0, 1, 2, 3, 4, 5]
    # A frame shown three times as long is held over three slots of the constant output rate.
    held = open_clip(make_animation(tmp_path / f"held-{name}", 4, durations=[100, 300, 100, 100]))
    assert held.variable_rate and held.fps == 10
    assert frame_numbers(list(held.frames())) == [0, 1, 1, 1, 2, 3]


def test_variable_rate_clip_is_placed_by_timestamps(tmp_path: Path) -> None:
    # Six frames at 12 fps with a 250 ms stall after the third, as a phone drops frames.
    clip = open_clip(make_clip(tmp_path / "vfr.mp4", 6, times=[0, 1, 2, 5, 6, 7]))
    assert clip.variable_rate
    assert clip.fps == 12
    frames = list(clip.frames())
    assert frame_numbers(frames) == [0, 1, 2, 2, 2, 3, 4, 5]
    assert len(frames) == clip.frame_count


@pytest.mark.parametrize(("rotation", "quarter_turns"), [(90, 1), (-90, -1), (180, 2)])
def test_rotated_phone_clips_come_out_upright(tmp_path: Path, rotation: int, quarter_turns: int) -> None:
    clip = open_clip(make_clip(tmp_path / "phone.mp4", 3, rotation=rotation))
    assert clip.rotation % 360 == rotation % 360
    expected = np.rot90(numbered_frame(0), quarter_turns)
    assert (clip.height, clip.width) == expected.shape[:2]
    first = next(clip.frames())
    assert first.shape == expected.shape
    assert np.abs(first.astype(np.float32) - expected).mean() < 6
    # The red corner, top left when stored, is where the turn puts it.
    red = np.argwhere((first[..., 0] > 200) & (first[..., 1] < 60))
    corner = np.argwhere((expected[..., 0] == 255) & (expected[..., 1] == 0))
    assert np.abs(red.mean(axis=0) - corner.mean(axis=0)).max() < 2


@pytest.mark.parametrize("suffix", [".mp4", ".gif", ".webp"])
def test_round_trip_through_the_writer(tmp_path: Path, suffix: str) -> None:
    frames = [numbered_frame(index) for index in range(8)]
    path = write_clip(iter(frames), tmp_path / f"out{suffix}", 12)
    clip = open_clip(path)
    assert (clip.width, clip.height, clip.frame_count) == (64, 48, 8)
    assert float(clip.fps) == pytest.approx(12, rel=0.01)
    # A GIF's clock counts hundredths, so 12 fps is 8 and 9 of them in turn: still a constant rate.
    assert not clip.variable_rate
    decoded = list(clip.frames())
    assert len(decoded) == 8
    assert all(close_to(frame, index) for index, frame in enumerate(decoded))


def test_mp4_is_browser_ready(tmp_path: Path) -> None:
    path = write_clip((numbered_frame(index, 65, 49) for index in range(4)), tmp_path / "odd.mp4", 12)
    data = path.read_bytes()
    # +faststart: the index (moov) comes before the pictures (mdat), so playback starts at once.
    assert data.index(b"moov") < data.index(b"mdat")
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        # Tagged BT.709, limited range: browsers then convert back with the matrix the pixels were made with.
        frame = next(container.decode(stream))
        assert (int(frame.colorspace), int(frame.color_range)) == (1, 1)
        # 4:2:0 needs even sides: the odd row and column are cropped, not padded with made-up pixels.
        assert (stream.codec_context.width, stream.codec_context.height) == (64, 48)


def test_keeps_the_frame_rate(tmp_path: Path) -> None:
    source = open_clip(make_clip(tmp_path / "ntsc.mp4", 6, fps=Fraction(30000, 1001)))
    assert source.fps == Fraction(30000, 1001)
    copy = open_clip(write_clip(source.frames(), tmp_path / "copy.mp4", source.fps))
    assert copy.fps == Fraction(30000, 1001)
    assert copy.frame_count == 6


def audio_of(path: Path) -> tuple[str, float, np.ndarray]:
    """The first audio track's codec, its length in seconds, and its samples (first channel)."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        samples = np.concatenate([frame.to_ndarray()[0] for frame in container.decode(stream)])
        return stream.codec_context.name, samples.size / stream.codec_context.sample_rate, samples


def test_aac_sound_is_copied_packet_for_packet(tmp_path: Path) -> None:
    source = open_clip(make_clip(tmp_path / "talk.mp4", 12, audio="aac"))
    assert source.audio_codec == "aac"
    out = write_clip(source.frames(), tmp_path / "out.mp4", source.fps, audio_from=source)
    with av.open(str(source.path)) as given, av.open(str(out)) as made:
        given_packets = [bytes(p) for p in given.demux(given.streams.audio[0]) if p.size]
        made_packets = [bytes(p) for p in made.demux(made.streams.audio[0]) if p.size]
    # The same coded bytes: copied, not re-encoded (the last partial packet may be cut with the video).
    assert made_packets == given_packets[: len(made_packets)]
    assert len(made_packets) >= len(given_packets) - 1
    codec, seconds, samples = audio_of(out)
    assert codec == "aac"
    assert seconds == pytest.approx(1.0, abs=0.05)
    assert np.abs(samples).max() > 0.2  # the tone, not silence


def test_opus_sound_becomes_aac_in_mp4(tmp_path: Path) -> None:
    source = open_clip(make_clip(tmp_path / "talk.webm", 12, codec="libvpx-vp9", audio="libopus"))
    assert source.audio_codec == "opus"
    out = write_clip(source.frames(), tmp_path / "out.mp4", source.fps, audio_from=source)
    codec, seconds, samples = audio_of(out)
    assert codec == "aac"
    assert seconds == pytest.approx(1.0, abs=0.1)
    # Still the 440 Hz tone: the strongest frequency of the middle half second.
    middle = samples[samples.size // 4 : samples.size // 4 + 24000]
    assert np.argmax(np.abs(np.fft.rfft(middle))) * 48000 / middle.size == pytest.approx(440, abs=4)


def test_stopping_early_keeps_a_playable_clip_with_sound_as_long(tmp_path: Path) -> None:
    source = open_clip(make_clip(tmp_path / "long.mp4", 24, audio="aac"))
    path = tmp_path / "stopped.mp4"
    with ClipWriter(path, source.fps, audio_from=source, recipe="{}") as writer:
        for index, frame in enumerate(source.frames()):
            writer.write(frame)
            if index == 5:
                break  # Stop after six frames (half a second)
    stopped = open_clip(path)
    assert stopped.frame_count == 6
    assert all(close_to(frame, index) for index, frame in enumerate(stopped.frames()))
    _, seconds, _ = audio_of(path)
    assert 0.45 <= seconds <= 0.55 + 1024 / 48000


def test_writer_with_no_frames_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "nothing.mp4"
    with ClipWriter(path, 12):
        pass
    assert not path.exists()


def test_writer_refuses_other_formats_and_odd_frames(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"\.mp4, \.gif or \.webp"):
        ClipWriter(tmp_path / "out.avi", 12)
    with ClipWriter(tmp_path / "out.mp4", 12) as writer:
        writer.write(numbered_frame(0))
        with pytest.raises(ValueError, match="first one's shape"):
            writer.write(numbered_frame(1, 32, 48))
        with pytest.raises(ValueError, match="uint8 RGB"):
            writer.write(numbered_frame(1).astype(np.float32) / 255)


def test_recipe_tag_is_read_back(tmp_path: Path) -> None:
    recipe = '{"settings": {"steps": 300}, "note": "é ✓"}'
    path = write_clip((numbered_frame(index) for index in range(3)), tmp_path / "r.mp4", 12, recipe=recipe)
    assert read_recipe_tag(path) == recipe
    assert read_recipe_tag(make_clip(tmp_path / "plain.mp4", 2)) is None


def resident_bytes() -> int:
    """This process's resident memory now (Linux), which numpy arrays over FFmpeg's buffers count in."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_decoding_streams_with_bounded_memory(tmp_path: Path) -> None:
    # 150 frames of 320x240 are 35 MB decoded; holding them would show in the process's memory.
    clip = open_clip(make_clip(tmp_path / "many.mp4", 150, size=(320, 240), fps=25))
    start, growth, alive, frames = resident_bytes(), 0, 0, []
    for frame in clip.frames():
        frames.append(weakref.ref(frame))
        alive = max(alive, sum(ref() is not None for ref in frames))
        growth = max(growth, resident_bytes() - start)
    assert len(frames) == 150
    assert alive == 1, "frames handed out are kept alive by the reader"
    assert growth < 8_000_000, f"memory grew by {growth / 1e6:.1f} MB while streaming 35 MB of frames"


def test_encoding_streams_with_bounded_memory(tmp_path: Path) -> None:
    # The encoder holds its look-ahead (a few dozen frames, once); after that, 100 frames more cost nothing.
    marks: list[int] = []

    def frames() -> Iterator[np.ndarray]:
        for index in range(150):
            marks.append(resident_bytes())
            yield numbered_frame(index, 320, 240)

    path = write_clip(frames(), tmp_path / "many.mp4", 25)
    growth = max(marks[50:]) - marks[50]
    assert growth < 8_000_000, f"memory grew by {growth / 1e6:.1f} MB over 100 frames (23 MB of pictures)"
    assert open_clip(path).frame_count == 150


def test_frames_come_before_the_file_is_decoded(tmp_path: Path) -> None:
    clip = open_clip(make_clip(tmp_path / "many.mp4", 100))
    frames = clip.frames()
    first = next(frames)
    assert close_to(first, 0)
    # The generator is suspended after one frame; the rest is still to come.
    assert sum(1 for _ in frames) == 99


def test_clip_errors_are_user_errors() -> None:
    assert issubclass(ClipInputError, NSTError)


def test_refuses_corrupt_bytes(tmp_path: Path) -> None:
    path = tmp_path / "noise.mp4"
    path.write_bytes(np.random.default_rng(0).bytes(4000))
    with pytest.raises(ClipInputError, match="noise.mp4 is not a video we can read"):
        open_clip(path)


def test_refuses_a_truncated_file(tmp_path: Path) -> None:
    whole = make_clip(tmp_path / "whole.webm", 30, codec="libvpx-vp9", size=(128, 96)).read_bytes()
    path = tmp_path / "cut.webm"
    path.write_bytes(whole[:300])
    with pytest.raises(ClipInputError, match="cut.webm"):
        list(open_clip(path).frames())


def test_refuses_empty_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(ClipInputError, match="empty.mp4 is empty"):
        open_clip(tmp_path / "empty.mp4")
    with pytest.raises(ClipInputError, match="No such file"):
        open_clip(tmp_path / "absent.mp4")


def test_refuses_a_file_with_only_sound(tmp_path: Path) -> None:
    path = tmp_path / "song.m4a"
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=48000, layout="mono")
        for start in range(0, 48000, 1024):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 48000, start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    with pytest.raises(ClipInputError, match="song.m4a has only sound"):
        open_clip(path)


@pytest.mark.parametrize(("name", "codec"), [("none.mp4", "libx264"), ("none.webm", "libvpx-vp9")])
def test_refuses_a_clip_without_frames(tmp_path: Path, name: str, codec: str) -> None:
    path = tmp_path / name
    container = av.open(str(path), "w")
    stream = container.add_stream(codec, rate=12)
    stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
    container.start_encoding()
    container.close()
    with pytest.raises(ClipInputError, match=f"{name} (has no frames|ends before its first frame)"):
        open_clip(path)


def test_refuses_frames_over_the_size_limit(tmp_path: Path) -> None:
    path = make_clip(tmp_path / "big.mp4", 2)
    with pytest.raises(ClipInputError, match=r"too large \(64x48\): at most 0.003 megapixels"):
        open_clip(path, max_pixels=3000)
    assert open_clip(path, max_pixels=64 * 48).width == 64


def test_refuses_clips_over_the_length_limit(tmp_path: Path) -> None:
    path = make_clip(tmp_path / "long.mp4", 24)
    with pytest.raises(ClipInputError, match=r"long.mp4 is too long \(2.0 s\): at most 1.5 seconds"):
        open_clip(path, max_seconds=1.5)
    assert open_clip(path, max_seconds=2).frame_count == 24
