"""Presets on the page: choosing one fills the controls, and brings its painting if it has one."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import gradio as gr

import nst
from nst.networks.registry import get_extractor

from ..page_update import UNCHANGED, PageUpdate
from .examples import painting_for_preset
from .fields import PRESET_FIELDS, form_values, widget_values

# How a run is carried out rather than what it makes; a recipe's values for these never decide a preset.
RUN_FIELDS = {"deadline", "yield_every", "device", "precision", "channels_last"}


def preset_values(name: str) -> dict[str, Any]:
    """The values preset `name` gives the widgets of PRESET_FIELDS, by name."""
    return widget_values(form_values(nst.preset(name), name), PRESET_FIELDS)


def preset_for_backbone(backbone: str, current: str) -> str:
    """Keep the preset if it uses `backbone`, else switch to that network's first preset."""
    if nst.preset(current).backbone == backbone:
        return current
    return next(name for name in nst.PRESETS if nst.preset(name).backbone == backbone)


def choose_preset(name: str) -> PageUpdate:
    """A visitor picked preset `name`: its settings, and the painting it was tuned on if it has one.

    Only a visitor's own choice brings the painting: a preset that changes
    because the network did keeps the painting the visitor chose.
    """
    try:
        painting = painting_for_preset(name)
    except nst.ImageInputError as error:
        gr.Warning(str(error), title="This preset's painting is missing")
        painting = None
    return PageUpdate(form=preset_values(name), painting=UNCHANGED if painting is None else painting)


def follow_backbone(backbone: str, current: str) -> PageUpdate:
    """A visitor picked a network: keep a preset that uses it, else switch to one that does and fill its settings."""
    name = preset_for_backbone(backbone, current)
    if name == current:
        return PageUpdate()
    return PageUpdate(form={"preset": name, **preset_values(name)})


def check_weights(backbone: str) -> None:
    """Warn at once when the network cannot be loaded here, rather than at the first run."""
    try:
        get_extractor(backbone)
    except nst.WeightsUnavailableError as error:
        gr.Warning(str(error), duration=20, title="This network is not available here")


def matching_preset(settings: nst.Settings) -> tuple[str, list[str]]:
    """The preset that best supplies the settings the page does not show, and those it still differs in.

    A picture made on this page always matches one exactly; one made on the
    command line may have used options the page has no widget for. Presets
    that supply the same hidden settings (the SqueezeNet recipes differ only
    in settings the page shows) are told apart by the shown ones, so the
    preset named is the one the picture was made with.
    """
    hidden = [
        field.name for field in dataclasses.fields(nst.Settings)
        if field.name not in {*PRESET_FIELDS, "style_blend", *RUN_FIELDS}
    ]

    def differing(name: str, fields: Sequence[str]) -> list[str]:
        preset = nst.preset(name)
        return [field for field in fields if getattr(preset, field) != getattr(settings, field)]

    candidates = [name for name in nst.PRESETS if nst.preset(name).backbone == settings.backbone]
    assert candidates, "every network has a preset"
    best = min(candidates, key=lambda name: (len(differing(name, hidden)), len(differing(name, PRESET_FIELDS))))
    return best, differing(best, hidden)
