"""Between the page's widgets and `nst.Settings`: choices, reading values, filling them from a preset."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gradio as gr

import nst
from nst.extractors import get_extractor
from nst.settings import DEFAULT_LEARNING_RATES

from .examples import painting_for_preset
from .limits import MAX_SIZE, MAX_STEPS, MIN_SIZE, MIN_STEPS

DEFAULT = nst.preset("vgg19")
ADAM_RATE, LBFGS_RATE = DEFAULT_LEARNING_RATES["adam"], DEFAULT_LEARNING_RATES["lbfgs"]

BACKBONE_CHOICES = [("VGG-19 (embedded)", "vgg19"), ("SqueezeNet 1.1 (5 MB download)", "squeezenet")]
COLOR_CHOICES = [("Off", "none"), ("Keep photo colours", "luminance"), ("Match style to photo", "histogram")]
INIT_CHOICES = [("The photo", "content"), ("Random noise", "noise")]
OPTIMIZER_CHOICES = [("Adam", "adam"), ("L-BFGS", "lbfgs")]


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


def page_size(size: object) -> int:
    """The output size as a whole number of pixels within the page's range, or a message giving the range."""
    value = number("Output size", size)
    if not MIN_SIZE <= value <= MAX_SIZE:
        raise nst.SettingsError(f"This page makes images from {MIN_SIZE} to {MAX_SIZE} pixels; got {value:g}.")
    return round(value)


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
    style_blend: tuple[float, ...] = (),
    deadline: float | None = None,
) -> nst.Settings:
    """The widgets' values as Settings; the preset supplies everything the page does not show.

    The library reports every step (`yield_every=1`) and the page decides
    which to show, by time rather than by step count, so that updates arrive
    about once a second at every size and on every device.
    """
    steps = number("Steps", steps)
    if not MIN_STEPS <= steps <= MAX_STEPS:
        raise nst.SettingsError(f"This page runs {MIN_STEPS} to {MAX_STEPS} steps; got {steps:g}.")
    return nst.preset(
        preset,
        backbone=backbone,
        size=page_size(size),
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
        style_blend=style_blend,
        deadline=deadline,
        yield_every=1,
    )


def blend_weights(paintings: Sequence[object | None], weights: Sequence[object]) -> tuple[float, ...]:
    """The blend weights of the paintings given (empty slots skipped); none needed for a single painting."""
    given = [
        number(f"Weight of painting {slot}", weight)
        for slot, (painting, weight) in enumerate(zip(paintings, weights, strict=True), start=1)
        if painting is not None
    ]
    return tuple(given) if len(given) > 1 else ()


def preset_values(name: str) -> tuple[Any, ...]:
    """The controls' values for preset `name`, in the order of `Controls.from_preset` in app.py."""
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


def choose_preset(name: str) -> tuple[Any, ...]:
    """A visitor picked preset `name`: its settings, and the painting it was tuned on if it has one.

    Only a visitor's own choice brings the painting: a preset that changes
    because the network did keeps the painting the visitor chose.
    """
    try:
        painting = painting_for_preset(name)
    except nst.ImageInputError as error:
        gr.Warning(str(error), title="This preset's painting is missing")
        painting = None
    return (*preset_values(name), gr.skip() if painting is None else painting)


def follow_backbone(backbone: str, current: str) -> tuple[Any, ...]:
    """A visitor picked a network: keep a preset that uses it, else switch to one that does and fill its settings."""
    name = preset_for_backbone(backbone, current)
    if name == current:
        return (gr.skip(),) * (1 + len(preset_values(name)))
    return (name, *preset_values(name))


def check_weights(backbone: str) -> None:
    """Warn at once when the network cannot be loaded here, rather than at the first run."""
    try:
        get_extractor(backbone)
    except nst.WeightsUnavailableError as error:
        gr.Warning(str(error), duration=20, title="This network is not available here")
