"""The page's settings: widgets to Settings and back, presets, and a recipe's settings shown on the page."""

from __future__ import annotations

import json

import pytest

import nst
from nst.presets import DEFAULT_PRESET
from web.form.fields import DEFAULT_FORM, PRESET_FIELDS, build_settings, form_values, settings_from_form
from web.form.preset_menu import matching_preset, preset_for_backbone, preset_values
from web.form.reuse import reuse_settings, within_page_limits
from web.limits import MAX_SIZE, STROKE_RANGE

from ..factories import make_painting, make_photo


def test_presets_fill_the_controls_and_follow_the_network():
    values = preset_values("the-scream")
    assert list(values) == list(PRESET_FIELDS)
    assert values["backbone"] == "squeezenet" and values["size"] == 192
    assert values["style_layer_weights"].value == "200000, 800, 12, 1"
    assert values["style_scale"] == 224 / 192, "the recipe's painting size, relative to its output"
    assert preset_for_backbone("squeezenet", "vgg19") == "composition-vii"
    assert preset_for_backbone("squeezenet", "the-scream") == "the-scream"
    assert preset_for_backbone("vgg19", "the-scream") == "vgg19"


def test_widget_values_become_settings():
    settings = build_settings("vgg19", "vgg19", 256.0, 50.0, 2.0, 1.5, "luminance", "lbfgs", None,
                              "1, 2, 3, 4, 5", 0.5, 0.0, "noise", False, 7.0)
    assert (settings.size, settings.steps, settings.style_strength, settings.style_scale) == (256, 50, 2.0, 1.5)
    assert settings.style_layer_weights == (1, 2, 3, 4, 5) and settings.seed == 7 and settings.multiscale is False
    with pytest.raises(nst.SettingsError, match=f"{MAX_SIZE} pixels"):
        big = 2 * MAX_SIZE
        build_settings("vgg19", "vgg19", big, 50, 1, 1, "none", "adam", None, "1,1,1,1,1", 1, 0, "content", True, 0)
    with pytest.raises(nst.SettingsError, match="Content weight needs a number"):
        build_settings("vgg19", "vgg19", 256, 50, 1, 1, "none", "adam", None, "1,1,1,1,1", None, 0, "content", True, 0)


@pytest.mark.parametrize("style_scale", [0.49, 3.01, float("nan"), float("inf"), "bold"])
def test_a_brush_size_off_the_slider_is_refused_naming_the_range(style_scale):
    low, high = STROKE_RANGE
    expected = f"Brush size \\(style_scale\\) goes from {low:g} to {high:g}" if style_scale != "bold" else "Brush size"
    with pytest.raises(nst.SettingsError, match=expected):
        settings_from_form({**DEFAULT_FORM, "style_scale": style_scale})


def test_every_presets_own_brush_size_is_on_the_slider():
    # A preset fills the slider; a value beyond its ends would be refused by the page's own widgets.
    low, high = STROKE_RANGE
    assert all(low <= nst.preset(name).style_scale <= high for name in nst.PRESETS)


def test_a_form_shows_the_settings_it_makes():
    settings = nst.preset("starry-night", size=256, style_strength=2.5, style_scale=1.75, seed=9,
                          preserve_color="histogram")
    form = form_values(settings, "starry-night", (2.0, 1.0))
    assert (form["style_weight"], form["style_2_weight"], form["style_3_weight"]) == (2.0, 1.0, 1.0)
    assert settings_from_form(form) == settings.replace(yield_every=1)
    # The page's checkbox on is the library's own choice by size (coarse to fine from 384 px); off is one scale.
    assert settings_from_form(DEFAULT_FORM) == nst.preset(DEFAULT_PRESET, yield_every=1)
    assert settings_from_form({**DEFAULT_FORM, "multiscale": False}).multiscale is False


def test_a_recipe_finds_the_preset_that_supplies_what_the_page_does_not_show():
    assert matching_preset(nst.preset("the-scream", size=300, style_strength=3)) == ("the-scream", [])
    # A command-line run with an option the page has no widget for: the closest preset, and what differs.
    cli_made = nst.preset("vgg19", style_scale=2.0, min_scale=64)
    assert matching_preset(cli_made) == ("vgg19", ["min_scale"]), "the brush size has a control"


def test_a_recipe_beyond_the_pages_limits_is_brought_within_them_and_says_so():
    notes: list[str] = []
    low, high = STROKE_RANGE
    settings = within_page_limits(nst.Settings(size=8192, steps=3000, style_scale=4.0), notes)
    assert (settings.size, settings.steps, settings.style_scale) == (MAX_SIZE, 1000, high)
    assert notes == [f"Its size of 8192 px is outside this page's 64-{MAX_SIZE} px: set to {MAX_SIZE}.",
                     "Its 3000 steps are outside this page's 10-1000: set to 1000.",
                     f"Its brush size of 4 is outside this page's {low:g}-{high:g}: set to {high:g}."]
    assert within_page_limits(nst.Settings(style_scale=0.1), []).style_scale == low


def test_a_dropped_result_puts_its_brush_size_back_and_an_old_recipe_without_one_gives_1(tmp_path):
    def reused_brush_size(recipe: dict) -> float:
        path = tmp_path / "recipe.json"
        path.write_text(json.dumps(recipe))
        return reuse_settings(str(path)).form["style_scale"]

    photo, painting = make_photo(), make_painting()
    assert reused_brush_size(nst.make_recipe(nst.Settings(style_scale=1.75), photo, painting)) == 1.75
    old = nst.make_recipe(nst.Settings(style_scale=1.75), photo, painting)
    del old["settings"]["style_scale"]
    assert reused_brush_size(old) == 1.0
