"""Print size: memory, time, tiles that cannot be seen, and the painting at viewing size, for pictures up to 8192 px.

Run alone: `python bench/print_size.py --photos DIR` with DIR holding
photographs of at least 2560 px (Debian's wallpaper packages ship such:
`apt-get download mate-backgrounds && dpkg-deb -x mate-backgrounds_*.deb x`,
then DIR = x/usr/share/backgrounds/mate/nature). `--quick` runs everything at
small sizes on the example photos, as a smoke test of the script itself.

Every run is a fresh process (`common.in_child`), so its peak resident
memory (VmHWM) is its own. It prints:

1. Memory and time of the largest pictures: 4096x4096 within 6 GiB and
   8192x5120 within 12 GiB, in the precision this machine picks; for fp32,
   the least memory the budget would ask of each (its activations and
   content targets are twice bf16's).
   Those runs take a shortened plan (the steps before the largest size are
   not what decides the peak); their time is not the default plan's.
2. Time of the default plan at 4096x2560, in seconds and VGG units.
3. Tiles against no tiles: the same plan at 1024 and 2048 px, forced into
   tiles of a quarter of the long side and of the size the budget picks,
   each way of getting the style statistics (exact, previous step's), and
   untiled; PSNR between each and the untiled run, the largest difference,
   and the time ratio. Beside them the untiled run in another memory layout:
   in bf16 that alone rounds differently, the floor any comparison meets.
4. The painting at every size: the 2048 and 4096 results reduced to 1024 px,
   measured against the 1024 run with the quality study's measures.
5. docs/print-size-crops.png: 1:1 crops of the 4096 result beside the 1024
   result enlarged and the photo, and a crop across tile borders.
"""

from __future__ import annotations

import argparse
import collections
import math
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch
from common import EXAMPLES, OUT, ROOT, in_child, loads, serve_child, table
from measures import Measures
from PIL import Image, ImageDraw
from speed import UNIT_SIZE, vgg_unit

from nst import Settings, load_image, stylize
from nst.core.layers import stage_layers, widest_kind
from nst.io.images import resize_long_side
from nst.networks.network import load_network
from nst.plan.schedule import plan_stages
from nst.tiles.budget import TILE_PIXELS, needs_bytes
from nst.tiles.tiles import layer_reach

PAIRS = (
    ("Garden.jpg", "style_starry_night.jpg"),
    ("Wood.jpg", "style_great_wave.jpg"),
    ("LadyBird.jpg", "style_composition_vii.jpg"),
)
QUICK_PAIRS = (("content_chelsea.jpg", "style_starry_night.jpg"),)
CROP = 512


