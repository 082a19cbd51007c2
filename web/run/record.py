"""What one run has produced so far: its latest image, frames for the animation, losses, downloads.

Images are kept as files in the run's own folder (see `web.run_files`), not in
memory: each shown frame is written once and served from there, the animation
is assembled from those files at the end, and the record itself keeps small
fields and the latest `nst.Progress`, which holds only its picture once the
run has ended (0.5 MB at 512 px). That matters twice over: a session's record lives in Gradio's
session state for up to an hour after its tab closes, and on ZeroGPU the
record crosses a process boundary (pickled) with every update.
"""

from __future__ import annotations

import dataclasses
import math
import shutil
import threading
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

import nst
from nst.io.animation import save_animation
from nst.recipe import save_png

from ..look.display import display_array, for_display, larger_than_shown
from ..page_update import UNCHANGED, Unchanged

# The animation keeps at most this many frames (evenly thinned), so a run's files stay bounded.
MAX_FRAMES = 60
# Frames this recent are never deleted by thinning: the page may not have fetched them yet.
RECENT_FRAMES = 3
LOSS_COLORS = {"total": "#6d28d9", "content": "#0ea5e9", "style": "#db2777", "palette": "#10b981", "tv": "#f59e0b"}
LOSS_LABEL = "Losses (log scale)"
# A term this far below the total is rounding, not a loss (a masked run's palette term starts at about 1e-10):
# drawn, it would stretch the chart's log axis by ten decades and flatten every curve.
NEGLIGIBLE = 1e-6


