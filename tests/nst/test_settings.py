"""Settings validate on construction with messages that name the problem; presets build valid settings."""

from __future__ import annotations

import pytest

from nst import PRESETS, ImageInputError, Settings, SettingsError, preset, presets
from nst.presets import preset_painting


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"backbone": "resnet"}, "backbone must be one of"),
        ({"size": 10}, "size must be between"),
        ({"steps": 0}, "steps must be between"),
        ({"learning_rate": -1.0}, "learning_rate must be positive"),
        ({"style_strength": float("nan")}, "style_strength"),
        ({"style_layer_weights": (1.0,)}, "one weight per layer"),
        ({"style_blend": (0.0, 0.0)}, "blend"),
        ({"preserve_color": "sepia"}, "preserve_color"),
    ],
)
def test_bad_settings_are_refused(changes, message):
    with pytest.raises(SettingsError, match=message):
        Settings(**changes)


def test_settings_are_frozen_and_replace_validates():
    settings = Settings()
    with pytest.raises(AttributeError):
        settings.size = 10
    assert settings.replace(size=256).size == 256
    with pytest.raises(SettingsError):
        settings.replace(size=100000)


def test_defaults_work_offline_and_go_coarse_to_fine():
    settings = Settings()
    assert settings.backbone == "vgg19" and settings.use_multiscale and settings.lr == 0.02
    assert preset("vgg19-lite").backbone == "vgg19-lite", "the distilled network is one setting away"


def test_every_preset_is_valid_and_overridable():
    for name in PRESETS:
        assert preset(name, steps=7).steps == 7
    recipe = preset("starry-night")
    assert recipe.backbone == "squeezenet" and recipe.size == 192 and recipe.style_layers == ("1", "4", "6", "7")
    assert recipe.style_layer_weights == (300000.0, 1000.0, 15.0, 3.0)
    with pytest.raises(SettingsError, match="Unknown preset"):
        preset("mona-lisa")


def test_the_painting_presets_name_their_painting_and_say_when_it_is_missing(tmp_path, monkeypatch):
    assert preset_painting("starry-night").name == "style_starry_night.jpg"
    assert all(preset_painting(name).is_file() for name in ("composition-vii", "the-scream", "starry-night"))
    assert preset_painting("vgg19") is None
    monkeypatch.setattr(presets, "EXAMPLES", tmp_path)  # as in an installed copy without the repository
    with pytest.raises(ImageInputError, match=r"the-scream preset's painting is missing.*examples/style_the_scream"):
        preset_painting("the-scream")
