"""A picture's run: the library's generator as a stream of page updates, and what Stop and the history keep of it.

`compute` is the part that holds a GPU on ZeroGPU (see `web.run.zerogpu`): it
takes and yields only plain data (settings, images, file paths, the run's
record), so that it can run in ZeroGPU's worker process.
"""

from __future__ import annotations

from collections.abc import Iterator

import gradio as gr
from PIL import Image

import nst

from ..costs.time_left import TimeLeft
from ..form.history import History
from ..page_update import PageUpdate
from ..refusals import refusal, refused_text
from ..status import status_done, status_running, status_stopped, steps_done
from .record import RunRecord
from .stream import stream_updates
from .zerogpu import gpu


def picture_update(record: RunRecord, status: str, *, finished: bool = False) -> PageUpdate:
    """One streamed update: image, status, loss plot; comparison and downloads only when finished (and the clip
    result, which a picture's run leaves as it is).

    The image is the newest frame's file, which Gradio serves from where it
    lies; the finished update shows the result PNG itself, so that the
    result's own download button hands out the picture with its recipe too,
    or, for a picture larger than the page shows, a copy at display size
    beside the full-size PNG in the downloads.
    """
    if not finished:
        return PageUpdate(result=str(record.frames[-1]), status=status, losses=record.chart(), record=record)
    record.finished = True
    png, animation = record.downloads()
    return PageUpdate(
        result=record.shown(), status=status, losses=record.chart(), comparison=record.before_after(), png=png,
        animation=animation, record=record,
    )


@gpu
def compute(
    content_image: Image.Image,
    style_images: list[Image.Image],
    settings: nst.Settings,
    record: RunRecord,
    mask: Image.Image | None = None,
    mask_styles: list[Image.Image] | None = None,
) -> Iterator[PageUpdate]:
    """Run the library's generator, showing a frame about once a second and the result at the end
    (`web.run.stream.stream_updates`)."""
    time_left = TimeLeft()

    def show(progress: nst.Progress) -> PageUpdate:
        record.add_frame(progress)
        if progress.done:
            return picture_update(record, status_done(progress, record.seed), finished=True)
        return picture_update(record, status_running(progress, time_left(progress.seconds_left, progress.elapsed)))

    run = nst.stylize(content_image, style_images, settings, mask=mask, mask_styles=mask_styles)
    try:
        yield from stream_updates(run, record, note=record.add, show=show)
    except nst.RunFailedError as error:
        record.keep_image(error.last_image, settings.steps)
        if record.last is None:
            yield PageUpdate(
                result=None, status=f"**The run failed**: {error}", comparison=None, png=None, animation=None,
                record=record,
            )
            raise gr.Error(str(error), title="The run failed") from error
        gr.Warning(str(error), duration=20, title="The run stopped early")
        yield picture_update(record, f"**Stopped early**: {error}", finished=True)
    except nst.NSTError as error:
        yield PageUpdate(
            result=None, status=refused_text("Cannot run", error), comparison=None, png=None, animation=None,
            record=record,
        )
        raise refusal(error, "Cannot run") from error


def stop_picture(record: RunRecord, history: History) -> PageUpdate:
    """What Stop hands over of a picture's run: where it got to, the image reached with its downloads, and the
    history with it."""
    files = record.downloads()
    if files is None:
        return PageUpdate(status="**Stopped** before the first image.")
    png, animation = files
    return PageUpdate(
        status=status_stopped(record.last), result=record.shown(), comparison=record.before_after(), png=png,
        animation=animation, gallery=remember(record, history),
    )


def remember(record: RunRecord, history: History) -> list[tuple[str, str]]:
    """Put the run's result in the history (once per run), captioned with the steps it did; the history as the
    gallery shows it."""
    files = record.downloads()
    if files is not None and not record.in_history:
        record.in_history = True
        caption = steps_done(record.caption, record.last.step, record.last.total_steps)
        history.add(files[0], record.form, caption, record.pictures, record.brushed)
    return history.gallery()
