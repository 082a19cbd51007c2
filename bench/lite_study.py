"""The distilled VGG-19 (`vgg19-lite`) against VGG-19: the same pictures for a fraction of the work?

    python bench/lite_study.py [--variants NAME ...] [--pairs N]
    python bench/lite_study.py --speed [--repeats N]

On the quality study's six pairs at 512 px, each variant's picture is
measured by `measures.Measures` (Gram distance in VGG-19's features, colour,
structure; the same measures as `bench/quality.py`), timed in this process
after each network was built and run once (as on a server), and given in VGG units (one VGG-19 forward and backward
to relu5_1 at 512x384 in the precision the library picks, timed in the same
run). Variants are rows: VGG-19's default, the distilled network with the
same plan, and the levers the plan could pull for it. Each variant's mean is
printed beside its difference from VGG-19's, and the worst pair's difference;
a contact sheet of every variant goes to `bench/out/lite-study.png`.

`--speed` times the two networks side by side instead, on the 3:2 pair at
512 px with each network's default plan: warm in one process (runs of the two
networks taken in turn, as a server's second run), and as a whole
command-line process (`python -m nst ... --backbone NAME -q`), medians of
`--repeats`, in seconds and VGG units.

The Gram distance is measured in VGG-19's own features, which VGG-19's runs
minimise directly: a network that paints as well in its own features starts
at a small disadvantage here, which the contact sheet lets the eye judge.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from common import OUT, ROOT, loads, table
from contact_sheet import make_sheet
from measures import STYLE_LAYERS, Measures
from PIL import Image
from quality import MEASURED, PAIRS, pair_name, pair_paths, run_ours
from speed import vgg_unit

from nst import Settings, load_image, stylize
from nst.core import targets
from nst.core.losses import gram_matrix
from nst.io.images import resize_long_side, to_tensor
from nst.networks import vgg19_lite
from nst.networks.device import resolve_compute
from nst.networks.registry import get_extractor

SIZE = 512
LITE = {"backbone": "vgg19-lite"}
# The layers the default plan weights: the Gram distance over them, in each network's own features.
WEIGHTED = STYLE_LAYERS[:4]


class OwnGrams:
    """The Gram distance over WEIGHTED in one network's features (`measures` uses VGG-19's, all five layers).

    Measured in both networks, it tells a picture that carries the painting from one that only
    matches the statistics of the network it was made with.
    """

    def __init__(self, backbone: str, painting, size: int) -> None:
        self.extractor = get_extractor(backbone)
        style = to_tensor(resize_long_side(load_image(painting), size))
        with torch.no_grad():
            features = self.extractor(style, list(WEIGHTED))
        self.targets = [gram_matrix(features[name]) for name in WEIGHTED]

    def __call__(self, picture: Image.Image) -> float:
        with torch.no_grad():
            features = self.extractor(to_tensor(picture), list(WEIGHTED))
        return statistics.mean(
            float((gram_matrix(features[name]) - target).norm() / target.norm())
            for name, target in zip(WEIGHTED, self.targets, strict=True)
        )


@dataclass(frozen=True)
class Variant:
    """One way of making the picture: a name, what it changes, the settings, and how it runs."""

    name: str
    idea: str
    changes: dict[str, object] = field(default_factory=dict)
    polish_steps: int = 0  # VGG-19 steps at the output size after the run, from its picture
    aux_grams: bool = False  # the distilled network's style layers seen through its 1x1 maps to VGG-19's widths


VARIANTS = (
    Variant("vgg19", "VGG-19, the default plan", {"backbone": "vgg19"}),
    Variant("lite", "the distilled network, the same plan", LITE),
    Variant("lite, aux Grams", "style Grams of the 1x1 maps back to VGG-19's widths", LITE, aux_grams=True),
    Variant("lite, 52 steps", "twice the steps, the same shares", {**LITE, "steps": 52}),
    Variant("lite, 78 steps", "three times the steps", {**LITE, "steps": 78}),
    Variant("lite, 52 steps, rate 0.03", "twice the steps at a larger rate",
            {**LITE, "steps": 52, "learning_rate": 0.03}),
    Variant("lite, 52 steps, finish 0.5", "half the steps at the output size",
            {**LITE, "steps": 52, "finish_share": 0.5}),
    Variant("lite, 52 steps, tv 3e-3", "three times the smoothness", {**LITE, "steps": 52, "tv_weight": 3e-3}),
    Variant("lite, strength 1.5", "the style terms half as strong again", {**LITE, "style_strength": 1.5}),
    Variant("lite, strength 2", "the style terms twice as strong", {**LITE, "style_strength": 2.0}),
    Variant("lite + 4 VGG-19 steps", "the distilled run, then 4 VGG-19 steps at the output size", LITE, polish_steps=4),
)


def polished(photo, painting, picture: Image.Image, steps: int) -> Image.Image:
    """`picture` after `steps` VGG-19 steps at its size, held to the photo as the default holds it."""
    settings = Settings(backbone="vgg19", size=SIZE, steps=steps, multiscale=False, init="image")
    *_, last = stylize(photo, painting, settings, init_image=picture)
    return last.to_pil()


def with_aux_grams(run: Callable[[], object]) -> object:
    """`run()` with the distilled network's style layers read through its aux maps (and the targets made anew)."""
    forward = vgg19_lite.VGG19LiteFeatures.forward
    style_layers = set(Settings().style_layers)

    def aux_forward(self, image, layers, aux=False):
        outputs = forward(self, image, layers)
        for name in outputs.keys() & self.aux.keys() & style_layers:
            outputs[name] = torch.relu(self.aux[name](outputs[name].to(self.aux[name].weight.dtype)))
        return outputs

    targets.clear_cache()
    vgg19_lite.VGG19LiteFeatures.forward = aux_forward
    try:
        return run()
    finally:
        vgg19_lite.VGG19LiteFeatures.forward = forward
        targets.clear_cache()


