"""The Stylize and Stop handlers: one run, of a picture or a clip, as a stream of page updates.

`stylize` checks the request and decodes the uploads where the server is (no
GPU time is spent on a bad upload), then streams the run itself: a picture's
(`web.run.picture`) or a clip's (`web.run.clip`). `stop` ends it and hands over
what it reached.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
import shutil
import time
from collections.abc import Iterator
from typing import Any

import gradio as gr

import nst
from nst.presets import DEFAULT_PRESET
from nst.recipe import make_recipe

from ..costs.estimate import learn_from_clip, learn_from_run
from ..form.fields import DEFAULT, FORM_FIELDS, blend_weights, build_settings, format_weights
from ..form.history import History
from ..form.uploads import (
    load_inputs,
    load_paintings,
    load_regions,
    open_clip_upload,
    painting_names,
    thumbnail,
    upload_path,
)
from ..limits import clip_size, deadline
from ..page_update import PAINTING_SLOTS, UNCHANGED, PageUpdate
from ..refusals import refusal, refused_text
from ..run_files import new_run_folder, session_folder
from ..status import caption, status_preparing
from .active import ACTIVE_RUNS
from .clip import VIDEO_NAME, compute_clip, remember_clip, stop_clip
from .picture import compute, remember, stop_picture
from .record import RunRecord, discard_record
from .stops import PRESSES
from .zerogpu import fit_to_gpu

# Said under every status of a clip's run when a photo was given too: the run takes the clip. Where the
# photo is depends on the screen's width, so the text does not say.
PHOTO_NOT_USED = "\n\nRestyling the clip; the photo is not used."
# The files a run is given, by their slots' `PageUpdate` fields, in the order of `stylize`'s parameters.
GIVEN_SLOTS = ("photo", *PAINTING_SLOTS, "mask_painting", "clip")
# Stop answers once the run has ended, at its next update: about a second, or one step of a large
# picture on a slow CPU. Past this it answers anyway, with where the run had got to.
STOP_WAIT_SECONDS = 30.0


def refused(error: nst.NSTError, title: str, history: History) -> PageUpdate:
    """A refused run's update: the reason in the status, and no result of an earlier run left beside it.

    The loss chart keeps its curves: emptied, Gradio's chart throws in the
    browser at its next resize (6.31), and the next run replaces them.
    """
    return PageUpdate(
        result=None, status=refused_text(title, error), comparison=None, png=None, animation=None, video=None,
        record=None, history=history,
    )


def stylize(
    content: dict[str, Any] | None = None,
    style: dict[str, Any] | None = None,
    style_2: dict[str, Any] | None = None,
    style_3: dict[str, Any] | None = None,
    style_weight: float = 1.0,
    style_2_weight: float = 1.0,
    style_3_weight: float = 1.0,
    preset: str = DEFAULT_PRESET,
    backbone: str = DEFAULT.backbone,
    size: float = DEFAULT.size,
    steps: float = DEFAULT.steps,
    style_strength: float = DEFAULT.style_strength,
    style_scale: float = DEFAULT.style_scale,
    preserve_color: str = DEFAULT.preserve_color,
    optimizer: str = DEFAULT.optimizer,
    learning_rate: float | None = DEFAULT.learning_rate or 0,
    style_layer_weights: str = format_weights(DEFAULT.style_layer_weights),
    content_weight: float = DEFAULT.content_weight,
    tv_weight: float = DEFAULT.tv_weight,
    init: str = DEFAULT.init,
    multiscale: bool = DEFAULT.multiscale is not False,
    seed: float | None = DEFAULT.seed,
    randomize_seed: bool = False,
    mask: dict[str, Any] | None = None,
    mask_style: dict[str, Any] | None = None,
    clip: dict[str, Any] | None = None,
    previous: RunRecord | None = None,
    history: History | None = None,
    request: gr.Request | None = None,
) -> Iterator[PageUpdate]:
    """Repaint the `content` photo in the manner of the `style` painting, streaming the result.

    Up to two more paintings (`style_2`, `style_3`) blend in, each painting's
    style weighed by its `*_weight` (only the relative weights matter). The
    `style_scale` is the page's brush size: larger paints bolder strokes. A
    `mask` (white = painted, black = kept) limits the painting to part of the
    photo; `mask_style` then paints the black part instead of keeping it.
    A `clip` (a short video) is restyled instead of the photo, frame by
    frame, at most the page's clip size (`web.run.clip`).
    Yields (image, status, losses, before/after, PNG, animation, history,
    clip) about once a second; the last update of a picture's run carries
    the comparison, both downloads and this session's results so far, newest
    first; a clip's, the restyled clip (MP4, with its sound) and the results
    with the clip among them (its first frame). Given a photo too, a clip's
    run says under its status that the photo is not used. The run's
    files, and the history's, go in a folder of the visitor's session
    (`web.run_files`).
    """
    arguments = locals()  # the settings widgets' values, for the history entry
    form = {name: arguments[name] for name in FORM_FIELDS}
    session = request.session_hash if request else None
    asked_at = PRESSES.start(session)
    if PRESSES.stopped(session, asked_at):
        return  # stopped while it waited in the queue
    started = time.monotonic()
    # Stop waits for this block to end (web/run/stops.py). The previous run's files go only then: the page
    # may still be fetching them, and a Stop pressed just before this run writes its downloads there.
    with PRESSES.running(session), contextlib.ExitStack() as later:
        later.callback(discard_record, previous)
        history = history or History(session_folder(session) / "history")
        if randomize_seed:
            seed = random.randrange(2**31)
        paintings = (style, style_2, style_3)
        try:
            settings = build_settings(
                preset, backbone, size, steps, style_strength, style_scale, preserve_color, optimizer, learning_rate,
                style_layer_weights, content_weight, tv_weight, init, multiscale, seed,
                style_blend=blend_weights(paintings, (style_weight, style_2_weight, style_3_weight)),
                deadline=deadline(),
            )
            source = open_clip_upload(clip)
            if source is None:
                content_image, style_images = load_inputs(content, paintings)
            else:
                settings = settings.replace(size=clip_size(settings.size))
                content_image, style_images = source.first_picture(), load_paintings(paintings)
            mask_image, second_paintings = load_regions(mask, mask_style)
            settings = fit_to_gpu(settings, styles=len(style_images), masked=mask_image is not None, clip=source)
        except nst.NSTError as error:
            yield refused(error, "Cannot start", history)
            raise refusal(error, "Cannot start") from error
        record = RunRecord.start(
            new_run_folder(session), thumbnail(content_image, settings.size), settings.seed,
            recipe=make_recipe(
                settings, content_image, style_images, mask=mask_image, mask_paintings=second_paintings or None
            ),
            form={**form, "seed": settings.seed, "randomize_seed": False},
            caption=caption(settings, painting_names(paintings)),
            pictures=dict(zip(GIVEN_SLOTS, map(upload_path, (content, *paintings, mask_style, clip)), strict=True)),
            brushed=mask_image is not None,
        )
        note = PHOTO_NOT_USED if source is not None and upload_path(content) is not None else ""
        # The loss chart is left as it is until this run's first losses (see `refused`).
        preparing = status_preparing(settings.backbone) + note
        yield PageUpdate(
            result=None, status=preparing, comparison=None, png=None, animation=None, video=None, record=record,
            history=history,
        )
        if source is None:
            run = compute(content_image, style_images, settings, record, mask_image, second_paintings)
        else:
            record.video = record.folder / VIDEO_NAME
            # The run reads the clip and its sound from a copy of its own: Gradio keeps an upload under its
            # content's hash and its hourly sweep removes files by age, so a clip sent again an hour after the
            # same one could vanish while the run still reads it (seen in a long test session).
            own = record.folder / f"source{source.path.suffix}"
            shutil.copyfile(source.path, own)
            source = dataclasses.replace(source, path=own)
            run = compute_clip(source, style_images, settings, record, mask_image, second_paintings)
        with ACTIVE_RUNS.track(), contextlib.closing(run):
            # On ZeroGPU `compute` runs in another process: the record it yields is a copy, and the newest one.
            for shown in run:
                if PRESSES.stopped(session, asked_at):
                    return  # the Stop handler has handed over what the run reached
                newest = shown.record
                if newest.video is not None:
                    # A clip's run goes in the history once its MP4 is written, and its pace is a clip's.
                    ended = isinstance(shown.video, str)
                    if ended and newest.finished and 0 < newest.clip_frames == newest.frames_written:
                        every_frame = dataclasses.replace(source, frame_count=newest.frames_written)
                        learn_from_clip(settings, every_frame, time.monotonic() - started)
                    gallery = remember_clip(newest, history) if ended else UNCHANGED
                    if note and isinstance(shown.status, str):
                        shown = shown.replace(status=shown.status + note)
                    yield shown.replace(gallery=gallery, history=history)
                    continue
                if newest.finished and newest.last.stop_reason == "finished":
                    learn_from_run(settings, content_image.size, time.monotonic() - started)
                gallery = remember(newest, history) if newest.finished else UNCHANGED
                yield shown.replace(gallery=gallery, history=history)


def stop(record: RunRecord | None, history: History | None, request: gr.Request | None = None) -> PageUpdate:
    """Stop: end the session's run (at its next update, see `web.run.stops`), say where it got to, hand over what it
    reached and keep it in the history.

    A clip's run hands over the frames made so far as a playable clip.
    """
    PRESSES.stop(request.session_hash if request else None, wait=STOP_WAIT_SECONDS)
    if record is None or record.finished or history is None:
        return PageUpdate()
    return stop_clip(record) if record.video is not None else stop_picture(record, history)
