"""A clip instead of a photo: checked at upload, restyled frame by frame (`nst.clip`), written as an MP4.

The page's caps (`web.limits`: seconds, the output's long side, the frames'
pixels) are set by the hardware. The run streams its current frame about once
a second, as a picture's run does (`web.stream`), and every finished frame goes straight
into the MP4 (`nst.video.ClipWriter`, H.264 with the source's sound and the
recipe in a tag). Stop ends the run at its next update (`web.stops`); the
writer is closed as the run's generator closes, so the frames made so far
are a playable clip.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import gradio as gr
from PIL import Image

import nst
from nst.clip import ClipProgress, stylize_clip
from nst.video import Clip, ClipWriter, open_clip

from . import limits
from .estimate import estimate_clip_seconds, estimate_settings, pace_basis
from .page_update import PageUpdate
from .refusals import log_refusal, refusal, refused_text
from .run_record import RunRecord
from .status import duration, status_clip_done, status_clip_running, status_clip_stopped
from .stream import stream_updates
from .time_left import TimeLeft
from .uploads import upload_path
from .zerogpu import gpu

VIDEO_NAME = "stylized.mp4"


def caps_text() -> str:
    """The clip caps as the page shows them beside the clip input."""
    return (
        f"Clips up to **{limits.clip_seconds():g} s**, restyled at most **{limits.clip_side()} px** on the long side "
        f"(the output size, when smaller); frames up to {limits.clip_pixels() / 1_000_000:.1f} megapixels."
    )


def clip_caps(payload: dict[str, Any] | None, backbone: str, size: float, steps: float, multiscale: bool) -> str:
    """The caps beside the clip input and, once a clip is in, about how long it takes here at the chosen size.

    Worded as the picture's estimate (`web.estimate.estimate_text`) and from
    the same learned pace; a clip the page refuses gets no estimate (the
    status says why, see `check_clip_upload`).
    """
    settings = estimate_settings(backbone, size, steps, multiscale)
    try:
        clip = open_upload(payload)
    except nst.NSTError:
        clip = None
    if clip is None or settings is None:
        return caps_text()
    settings = settings.replace(size=clip_size(settings.size))
    seconds = estimate_clip_seconds(settings, clip)
    text = (
        f"{caps_text()}\n\nAbout {duration(seconds)} for this clip ({clip.frame_count} frames at {settings.size} px), "
        f"{pace_basis(backbone)}."
    )
    limit = limits.deadline()
    if seconds > limit:
        text += f" Runs stop after {duration(limit)} here, keeping the frames made."
    return text


def open_upload(payload: dict[str, Any] | None) -> Clip | None:
    """The uploaded clip checked against the page's caps (`nst.ClipInputError` says why not); None if none."""
    path = upload_path(payload)
    if path is None:
        return None
    return open_clip(path, max_pixels=limits.clip_pixels(), max_seconds=limits.clip_seconds())


def check_clip_upload(payload: dict[str, Any] | None) -> PageUpdate:
    """A clip as it arrives: refused at once if the run could not use it, as `web.uploads.check_upload` does.

    A refused clip leaves its slot, and the results of an earlier run go; a good one changes nothing.
    """
    try:
        open_upload(payload)
    except nst.NSTError as error:
        title = "Cannot use this clip"
        log_refusal(title, error)
        return PageUpdate(
            clip=None, status=refused_text(title, error), result=None, comparison=None, png=None, animation=None,
            video=None,
        )
    return PageUpdate()


def clip_size(size: int) -> int:
    """A clip's output long side: the size asked for, within the page's clip cap."""
    return min(int(size), limits.clip_side())


def stop_clip(record: RunRecord) -> PageUpdate:
    """What Stop hands over of a clip's run: its status, its newest frame and the frames made so far as a clip."""
    video = str(record.video) if record.video is not None and record.video.is_file() else None
    status = status_clip_stopped(record.frames_written, record.clip_frames)
    stopped = PageUpdate(status=status, comparison=None, png=None, animation=None, video=video)
    return stopped.replace(result=str(record.frames[-1])) if record.frames else stopped


def clip_update(record: RunRecord, status: str, video: str | None = None) -> PageUpdate:
    """One streamed update of a clip's run: its newest frame and status; the MP4 when it has ended."""
    image = str(record.frames[-1]) if record.frames else None
    if video is None:
        return PageUpdate(result=image, status=status, record=record)
    return PageUpdate(
        result=image, status=status, comparison=None, png=None, animation=None, video=video, record=record
    )


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

    Streams as a picture's run does (`web.stream.stream_updates`). Closing
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

    def show(progress: ClipProgress) -> PageUpdate:
        record.last = progress.run
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