@dataclasses.dataclass
class RunRecord:
    """What one run has produced so far, kept in the session.

    Stop ends the generator, so whatever it reached must be retrievable
    without it: the stop handler turns this record into the downloads. The
    record also knows what made the run: the recipe every PNG it writes
    carries, and the page's settings, caption and given files (`pictures`,
    by slot, and whether it was `brushed`) its history entry gets.
    """

    folder: Path
    seed: int | None
    recipe: dict[str, Any]
    form: dict[str, Any] = dataclasses.field(default_factory=dict)
    caption: str = ""
    pictures: dict[str, str | None] = dataclasses.field(default_factory=dict)
    brushed: bool = False
    last: nst.Progress | None = None
    frames: list[Path] = dataclasses.field(default_factory=list)
    framed_step: int = -1
    loss_rows: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    finished: bool = False
    saved: tuple[int, str, str] | None = None
    in_history: bool = False
    # A clip's run (web/run/clip.py): where its MP4 goes, and how far it has got.
    video: Path | None = None
    frames_written: int = 0
    clip_frames: int = 0
    losses_frame: int = -1
    shown_count: int = 0
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    @classmethod
    def start(cls, folder: Path, content: Image.Image, seed: int | None, recipe: dict[str, Any],
              form: dict[str, Any] | None = None, caption: str = "", pictures: dict[str, str | None] | None = None,
              brushed: bool = False) -> RunRecord:
        """A record for a new run in `folder`, keeping the photo (already reduced to the output size) as a file."""
        content.save(folder / "photo.png")
        return cls(folder=folder, seed=seed, recipe=recipe, form=form or {}, caption=caption,
                   pictures=pictures or {}, brushed=brushed)

    def __getstate__(self) -> dict[str, Any]:
        """Everything but the lock, which cannot be pickled (ZeroGPU pickles the record at every update)."""
        state = self.__dict__.copy()
        del state["lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, lock=threading.Lock())

    @property
    def open(self) -> bool:
        """Whether the run's folder is still there; it goes when the session's tab closes."""
        return self.folder.is_dir()

    def add(self, progress: nst.Progress) -> None:
        """Remember the latest step and its losses (on a log scale, where all terms fit one chart).

        Every term gets a row at every step, empty where its loss is zero or
        negligible beside the total: the chart takes its colours from the
        terms in the first rows it sees.
        """
        self.last = progress
        total = progress.losses.get("total", 0.0)
        floor = NEGLIGIBLE * total if math.isfinite(total) else 0.0
        for term in LOSS_COLORS:
            value = progress.losses.get(term, 0.0)
            shown = math.log10(value) if value > max(floor, 0.0) and math.isfinite(value) else None
            self.loss_rows.append({"step": progress.step, "term": term, "loss": shown})

    def add_clip_step(self, frame: int, progress: nst.Progress) -> None:
        """A step of a clip's `frame` (0-based): the chart shows the current frame's losses, each frame from its
        first step (every frame's steps count from 1)."""
        if frame != self.losses_frame:
            self.loss_rows.clear()
            self.losses_frame = frame
        self.add(progress)

    def add_frame(self, progress: nst.Progress) -> Path:
        """Write a shown image as the run's newest frame; its file, which the page shows.

        Past MAX_FRAMES, every other older frame is deleted (never the most
        recent few, which the page may still be fetching).
        """
        # Numbered as shown: a clip's frames each count their steps from 1.
        self.shown_count += 1
        path = self.folder / f"frame-{self.shown_count:05d}.png"
        for_display(progress.to_pil()).save(path)
        self.frames.append(path)
        self.framed_step = progress.step
        if len(self.frames) > MAX_FRAMES:
            older, recent = self.frames[:-RECENT_FRAMES], self.frames[-RECENT_FRAMES:]
            for dropped in older[1::2]:
                dropped.unlink(missing_ok=True)
            self.frames[:] = [*older[::2], *recent]
        return path

    def keep_image(self, image: np.ndarray | None, total_steps: int) -> None:
        """Make `image` (an RGB array) the result, as when a failed run hands back its last good one.

        A run that fails at its first step has reported nothing yet; its last
        good image is the one it started from, kept as step 0.
        """
        if image is None:
            return
        if self.last is None:
            self.last = nst.Progress.of_picture(image, total_steps)
        else:
            self.last = dataclasses.replace(self.last, picture=image)
        self.add_frame(self.last)

    def before_after(self) -> tuple[str, str]:
        """The photo and the latest result at the same (display) size, as files, for the comparison slider."""
        before = self.folder / "before.png"
        shown = self.shown()
        with Image.open(self.folder / "photo.png") as photo, Image.open(shown) as result:
            photo.resize(result.size, Image.Resampling.LANCZOS).save(before)
        return str(before), shown

    def shown(self) -> str:
        """The result as the page shows it: the PNG itself, or a copy at display size when it is larger."""
        png = Path(self.downloads()[0])
        with Image.open(png) as image:
            if not larger_than_shown(image.size):
                return str(png)
            shown = self.folder / "shown.png"
            if not shown.exists() or shown.stat().st_mtime < png.stat().st_mtime:
                for_display(image.convert("RGB")).save(shown)
        return str(shown)

    def plot(self) -> pd.DataFrame | None:
        """The losses so far; None until there are some (an empty table leaves Gradio's chart blank)."""
        return pd.DataFrame(self.loss_rows) if self.loss_rows else None

    def chart(self) -> dict[str, Any] | Unchanged:
        """The loss chart's update: the losses so far, labelled with whose they are (a clip's current frame's).

        Left as it is until there are losses: emptied, Gradio's chart throws
        in the browser at its next resize (6.31).
        """
        if not self.loss_rows:
            return UNCHANGED
        label = LOSS_LABEL if self.video is None else f"Losses of frame {self.losses_frame + 1} (log scale)"
        return gr.update(value=self.plot(), label=label)

    def downloads(self) -> tuple[str, str] | None:
        """Write the full-quality PNG (with its recipe) and the progress animation; None before the first image."""
        with self.lock:
            if self.last is None:
                return None
            if self.saved is None or self.saved[0] != self.last.step:
                png = self.folder / "stylized.png"
                animation = self.folder / "stylized-progress.webp"
                save_png(self.last.to_pil(), png, self.recipe)
                frames = [Image.open(path) for path in self.frames]
                newest = [] if self.framed_step == self.last.step else [for_display(self.last.to_pil())]
                try:
                    save_animation([*frames, *newest], animation)
                finally:
                    for frame in frames:
                        frame.close()
                self.saved = (self.last.step, str(png), str(animation))
                # The full-size picture is on disk now; the session keeps it at display size only.
                self.last = dataclasses.replace(self.last, picture=display_array(self.last.image))
            return self.saved[1], self.saved[2]

    def discard(self) -> None:
        """Delete the run's folder and forget what it held: the page has moved on to another run."""
        with self.lock:
            self.frames.clear()
            self.last = None
            self.finished = False
            self.saved = None
            shutil.rmtree(self.folder, ignore_errors=True)


def discard_record(record: RunRecord | None) -> None:
    """Let a record go: when its session starts a new run, and when Gradio expires the session's state."""
    if record is not None:
        record.discard()
