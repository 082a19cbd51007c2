"""Reuse settings: a result PNG dropped on the page fills the controls from the recipe inside it.

The recipe records every setting and a digest of each input picture. The
settings go into the widgets (the preset that supplies the hidden ones is
chosen to match); example pictures are recognised by their digest and put
back in their slots, while a visitor's own pictures, which the PNG does not
contain, have to be added again. The visitor is told which is which.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

import nst
from nst.presets import PRESET_TITLES
from nst.recipe import read_recipe, settings_from_recipe

from ..limits import MAX_SIZE, MAX_STEPS, MIN_SIZE, MIN_STEPS, STROKE_RANGE
from ..page_update import PAINTING_SLOTS, UNCHANGED, PageUpdate
from .examples import example_of_pixels
from .fields import form_values, widget_values
from .preset_menu import matching_preset

SLOTS = len(PAINTING_SLOTS)


def reuse_settings(file: str | None) -> PageUpdate:
    """Fill the page from the recipe in `file`: the widgets, the photo and the paintings, and empty the drop zone
    so that the same file can be dropped again. The status says what was reused and what was not (and a toast,
    where the visitor dropped the file)."""
    if file is None:
        return PageUpdate()
    try:
        recipe = read_recipe(file)
        settings = settings_from_recipe(recipe)
    except nst.NSTError as error:
        gr.Warning(str(error), duration=15, title="No settings in this file")
        return PageUpdate(recipe=None, status=f"**No settings in this file**: {error}")
    notes: list[str] = []
    settings = within_page_limits(settings, notes)
    preset, differing = matching_preset(settings)
    if differing:
        notes.append(
            f"{', '.join(differing)}: no control on this page, so the {PRESET_TITLES[preset]} preset's values apply."
        )
    inputs = recipe.get("inputs") if isinstance(recipe.get("inputs"), dict) else {}
    slots = pictures(inputs, notes)
    form = form_values(settings, preset, settings.style_blend[:SLOTS])
    said = " ".join([f"Settings from {Path(file).name} are in the controls.", *notes])
    gr.Info(said, duration=15, title="Settings reused")
    status = f"**Settings reused**: {said} Press **Stylize** to run them."
    return PageUpdate(form=widget_values(form), **slots, recipe=None, status=status)


def within_page_limits(settings: nst.Settings, notes: list[str]) -> nst.Settings:
    """`settings` with size, steps and brush size brought into this page's ranges, saying so."""
    size = min(max(settings.size, MIN_SIZE), MAX_SIZE)
    steps = min(max(settings.steps, MIN_STEPS), MAX_STEPS)
    low, high = STROKE_RANGE
    style_scale = min(max(settings.style_scale, low), high)
    if size != settings.size:
        notes.append(f"Its size of {settings.size} px is outside this page's {MIN_SIZE}-{MAX_SIZE} px: set to {size}.")
    if steps != settings.steps:
        notes.append(f"Its {settings.steps} steps are outside this page's {MIN_STEPS}-{MAX_STEPS}: set to {steps}.")
    if style_scale != settings.style_scale:
        notes.append(f"Its brush size of {settings.style_scale:g} is outside this page's {low:g}-{high:g}: "
                     f"set to {style_scale:g}.")
    return settings.replace(size=size, steps=steps, style_scale=style_scale)


def pictures(inputs: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    """The photo and painting slots' new values by their `PageUpdate` fields: examples the recipe names, empty
    slots it does not use."""
    photo = example_of_pixels(inputs.get("photo"))
    digests = inputs.get("paintings") if isinstance(inputs.get("paintings"), list) else []
    found = [example_of_pixels(digest) for digest in digests[:SLOTS]]
    missing = [f"painting {slot}" for slot, path in enumerate(found, start=1) if path is None]
    if photo is None:
        missing.insert(0, "photo")
    if missing:
        notes.append(f"Add the {' and '.join(missing)} again: a result holds its settings, not its pictures.")
    if len(digests) > SLOTS:
        notes.append(f"It blended {len(digests)} paintings; this page blends up to {SLOTS}.")
    paintings = [UNCHANGED if path is None else str(path) for path in found]
    paintings += [None] * (SLOTS - len(paintings))
    return {"photo": UNCHANGED if photo is None else str(photo), **dict(zip(PAINTING_SLOTS, paintings, strict=True))}
