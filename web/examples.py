"""The example pictures the page offers, in the order a visitor should meet them.

Famous paintings come first: they are what people arrive to try. Of the
procedurally painted styles only the two with textures no painting here has
(mosaic tiles, thick bristly strokes) stay on the page; the swirls and waves
imitate Starry Night and The Great Wave, which are here now themselves. Those
files remain in examples/ for the benchmarks and tests.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

from nst.presets import EXAMPLES, preset_painting
from nst.recipe import image_digest

PHOTOS = [EXAMPLES / name for name in ("content_chelsea.jpg", "content_coffee.jpg", "content_astronaut.jpg")]
PAINTINGS = [
    EXAMPLES / name
    for name in (
        "style_starry_night.jpg", "style_the_scream.jpg", "style_composition_vii.jpg", "style_great_wave.jpg",
        "style_mosaic.jpg", "style_strokes.jpg",
    )
]

# Every example picture, including those the page does not show, which a recipe may still name.
ALL_EXAMPLES = sorted(EXAMPLES.glob("*.jpg"))


def painting_for_preset(preset: str) -> str | None:
    """The painting a preset was tuned on, to put in the first painting slot; None if it has none."""
    path: Path | None = preset_painting(preset)
    return None if path is None else str(path)


def example_named(name: object) -> Path | None:
    """The example picture called `name` (a bare file name from a link); None for anything else.

    Only names of files in the examples folder count, so a link can never
    point the page at another file.
    """
    if not isinstance(name, str):
        return None
    return next((path for path in ALL_EXAMPLES if path.name == name), None)


def example_of_file(path: str | None) -> Path | None:
    """The example `path` is a copy of (Gradio copies an example byte for byte); None for an upload."""
    if path is None:
        return None
    size = os.path.getsize(path)
    candidates = [example for example in ALL_EXAMPLES if example.stat().st_size == size]
    if not candidates:
        return None
    digest = file_digest(path)
    return next((example for example in candidates if file_digest(example) == digest), None)


def example_of_pixels(digest: object) -> Path | None:
    """The example whose decoded pixels have the recipe digest `digest`; None if none has."""
    return pixel_digests().get(digest) if isinstance(digest, str) else None


@functools.cache
def pixel_digests() -> dict[str, Path]:
    """Each example's recipe digest, computed once (decoding all of them takes a fraction of a second)."""
    return {image_digest(path): path for path in ALL_EXAMPLES}


def file_digest(path: str | Path) -> str:
    """sha256 of a file's bytes (uploads are at most 10 MB, so reading one whole is fine)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
