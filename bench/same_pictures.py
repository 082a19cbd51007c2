"""Do two revisions of the library make the same pictures? Pixel by pixel, for a handful of settings.

A change to the loop's shape must not change what it paints. This script
checks that: it exports an earlier revision (`--before`, any git revision)
into a temporary folder, runs the same cases through its public API and
through the working tree's, each in a child process on this machine, and
compares the PNGs exactly. It prints, per case, the largest difference in
any pixel (0 = identical) and how many pixels differ, and exits 1 when a
case differs by more than `--tolerance` levels.

    .venv/bin/python bench/same_pictures.py --before HEAD~3

The cases cover every path the loop can take: the default, a mask with a
second painting, a blend, the photo's luminance kept, histogram colours,
L-BFGS, SqueezeNet (random weights in a private TORCH_HOME, so it runs
offline), tiles, a size above the viewing size, a noise start with the
running average, and fp32 beside the precision the machine picks.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

# name: (settings as keywords, inputs). Sizes are small where the path, not the size, is the point.
CASES: dict[str, dict] = {
    "default": {"settings": {}, "photo": "content_chelsea.jpg", "paintings": ["style_starry_night.jpg"]},
    "default-fp32": {
        "settings": {"size": 256, "precision": "fp32"},
        "photo": "content_coffee.jpg",
        "paintings": ["style_the_scream.jpg"],
    },
    "mask-second-painting": {
        "settings": {"size": 320},
        "photo": "content_astronaut.jpg",
        "paintings": ["style_great_wave.jpg"],
        "mask": "left-half",
        "mask_paintings": ["style_composition_vii.jpg"],
    },
    "mask-keep-photo": {
        "settings": {"size": 256},
        "photo": "content_chelsea.jpg",
        "paintings": ["style_mosaic.jpg"],
        "mask": "left-half",
    },
    "blend": {
        "settings": {"size": 320, "style_blend": [0.7, 0.3]},
        "photo": "content_coffee.jpg",
        "paintings": ["style_starry_night.jpg", "style_the_scream.jpg"],
    },
    "luminance": {
        "settings": {"size": 256, "preserve_color": "luminance"},
        "photo": "content_chelsea.jpg",
        "paintings": ["style_composition_vii.jpg"],
    },
    "histogram-moments": {
        "settings": {"size": 256, "preserve_color": "histogram", "palette_transfer": "moments"},
        "photo": "content_astronaut.jpg",
        "paintings": ["style_waves.jpg"],
    },
    "lbfgs": {
        "settings": {"size": 256, "optimizer": "lbfgs", "steps": 20},
        "photo": "content_coffee.jpg",
        "paintings": ["style_great_wave.jpg"],
    },
    "squeezenet-random": {
        "preset": "starry-night",
        "settings": {"size": 256, "steps": 40},
        "photo": "content_chelsea.jpg",
        "paintings": ["style_swirls.jpg"],
    },
    "tiles": {
        "settings": {"size": 384, "tile": 160, "steps": 40},
        "photo": "content_astronaut.jpg",
        "paintings": ["style_starry_night.jpg"],
    },
    "above-viewing-size": {
        "settings": {"size": 1152, "steps": 24, "large_size_steps": 2},
        "photo": "content_chelsea.jpg",
        "paintings": ["style_great_wave.jpg"],
    },
    "noise-average-picture": {
        "settings": {"size": 256, "init": "noise", "seed": 3, "average": True, "rescale": "picture", "steps": 30},
        "photo": "content_coffee.jpg",
        "paintings": ["style_strokes.jpg"],
    },
}

# Run in a child process whose `nst` is the revision under test (its folder first on sys.path).
WORKER = r"""
import json, sys
import numpy as np
from PIL import Image
import torch
case, examples, out = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
import nst
settings = case["settings"]
if "style_blend" in settings:
    settings["style_blend"] = tuple(settings["style_blend"])
photo = Image.open(f"{examples}/{case['photo']}").convert("RGB")
paintings = [Image.open(f"{examples}/{name}").convert("RGB") for name in case["paintings"]]
mask = None
if case.get("mask") == "left-half":
    pixels = np.zeros((photo.height, photo.width), np.uint8)
    pixels[:, : photo.width // 2] = 255
    mask = Image.fromarray(pixels, "L")
others = [Image.open(f"{examples}/{name}").convert("RGB") for name in case.get("mask_paintings", [])] or None
chosen = nst.preset(case["preset"], **settings) if "preset" in case else nst.Settings(**settings)
*_, last = nst.stylize(photo, paintings, chosen, mask=mask, mask_styles=others)
last.to_pil().save(out)
print("RESULT", json.dumps({"steps": last.step, "precision": last.precision}))
"""


def export(revision: str, folder: Path) -> Path:
    """The library of `revision` written into `folder` (only `nst/`: the cases use nothing else)."""
    archive = subprocess.run(["git", "archive", revision, "nst"], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def random_squeezenet(torch_home: Path) -> None:
    """Random SqueezeNet weights where torchvision looks for the ImageNet ones: both revisions read the same file."""
    import torch
    from torchvision.models import squeezenet1_1

    checkpoints = torch_home / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    torch.save(squeezenet1_1(weights=None).state_dict(), checkpoints / "squeezenet1_1-b8a52dc0.pth")


def paint(library: Path, case: dict, out: Path, torch_home: Path) -> dict:
    """Run one case with the `nst` found in `library`; its RESULT line."""
    env = {**os.environ, "PYTHONPATH": str(library), "TORCH_HOME": str(torch_home)}
    command = [sys.executable, "-c", WORKER, json.dumps(case), str(EXAMPLES), str(out)]
    result = subprocess.run(command, cwd=library, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{library}: the case failed:\n{result.stderr[-3000:]}")
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def compare(before: Path, after: Path) -> tuple[int, int]:
    """The largest difference in any pixel and channel (0-255 levels), and how many pixels differ."""
    a = np.asarray(Image.open(before), dtype=np.int16)
    b = np.asarray(Image.open(after), dtype=np.int16)
    if a.shape != b.shape:
        return 255, max(a.size, b.size) // 3
    difference = np.abs(a - b)
    return int(difference.max()), int((difference.max(axis=2) > 0).sum())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True, help="the earlier git revision to compare with")
    parser.add_argument("--tolerance", type=int, default=0, help="levels a pixel may differ by (default 0)")
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES), metavar="CASE")
    parser.add_argument("--keep", type=Path, help="a folder to keep the pictures in")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        torch_home = scratch / "torch"
        random_squeezenet(torch_home)
        (scratch / "before").mkdir()
        earlier = export(args.before, (scratch / "before").resolve())
        pictures = args.keep or scratch / "pictures"
        pictures.mkdir(parents=True, exist_ok=True)
        print(f"before: {args.before}; after: the working tree ({ROOT})")
        print("| case | steps | precision | largest difference (levels) | pixels that differ |")
        print("| --- | --- | --- | --- | --- |")
        worst = 0
        for name in args.cases:
            first = paint(earlier, CASES[name], pictures / f"{name}-before.png", torch_home)
            second = paint(ROOT, CASES[name], pictures / f"{name}-after.png", torch_home)
            largest, count = compare(pictures / f"{name}-before.png", pictures / f"{name}-after.png")
            if first != second:
                largest = max(largest, 255)
            worst = max(worst, largest)
            print(f"| {name} | {second['steps']} | {second['precision']} | {largest} | {count} |", flush=True)
    verdict = "are identical" if worst == 0 else f"differ by up to {worst} levels"
    print(f"The pictures {verdict}.")
    return 0 if worst <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
