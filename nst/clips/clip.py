"""Video clips restyled steadily from frame to frame (Ruder, Dosovitskiy and Brox, GCPR 2016).

Each frame restyled on its own flickers: the optimisation lands in a
different texture every time. Here the first frame is an ordinary run; each
later frame starts from the previous result carried along the motion of the
source frames (`nst.clips.flow.carry`), and a temporal term (`nst.core.temporal`) holds
it to that carried picture where the motion is reliable. Where it is not
(what the previous frame did not show), the frame starts from its own
repainted photo, so nothing is smeared in from elsewhere. Starting from a
painting already, a later frame takes only the output size's stages,
`Settings.later_steps` steps at `Settings.later_rate` of the learning rate
(`nst.plan.schedule.later_frame_plan`).

What does not change is made once: the network, the paintings' Gram targets
(cached by `nst.core.targets`), the mask, and the palette, fitted on the first
frame: a palette refitted to each frame would shift the colours, one more
flicker. Later frames hold that palette harder (`Settings.later_hold`): with
only a few steps each, what the motion uncovers would otherwise stay
under-painted, and the clip's colours would drift from the painting's frame
after frame.

Frames stream: the decoder gives one at a time, the previous source frame
and result are the only ones kept, and each finished frame goes to the
caller's `ClipWriter` at once. Closing the generator (Stop, Ctrl-C) leaves
that writer with every frame made so far; the caller closes it, a playable clip.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from ..colour import color
from ..core.canvas import Canvas
from ..core.clock import Clock, Records
from ..core.temporal import Temporal
from ..errors import SettingsError
from ..io.clip_reader import Clip, open_clip
from ..io.clip_writer import ClipWriter
from ..io.images import ImageSource, as_image, as_list, to_array
from ..plan.cost import plan_work
from ..plan.progress import Progress
from ..plan.schedule import later_frame_plan
from ..settings import Settings
from ..stylize import Parts, descend, prepare
from . import flow

__all__ = ["ClipProgress", "stylize_clip"]


@dataclass(frozen=True, eq=False)
class ClipProgress:
    """One report over a clip: which frame, the frame's own run record (its picture as it forms), time left.

    `run.done` marks a frame's last record, written to the clip before it is
    yielded; `done` marks the clip's last record, with `stop_reason`
    "finished" or "deadline" (`Settings.deadline` counts for the whole clip).
    """

    frame: int  # 0-based index of the frame being made
    frames: int  # the clip's expected frame count (see `Clip.frame_count`)
    run: Progress
    seconds_left: float  # for the rest of the clip
    frames_written: int
    done: bool = False
    stop_reason: str = ""

    @property
    def image(self) -> np.ndarray:
        """The current frame's picture so far, (H, W, 3) uint8."""
        return self.run.image


@dataclass(frozen=True)
class Previous:
    """What the next frame needs of this one, at the output size: its source frame and its result."""

    frame: np.ndarray
    result: np.ndarray


