"""What one run has produced so far: its latest image, frames for the animation, losses, downloads."""

from __future__ import annotations

import dataclasses
import math
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

import nst
from nst.animation import save_animation

# The animation keeps at most this many frames (evenly thinned), so memory stays bounded.
MAX_FRAMES = 60
LOSS_COLORS = {"total": "#6d28d9", "content": "#0ea5e9", "style": "#db2777", "tv": "#f59e0b"}


@dataclasses.dataclass
class RunRecord:
    """What one run has produced so far, kept in the session.

    Stop ends the generator, so whatever it reached must be retrievable
    without it: the stop handler turns this record into the downloads.
    """

    content: Image.Image
    seed: int | None
    last: nst.Progress | None = None
    frames: list[Image.Image] = dataclasses.field(default_factory=list)
    framed_step: int = -1
    loss_rows: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    finished: bool = False
    folder: Path | None = None
    saved: tuple[int, str, str] | None = None
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def add(self, progress: nst.Progress) -> None:
        """Remember the latest step and its losses (on a log scale, where all terms fit one chart).

        Every term gets a row at every step, empty where its loss is zero: the
        chart takes its colours from the terms in the first rows it sees.
        """
        self.last = progress
        for term in LOSS_COLORS:
            value = progress.losses.get(term, 0.0)
            shown = math.log10(value) if value > 0 and math.isfinite(value) else None
            self.loss_rows.append({"step": progress.step, "term": term, "loss": shown})

    def add_frame(self, progress: nst.Progress) -> None:
        """Keep a shown image for the animation, thinning old frames to stay under MAX_FRAMES."""
        self.frames.append(progress.to_pil())
        self.framed_step = progress.step
        if len(self.frames) > MAX_FRAMES:
            self.frames[:] = self.frames[::2]

    def keep_image(self, image: np.ndarray | None, total_steps: int) -> None:
        """Make `image` (an RGB array) the result, as when a failed run hands back its last good one.

        A run that fails at its first step has reported nothing yet; its last
        good image is the one it started from, kept as step 0.
        """
        if image is None:
            return
        if self.last is None:
            height, width = image.shape[:2]
            self.last = nst.Progress(
                step=0, total_steps=total_steps, scale=1, scales=1, size=(width, height), image=image, losses={},
                elapsed=0.0, setup_seconds=0.0, iterations_per_second=0.0, seconds_left=0.0, device="", precision="",
            )
        else:
            self.last = dataclasses.replace(self.last, image=image)
        self.add_frame(self.last)

    def before_after(self) -> tuple[Image.Image, np.ndarray]:
        """The photo and the latest result at the same size, for the comparison slider."""
        return self.content.resize(self.last.size, Image.Resampling.LANCZOS), self.last.image

    def plot(self) -> pd.DataFrame | None:
        """The losses so far; None until there are some (an empty table leaves Gradio's chart blank)."""
        return pd.DataFrame(self.loss_rows) if self.loss_rows else None

    def downloads(self) -> tuple[str, str] | None:
        """Write the full-quality PNG and the progress animation; None before the first image."""
        with self.lock:
            if self.last is None:
                return None
            if self.saved is None or self.saved[0] != self.last.step:
                self.folder = self.folder or Path(tempfile.mkdtemp(prefix="nst-run-"))
                png = self.folder / "stylized.png"
                animation = self.folder / "stylized-progress.webp"
                self.last.to_pil().save(png)
                newest = [] if self.framed_step == self.last.step else [self.last.to_pil()]
                save_animation([*self.frames, *newest], animation)
                self.saved = (self.last.step, str(png), str(animation))
            return self.saved[1], self.saved[2]

    def discard(self) -> None:
        """Free the frames and delete the files (Gradio has served copies of them)."""
        with self.lock:
            self.frames.clear()
            self.last = None
            self.finished = False
            self.saved = None
            if self.folder is not None:
                shutil.rmtree(self.folder, ignore_errors=True)
                self.folder = None


def discard_record(record: RunRecord | None) -> None:
    """Let a record go: when its session starts a new run, and when Gradio expires the session's state."""
    if record is not None:
        record.discard()
