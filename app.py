"""Web demo: upload a photo and a painting, press one button, watch the photo repaint itself.

A Gradio Blocks page over the `nst.stylize` generator. This module only builds
the page and translates between its widgets and `nst.Settings`; the method
lives in `nst/`. Run `python app.py` and open http://127.0.0.1:7860, or
`python app.py --share` for a temporary public link. The host and port come
from GRADIO_SERVER_NAME and GRADIO_SERVER_PORT; NST_QUEUE_SIZE,
NST_CONCURRENCY and NST_DEADLINE size the queue and limit each run.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import os
import random
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

import nst
from nst.animation import save_animation
from nst.device import resolve_compute
from nst.extractors import get_extractor
from nst.presets import PRESET_TITLES
from nst.schedule import plan_scales
from nst.settings import DEFAULT_LEARNING_RATES

try:
    import spaces
except ImportError:
    spaces = None

EXAMPLES = Path(__file__).resolve().parent / "examples"
DEFAULT = nst.preset("vgg19")
ADAM_RATE, LBFGS_RATE = DEFAULT_LEARNING_RATES["adam"], DEFAULT_LEARNING_RATES["lbfgs"]

# The page's own limits: a public demo on a CPU must not accept a run that takes hours.
MIN_SIZE, MAX_SIZE = 64, 1024
MIN_STEPS, MAX_STEPS = 10, 1000
DEFAULT_DEADLINE = 180.0
DEFAULT_QUEUE_SIZE = 16
DEFAULT_CONCURRENCY = 1
# What a ZeroGPU Space reserves per run; a GPU does the largest run this page allows well within it.
GPU_SECONDS = 120

# The library reports every step; the page shows a new image at most this often. Each
# image costs a PNG in Gradio's cache and a download in the browser, and Stop takes
# effect at the next update, so about one a second keeps both cheap and prompt.
UPDATE_SECONDS = 1.0
# The animation keeps at most this many frames (evenly thinned), so memory stays bounded.
MAX_FRAMES = 60
LOSS_COLORS = {"total": "#6d28d9", "content": "#0ea5e9", "style": "#db2777", "tv": "#f59e0b"}

# Seconds per optimisation step per megapixel on a 2-core x86 CPU, by network and by the
# precision the library picks here, from BENCHMARKS.md: default runs on the square example
# photo took 51.9 s in bf16 and 113.1 s in fp32 for 10.4 megapixel-steps (per-scale set-up
# included); SqueezeNet steps cost 0.08 s at 512x341 in either precision.
SECONDS_PER_MEGAPIXEL_STEP = {
    ("vgg19", "bf16"): 5.0,
    ("vgg19", "fp32"): 10.9,
    ("squeezenet", "bf16"): 0.5,
    ("squeezenet", "fp32"): 0.5,
}
SETUP_SECONDS = 3.0
PRECISION = resolve_compute().precision

BACKBONE_NAMES = {"vgg19": "VGG-19", "squeezenet": "SqueezeNet 1.1"}
BACKBONE_CHOICES = [("VGG-19 (embedded)", "vgg19"), ("SqueezeNet 1.1 (5 MB download)", "squeezenet")]
COLOR_CHOICES = [("Off", "none"), ("Keep photo colours", "luminance"), ("Match style to photo", "histogram")]
INIT_CHOICES = [("The photo", "content"), ("Random noise", "noise")]
OPTIMIZER_CHOICES = [("Adam", "adam"), ("L-BFGS", "lbfgs")]

HEADER = """
<div id="hero">
  <h1>Neural Style Transfer</h1>
  <p>Repaint any photo in the manner of a painting. The method of Gatys et al. (2016)
  changes the photo's pixels until a VGG-19 network sees the photo's content and the
  painting's textures in it. Watch it happen, step by step.</p>
</div>
"""

CSS = """
#hero { text-align: center; margin: 0.5rem auto 0.25rem; max-width: 46rem; }
#hero h1 { font-size: 2.2rem; font-weight: 800; margin: 0 0 0.3rem;
  background: linear-gradient(90deg, #6d28d9, #db2777, #f59e0b);
  -webkit-background-clip: text; background-clip: text; color: transparent; }