def warm_up(backbones: set[str]) -> None:
    """Build each network and run it once, as a server has before its visitors: timings are then warm."""
    photo, painting = pair_paths(PAIRS[0])
    for backbone in sorted(backbones):
        for _ in stylize(photo, painting, Settings(backbone=backbone, size=128, steps=4)):
            pass


def paint(variant: Variant, photo, painting) -> tuple[Image.Image, float]:
    """The variant's picture of one pair and its seconds, the networks already built."""

    def once() -> tuple[Image.Image, float]:
        result = run_ours(photo, painting, Settings(size=SIZE, **variant.changes))
        picture, seconds = result.image, result.seconds
        if variant.polish_steps:
            started = time.perf_counter()
            picture = polished(photo, painting, picture, variant.polish_steps)
            seconds += time.perf_counter() - started
        return picture, seconds

    return with_aux_grams(once) if variant.aux_grams else once()


def whole_process_seconds(backbone: str, folder: str) -> float:
    """Wall seconds of the command line's default run on the 3:2 pair with `backbone`, process start included."""
    photo, painting = pair_paths(PAIRS[0])
    command = [sys.executable, "-m", "nst", str(photo), str(painting), "-o", f"{folder}/out.png", "-q",
               "--backbone", backbone]
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=os.environ, check=True)
    return time.perf_counter() - started


