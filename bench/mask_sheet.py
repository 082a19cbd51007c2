"""Contact sheet of regional control: photo, mask, result, at the default settings.

The masks are drawn here in code, as polygons and ellipses over the example
photos, so the sheet can be made again after any change to the method. Look
at it: the white region must look fully painted, the black one like the
photo (or like the second painting), and the seam must not show.

    python bench/mask_sheet.py -o docs/regions.jpg
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.contact_sheet import make_sheet  # noqa: E402
from nst import Settings, load_image, stylize  # noqa: E402

EXAMPLES = ROOT / "examples"


def astronaut_background() -> Image.Image:
    """White everywhere but the astronaut: her head, suit and helmet stay black."""
    mask = Image.new("L", (512, 512), 255)
    draw = ImageDraw.Draw(mask)
    draw.ellipse((154, 14, 300, 160), fill=0)  # hair and face
    draw.ellipse((110, 148, 302, 296), fill=0)  # the neck ring
    draw.polygon([(118, 205), (300, 205), (320, 228), (345, 255), (360, 300), (366, 512), (18, 512), (22, 330),
                  (40, 285), (70, 235)], fill=0)  # the suit
    draw.ellipse((274, 342, 530, 560), fill=0)  # the helmet in her arm
    return mask


def coffee_cup() -> Image.Image:
    """White over the cup and saucer, black over the table."""
    mask = Image.new("L", (512, 341), 0)
    ImageDraw.Draw(mask).ellipse((62, 40, 412, 334), fill=255)
    ImageDraw.Draw(mask).polygon([(148, 60), (200, 14), (300, 14), (350, 60), (360, 120), (148, 120)], fill=255)
    return mask


ROWS = [
    ("content_astronaut.jpg", astronaut_background, "style_starry_night.jpg", None),
    ("content_coffee.jpg", coffee_cup, "style_great_wave.jpg", "style_starry_night.jpg"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default="docs/regions.jpg")
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args()
    settings = Settings(size=args.size)
    rows = []
    for photo_name, make_mask, painting_name, second_name in ROWS:
        photo, mask = load_image(EXAMPLES / photo_name), make_mask()
        painting = load_image(EXAMPLES / painting_name)
        second = load_image(EXAMPLES / second_name) if second_name else None
        started = time.perf_counter()
        *_, last = stylize(photo, painting, settings, mask=mask, mask_styles=second)
        seconds = time.perf_counter() - started
        black = f"{second_name} in black" if second_name else "black kept"
        size = f"{last.size[0]}x{last.size[1]}"
        caption = f"{photo_name}, mask, {painting_name} in white, {black}: {size}, {seconds:.0f}s"
        print(caption, flush=True)
        rows.append(([photo, mask.convert("RGB"), painting, *([second] if second else []), last.to_pil()], caption))
    make_sheet(rows).save(args.output, quality=85)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
