"""nst.clips.clip: a clip restyled steadily through the real VGG-19, streamed, stopped early, and from the CLI."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import weakref
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst import Settings, read_recipe, settings_from_recipe, stylize
from nst.clips.clip import stylize_clip
from nst.io.clip_reader import Clip, open_clip, read_recipe_tag
from nst.io.clip_writer import ClipWriter
from nst.plan.cost import plan_work
from nst.plan.schedule import later_frame_plan, plan_stages

from ..factories import make_clip, make_painting, make_pan, numbered_frame

ROOT = Path(__file__).resolve().parents[2]
STEP = 4
# Small, but enough steps that a picture restyled on its own lands in its own texture.
TINY = Settings(size=96, steps=12, later_steps=3, multiscale=False)


def pan_error(frames: list[np.ndarray]) -> float:
    """Mean |frame - the one before moved back by the pan| over the overlap, 0-255 levels."""
    pairs = zip(frames, frames[1:], strict=False)
    return float(np.mean([np.abs(b[:, :-STEP].astype(np.float32) - a[:, STEP:]).mean() for a, b in pairs]))


@pytest.mark.slow
def test_a_pan_restyled_as_a_clip_is_steadier_than_each_frame_restyled_on_its_own(tmp_path):
    path = make_pan(tmp_path / "pan.mp4", count=5, step=STEP)
    painting = make_painting()
    records = list(stylize_clip(path, painting, TINY))
    ours = [record.image for record in records if record.run.done]
    alone = []
    for frame in open_clip(path).frames():
        *_, last = stylize(Image.fromarray(frame), painting, TINY)
        alone.append(last.image)
    assert [r.frame for r in records if r.run.done] == [0, 1, 2, 3, 4]
    assert records[-1].done and records[-1].stop_reason == "finished" and not any(r.done for r in records[:-1])
    assert all("temporal" in r.run.losses for r in records if r.frame > 0)
    assert pan_error(ours) < 0.5 * pan_error(alone), (pan_error(ours), pan_error(alone))


def test_frames_stream_through_and_are_not_kept(tmp_path, monkeypatch):
    decoded: list[weakref.ref] = []
    frames = Clip.frames

    def noted(clip: Clip):
        for frame in frames(clip):
            decoded.append(weakref.ref(frame))
            yield frame

    monkeypatch.setattr(Clip, "frames", noted)
    alive = []
    settings = Settings(size=64, steps=2, later_steps=1)
    with ClipWriter(tmp_path / "out.gif", 12) as writer:
        for record in stylize_clip(make_pan(tmp_path / "pan.mp4", count=8), make_painting(), settings, writer=writer):
            alive.append(sum(ref() is not None for ref in decoded))
            assert record.frames_written == record.frame + record.run.done
    assert len(decoded) == 8
    with Image.open(tmp_path / "out.gif") as gif:
        assert gif.n_frames == 8
    # The frame being made and the next, read ahead: never the clip.
    assert max(alive) <= 2


def test_closing_the_generator_leaves_a_playable_clip_of_the_frames_made(tmp_path):
    writer = ClipWriter(tmp_path / "out.mp4", 12)
    settings = Settings(size=64, steps=2, later_steps=1)
    records = stylize_clip(make_pan(tmp_path / "pan.mp4", count=6), make_painting(), settings, writer=writer)
    for record in records:
        if record.frames_written == 2:
            break
    records.close()
    writer.close()
    clip = open_clip(tmp_path / "out.mp4")
    assert clip.frame_count == 2 and len(list(clip.frames())) == 2


def test_a_later_frame_costs_at_most_a_third_of_a_default_run():
    settings = Settings(size=480)
    plan = plan_stages(settings, (480, 320))
    later = later_frame_plan(settings, plan)
    assert {stage.size for stage in later} == {(480, 320)}
    assert sum(stage.steps for stage in later) == settings.later_steps
    assert plan_work(later) <= plan_work(plan) / 3


def nst(*args: object, timeout: float = 300) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "nst", *map(str, args)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


TINY_OPTIONS = ("--size", "64", "--steps", "2", "--later-steps", "1", "-q")


def test_the_command_line_keeps_the_sound_and_writes_the_recipe_twice(tmp_path, painting_path):
    source = make_clip(tmp_path / "in.mp4", 4, audio="aac")
    out = tmp_path / "out.mp4"
    result = nst(source, painting_path, "-o", out, *TINY_OPTIONS, "--temporal-weight", "5e5")
    assert result.returncode == 0, result.stderr
    clip = open_clip(out)
    assert (clip.frame_count, clip.fps, clip.audio_codec) == (4, 12, "aac")
    assert read_recipe_tag(out) is not None
    assert settings_from_recipe(read_recipe(out)).temporal_weight == 5e5
    assert read_recipe(tmp_path / "out.png") == read_recipe(out)  # the first frame's PNG beside it


def test_the_command_line_writes_a_gif(tmp_path, painting_path):
    result = nst(make_clip(tmp_path / "in.webm", 3, codec="libvpx-vp9"), painting_path, "-o", tmp_path / "out.gif",
                 *TINY_OPTIONS)
    assert result.returncode == 0, result.stderr
    # GIF keeps delays in hundredths of a second: 12 fps is written as 8 and 9, so count the pictures themselves.
    with Image.open(tmp_path / "out.gif") as gif:
        assert gif.n_frames == 3


def animated_gif(path: Path, count: int = 3) -> Path:
    """An animated GIF of `numbered_frame`s, 64x48, as a visitor's phone might send for a photo."""
    frames = [Image.fromarray(numbered_frame(index)) for index in range(count)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return path


def test_an_animated_gif_with_a_picture_output_makes_a_picture_of_its_first_frame(tmp_path, painting_path):
    """As the page does: the animation's first frame is the photo (the regression of 2026-12-07)."""
    result = nst(animated_gif(tmp_path / "in.gif"), painting_path, "-o", tmp_path / "out.png", *TINY_OPTIONS)
    assert result.returncode == 0, result.stderr
    with Image.open(tmp_path / "out.png") as picture:
        assert picture.size == (64, 48) and not getattr(picture, "is_animated", False)
    assert read_recipe(tmp_path / "out.png")["settings"]["size"] == 64


def test_an_animated_gif_with_a_clip_output_is_restyled_as_a_clip(tmp_path, painting_path):
    result = nst(animated_gif(tmp_path / "in.gif", 3), painting_path, "-o", tmp_path / "out.mp4", *TINY_OPTIONS)
    assert result.returncode == 0, result.stderr
    assert open_clip(tmp_path / "out.mp4").frame_count == 3


def test_a_video_with_a_picture_output_says_how_to_write_a_clip(tmp_path, painting_path):
    result = nst(make_clip(tmp_path / "in.mp4", 2), painting_path, "-o", tmp_path / "out.png", *TINY_OPTIONS)
    assert result.returncode == 1
    assert "is a video" in result.stderr and "OUT.mp4" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_clip_keeps_its_own_size_without_size_and_is_never_enlarged(tmp_path, painting_path):
    """A 64x48 clip comes out 64x48, not at the pictures' 512 px default; --size still chooses."""
    source = make_clip(tmp_path / "in.mp4", 2)
    options = ("--steps", "2", "--later-steps", "1", "-q")
    assert nst(source, painting_path, "-o", tmp_path / "own.mp4", *options).returncode == 0
    own = open_clip(tmp_path / "own.mp4")
    assert (own.width, own.height) == (64, 48)
    assert nst(source, painting_path, "-o", tmp_path / "set.mp4", *options, "--size", "96").returncode == 0
    assert open_clip(tmp_path / "set.mp4").width == 96


@pytest.mark.parametrize(
    ("make", "output", "message"),
    [
        (lambda path: path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8), "out.mp4",
         "not a video we can read"),
        (lambda path: path.write_bytes(b""), "out.mp4", "empty"),
        (lambda path: make_clip(path, 2), "out.avi", ".mp4, .gif or .webp"),
    ],
)
def test_bad_clips_and_outputs_are_messages(tmp_path, painting_path, make, output, message):
    make(tmp_path / "in.mp4")
    result = nst(tmp_path / "in.mp4", painting_path, "-o", tmp_path / output, *TINY_OPTIONS)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr


