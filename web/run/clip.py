"""A clip's run: restyled frame by frame (`nst.clips.clip`), written as an MP4; what Stop and the history keep.

The page's caps (`web.limits`: seconds, the output's long side, the frames'
pixels) are set by the hardware; a clip is checked against them as it arrives
(`web.form.uploads`). The run streams its current frame about once a second,
as a picture's run does (`web.run.stream`), and every finished frame goes
straight into the MP4 (`nst.io.clip_writer.ClipWriter`, H.264 with the source's sound
and the recipe in a tag). Stop ends the run at its next update
(`web.run.stops`); the writer is closed as the run's generator closes, so the
frames made so far are a playable clip.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import gradio as gr
from PIL import Image

import nst
from nst.clips.clip import ClipProgress, stylize_clip
from nst.io.clip_reader import Clip, open_clip
from nst.io.clip_writer import ClipWriter
from nst.recipe import save_png

from ..costs.time_left import TimeLeft
from ..form.history import History
from ..page_update import UNCHANGED, PageUpdate, Unchanged
from ..refusals import refusal, refused_text
from ..status import status_clip_done, status_clip_running, status_clip_stopped
from .record import RunRecord
from .stream import stream_updates
from .zerogpu import gpu

VIDEO_NAME = "stylized.mp4"


def clip_update(record: RunRecord, status: str, video: str | None = None) -> PageUpdate:
    """One streamed update of a clip's run: its newest frame, status and the current frame's losses; the MP4 when
    it has ended."""
    image = str(record.frames[-1]) if record.frames else None
    shown = PageUpdate(result=image, status=status, losses=record.chart(), record=record)
    if video is None:
        return shown
    return shown.replace(comparison=None, png=None, animation=None, video=video)


@gpu
def compute_clip(
    clip: Clip,
    style_images: list[Image.Image],
    settings: nst.Settings,
    record: RunRecord,
    mask: Image.Image | None = None,
    mask_styles: list[Image.Image] | None = None,
) -> Iterator[PageUpdate]:
    """Restyle `clip` into the record's MP4, showing the current frame about once a second and the clip at the end.

    Streams as a picture's run does (`web.run.stream.stream_updates`). Closing
    this generator (Stop, a closed tab) closes the writer: the frames made so
    far are a playable clip.
    """
    started = time.monotonic()
    record.clip_frames = clip.frame_count
    recipe = json.dumps(record.recipe, separators=(",", ":"))
    writer = ClipWriter(record.video, clip.fps, audio_from=clip, recipe=recipe)
    time_left = TimeLeft()

    def note(progress: ClipProgress) -> None:
        record.frames_written, record.clip_frames = progress.frames_written, progress.frames
        record.add_clip_step(progress.frame, progress.run)

    def show(progress: ClipProgress) -> PageUpdate:
        record.add_frame(progress.run)
        elapsed = time.monotonic() - started
        if progress.done:
            writer.close()
            record.finished = True
            return clip_update(record, status_clip_done(progress, clip, elapsed), str(record.video))
        return clip_update(record, status_clip_running(progress, time_left(progress.seconds_left, elapsed)))

    try:
        run = stylize_clip(clip, style_images, settings, writer=writer, mask=mask, mask_styles=mask_styles)
        yield from stream_updates(run, record, note=note, show=show)
    except nst.RunFailedError as error:
        writer.close()
        video = str(record.video) if record.video.is_file() else None
        gr.Warning(str(error), duration=20, title="The run stopped early")
        record.finished = True
        yield clip_update(record, f"**Stopped early** after {writer.frames_written} frames: {error}", video)
    except nst.NSTError as error:
        yield PageUpdate(
            result=None, status=refused_text("Cannot run", error), comparison=None, png=None, animation=None,
            video=None, record=record,
        )
        raise refusal(error, "Cannot run") from error
    finally:
        writer.close()
        record.frames_written = writer.frames_written


def stop_clip(record: RunRecord) -> PageUpdate:
    """What Stop hands over of a clip's run: its status, its newest frame and the frames made so far as a clip."""
    video = str(record.video) if record.video is not None and record.video.is_file() else None
    status = status_clip_stopped(record.frames_written, record.clip_frames)
    stopped = PageUpdate(status=status, comparison=None, png=None, animation=None, video=video)
    return stopped.replace(result=str(record.frames[-1])) if record.frames else stopped


def remember_clip(record: RunRecord, history: History) -> list[tuple[str, str]] | Unchanged:
    """Put a finished clip's run in the history (once), its first frame (with the recipe) standing for it,
    captioned as a clip of so many frames; the history as the gallery shows it."""
    if record.in_history or record.video is None or not record.video.is_file():
        return UNCHANGED
    record.in_history = True
    poster = record.folder / "first-frame.png"
    save_png(open_clip(record.video).first_picture(), poster, record.recipe)
    caption = f"Clip of {record.frames_written} frames · {record.caption}"
    history.add(poster, record.form, caption, record.pictures, record.brushed)
    return history.gallery()