#hero p { color: var(--body-text-color-subdued); margin: 0; }
#status { min-height: 2.6rem; padding: 0.5rem 0.9rem; border-radius: var(--radius-lg);
  background: var(--block-background-fill); border: 1px solid var(--block-border-color); }
#status p { margin: 0; }
#estimate { background: var(--block-background-fill); }
#estimate p { margin: 0; font-size: var(--text-sm); color: var(--body-text-color-subdued); }
#result button:has(> .image-frame), #result .image-frame { width: 100%; }
#result .image-frame img { width: 100%; height: auto; max-height: 70vh; object-fit: contain; }
.download .empty, #comparison .empty { min-height: 4rem !important; height: 4rem; }
@media (max-width: 640px) {
  #content-examples .gallery .container, #style-examples .gallery .container { width: 3.4rem; height: 3.4rem; }
}
"""

THEME = gr.themes.Soft(primary_hue="violet", secondary_hue="pink", neutral_hue="slate")


def gpu(fn: Callable) -> Callable:
    """Hold a GPU for the run on Hugging Face ZeroGPU Spaces; elsewhere change nothing."""
    if spaces is None:
        return fn
    return spaces.GPU(duration=GPU_SECONDS)(fn)


def env_number(name: str, default: float) -> float:
    """A positive number from the environment, with a message naming the variable if it is not one."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {text!r}.") from None
    if not value > 0:
        raise ValueError(f"{name} must be positive, got {text!r}.")
    return value


class ActiveRuns:
    """How many stylisations are computing in this process right now.

    A run counts from its start until its generator is finished or closed,
    which is how Stop and a closed tab end it; anyone can watch that happen.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0

    @property
    def count(self) -> int:
        """Runs computing now."""
        return self._count

    @contextlib.contextmanager
    def track(self) -> Iterator[None]:
        """Count a run for as long as the `with` block lasts."""
        with self._lock:
            self._count += 1
        try:
            yield
        finally:
            with self._lock:
                self._count -= 1


ACTIVE_RUNS = ActiveRuns()


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


def parse_weights(text: str) -> tuple[float, ...]:
    """Read "w1, w2, ..." as one weight per style layer."""
    try:
        return tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise nst.SettingsError(
            f"Style layer weights must be numbers separated by commas, such as 1000, 100, 10; got {text!r}."
        ) from None


def format_weights(weights: tuple[float, ...]) -> str:
    """Weights as the text field shows them: "200000, 50000, ..."."""
    return ", ".join(f"{weight:g}" for weight in weights)


def number(label: str, value: object) -> float:
    """A widget's number, or a message saying which field needs one."""
    try:
        return float(value)
    except (TypeError, ValueError):
        raise nst.SettingsError(f"{label} needs a number; got {value!r}.") from None


def build_settings(
    preset: str,
    backbone: str,
    size: float,
    steps: float,
    style_strength: float,
    preserve_color: str,
    optimizer: str,
    learning_rate: float | None,
    style_layer_weights: str,
    content_weight: float,
    tv_weight: float,
    init: str,
    multiscale: bool,
    seed: int | None,
    deadline: float | None = None,
) -> nst.Settings:
    """The widgets' values as Settings; the preset supplies everything the page does not show.

    The library reports every step (`yield_every=1`) and the page decides
    which to show, by time rather than by step count, so that updates arrive
    about once a second at every size and on every device.
    """
    size, steps = number("Output size", size), number("Steps", steps)
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise nst.SettingsError(f"This page makes images from {MIN_SIZE} to {MAX_SIZE} pixels; got {size:g}.")
    if not MIN_STEPS <= steps <= MAX_STEPS:
        raise nst.SettingsError(f"This page runs {MIN_STEPS} to {MAX_STEPS} steps; got {steps:g}.")
    return nst.preset(
        preset,
        backbone=backbone,
        size=round(size),
        steps=round(steps),
        style_strength=number("Style strength", style_strength),
        preserve_color=preserve_color,
        optimizer=optimizer,
        learning_rate=number("Learning rate", learning_rate) if learning_rate else None,
        style_layer_weights=parse_weights(str(style_layer_weights)),
        content_weight=number("Content weight", content_weight),
        tv_weight=number("Smoothness (TV) weight", tv_weight),
        init=init,
        multiscale=bool(multiscale),
        seed=None if seed is None else round(number("Seed", seed)),
        deadline=deadline,
        yield_every=1,
    )


