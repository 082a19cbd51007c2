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
import json
import os
from pathlib import Path

from nst.presets import EXAMPLES, preset_painting
from nst.recipe import image_digest

# What each example on the page is, as its thumbnail's name and alternative text (examples/README.md).
NAMES = {
    "content_chelsea.jpg": "Chelsea the cat (photo)",
    "content_coffee.jpg": "An espresso cup (photo)",
    "content_astronaut.jpg": "Astronaut Eileen Collins (photo)",
    "style_starry_night.jpg": "The Starry Night, Vincent van Gogh",
    "style_the_scream.jpg": "The Scream, Edvard Munch",
    "style_composition_vii.jpg": "Composition VII, Wassily Kandinsky",
    "style_great_wave.jpg": "The Great Wave off Kanagawa, Hokusai",
    "style_mosaic.jpg": "Mosaic tiles (generated)",
    "style_strokes.jpg": "Thick bristly strokes (generated)",
}
PHOTOS = [EXAMPLES / name for name in NAMES if name.startswith("content_")]
PAINTINGS = [EXAMPLES / name for name in NAMES if name.startswith("style_")]
# In the slots as the page opens, so that one press of Stylize shows what the page does.
OPENING_PHOTO, OPENING_PAINTING = PHOTOS[0], PAINTINGS[0]

# Runs in the browser as the page opens: Gradio's example thumbnails have no text of their own, so each
# gets its picture's name as alternative text, as the tooltip and as what a screen reader says. Thumbnails
# appear after the page opens (and those in a folded panel when it unfolds), so new ones are named as they come.
NAMES_JS = f"() => {{ const names = {json.dumps(NAMES)};" + """
  const name_new = () => {
    for (const image of document.querySelectorAll("[id$='-examples'] button img:not([data-named])")) {
      const name = names[decodeURIComponent(image.src.split("/").pop())];
      if (!name) continue;
      image.dataset.named = "";
      image.alt = name;
      image.closest("button").title = name;
      image.closest("button").setAttribute("aria-label", name);
    }
  };
  name_new();
  new MutationObserver(name_new).observe(document.body, { childList: true, subtree: true });
}
"""

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
