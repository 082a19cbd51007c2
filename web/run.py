"""The Stylize and Stop handlers: one run of the library's generator as a stream of page updates.

`stylize` checks the request and decodes the uploads where the server is
(no GPU time is spent on a bad upload); `compute` is the run itself, the part
that holds a GPU on ZeroGPU (see `web.zerogpu`), and it takes and yields only
plain data: settings, images, file paths, the run's record.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Iterator
from typing import Any

import gradio as gr
from PIL import Image

import nst

from .active_runs import ACTIVE_RUNS
from .form import DEFAULT, blend_weights, build_settings, format_weights
from .limits import deadline
from .run_files import new_run_folder
from .run_record import RunRecord, discard_record
from .status import status_done, status_preparing, status_running, status_stopped
from .uploads import load_inputs, thumbnail
from .zerogpu import fit_to_gpu, gpu

# The library reports every step; the page shows a new image at most this often. Each
# image costs a PNG in Gradio's cache and a download in the browser, and Stop takes
# effect at the next update, so about one a second keeps both cheap and prompt.
UPDATE_SECONDS = 1.0


def update(record: RunRecord, status: str, *, finished: bool = False) -> tuple[Any, ...]:
    """One streamed update: image, status, loss plot; comparison and downloads only when finished.

    The image is the newest frame's file, which Gradio serves from where it lies.
    """
    shown = str(record.frames[-1])
    if not finished:
        return shown, status, record.plot(), gr.skip(), gr.skip(), gr.skip(), record
    record.finished = True
    png, animation = record.downloads()
    return shown, status, record.plot(), record.before_after(), png, animation, record


def stylize(
    content: dict[str, Any] | None,
    style: dict[str, Any] | None = None,
    style_2: dict[str, Any] | None = None,
    style_3: dict[str, Any] | None = None,
    style_weight: float = 1.0,
    style_2_weight: float = 1.0,
    style_3_weight: float = 1.0,
    preset: str = "vgg19",
    backbone: str = DEFAULT.backbone,
    size: float = DEFAULT.size,
    steps: float = DEFAULT.steps,
    style_strength: float = DEFAULT.style_strength,
    preserve_color: str = DEFAULT.preserve_color,
    optimizer: str = DEFAULT.optimizer,
    learning_rate: float | None = DEFAULT.learning_rate or 0,
    style_layer_weights: str = format_weights(DEFAULT.style_layer_weights),
    content_weight: float = DEFAULT.content_weight,
    tv_weight: float = DEFAULT.tv_weight,
    init: str = DEFAULT.init,
    multiscale: bool = DEFAULT.use_multiscale,
    seed: float | None = DEFAULT.seed,
    randomize_seed: bool = False,
    previous: RunRecord | None = None,
    request: gr.Request | None = None,
) -> Iterator[tuple[Any, ...]]:
    """Repaint the `content` photo in the manner of the `style` painting, streaming the result.

    Up to two more paintings (`style_2`, `style_3`) blend in, each painting's
    style weighed by its `*_weight` (only the relative weights matter).
    Yields (image, status, losses, before/after, PNG, animation) about once a
    second; the last update carries the comparison and both downloads. The
    run's files go in a folder of the visitor's session (`web.run_files`).
    """
    discard_record(previous)
    if randomize_seed:
        seed = random.randrange(2**31)
    paintings = (style, style_2, style_3)
    try:
        settings = build_settings(
            preset, backbone, size, steps, style_strength, preserve_color, optimizer, learning_rate,
            style_layer_weights, content_weight, tv_weight, init, multiscale, seed,
            style_blend=blend_weights(paintings, (style_weight, style_2_weight, style_3_weight)), deadline=deadline(),
        )
        content_image, style_images = load_inputs(content, paintings)
    except nst.NSTError as error:
        raise gr.Error(str(error), title="Cannot start") from error
    settings = fit_to_gpu(settings, styles=len(style_images))
    folder = new_run_folder(request.session_hash if request else None)
    record = RunRecord.start(folder, thumbnail(content_image, settings.size), settings.seed)
    yield None, status_preparing(settings.backbone), record.plot(), None, None, None, record
    with ACTIVE_RUNS.track():
        yield from compute(content_image, style_images, settings, record)


@gpu
def compute(
    content_image: Image.Image, style_images: list[Image.Image], settings: nst.Settings, record: RunRecord
) -> Iterator[tuple[Any, ...]]:
    """Run the library's generator, showing a frame about once a second and the result at the end.

    Stops by itself when the visitor's session has ended (its tab closed and
    its files are gone): there is nobody left to show anything to.
    """
    with contextlib.closing(nst.stylize(content_image, style_images, settings)) as run:
        shown_at = 0.0
        try:
            for progress in run:
                record.add(progress)
                if not progress.done and time.monotonic() - shown_at < UPDATE_SECONDS:
                    continue
                if not record.open:
                    return
                shown_at = time.monotonic()
                record.add_frame(progress)
                if progress.done:
                    yield update(record, status_done(progress, record.seed), finished=True)
                else:
                    yield update(record, status_running(progress))
        except nst.RunFailedError as error:
            record.keep_image(error.last_image, settings.steps)
            if record.last is None:
                raise gr.Error(str(error), title="The run failed") from error
            gr.Warning(str(error), duration=20, title="The run stopped early")
            yield update(record, f"**Stopped early**: {error}", finished=True)
        except nst.NSTError as error:
            raise gr.Error(str(error), title="Cannot run") from error


def stop(record: RunRecord | None) -> tuple[Any, ...]:
    """After Stop: say where the run got to and hand over what it reached."""
    if record is None or record.finished:
        return gr.skip(), gr.skip(), gr.skip(), gr.skip()
    files = record.downloads()
    if files is None:
        return "**Stopped** before the first image.", gr.skip(), gr.skip(), gr.skip()
    return status_stopped(record.last), record.before_after(), *files