def estimate_seconds(settings: nst.Settings) -> float:
    """A rough run time on a 2-core CPU, for a square photo (the most pixels at this size)."""
    scales = plan_scales(settings, (settings.size, settings.size))
    megapixel_steps = sum(scale.steps * scale.size[0] * scale.size[1] for scale in scales) / 1e6
    return SETUP_SECONDS + megapixel_steps * SECONDS_PER_MEGAPIXEL_STEP[settings.backbone, PRECISION]


def duration(seconds: float) -> str:
    """12 s, 3 min, 1 h 05 min."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds // 3600:.0f} h {seconds % 3600 / 60:02.0f} min"


def estimate_text(backbone: str, size: float, steps: float, multiscale: bool) -> str:
    """The line under the steps slider: expected time, and whether the time limit cuts it short."""
    try:
        settings = nst.Settings(backbone=backbone, size=int(size), steps=int(steps), multiscale=bool(multiscale))
    except nst.SettingsError:
        return ""
    seconds = estimate_seconds(settings)
    text = f"At most about {duration(seconds)} on a 2-core CPU; a GPU is many times faster."
    deadline = env_number("NST_DEADLINE", DEFAULT_DEADLINE)
    if seconds > deadline:
        text += f" Runs stop after {duration(deadline)} here, keeping the image reached."
    return text


def preset_values(name: str) -> tuple[Any, ...]:
    """The controls' values for preset `name`, in the order of `Controls.from_preset`."""
    s = nst.preset(name)
    layers = ", ".join(s.style_layers)
    return (
        s.backbone,
        s.size,
        s.steps,
        s.style_strength,
        s.preserve_color,
        s.optimizer,
        s.learning_rate or 0,
        gr.Textbox(value=format_weights(s.style_layer_weights), info=f"One weight per style layer: {layers}"),
        s.content_weight,
        s.tv_weight,
        s.init,
        s.use_multiscale,
        s.seed,
    )


def preset_for_backbone(backbone: str, current: str) -> str:
    """Keep the preset if it uses `backbone`, else switch to that network's first preset."""
    if nst.preset(current).backbone == backbone:
        return current
    return next(name for name in nst.PRESETS if nst.preset(name).backbone == backbone)


def check_weights(preset: str) -> None:
    """Warn at once when the preset's network cannot be loaded here, rather than at the first run."""
    backbone = nst.preset(preset).backbone
    try:
        get_extractor(backbone)
    except nst.WeightsUnavailableError as error:
        gr.Warning(str(error), duration=20, title="This network is not available here")


def upload_path(payload: dict[str, Any] | None) -> str | None:
    """Where Gradio stored an upload (the run event skips Gradio's own decoding, see `build_demo`)."""
    return payload.get("path") if payload else None


def load_inputs(content: dict[str, Any] | None, style: dict[str, Any] | None) -> tuple[Image.Image, Image.Image]:
    """Decode the two uploads with the library's careful loader."""
    content_path, style_path = upload_path(content), upload_path(style)
    if content_path is None:
        raise nst.ImageInputError("Add a photo to repaint first (upload, paste, webcam or an example).")
    if style_path is None:
        raise nst.ImageInputError("Add a style image first: upload a painting or pick an example style.")
    return nst.load_image(content_path), nst.load_image(style_path)


def thumbnail(image: Image.Image, long_side: int) -> Image.Image:
    """A copy at most `long_side` pixels long: the photo as the before/after needs it, not a 40 MP original."""
    small = image.copy()
    small.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
    return small


def status_running(p: nst.Progress) -> str:
    """Where a run is: step, scale, size, speed, time left, and what it computes on."""
    scale = f" · scale {p.scale} of {p.scales}" if p.scales > 1 else ""
    return (
        f"**Step {p.step} / {p.total_steps}**{scale} · {p.size[0]}×{p.size[1]} px · "
        f"{p.iterations_per_second:.1f} it/s · about {duration(p.seconds_left)} left · {p.device} {p.precision}"
    )


