"""Named starting points: the tuned VGG-19 default, the distilled VGG-19 (fast), and the reference recipe.

The three SqueezeNet presets are the numbers of a well-known course
assignment (tuned at 192 px, Adam, 200 steps). That recipe optimises the
ImageNet-normalised image with learning rate 3.0, dropping to 0.1; we
optimise pixels in [0, 1], where one normalised unit is about 0.226 (the
mean ImageNet standard deviation), so the rates are scaled by that factor.
Its style image sizes (512, 224, 192 px against a 192 px output) become style
scales relative to the output. Each of those recipes was tuned on one
painting, which is its default style.
"""

from __future__ import annotations

from pathlib import Path

from .errors import ImageInputError, SettingsError
from .settings import Settings

NORMALISED_UNIT = 0.226

SQUEEZENET_COMMON = {
    "backbone": "squeezenet",
    "size": 192,
    "steps": 200,
    "optimizer": "adam",
    "learning_rate": 3.0 * NORMALISED_UNIT,
    "final_learning_rate": 0.1 * NORMALISED_UNIT,
    "lr_drop_at": 0.9,
    "weighting": "absolute",
    "palette": 0.0,
    "content_layers": ("3",),
    "content_layer_weights": (1.0,),
    "style_layers": ("1", "4", "6", "7"),
    "reference_size": 192,
    "multiscale": False,
    "average": False,
}

# The preset of `Settings()` itself: what the page, the command line and the API start from.
DEFAULT_PRESET = "vgg19"
PRESETS: dict[str, dict[str, object]] = {
    "vgg19": {},
    # The same plan on VGG-19 distilled to a quarter of its channels: several times less work, softer
    # strokes (BENCHMARKS.md, "The distilled VGG-19"). More steps or strength did not sharpen them.
    "vgg19-lite": {"backbone": "vgg19-lite"},
    "composition-vii": {
        **SQUEEZENET_COMMON,
        "style_scale": 512 / 192,
        "content_weight": 5e-2,
        "style_layer_weights": (20000.0, 500.0, 12.0, 1.0),
        "tv_weight": 5e-2,
    },
    "the-scream": {
        **SQUEEZENET_COMMON,
        "style_scale": 224 / 192,
        "content_weight": 3e-2,
        "style_layer_weights": (200000.0, 800.0, 12.0, 1.0),
        "tv_weight": 2e-2,
    },
    "starry-night": {
        **SQUEEZENET_COMMON,
        "style_scale": 1.0,
        "content_weight": 6e-2,
        "style_layer_weights": (300000.0, 1000.0, 15.0, 3.0),
        "tv_weight": 2e-2,
    },
}

PRESET_TITLES = {
    "vgg19": "VGG-19 (default, embedded)",
    "vgg19-lite": "VGG-19 distilled (fast)",
    "composition-vii": "SqueezeNet: Composition VII recipe",
    "the-scream": "SqueezeNet: The Scream recipe",
    "starry-night": "SqueezeNet: Starry Night recipe",
}


# The paintings ship in the repository's examples/ folder (public domain, credited there),
# not inside the installed package: they are 1 MB of pictures a library user may not want.
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PRESET_PAINTINGS = {
    "composition-vii": "style_composition_vii.jpg",
    "the-scream": "style_the_scream.jpg",
    "starry-night": "style_starry_night.jpg",
}


def preset_painting(name: str) -> Path | None:
    """The painting preset `name` was tuned on, or None for a preset without one.

    Raises ImageInputError when the painting is not where the repository keeps
    it, as in an installed copy of nst without the repository around it.
    """
    file = PRESET_PAINTINGS.get(name)
    if file is None:
        return None
    path = EXAMPLES / file
    if not path.is_file():
        raise ImageInputError(
            f"The {name} preset's painting is missing: it ships as examples/{file} in the project's repository, "
            f"and {EXAMPLES} has no such file. Give a painting after the photo."
        )
    return path


def preset(name: str, **overrides: object) -> Settings:
    """Settings of preset `name`, with `overrides` applied on top."""
    if name not in PRESETS:
        raise SettingsError(f"Unknown preset {name!r}; choose from {', '.join(PRESETS)}.")
    return Settings(**{**PRESETS[name], **overrides})
