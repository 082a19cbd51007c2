"""Run the default settings over example pairs and save a contact sheet PNG.

A style transfer that runs but looks wrong is broken, and only eyes catch
that; this makes the picture to look at (content | style | result per row)
after any change to the method or its defaults.

    python bench/contact_sheet.py -o docs/results.jpg
    python bench/contact_sheet.py --size 256 --pair photo.jpg painting.jpg -o /tmp/sheet.png
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nst import Settings, load_image, preset, stylize  # noqa: E402

EXAMPLES = ROOT / "examples"
DEFAULT_PAIRS = [
    ("content_coffee.jpg", "style_starry_night.jpg"),
    ("content_astronaut.jpg", "style_composition_vii.jpg"),
    ("content_chelsea.jpg", "style_the_scream.jpg"),
]
ROW_HEIGHT = 256


def stylize_pair(content: Path, style: Path, settings: Settings) -> tuple[Image.Image, float]:
    """The final image of a default run, and its wall time in seconds."""
    started = time.perf_counter()
    *_, final = stylize(content, style, settings)
    return final.to_pil(), time.perf_counter() - started


def fit_height(image: Image.Image, height: int) -> Image.Image:
    return image.resize((round(image.width * height / image.height), height), Image.Resampling.LANCZOS)


def make_sheet(rows: list[tuple[list[Image.Image], str]]) -> Image.Image:
    """Stack rows of images (scaled to one height) with a caption above each row."""
    gap, caption = 6, 18
    fitted = [([fit_height(image, ROW_HEIGHT) for image in images], text) for images, text in rows]
    width = max(sum(i.width for i in images) + gap * (len(images) + 1) for images, _ in fitted)
    height = len(fitted) * (ROW_HEIGHT + caption + gap) + gap
    sheet = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(sheet)
    y = gap
    for images, text in fitted:
        draw.text((gap, y), text, fill="black")
        x = gap
        for image in images:
            sheet.paste(image, (x, y + caption))
            x += image.width + gap
        y += ROW_HEIGHT + caption + gap
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default="docs/results.jpg")
    parser.add_argument("--preset", default="vgg19")
    parser.add_argument("--size", type=int, help="override the preset's output size")
    parser.add_argument("--pair", nargs=2, action="append", metavar=("CONTENT", "STYLE"))
    args = parser.parse_args()
    settings = preset(args.preset, **({"size": args.size} if args.size else {}))
    pairs = [tuple(map(Path, pair)) for pair in args.pair] if args.pair else [
        (EXAMPLES / c, EXAMPLES / s) for c, s in DEFAULT_PAIRS
    ]
    rows = []
    for content, style in pairs:
        result, seconds = stylize_pair(content, style, settings)
        caption = f"{content.name} + {style.name}: {args.preset}, {result.width}x{result.height}, {seconds:.1f}s"
        print(caption, flush=True)
        rows.append(([load_image(content), load_image(style), result], caption))
    make_sheet(rows).save(args.output, quality=85)  # quality applies to JPEG only
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