def status_done(p: nst.Progress, seed: int | None) -> str:
    """How a run ended: complete, or cut short by the time limit."""
    seed_note = f" · seed {seed}" if seed is not None else ""
    if p.stop_reason == "deadline":
        return (
            f"**Time limit reached** after {duration(p.elapsed)}, at step {p.step} / {p.total_steps}: "
            f"the image so far is kept. Choose a smaller size or fewer steps for a complete run.{seed_note}"
        )
    return (
        f"**Done** · {p.step} steps in {duration(p.elapsed)} (setup {p.setup_seconds:.1f} s) · "
        f"{p.size[0]}×{p.size[1]} px · {p.iterations_per_second:.1f} it/s · {p.device} {p.precision}{seed_note}"
    )


def status_stopped(p: nst.Progress) -> str:
    """Where a run was when the visitor pressed Stop."""
    return (
        f"**Stopped** at step {p.step} / {p.total_steps} after {duration(p.elapsed)}. "
        "The image reached so far is below and in the downloads."
    )


def update(record: RunRecord, status: str, *, finished: bool = False) -> tuple[Any, ...]:
    """One streamed update: image, status, loss plot; comparison and downloads only when finished."""
    last = record.last
    if not finished:
        return last.image, status, record.plot(), gr.skip(), gr.skip(), gr.skip(), record
    record.finished = True
    png, animation = record.downloads()
    return last.image, status, record.plot(), record.before_after(), png, animation, record


@gpu
def stylize(
    content: dict[str, Any] | None,
    style: dict[str, Any] | None,
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
) -> Iterator[tuple[Any, ...]]:
    """Repaint the `content` photo in the manner of the `style` image, streaming the result.

    Yields (image, status, losses, before/after, PNG, animation) about once a
    second; the last update carries the comparison and both downloads.
    """
    discard_record(previous)
    if randomize_seed:
        seed = random.randrange(2**31)
    try:
        settings = build_settings(
            preset, backbone, size, steps, style_strength, preserve_color, optimizer, learning_rate,
            style_layer_weights, content_weight, tv_weight, init, multiscale, seed,
            deadline=env_number("NST_DEADLINE", DEFAULT_DEADLINE),
        )
        content_image, style_image = load_inputs(content, style)
    except nst.NSTError as error:
        raise gr.Error(str(error), title="Cannot start") from error
    record = RunRecord(content=thumbnail(content_image, settings.size), seed=settings.seed)
    preparing = f"Preparing: loading {BACKBONE_NAMES[settings.backbone]} and your images…"
    yield None, preparing, record.plot(), None, None, None, record
    with ACTIVE_RUNS.track(), contextlib.closing(nst.stylize(content_image, style_image, settings)) as run:
        shown_at = 0.0
        try:
            for progress in run:
                record.add(progress)
                if progress.done:
                    record.add_frame(progress)
                    yield update(record, status_done(progress, record.seed), finished=True)
                elif time.monotonic() - shown_at >= UPDATE_SECONDS:
                    shown_at = time.monotonic()
                    record.add_frame(progress)
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


def example_paths(prefix: str) -> list[str]:
    """The example images named `<prefix>_*.jpg`."""
    return [str(path) for path in sorted(EXAMPLES.glob(f"{prefix}_*.jpg"))]


def image_input(label: str, elem_id: str, examples_label: str) -> gr.Image:
    """An upload/paste/webcam image input with its example thumbnails under it."""
    image = gr.Image(
        label=label, type="filepath", image_mode=None, sources=["upload", "clipboard", "webcam"], height=260,
        elem_id=elem_id,
    )
    gr.Examples(
        examples=[[path] for path in example_paths(elem_id)], inputs=[image], label=examples_label,
        cache_examples=False, api_visibility="private", elem_id=f"{elem_id}-examples",
    )
    return image