def speed(repeats: int) -> None:
    """The default run on each network: warm in this process and as a whole process, in seconds and units."""
    backbones = ("vgg19", "vgg19-lite")
    photo, painting = pair_paths(PAIRS[0])
    warm_up(set(backbones))
    warm: dict[str, list[float]] = {name: [] for name in backbones}
    whole: dict[str, list[float]] = {name: [] for name in backbones}
    units = []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(repeats):
            units.append(vgg_unit(3))
            for backbone in backbones:  # in turn, so a change in the machine's load meets both
                warm[backbone].append(run_ours(photo, painting, Settings(backbone=backbone)).seconds)
                whole[backbone].append(whole_process_seconds(backbone, folder))
    unit = statistics.median(units)
    print(f"VGG unit {unit:.3f} s (median of {repeats}); {loads()}; precision {resolve_compute().precision}")
    rows = []
    for backbone in backbones:
        w, p = statistics.median(warm[backbone]), statistics.median(whole[backbone])
        rows.append([backbone, f"{w:.2f} ({min(warm[backbone]):.2f})", f"{w / unit:.2f}",
                     f"{p:.2f} ({min(whole[backbone]):.2f})", f"{p / unit:.2f}"])
    print(table(["network", "warm s, median (best)", "warm units", "whole process s, median (best)",
                 "whole process units"], rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", nargs="*", default=[v.name for v in VARIANTS], metavar="NAME")
    parser.add_argument("--pairs", type=int, default=len(PAIRS), help="the first N pairs only")
    parser.add_argument("--speed", action="store_true", help="time the two networks instead of measuring pictures")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.speed:
        speed(args.repeats)
        return
    variants = [v for v in VARIANTS if v.name in args.variants]
    pairs = PAIRS[: args.pairs]
    unit = vgg_unit(5)
    warm_up({str(v.changes.get("backbone", Settings().backbone)) for v in variants} | {"vgg19"})
    print(f"VGG unit {unit:.3f} s; {loads()}", flush=True)
    measured: dict[str, list[dict[str, float]]] = {v.name: [] for v in variants}
    seconds: dict[str, list[float]] = {v.name: [] for v in variants}
    rows = []
    for pair in pairs:
        photo, painting = pair_paths(pair)
        measures = Measures(photo, painting, SIZE)
        own = {backbone: OwnGrams(backbone, painting, SIZE) for backbone in ("vgg19", "vgg19-lite")}
        pictures = []
        for variant in variants:
            picture, spent = paint(variant, photo, painting)
            values = measures(picture)
            values["vgg gram 1-4"] = own["vgg19"](picture)
            values["lite gram 1-4"] = own["vgg19-lite"](picture)
            measured[variant.name].append(values)
            seconds[variant.name].append(spent)
            pictures.append(picture)
            shown = [*MEASURED, "vgg gram 1-4", "lite gram 1-4", *(f"gram/{name}" for name in STYLE_LAYERS)]
            print(f"{pair_name(pair)} | {variant.name} | {spent:.1f} s | "
                  + " ".join(f"{key} {values[key]:.3f}" for key in shown), flush=True)
        row = [resize_long_side(load_image(photo), 256), resize_long_side(load_image(painting), 256), *pictures]
        rows.append((row, f"{pair_name(pair)}: photo, painting, " + ", ".join(v.name for v in variants)))
    baseline = measured.get("vgg19")
    lines = []
    for variant in variants:
        keys = (*MEASURED, "vgg gram 1-4", "lite gram 1-4")
        means = {key: statistics.mean(m[key] for m in measured[variant.name]) for key in keys}
        cells = [variant.name, variant.idea, f"{statistics.median(seconds[variant.name]):.1f}",
                 f"{statistics.median(seconds[variant.name]) / unit:.2f}"]
        for key in ("gram", "colour", "structure", "vgg gram 1-4", "lite gram 1-4"):
            if baseline is None or variant.name == "vgg19":
                cells.append(f"{means[key]:.3f}")
                continue
            deltas = [m[key] - b[key] for m, b in zip(measured[variant.name], baseline, strict=True)]
            # Structure is better higher; the worst pair is the one furthest below VGG-19's.
            worst = min(deltas) if key == "structure" else max(deltas)
            cells.append(f"{means[key]:.3f} ({statistics.mean(deltas):+.3f}, worst {worst:+.3f})")
        lines.append(cells)
    headers = ["variant", "what it changes", "s (median)", "VGG units", "Gram", "colour", "structure",
               "Gram relu1-4, VGG-19's features", "Gram relu1-4, the distilled network's"]
    print()
    print(f"{len(pairs)} pairs at {SIZE} px; in brackets: the mean difference from VGG-19's and the worst pair's.")
    print(table(headers, lines))
    OUT.mkdir(exist_ok=True)
    make_sheet(rows).save(OUT / "lite-study.png")
    print(f"Contact sheet: {OUT / 'lite-study.png'}")


if __name__ == "__main__":
    main()
