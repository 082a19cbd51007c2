"""The example pictures the page offers, in the order a visitor should meet them.

Famous paintings come first: they are what people arrive to try. Of the
procedurally painted styles only the two with textures no painting here has
(mosaic tiles, thick bristly strokes) stay on the page; the swirls and waves
imitate Starry Night and The Great Wave, which are here now themselves. Those
files remain in examples/ for the benchmarks and tests.
"""

from __future__ import annotations

from pathlib import Path

from nst.presets import EXAMPLES, preset_painting

PHOTOS = [EXAMPLES / name for name in ("content_chelsea.jpg", "content_coffee.jpg", "content_astronaut.jpg")]
PAINTINGS = [
    EXAMPLES / name
    for name in (
        "style_starry_night.jpg", "style_the_scream.jpg", "style_composition_vii.jpg", "style_great_wave.jpg",
        "style_mosaic.jpg", "style_strokes.jpg",
    )
]


def painting_for_preset(preset: str) -> str | None:
    """The painting a preset was tuned on, to put in the first painting slot; None if it has none."""
    path: Path | None = preset_painting(preset)
    return None if path is None else str(path)