@dataclasses.dataclass
class Controls:
    """The settings widgets."""

    preset: gr.Dropdown
    backbone: gr.Dropdown
    size: gr.Slider
    steps: gr.Slider
    style_strength: gr.Slider
    preserve_color: gr.Radio
    optimizer: gr.Radio
    learning_rate: gr.Number
    style_layer_weights: gr.Textbox
    content_weight: gr.Number
    tv_weight: gr.Number
    init: gr.Radio
    multiscale: gr.Checkbox
    seed: gr.Number
    randomize_seed: gr.Checkbox
    estimate: gr.Markdown

    @property
    def from_preset(self) -> list[gr.components.Component]:
        """The widgets a preset fills, in the order of `preset_values` and of `stylize`'s parameters."""
        return [
            self.backbone, self.size, self.steps, self.style_strength, self.preserve_color, self.optimizer,
            self.learning_rate, self.style_layer_weights, self.content_weight, self.tv_weight, self.init,
            self.multiscale, self.seed,
        ]


def controls_panel() -> Controls:
    """Preset, network and the everyday settings, then the expert ones in an accordion."""
    with gr.Group():
        with gr.Row():
            preset = gr.Dropdown(
                [(title, name) for name, title in PRESET_TITLES.items()], value="vgg19", label="Preset",
                min_width=200, elem_id="preset",
            )
            backbone = gr.Dropdown(
                BACKBONE_CHOICES, value=DEFAULT.backbone, label="Feature extractor", min_width=200, elem_id="backbone"
            )
        style_strength = gr.Slider(
            0.1, 5.0, value=DEFAULT.style_strength, step=0.1, label="Style strength",
            info="1 is the preset's balance; the look is the same at every size", elem_id="strength",
        )
        size = gr.Slider(
            MIN_SIZE, MAX_SIZE, value=DEFAULT.size, step=32, label="Output size (long side, px)", elem_id="size"
        )
        steps = gr.Slider(MIN_STEPS, MAX_STEPS, value=DEFAULT.steps, step=10, label="Steps", elem_id="steps")
        estimate = gr.Markdown(
            estimate_text(DEFAULT.backbone, DEFAULT.size, DEFAULT.steps, DEFAULT.use_multiscale), padding=True,
            elem_id="estimate",
        )
        preserve_color = gr.Radio(COLOR_CHOICES, value=DEFAULT.preserve_color, label="Colour", elem_id="color")
    with gr.Accordion("Advanced", open=False, elem_id="advanced"):
        with gr.Row():
            optimizer = gr.Radio(OPTIMIZER_CHOICES, value=DEFAULT.optimizer, label="Optimiser")
            learning_rate = gr.Number(
                value=DEFAULT.learning_rate or 0, label="Learning rate", minimum=0,
                info=f"0: the optimiser's default (Adam {ADAM_RATE:g}, L-BFGS {LBFGS_RATE:g})",
            )
        style_layer_weights = gr.Textbox(
            value=format_weights(DEFAULT.style_layer_weights), label="Style layer weights",
            info=f"One weight per style layer: {', '.join(DEFAULT.style_layers)}",
        )
        with gr.Row():
            content_weight = gr.Number(value=DEFAULT.content_weight, label="Content weight", minimum=0)
            tv_weight = gr.Number(value=DEFAULT.tv_weight, label="Smoothness (TV) weight", minimum=0)
        with gr.Row():
            init = gr.Radio(INIT_CHOICES, value=DEFAULT.init, label="Start from")
            multiscale = gr.Checkbox(
                value=DEFAULT.use_multiscale, label="Coarse to fine (multi-scale)",
                info="Paint large shapes small first; faster and better at large sizes",
            )
        with gr.Row():
            seed = gr.Number(value=DEFAULT.seed, label="Seed", precision=0, minimum=0)
            randomize_seed = gr.Checkbox(value=False, label="Randomise seed")
    return Controls(
        preset, backbone, size, steps, style_strength, preserve_color, optimizer, learning_rate,
        style_layer_weights, content_weight, tv_weight, init, multiscale, seed, randomize_seed, estimate,
    )


@dataclasses.dataclass
class Outputs:
    """What a run updates, in the order `stylize` yields them."""

    result: gr.Image
    status: gr.Markdown
    losses: gr.LinePlot
    comparison: gr.ImageSlider
    png: gr.File
    animation: gr.File


