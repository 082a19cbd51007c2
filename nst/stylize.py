"""The optimisation loop: a generator that turns a photo into a painting.

`stylize` optimises the pixels of the output image (never the network) to
minimise content + style + total-variation loss, and yields a `Progress`
record every few steps and always at the end. Everything that shows progress
(the web page, the command line, the benchmark) consumes this one generator.

The run goes through the stages of its plan (`nst.plan.schedule`), coarse to
fine. At each stage it takes the references of its size (`nst.core.references`),
builds the stage's objective (`nst.core.objective`), starts from the picture the
canvas gives it (`nst.core.canvas`) and descends (`nst.core.descent`); the clock
(`nst.core.clock`) times it, says when to report and when the deadline has come.
Above viewing size every step keeps the picture, reduced to that size, as
the viewing-size stages made it (`nst.plan.viewing`).

Closing the generator stops the work at its next step and frees its memory.
A deadline ends the run early with the image reached so far; a loss that
stops being finite raises `RunFailedError` carrying the last good image.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from .colour.palette import Palette
from .core import guidance
from .core.canvas import Canvas
from .core.clock import Clock, Records
from .core.descent import Descent
from .core.objective import Objective, objective_for
from .core.references import References, reference_layers, references_for
from .core.temporal import Temporal
from .errors import RunFailedError, SettingsError
from .io.images import ImageSource, as_image, as_list
from .networks.network import Network, load_network
from .paintings import Paintings, with_blend
from .plan.progress import Progress
from .plan.schedule import Stage, learning_rate_at, plan_stages, reach_factor
from .plan.viewing import ViewingLock, viewing_lock
from .settings import Settings
from .tiles.budget import check_memory, tiles_for
from .tiles.tiled import TiledObjective
from .tiles.tiles import tiled_features

__all__ = ["Progress", "stylize"]


def stylize(
    content: ImageSource,
    styles: ImageSource | Sequence[ImageSource],
    settings: Settings | None = None,
    *,
    init_image: ImageSource | None = None,
    mask: ImageSource | None = None,
    mask_styles: ImageSource | Sequence[ImageSource] | None = None,
) -> Iterator[Progress]:
    """Stylise `content` with one or more `styles`, yielding `Progress` as it goes.

    The last record has `done=True` and the final image; `stop_reason` is
    "finished", or "deadline" when `settings.deadline` cut the run short.

    `mask` (any image, the photo's proportions) says where the style goes:
    white = styled, black = kept as the photo, grey = in between; with
    `mask_styles` the black region takes those paintings instead of the photo.
    An all-white mask is an ordinary run. See `nst.core.guidance`.
    """
    started = time.perf_counter()
    settings = settings or Settings()
    photo = as_image(content)
    images = [as_image(style) for style in as_list(styles)]
    if not images:
        raise SettingsError("At least one style image is needed.")
    start_image = as_image(init_image) if init_image is not None else None
    others = [as_image(style) for style in as_list(mask_styles)] if mask_styles is not None else []
    parts = prepare(settings, photo, images, mask, others)
    clock = Clock(settings, parts.plan, started)
    records = Records(clock, parts.network.compute)
    try:
        yield from descend(parts, clock, records, start_image)
    finally:
        records.settle()
        if parts.network.device.type == "cuda":
            torch.cuda.empty_cache()


@dataclass(frozen=True)
class Parts:
    """What a run is made of before its first step: the network, the plan, the paintings, the mask, the canvas.

    A video frame after the first adds its temporal term (`nst.clips.clip`).
    """

    settings: Settings
    network: Network
    plan: list[Stage]
    paintings: Paintings
    mask: Tensor | None
    canvas: Canvas
    temporal: Temporal | None = None

    def references(self, stage: Stage, previous: References | None = None) -> References:
        """What `stage` compares the picture with (`previous`, when they serve it); here the size's tiles are chosen."""
        if previous is not None and previous.serve(stage):
            return previous
        layers = reference_layers(stage, self.settings, self.network)
        tiles = tiles_for(self.settings, self.network, stage.size, [*layers.content, *layers.style], layers.content)
        features = functools.partial(tiled_features, self.network, tiles=tiles) if tiles else None
        masked = self.mask is not None
        return references_for(stage, self.settings, self.network, self.paintings, self.canvas, masked, tiles, features)

    def objective(self, stage: Stage, references: References) -> Objective | TiledObjective:
        """What `stage` minimises: evaluated whole, or tile by tile where the size's references say so."""
        objective = objective_for(stage, references, self.settings, self.network, self.mask, self.temporal)
        if references.tiles is None:
            return objective
        reuse = self.settings.tile_grams == "previous"
        return TiledObjective(objective, references.tiles, stage.size, reuse_grams=reuse)


def prepare(
    settings: Settings,
    photo: Image.Image,
    paintings: list[Image.Image],
    mask: ImageSource | None = None,
    mask_paintings: list[Image.Image] | None = None,
) -> Parts:
    """Check the inputs against each other and put the run's parts together; the palette is fitted here."""
    network = load_network(settings)
    network.extractor.check_layers([*settings.content_layers, *settings.style_layers])
    plan = plan_stages(settings, photo.size)
    check_memory(settings, network, plan[-1])
    others = mask_paintings or []
    mask_tensor = guidance.mask_for_run(mask, photo.size, plan[-1].size, bool(others))
    blended = with_blend(paintings, settings.style_blend, others)
    palette = Palette(settings, photo, blended, mask_tensor, network.device)
    canvas = Canvas(settings, photo, plan[-1].size, palette, network.device)
    return Parts(settings, network, plan, blended, mask_tensor, canvas)


def descend(parts: Parts, clock: Clock, records: Records, start_image: Image.Image | None) -> Iterator[Progress]:
    """Every stage of the plan in turn, reporting as the clock says; the last record carries the picture made."""
    settings, canvas = parts.settings, parts.canvas
    references: References | None = None
    descent: Descent | None = None
    image: Tensor | None = None
    lock: ViewingLock | None = None
    losses: dict[str, float] = {}
    try:
        for index, stage in enumerate(parts.plan):
            # What this stage compares the picture with, and what it minimises. (Of the previous
            # stage's references only the start is kept: at print size each holds gigabytes.)
            coarser_start = None if references is None else references.start
            references = parts.references(stage, references)
            objective = parts.objective(stage, references)
            # Where it starts: the run's first picture, or the previous stage's carried to this size.
            if image is None:
                image = canvas.first(references.photo, references.start, start_image)
                clock.set_up()
            else:
                # Above viewing size, the picture reduced to it stays the viewing-size run's.
                lock = lock or viewing_lock(settings, image, stage)
                image = canvas.carry(image, coarser_start, references.start, lock)
            descent = Descent(settings, image, descent, lock)
            reach = reach_factor(settings, stage.kind)
            clock.begin_stage()
            for _ in range(stage.steps):
                clock.begin_step()
                losses = descent.step(objective, learning_rate_at(settings, clock.step, clock.total_steps) * reach)
                if not math.isfinite(losses["total"]):
                    raise diverged(losses["total"], clock.step, descent, references, canvas)
                clock.end_step(stage)
                if clock.stopped_by_deadline:
                    break
                if clock.report_due():
                    snapshot = canvas.snapshot(descent.current(), references.photo, references.start)
                    yield records.make(index, snapshot, losses)
            image = descent.current()
            if clock.stopped_by_deadline:
                break
        picture = canvas.picture(image, references.photo, references.start)
        stop_reason = "deadline" if clock.stopped_by_deadline else "finished"
        yield records.make(index, picture, losses, done=True, stop_reason=stop_reason)
    except torch.OutOfMemoryError as error:
        raise out_of_memory(clock.step, descent, references, canvas) from error
    except RuntimeError as error:
        if "allocate" in str(error).lower() or "out of memory" in str(error).lower():
            raise out_of_memory(clock.step, descent, references, canvas) from error
        raise


def last_good_picture(descent: Descent | None, references: References | None, canvas: Canvas) -> np.ndarray | None:
    """The picture from before the failed step, at the output size, or None when there is none yet."""
    if descent is None or references is None or descent.last_good.shape[2:] != references.photo.shape[2:]:
        return None
    return canvas.picture(descent.last_good, references.photo, references.start)


def diverged(
    total: float, step: int, descent: Descent, references: References, canvas: Canvas
) -> RunFailedError:
    return RunFailedError(
        f"The optimisation diverged at step {step + 1} (the loss became {total}). "
        "Lower the learning rate or the loss weights and try again; the last good image is kept.",
        last_image=last_good_picture(descent, references, canvas),
    )


def out_of_memory(
    step: int, descent: Descent | None, references: References | None, canvas: Canvas
) -> RunFailedError:
    size = "" if references is None else f" at {references.size[0]}x{references.size[1]} pixels"
    return RunFailedError(
        f"Ran out of memory{size} (step {step + 1}). Choose a smaller output size or style scale.",
        last_image=last_good_picture(descent, references, canvas),
    )
