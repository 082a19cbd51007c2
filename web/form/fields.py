"""Between the page's widgets and `nst.Settings`: choices, reading the widgets, filling them again.

A "form" is the settings widgets' values as a dict keyed by FORM_FIELDS (the
names of `web.run.buttons.stylize`'s parameters). It is what the browser keeps across
reloads, what a shared link carries, and what each history entry restores:
plain JSON, never an image.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gradio as gr

import nst
from nst.presets import DEFAULT_PRESET
from nst.settings import DEFAULT_LEARNING_RATES

from ..limits import MAX_SIZE, MAX_STEPS, MIN_SIZE, MIN_STEPS, STROKE_RANGE

DEFAULT = nst.preset(DEFAULT_PRESET)
ADAM_RATE, LBFGS_RATE = DEFAULT_LEARNING_RATES["adam"], DEFAULT_LEARNING_RATES["lbfgs"]

# Each network named with what it costs beside the others (BENCHMARKS.md, Speed).
BACKBONE_CHOICES = [
    ("VGG-19 (embedded)", "vgg19"),
    ("VGG-19 distilled (several times faster, softer strokes)", "vgg19-lite"),
    ("SqueezeNet 1.1 (5 MB download)", "squeezenet"),
]
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


def page_style_scale(style_scale: object) -> float:
    """The brush size (style scale) within the page's range, or a message giving the range."""
    value = number("Brush size", style_scale)
    low, high = STROKE_RANGE
    if not low <= value <= high:
        raise nst.SettingsError(f"Brush size (style_scale) goes from {low:g} to {high:g} on this page; got {value:g}.")
    return value


def build_settings(
    preset: str,
    backbone: str,
    size: float,
    steps: float,
    style_strength: float,
    style_scale: float,
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
        style_scale=page_style_scale(style_scale),
        preserve_color=preserve_color,
        optimizer=optimizer,
        learning_rate=number("Learning rate", learning_rate) if learning_rate else None,
        style_layer_weights=parse_weights(str(style_layer_weights)),
        content_weight=number("Content weight", content_weight),
        tv_weight=number("Smoothness (TV) weight", tv_weight),
        init=init,
        # On: coarse to fine where it pays (the library's choice by size); off: one scale.
        multiscale=None if multiscale else False,
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


PRESET_FIELDS = (
    "backbone", "size", "steps", "style_strength", "style_scale", "preserve_color", "optimizer", "learning_rate",
    "style_layer_weights", "content_weight", "tv_weight", "init", "multiscale", "seed",
)
"""The widgets a preset fills."""
BLEND_FIELDS = ("style_weight", "style_2_weight", "style_3_weight")
FORM_FIELDS = (*BLEND_FIELDS, "preset", *PRESET_FIELDS, "randomize_seed")
"""Every settings widget, in the order of `stylize`'s parameters after the paintings."""


def form_values(settings: nst.Settings, preset: str, blend: Sequence[float] = ()) -> dict[str, Any]:
    """The form that shows `settings` under `preset`, with the paintings' blend weights `blend`."""
    weights = (*blend, 1.0, 1.0, 1.0)[:3]
    return {
        **dict(zip(BLEND_FIELDS, weights, strict=True)),
        "preset": preset,
        "backbone": settings.backbone,
        "size": settings.size,
        "steps": settings.steps,
        "style_strength": settings.style_strength,
        "style_scale": settings.style_scale,
        "preserve_color": settings.preserve_color,
        "optimizer": settings.optimizer,
        "learning_rate": settings.learning_rate or 0,
        "style_layer_weights": format_weights(settings.style_layer_weights),
        "content_weight": settings.content_weight,
        "tv_weight": settings.tv_weight,
        "init": settings.init,
        "multiscale": settings.multiscale is not False,
        "seed": settings.seed,
        "randomize_seed": False,
    }


DEFAULT_FORM = form_values(DEFAULT, DEFAULT_PRESET)


def settings_from_form(form: dict[str, Any]) -> nst.Settings:
    """The settings a form makes (the blend aside, which depends on the paintings given)."""
    return build_settings(form["preset"], *(form[name] for name in PRESET_FIELDS))


def form_defaults(preset: str) -> dict[str, Any]:
    """What a form naming `preset` means by a field it lacks: the page's default, but the preset's own style scale.

    The page once left the style scale to the preset, so a link or stored form
    from then lacks it and meant the preset's (2.67 for Composition VII); a
    link still leaves it out when it is the preset's (`web.form.link`).
    """
    return {**DEFAULT_FORM, "style_scale": nst.preset(preset).style_scale}


def checked_form(stored: object) -> dict[str, Any] | None:
    """A form kept by the browser or carried by a link, completed with defaults; None if it is not usable.

    Such a form may come from an older page or a hand-edited link: anything
    that no longer makes valid settings is dropped rather than half-applied.
    """
    if not isinstance(stored, dict):
        return None
    given = {name: value for name, value in stored.items() if name in FORM_FIELDS}
    preset = given.get("preset", DEFAULT_FORM["preset"])
    if not isinstance(preset, str) or preset not in nst.PRESETS:
        return None
    form = {**form_defaults(preset), **given}
    try:
        settings_from_form(form)
        for name in BLEND_FIELDS:
            if not 0 <= number(name, form[name]) < float("inf"):
                return None
    except (nst.SettingsError, TypeError, ValueError, AttributeError):
        return None
    return form


def widget_values(form: dict[str, Any], fields: Sequence[str] = FORM_FIELDS) -> dict[str, Any]:
    """The widgets' new values for `fields` of `form`, by name (a `PageUpdate`'s `form`).

    The style layer weights box also gets its hint, which names the layers of
    the form's network.
    """
    layers = ", ".join(nst.preset(form["preset"]).style_layers)
    return {
        name: gr.Textbox(value=form[name], info=f"One weight per style layer: {layers}")
        if name == "style_layer_weights"
        else form[name]
        for name in fields
    }