def test_ctrl_c_keeps_the_frames_made_as_a_playable_clip(tmp_path, painting_path):
    out = tmp_path / "out.mp4"
    run = subprocess.Popen(
        [sys.executable, "-m", "nst", str(make_clip(tmp_path / "in.mp4", 60, audio="aac")), str(painting_path),
         "-o", str(out), *TINY_OPTIONS],
        cwd=ROOT, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "out.png").exists() and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        run.send_signal(signal.SIGINT)
        code = run.wait(timeout=60)
    finally:
        run.kill()
    stderr = run.stderr.read()
    assert code == 130, stderr
    assert "Interrupted" in stderr
    clip = open_clip(out)
    assert 1 <= clip.frame_count < 60 and clip.audio_codec == "aac"
    assert len(list(clip.frames())) == clip.frame_count



def test_later_frames_hold_the_palette_harder(tmp_path):
    """`later_hold` scales a later frame's palette term; the first frame's run is untouched by it."""
    path = make_pan(tmp_path / "pan.mp4", count=2, step=STEP)
    painting = make_painting()

    def palette_terms(later_hold: float) -> tuple[float, float]:
        records = list(stylize_clip(path, painting, TINY.replace(later_hold=later_hold, yield_every=1)))
        first = next(r for r in records if r.frame == 0 and r.run.done)
        # A later frame's first record is the loss at its start, which both runs share.
        later = next(r for r in records if r.frame == 1 and "palette" in r.run.losses)
        return first.run.losses["palette"], later.run.losses["palette"]

    first_once, later_once = palette_terms(1.0)
    first_ten, later_ten = palette_terms(10.0)
    assert first_ten == first_once
    assert later_ten == pytest.approx(10 * later_once, rel=1e-3)
