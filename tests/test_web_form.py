"""The page's settings: widgets to Settings and back, presets, and a recipe's settings shown on the page."""

from __future__ import annotations

import pytest

import nst
from web.form import DEFAULT_FORM, build_settings, form_values, settings_from_form
from web.presets import matching_preset, preset_for_backbone, preset_values
from web.reuse import within_page_limits


def test_presets_fill_the_controls_and_follow_the_network():
    values = preset_values("the-scream")
    assert values[0] == "squeezenet" and values[1] == 192
    assert values[7].value == "200000, 800, 12, 1"
    assert preset_for_backbone("squeezenet", "vgg19") == "composition-vii"
    assert preset_for_backbone("squeezenet", "the-scream") == "the-scream"
    assert preset_for_backbone("vgg19", "the-scream") == "vgg19"


def test_widget_values_become_settings():
    settings = build_settings("vgg19", "vgg19", 256.0, 50.0, 2.0, "luminance", "lbfgs", None,
                            "1, 2, 3, 4, 5", 0.5, 0.0, "noise", False, 7.0)
    assert (settings.size, settings.steps, settings.style_strength) == (256, 50, 2.0)
    assert settings.style_layer_weights == (1, 2, 3, 4, 5) and settings.seed == 7 and settings.multiscale is False
    with pytest.raises(nst.SettingsError, match="1024 pixels"):
        build_settings("vgg19", "vgg19", 4000, 50, 1, "none", "adam", None, "1,1,1,1,1", 1, 0, "content", True, 0)
    with pytest.raises(nst.SettingsError, match="Content weight needs a number"):
        build_settings("vgg19", "vgg19", 256, 50, 1, "none", "adam", None, "1,1,1,1,1", None, 0, "content", True, 0)


def test_a_form_shows_the_settings_it_makes():
    settings = nst.preset("starry-night", size=256, style_strength=2.5, seed=9, preserve_color="histogram")
    form = form_values(settings, "starry-night", (2.0, 1.0))
    assert (form["style_weight"], form["style_2_weight"], form["style_3_weight"]) == (2.0, 1.0, 1.0)
    assert settings_from_form(form) == settings.replace(yield_every=1)
    # The page's checkbox on is the library's own choice by size (coarse to fine from 384 px); off is one scale.
    assert settings_from_form(DEFAULT_FORM) == nst.preset("vgg19", yield_every=1)
    assert settings_from_form({**DEFAULT_FORM, "multiscale": False}).multiscale is False


def test_a_recipe_finds_the_preset_that_supplies_what_the_page_does_not_show():
    assert matching_preset(nst.preset("the-scream", size=300, style_strength=3)) == ("the-scream", [])
    # A command-line run with an option the page has no widget for: the closest preset, and what differs.
    cli_made = nst.preset("vgg19", style_scale=2.0, min_scale=64)
    assert matching_preset(cli_made) == ("vgg19", ["style_scale", "min_scale"])


def test_a_recipe_beyond_the_pages_limits_is_brought_within_them_and_says_so():
    notes: list[str] = []
    settings = within_page_limits(nst.Settings(size=2048, steps=3000), notes)
    assert (settings.size, settings.steps) == (1024, 1000)
    assert notes == ["Its size of 2048 px is outside this page's 64-1024 px: set to 1024.",
                     "Its 3000 steps are outside this page's 10-1000: set to 1000."]
