"""The brushwork: brush size, abstract paintings at high strength, copied subjects.

    python bench/brushwork.py [--quick]     # also a section of `python bench/benchmark.py`

Three studies at the result size, each a table (time and the quality study's
measures) and a contact sheet to look at, written to `docs/` by a full run:

1. **brush size** (`style_scale`, the page's "Brush size"): two pairs at each
   value the page offers, whole pictures and 1:1 crops (`docs/brush-size.png`).
   The Gram distance is measured against the painting at brush size 1, so it
   rises away from 1 by construction: it says how far the texture's scale
   moved, not that the picture got worse.
2. **abstract paintings**: the astronaut with Composition VII at strength 1,
   2 and 4, before (relu5_1 weighted, no strength reach: the defaults before
   this study) and after (`docs/abstract-strength.png`).
3. **copied subjects**: a portrait as the painting (the astronaut example's
   head and shoulders, so it can ship) on the coffee photo, at strength 1 and
   4 and at brush size 0.5, before and after; crops where a face turned up
   (`docs/copied-subject.png`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from common import EXAMPLES, FULL, ROOT, Profile, Report, loads, table
from contact_sheet import make_sheet
from measures import Measures
from PIL import Image
from quality import pair_name, pair_paths, run_ours, settings_for

from nst import Settings, load_image

BRUSH_SIZES = (0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
BRUSH_PAIRS = (
    # photo, painting, a 1:1 crop (left, top, width, height) at 512 px
    ("content_coffee.jpg", "style_starry_night.jpg", (0, 0, 256, 256)),
    ("content_chelsea.jpg", "style_the_scream.jpg", (0, 0, 256, 256)),
)
ABSTRACT_PAIR = ("content_astronaut.jpg", "style_composition_vii.jpg")
STRENGTHS = (1.0, 2.0, 4.0)
# The portrait made for the study: the astronaut example's head and shoulders.
PORTRAIT_BOX = (90, 0, 400, 330)
PORTRAIT_PHOTO = "content_coffee.jpg"
# Where the face turned up in the cup, at 512 px (left, top, width, height).
CUP_CROP = (130, 0, 256, 256)
# The defaults before this study: relu5_1 counted like the other layers, one rate whatever the strength.
BEFORE = {"style_layer_weights": (1000.0,) * 5, "strength_reach": 0.0}
MEASURED = ("gram", "colour", "structure")


@dataclass
class Picture:
    label: str
    image: Image.Image
    seconds: float
    measures: dict[str, float]


def paint(photo: Path, painting: Path, settings: Settings, measure: Measures, label: str) -> Picture:
    result = run_ours(photo, painting, settings)
    return Picture(label, result.image, result.seconds, measure(result.image))


def crop(image: Image.Image, box: tuple[int, int, int, int]) -> Image.Image:
    """`box` (given at 512 px) cut from `image` at its own size."""
    factor = image.width / 512 if image.width >= image.height else image.height / 512
    left, top, width, height = (round(v * factor) for v in box)
    return image.crop((left, top, min(image.width, left + width), min(image.height, top + height)))


def rows_of(pictures: list[Picture]) -> list[list[object]]:
    return [[p.label, f"{p.seconds:.1f}", *(f"{p.measures[k]:.3f}" for k in MEASURED)] for p in pictures]


def brush_sizes(report: Report, profile: Profile, folder: Path) -> None:
    sheet_rows, rows = [], []
    for photo_name, painting_name, box in BRUSH_PAIRS:
        photo, painting = pair_paths((photo_name, painting_name))
        measure = Measures(photo, painting, profile.result_size)
        pictures = [
            paint(photo, painting, settings_for(profile, style_scale=value), measure,
                  f"{pair_name((photo_name, painting_name))}, brush {value:g}")
            for value in BRUSH_SIZES
        ]
        rows += rows_of(pictures)
        sheet_rows.append(([p.image for p in pictures], pictures[0].label.split(",")[0] + ": brush size "
                           + ", ".join(f"{v:g}" for v in BRUSH_SIZES)))
        sheet_rows.append(([crop(p.image, box) for p in pictures], "the same, 1:1 crops"))
    publish(report, folder / "brush-size.png", sheet_rows, rows, f"Brush size at {profile.result_size} px",
            "The Gram distance is to the painting at brush size 1, so it grows away from 1 by construction.")


def abstract(report: Report, profile: Profile, folder: Path) -> None:
    photo, painting = EXAMPLES / ABSTRACT_PAIR[0], EXAMPLES / ABSTRACT_PAIR[1]
    measure = Measures(photo, painting, profile.result_size)
    sheet_rows, rows = [], []
    for name, changes in (("before", BEFORE), ("after", {})):
        pictures = [
            paint(photo, painting, settings_for(profile, style_strength=s, **changes), measure,
                  f"{name}, strength {s:g}")
            for s in STRENGTHS
        ]
        rows += rows_of(pictures)
        sheet_rows.append(([p.image for p in pictures], f"astronaut + composition_vii, {name}: strength "
                           + ", ".join(f"{s:g}" for s in STRENGTHS)))
    publish(report, folder / "abstract-strength.png", sheet_rows, rows,
            f"Composition VII at strength 1, 2 and 4, {profile.result_size} px",
            "Before: relu5_1 weighted like the other style layers and one learning rate whatever the strength. "
            "After: the defaults (relu5_1 at 0, `strength_reach` 1).")


def copied_subject(report: Report, profile: Profile, folder: Path) -> None:
    profile.out.mkdir(parents=True, exist_ok=True)
    portrait = profile.out / "portrait.png"
    load_image(EXAMPLES / ABSTRACT_PAIR[0]).crop(PORTRAIT_BOX).save(portrait)
    photo = EXAMPLES / PORTRAIT_PHOTO
    measure = Measures(photo, portrait, profile.result_size)
    cases = (("strength 1", {}), ("strength 4", {"style_strength": 4.0}),
             ("strength 4, brush 0.5", {"style_strength": 4.0, "style_scale": 0.5}))
    sheet_rows, rows = [], []
    for name, changes in (("before", {"style_layer_weights": BEFORE["style_layer_weights"]}), ("after", {})):
        pictures = [paint(photo, portrait, settings_for(profile, **case, **changes), measure, f"{name}, {label}")
                    for label, case in cases]
        rows += rows_of(pictures)
        sheet_rows.append(([p.image for p in pictures], f"coffee + portrait, {name}: "
                           + ", ".join(label for label, _ in cases)))
        sheet_rows.append(([crop(p.image, CUP_CROP) for p in pictures], "the cup, 1:1"))
    sheet_rows.insert(0, ([load_image(portrait)], "the portrait used as the painting"))
    publish(report, folder / "copied-subject.png", sheet_rows, rows,
            f"A portrait as the painting, {profile.result_size} px",
            "The painting is the astronaut example's head and shoulders. Before: relu5_1 weighted like the "
            "other style layers (strength reach as now). After: the defaults.")


def publish(report: Report, path: Path, sheet_rows: list, rows: list[list[object]], heading: str, text: str) -> None:
    """Save the contact sheet and add the study's table, with `text` and where the sheet is."""
    make_sheet(sheet_rows).save(path)
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    report.add(f"### {heading}\n\n" + table(["picture", "wall s", *MEASURED], rows)
               + f"\n\n{text} Contact sheet: `{shown}`.")


def section(report: Report, profile: Profile, device: torch.device) -> dict:
    folder = ROOT / "docs" if profile is FULL else profile.out
    folder.mkdir(parents=True, exist_ok=True)
    report.add(f"## The brushwork\n\nLoad average at the start {loads()}; device {device}.")
    brush_sizes(report, profile, folder)
    abstract(report, profile, folder)
    copied_subject(report, profile, folder)
    return {}


if __name__ == "__main__":
    from common import run_alone

    run_alone(__doc__.splitlines()[0], section)
