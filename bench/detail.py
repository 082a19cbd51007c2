"""Fine detail at the result size: the default against the default before the speed work, 1:1 crops.

    python bench/detail.py [--quick]     # also a section of `python bench/benchmark.py`

The speed issue's schedule spends 8 steps at the output size where the
previous default spent about 40 (and 160 in all): the question is whether
the finest texture and the photo's edges survive. Three pairs of the quality
study, each run both ways; the sheet (`docs/detail-crops.png` from a full
run) has the whole pictures and a 1:1 crop of each, where detail shows:
the cup's rim and spoon, the cat's face, the astronaut's face.
"""

from __future__ import annotations

import torch
from brushwork import crop, paint, publish, rows_of
from common import FULL, ROOT, Profile, Report, loads
from measures import Measures
from quality import pair_name, pair_paths, settings_for
from speed import LEVERS

PAIRS = (
    # photo, painting, a 1:1 crop (left, top, width, height) at 512 px
    ("content_coffee.jpg", "style_starry_night.jpg", (130, 40, 256, 256)),
    ("content_chelsea.jpg", "style_the_scream.jpg", (150, 40, 256, 256)),
    ("content_astronaut.jpg", "style_composition_vii.jpg", (150, 60, 256, 256)),
)
# The speed study's own "previous default" lever, so both studies mean the same settings.
PREVIOUS = next(lever for lever in LEVERS if lever.name == "previous default")
RUNS = ((PREVIOUS.name, PREVIOUS.changes), ("default", {}))


def section(report: Report, profile: Profile, device: torch.device) -> dict:
    folder = ROOT / "docs" if profile is FULL else profile.out
    folder.mkdir(parents=True, exist_ok=True)
    report.add(f"## Fine detail: the default against the previous default\n\nLoad average at the start {loads()}; "
               f"device {device}.")
    sheet_rows, rows = [], []
    for photo_name, painting_name, box in PAIRS[: profile.pairs]:
        photo, painting = pair_paths((photo_name, painting_name))
        pair = pair_name((photo_name, painting_name))
        measure = Measures(photo, painting, profile.result_size)
        pictures = [paint(photo, painting, settings_for(profile, **changes), measure, f"{pair}, {name}")
                    for name, changes in RUNS]
        rows += rows_of(pictures)
        sheet_rows.append(([p.image for p in pictures] + [crop(p.image, box) for p in pictures],
                           f"{pair}: previous default, default; then the same 1:1"))
    publish(report, folder / "detail-crops.png", sheet_rows, rows, f"Previous default and default at "
            f"{profile.result_size} px", f"The previous default: {PREVIOUS.idea}. Seconds are the run in this "
            "process (network loaded).")
    return {}


if __name__ == "__main__":
    from common import run_alone

    run_alone(__doc__.splitlines()[0], section)