def stylize_clip(
    clip: str | os.PathLike | Clip,
    styles: ImageSource | Sequence[ImageSource],
    settings: Settings | None = None,
    *,
    writer: ClipWriter | None = None,
    mask: ImageSource | None = None,
    mask_styles: ImageSource | Sequence[ImageSource] | None = None,
) -> Iterator[ClipProgress]:
    """Restyle every frame of `clip` (a path or an opened `Clip`), yielding `ClipProgress` as it goes.

    Every setting applies to every frame, as `stylize` applies it to a
    picture (masks too: the mask covers each frame). Finished frames are
    written to `writer` when one is given; open it with the clip's `fps` and
    `audio_from=clip` to keep the rate and the sound.
    """
    started = time.perf_counter()
    settings = settings or Settings()
    clip = clip if isinstance(clip, Clip) else open_clip(clip)
    paintings = [as_image(style) for style in as_list(styles)]
    if not paintings:
        raise SettingsError("At least one style image is needed.")
    others = [as_image(style) for style in as_list(mask_styles)] if mask_styles is not None else []
    frames = clip.frames()
    first: Parts | None = None
    previous: Previous | None = None
    written, later_frames, later_seconds = 0, 0, 0.0
    try:
        frame, index = next(frames, None), 0
        while frame is not None:
            frame_started = time.perf_counter()
            deadline = None if settings.deadline is None else max(1e-3, settings.deadline - (frame_started - started))
            photo = Image.fromarray(frame)
            if first is None:
                first = prepare(settings.replace(deadline=deadline), photo, paintings, mask, others)
                parts, start = first, None
            else:
                parts, start = next_frame(first, photo, previous, deadline)
            clock = Clock(parts.settings, parts.plan, frame_started)
            records = Records(clock, parts.network.compute)
            later_work = plan_work(later_frame_plan(settings, first.plan))
            end = ""
            try:
                for run in descend(parts, clock, records, start):
                    if run.done:
                        if writer is not None:
                            writer.write(run.image)
                        written += 1
                        frame = next(frames, None)  # read ahead, so that the last frame's record says so
                        end = clip_end(run, frame is None, settings.deadline, time.perf_counter() - started)
                    # Later frames at the mean time they have taken, or the cost model's estimate until one has.
                    per_frame = later_seconds / later_frames if later_frames else clock.rate * later_work
                    left = run.seconds_left + max(0, clip.frame_count - index - 1) * per_frame
                    yield ClipProgress(
                        frame=index,
                        frames=max(clip.frame_count, index + 1),
                        run=run,
                        seconds_left=0.0 if end else left,
                        frames_written=written,
                        done=bool(end),
                        stop_reason=end,
                    )
            finally:
                records.settle()
            if index > 0:
                later_frames, later_seconds = later_frames + 1, later_seconds + time.perf_counter() - frame_started
            if end:
                break
            previous = Previous(at_size(photo, first.canvas.output_size), run.image)
            index += 1
    finally:
        frames.close()
        if first is not None and first.network.device.type == "cuda":
            torch.cuda.empty_cache()


def clip_end(run: Progress, no_more_frames: bool, deadline: float | None, elapsed: float) -> str:
    """Why the clip ends after a frame's run: "deadline", "finished", or "" while it goes on."""
    if run.stop_reason == "deadline" or (deadline is not None and elapsed > deadline):
        return "deadline"
    return "finished" if no_more_frames else ""


def next_frame(
    first: Parts, photo: Image.Image, previous: Previous, deadline: float | None
) -> tuple[Parts, Image.Image]:
    """A later frame's parts and start: the first frame's network, paintings, mask and palette, this frame's photo.

    The start is the previous result carried along the source's motion where
    the flow is reliable, the frame's own repainted photo elsewhere; the
    temporal term holds the carried picture where reliable.
    """
    s = first.settings
    settings = s.replace(init="image", deadline=deadline, learning_rate=s.lr * s.later_rate)
    size = first.canvas.output_size
    device = first.network.device
    canvas = Canvas(settings, photo, size, first.canvas.palette.held_harder(s.later_hold), device)
    _, repainted = canvas.photo_and_start(size)
    warped, reliable = flow.carry(previous.frame, at_size(photo, size), previous.result.astype(np.float32) / 255)
    carried = torch.from_numpy(warped).permute(2, 0, 1)[None].to(device)
    weights = torch.from_numpy(reliable)[None, None].to(device)
    if canvas.only_luminance:
        carried = color.luminance(carried)
    start = Image.fromarray(to_array(torch.lerp(repainted, carried, weights)))
    temporal = Temporal(settings.temporal_weight, carried, weights)
    plan = later_frame_plan(settings, first.plan)
    return dataclasses.replace(first, settings=settings, plan=plan, canvas=canvas, temporal=temporal), start


def at_size(photo: Image.Image, size: tuple[int, int]) -> np.ndarray:
    """The source frame at the output size, where the flow is computed: the motion the result must follow."""
    resized = photo if photo.size == size else photo.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return np.asarray(resized)