def outputs_panel() -> Outputs:
    """The live result with its numbers, then the downloads and the before/after comparison."""
    result = gr.Image(
        label="Result", format="png", interactive=False, buttons=["download", "fullscreen"], elem_id="result"
    )
    status = gr.Markdown("Add a photo and a style, then press **Stylize**.", label="Status", elem_id="status")
    losses = gr.LinePlot(
        x="step", y="loss", color="term", color_map=LOSS_COLORS, colors_in_legend=list(LOSS_COLORS),
        label="Losses (log scale)", y_title="log₁₀ loss", elem_id="losses",
    )
    with gr.Row():
        png = gr.File(label="Full-quality PNG", interactive=False, elem_id="download-png", elem_classes="download")
        animation = gr.File(
            label="Progress animation (WebP)", interactive=False, elem_id="download-animation", elem_classes="download"
        )
    comparison = gr.ImageSlider(
        label="Before / after", format="png", interactive=False, max_height=380, elem_id="comparison"
    )
    return Outputs(result, status, losses, comparison, png, animation)


def build_demo() -> gr.Blocks:
    """The whole page, with its queue configured from NST_QUEUE_SIZE and NST_CONCURRENCY."""
    with gr.Blocks(title="Neural Style Transfer", delete_cache=(3600, 3600)) as demo:
        gr.HTML(HEADER)
        with gr.Row(equal_height=False):
            with gr.Column(scale=5, min_width=340):
                with gr.Row():
                    with gr.Column(min_width=140):
                        content = image_input("Photo", "content", "Example photos")
                    with gr.Column(min_width=140):
                        style = image_input("Style", "style", "Example styles")
                with gr.Row():
                    run_button = gr.Button("Stylize", variant="primary", scale=3, min_width=120, elem_id="stylize")
                    stop_button = gr.Button("Stop", variant="stop", scale=1, min_width=80, elem_id="stop")
                controls = controls_panel()
            with gr.Column(scale=6, min_width=340):
                out = outputs_panel()
        record = gr.State(time_to_live=3600, delete_callback=discard_record)
        run_event = run_button.click(
            stylize,
            inputs=[content, style, controls.preset, *controls.from_preset, controls.randomize_seed, record],
            outputs=[out.result, out.status, out.losses, out.comparison, out.png, out.animation, record],
            api_name="stylize",
            # gr.Image opens every upload with PIL before the handler runs: a file that is not an
            # image then fails inside Gradio with a bare "Error", and its conversions mishandle
            # alpha, 16-bit and EXIF. So the handler gets the raw uploads and `nst.load_image`
            # decodes them (and explains what is wrong); `build_settings` checks the other values.
            preprocess=False,
            show_progress="minimal",
            show_progress_on=out.status,
            scroll_to_output=True,
        )
        stop_button.click(
            stop, inputs=record, outputs=[out.status, out.comparison, out.png, out.animation], cancels=[run_event],
            queue=False, api_visibility="private",
        )
        wire_controls(controls)
    demo.queue(
        max_size=int(env_number("NST_QUEUE_SIZE", DEFAULT_QUEUE_SIZE)),
        default_concurrency_limit=int(env_number("NST_CONCURRENCY", DEFAULT_CONCURRENCY)),
    )
    return demo


def wire_controls(controls: Controls) -> None:
    """Presets fill the controls, the network picks a matching preset, the estimate follows the work."""
    c = controls
    c.preset.change(
        preset_values, inputs=c.preset, outputs=c.from_preset, queue=False, show_progress="hidden",
        api_visibility="private",
    )
    c.preset.change(check_weights, inputs=c.preset, concurrency_limit=None, api_visibility="private")
    c.backbone.input(
        preset_for_backbone, inputs=[c.backbone, c.preset], outputs=c.preset, queue=False, api_visibility="private"
    )
    gr.on(
        [c.backbone.change, c.size.change, c.steps.change, c.multiscale.change], estimate_text,
        inputs=[c.backbone, c.size, c.steps, c.multiscale], outputs=c.estimate, queue=False, show_progress="hidden",
        api_visibility="private",
    )


def launch_options() -> dict[str, Any]:
    """What `launch()` needs besides the network settings (Gradio 6 takes theme and CSS here)."""
    return {"theme": THEME, "css": CSS, "max_file_size": "10mb"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the neural style transfer web app.")
    parser.add_argument("--share", action="store_true", help="also make a temporary public link")
    args = parser.parse_args(argv)
    build_demo().launch(share=args.share, **launch_options())


if __name__ == "__main__":
    main()