def peak_gb() -> float:
    """This process's peak resident memory so far, in GB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def worker(spec: dict) -> dict:
    """In a fresh process: one run of `spec`, its picture saved; its time, steps and peak memory."""
    photo = load_image(spec["photo"], max_pixels=200_000_000)
    if spec.get("square"):
        side = min(photo.size)
        photo = photo.crop((0, 0, side, side))
    settings = Settings(**spec["settings"])
    # The unit in the same process, just before: a shared machine's speed changes over an hour.
    unit = vgg_unit(3)
    started = time.perf_counter()
    # Only the last record is kept, as the page and the command line keep only the newest.
    (progress,) = collections.deque(stylize(photo, load_image(spec["painting"]), settings), maxlen=1)
    seconds = time.perf_counter() - started
    Image.fromarray(progress.image).save(spec["out"])
    return {
        "seconds": seconds,
        "units": seconds / unit,
        "steps": progress.step,
        "size": list(progress.size),
        "peak_gb": peak_gb(),
        "precision": progress.precision,
    }


def run(photo: Path, painting: Path, out: Path, square: bool = False, **settings: object) -> dict:
    """One run in its own process (see `worker`)."""
    spec = {"photo": str(photo), "painting": str(painting), "out": str(out), "square": square, "settings": settings}
    result = in_child(Path(__file__).resolve(), spec)
    if "failed" in result:
        raise RuntimeError(f"the run {spec} failed: {result['failed']}")
    print(f"  {out.name}: {result}", flush=True)
    return result


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    error = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if error == 0 else 10 * math.log10(255**2 / error)


def reduced(path: Path, long_side: int) -> Image.Image:
    return resize_long_side(Image.open(path).convert("RGB"), long_side)


def memory_rows(photo: Path, painting: Path, folder: Path, quick: bool) -> list[list[object]]:
    """The largest pictures' peak memory and time, with a shortened plan (see the module's docstring)."""
    gb = 2**30
    # (long side, square, budget): the issue's figures, 4096x4096 within 6 GB and 8192x5120 within 12 GB.
    sizes = [(64 * 8, True, 2 * gb), (64 * 10, False, 2 * gb)] if quick else [(4096, True, 6 * gb),
                                                                             (8192, False, 12 * gb)]
    short = {"steps": 8, "large_size_steps": 2}
    rows = []
    for size, square, budget in sizes:
        out = folder / f"largest-{size}-{'square' if square else 'wide'}.png"
        result = run(photo, painting, out, square=square, size=size, max_memory=budget, **short)
        width, height = result["size"]
        rows.append([f"{width}x{height}", result["precision"], f"{budget / gb:.0f}", result["steps"],
                     f"{result['peak_gb']:.2f}", f"{result['seconds']:.0f}", f"{result['units']:.0f}"])
    # fp32 needs twice bf16's activations and content targets: what the budget asks of it, without a run.
    network = load_network(Settings(precision="fp32"))
    for size, square, budget in sizes:
        width, height = (size, size) if square else (size, size * 5 // 8)
        stage = plan_stages(Settings(size=size), (width, height))[-1]
        layers = stage_layers(Settings(), widest_kind(stage.kind), network.extractor.layer_names)
        least = needs_bytes(network, stage.size, [*layers.content, *layers.style], layers.content)
        rows.append([f"{width}x{height}", "fp32", f"{budget / gb:.0f}", "-", f"needs {least / gb:.2f}", "-", "-"])
    return rows


PARTS = ("memory", "pairs", "tiles")


def print_size_section(photos: Path, quick: bool, parts: tuple[str, ...] = PARTS) -> str:
    folder = OUT / "print_size"
    folder.mkdir(parents=True, exist_ok=True)
    pairs = [(EXAMPLES / p, EXAMPLES / s) for p, s in QUICK_PAIRS] if quick else [
        (photos / p, EXAMPLES / s) for p, s in PAIRS
    ]
    viewing, sizes = (256, (256, 512)) if quick else (1024, (2048, 4096))
    text = [f"Load average at the start: {loads()}; torch threads: {torch.get_num_threads()}. Times are also "
            f"given in VGG units (one VGG-19 forward and backward at {UNIT_SIZE[0]}x{UNIT_SIZE[1]}, in the precision "
            "the run uses), measured in each run's own process just before it: they hold across a shared "
            "machine's changing load."]

    if "memory" in parts:
        print("1. memory of the largest pictures", flush=True)
        rows = memory_rows(*pairs[0], folder, quick)
        text.append("### Memory of the largest pictures (shortened plan: 8 steps, then 2 at each larger size)\n\n"
                    + table(["picture", "precision", "max_memory GiB", "steps", "peak RSS GiB", "seconds",
                             "VGG units"], rows))
    if "pairs" in parts:
        text.append(pairs_section(pairs, folder, viewing, sizes))
    if "tiles" in parts:
        text.append(tiles_section(pairs[0], folder, viewing, sizes))
    text.append(f"Load average at the end: {loads()}.")
    return "\n\n".join(text)


def pairs_section(pairs: list[tuple[Path, Path]], folder: Path, viewing: int, sizes: tuple[int, int]) -> str:
    """Time at the largest size, quality at viewing size for every size, and the crops of each pair."""

    print("2. the pairs at every size", flush=True)
    quality_rows, time_rows, made = [], [], {}
    for photo, painting in pairs:
        name = photo.stem
        measure = Measures(load_image(photo), load_image(painting), viewing)
        base_path = folder / f"{name}-{viewing}.png"
        base = run(photo, painting, base_path, size=viewing)
        base_values = measure(Image.open(base_path).convert("RGB"))
        quality_rows.append([name, viewing, f"{base_values['gram']:.3f}", f"{base_values['colour']:.3f}",
                             f"{base_values['structure']:.3f}", "", "", "", f"{base['seconds']:.0f}"])
        for size in sizes:
            path = folder / f"{name}-{size}.png"
            result = run(photo, painting, path, size=size)
            values = measure(reduced(path, viewing))
            quality_rows.append([name, size, f"{values['gram']:.3f}", f"{values['colour']:.3f}",
                                 f"{values['structure']:.3f}", f"{values['gram'] - base_values['gram']:+.3f}",
                                 f"{values['colour'] - base_values['colour']:+.3f}",
                                 f"{values['structure'] - base_values['structure']:+.3f}", f"{result['seconds']:.0f}"])
            if size == sizes[-1]:
                width, height = result["size"]
                time_rows.append([name, f"{width}x{height}", result["steps"], f"{result['seconds']:.0f}",
                                  f"{result['units']:.0f}", f"{result['peak_gb']:.1f}"])
        made[name] = (photo, base_path, folder / f"{name}-{sizes[-1]}.png")
    sheet = crops_sheet(made, ROOT / "docs" / "print-size-crops.png")
    return "\n\n".join([
        "### Time of the default plan at the largest size\n\n"
        + table(["photo", "picture", "steps", "seconds", "VGG units", "peak RSS GB"], time_rows),
        f"### The painting at viewing size ({viewing} px), against the {viewing} px run\n\n"
        + table(["photo", "made at", "gram", "colour", "structure", "gram -", "colour -", "structure -", "seconds"],
                quality_rows),
        f"Crops: `{sheet.relative_to(ROOT)}`.",
    ])


def natural_tile() -> int:
    """A tile core of the size the budget picks when memory is short: a megapixel tile less a halo.

    The halo is the network's deepest layer's (relu5_1, 96 px), so the core
    is a little smaller than the budget's own at the default's stages (whose
    deepest layers, relu4_2 to relu3_1, need 48 to 16 px): 832 against 928-992.
    """
    network = load_network(Settings())
    halo = layer_reach(network.extractor, network.extractor.layer_names[-1]).halo
    return math.isqrt(TILE_PIXELS) - 2 * halo


def tiles_section(pair: tuple[Path, Path], folder: Path, viewing: int, sizes: tuple[int, int]) -> str:
    """The same plan tiled and untiled at two sizes: how alike, how much slower, and crops across tile borders.

    Beside the tiles, the precision's own floor: the untiled run again with
    another memory layout (channels_last off), which rounds differently in
    bf16 and so shows how far rounding alone moves a picture, and the same
    comparison in fp32 at the smaller size.
    """
    print("3. tiles against no tiles", flush=True)
    photo, painting = pair
    rows = []
    natural = natural_tile()
    for size, precision in ((viewing, "auto"), (viewing, "fp32"), (sizes[0], "auto")):
        name = f"{size}-{precision}"
        whole = run(photo, painting, folder / f"whole-{name}.png", size=size, precision=precision)
        a = np.asarray(Image.open(folder / f"whole-{name}.png"))
        variants = [("untiled, channels_last off", {"channels_last": False})] if precision == "auto" else []
        variants.append((f"tiles {size // 4}, exact", {"tile": size // 4}))
        if precision == "auto":
            variants += [(f"tiles {size // 4}, previous", {"tile": size // 4, "tile_grams": "previous"}),
                         (f"tiles {natural}, exact", {"tile": natural}),
                         (f"tiles {natural}, previous", {"tile": natural, "tile_grams": "previous"})]
        for label, change in variants:
            path = folder / f"{name}-{'-'.join(str(v) for v in change.values())}.png"
            other = run(photo, painting, path, size=size, precision=precision, **change)
            b = np.asarray(Image.open(path))
            rows.append([size, whole["precision"], label, f"{psnr(a, b):.1f}",
                         int(np.abs(a.astype(int) - b.astype(int)).max()), f"{whole['units']:.1f}",
                         f"{other['units']:.1f}", f"{other['units'] / whole['units']:.2f}",
                         f"{other['seconds'] / whole['seconds']:.2f}"])
    quarter = sizes[0] // 4
    sheet = border_sheet(folder / f"{sizes[0]}-auto-{quarter}.png", folder / f"whole-{sizes[0]}-auto.png", quarter)
    return (
        "### Tiles against no tiles (the same plan and photo; PSNR and units against the untiled run)\n\n"
        + table(["size", "precision", "run", "PSNR dB", "largest difference", "untiled, units", "this run, units",
                 "this / untiled, units", "this / untiled, seconds"], rows)
        + f"\n\nCrops across tile borders: `{sheet.relative_to(ROOT)}`."
    )


def crops_sheet(made: dict[str, tuple[Path, Path, Path]], path: Path) -> Path:
    """1:1 crops from the middle of each pair's largest result, the viewing-size result enlarged, and the photo."""
    rows = []
    for photo, base, largest in made.values():
        big = Image.open(largest).convert("RGB")
        left, top = big.width // 2 - CROP // 2, big.height // 2 - CROP // 2
        box = (left, top, left + CROP, top + CROP)
        enlarged = Image.open(base).convert("RGB").resize(big.size, Image.Resampling.BICUBIC)
        source = load_image(photo, max_pixels=200_000_000).resize(big.size, Image.Resampling.LANCZOS)
        rows.append([big.crop(box), enlarged.crop(box), source.crop(box)])
    return save_sheet(rows, [("largest, 1:1", "viewing size, enlarged", "photo")] * len(rows), path)


def border_sheet(tiled: Path, whole: Path, tile: int) -> Path:
    """1:1 crops about a point where four tile cores meet: tiled, untiled, and their difference magnified."""
    a, b = Image.open(tiled).convert("RGB"), Image.open(whole).convert("RGB")
    corner = (tile // 8) * 8  # near the first cores' far corner (cores are about `tile` px, on the 8 px grid)
    box = (max(0, corner - CROP // 2), max(0, corner - CROP // 2), corner + CROP // 2, corner + CROP // 2)
    difference = Image.fromarray(np.clip(np.abs(np.asarray(a, int) - np.asarray(b, int)) * 8, 0, 255).astype(np.uint8))
    labels = [(f"tiled ({tile} px tiles)", "untiled", "difference x8")]
    return save_sheet([[a.crop(box), b.crop(box), difference.crop(box)]], labels, ROOT / "docs" / "tile-borders.png")


def save_sheet(rows: list[list[Image.Image]], labels: list[tuple[str, ...]], path: Path) -> Path:
    sheet = Image.new("RGB", (3 * CROP + 40, len(rows) * (CROP + 24) + 10), "white")
    draw = ImageDraw.Draw(sheet)
    for r, (row, names) in enumerate(zip(rows, labels, strict=True)):
        for c, (crop, label) in enumerate(zip(row, names, strict=True)):
            x, y = 10 + c * (CROP + 10), 5 + r * (CROP + 24)
            draw.text((x, y), label, fill="black")
            sheet.paste(crop, (x, y + 16))
    sheet.save(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=Path, help="a folder with the study's photographs (see above)")
    parser.add_argument("--quick", action="store_true", help="small sizes on the example photos")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated subset of {', '.join(PARTS)}")
    args = parser.parse_args()
    if not args.quick and (args.photos is None or not all((args.photos / p).is_file() for p, _ in PAIRS)):
        sys.exit(f"--photos must be a folder holding {', '.join(p for p, _ in PAIRS)} (see --help)")
    print(print_size_section(args.photos, args.quick, tuple(args.only.split(","))))


if __name__ == "__main__" and not serve_child(worker):
    main()
