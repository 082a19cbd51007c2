"""Regenerate the example images shipped in ``examples/``.

The web demo and the command line need a few content photos and style
images to try the project out of the box.  Their licences must be clean, so:

* the content photos are public-domain / CC0 sample images bundled inside the
  scikit-image wheel (no download at run time), scaled to a 512 px long side;
* the style images are painted procedurally by this script with numpy and
  Pillow only, so they are our own work under the project's MIT licence.

Everything is deterministic (fixed seeds), so running the script again gives
the same pixels.  scikit-image is needed only to regenerate the content
photos; it is not a runtime dependency of the project.

Usage::

    python examples/make_examples.py [--sheet /tmp/examples_sheet.png]
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

OUT_DIR = Path(__file__).resolve().parent
SIZE = 512  # side of the style images, and long side of the content photos
SCALE = 2  # styles are painted at SCALE * SIZE and downsampled (anti-aliasing)
CONTENT_QUALITY = 90
STYLE_QUALITY = 92

# skimage.data function name -> output file name.  All three are bundled in the
# wheel (listed in its RECORD), so no pooch download is needed.  chelsea is
# 451 px wide in skimage and is upscaled slightly (x1.14) to the 512 px size.
CONTENT: dict[str, str] = {
    "astronaut": "content_astronaut.jpg",
    "coffee": "content_coffee.jpg",
    "chelsea": "content_chelsea.jpg",
}

Color = tuple[int, int, int]
Array = np.ndarray


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


def hex_palette(codes: Sequence[str]) -> Array:
    """Turn ``["#rrggbb", ...]`` into an (n, 3) float array in 0..255."""
    return np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in codes], float)


def smooth_noise(size: int, cells: int, rng: np.random.Generator) -> Array:
    """Smooth value noise in [0, 1]: a random cells x cells grid, upsampled bicubically."""
    grid = (rng.random((cells + 3, cells + 3)) * 255).astype(np.uint8)
    big = Image.fromarray(grid).resize((size * (cells + 3) // cells, size * (cells + 3) // cells), Image.BICUBIC)
    off = size // cells
    arr = np.asarray(big, float)[off : off + size, off : off + size] / 255.0
    return (arr - arr.min()) / max(arr.max() - arr.min(), 1e-9)


def fractal_noise(size: int, rng: np.random.Generator, octaves: Sequence[int] = (3, 6, 12, 24)) -> Array:
    """Sum of smooth noise octaves with halving amplitude, normalised to [0, 1]."""
    total = np.zeros((size, size))
    amp = 1.0
    for cells in octaves:
        total += amp * smooth_noise(size, cells, rng)
        amp *= 0.5
    return (total - total.min()) / (total.max() - total.min())


def fractal_noise_at(points: Array, rng: np.random.Generator) -> Array:
    """Sample a fresh 256 px fractal noise field at (n, 2) points in [0, 1)."""
    field = fractal_noise(256, rng, (3, 6, 12))
    ij = np.clip((points * 256).astype(int), 0, 255)
    return field[ij[:, 1], ij[:, 0]]


def jitter(color: Array, rng: np.random.Generator, amount: float) -> Color:
    """Randomly vary a colour's brightness and hue a little; return ints."""
    c = color * rng.uniform(1 - amount, 1 + amount) + rng.normal(0, amount * 40, 3)
    r, g, b = (int(v) for v in np.clip(c, 0, 255))
    return r, g, b


def lerp_palette(palette: Array, t: float) -> Array:
    """Colour at position ``t`` in [0, 1] along a palette treated as a gradient."""
    t = min(max(t, 0.0), 1.0) * (len(palette) - 1)
    i = min(int(t), len(palette) - 2)
    f = t - i
    return palette[i] * (1 - f) + palette[i + 1] * f


def trace(field: Callable[[Array], Array], starts: Array, steps: int, step_len: Array | float) -> Array:
    """Follow a direction field from many start points at once.

    ``field`` maps (n, 2) positions to (n, 2) unit directions.  Returns the
    (n, steps + 1, 2) polylines (midpoint integration).
    """
    pts = [starts.astype(float)]
    p = starts.astype(float)
    step = np.asarray(step_len, float).reshape(-1, 1) if np.ndim(step_len) else step_len
    for _ in range(steps):
        mid = p + 0.5 * step * field(p)
        p = p + step * field(mid)
        pts.append(p)
    return np.stack(pts, axis=1)


def brush_stroke(
    draw: ImageDraw.ImageDraw,
    line: Array,
    color: Array,
    width: float,
    rng: np.random.Generator,
    bristles: int = 5,
    variation: float = 0.12,
    round_start: bool = False,
) -> None:
    """Paint a polyline as a brush stroke: a solid body plus streaky bristles."""
    pts = [tuple(p) for p in line]
    body = jitter(color, rng, variation * 0.5)
    draw.line(pts, fill=body, width=max(1, round(width)), joint="curve")
    if round_start:
        (x, y), rad = line[0], width / 2
        draw.ellipse([x - rad, y - rad, x + rad, y + rad], fill=body)
    if len(line) < 2 or bristles <= 0:
        return
    d = np.gradient(line, axis=0)
    n = np.stack([-d[:, 1], d[:, 0]], axis=1)
    n /= np.linalg.norm(n, axis=1, keepdims=True) + 1e-9
    bw = max(1, round(width / (bristles + 1)))
    for off in np.linspace(-0.42, 0.42, bristles) * width:
        shifted = line + n * (off + rng.normal(0, width * 0.03))
        # bristles stop a bit early or late so the stroke ends look ragged
        k = len(line) - rng.integers(0, max(1, len(line) // 3))
        draw.line(
            [tuple(p) for p in shifted[: max(2, k)]],
            fill=jitter(color, rng, variation),
            width=bw,
        )


def paint_passes(
    draw: ImageDraw.ImageDraw,
    field: Callable[[Array], Array],
    passes: Sequence[tuple[int, float, int, float]],
    stroke_at: Callable[[float, float, float], tuple[Array, float]],
    rng: np.random.Generator,
    side: int,
    length_spread: float,
    **brush: Any,
) -> None:
    """Paint passes of brush strokes that follow a direction field, broad to fine.

    Each pass is ``(count, width, steps, step_len)``: ``count`` strokes from
    random starts, traced ``steps`` steps along ``field`` with step lengths
    spread by ``length_spread`` either way.  ``stroke_at(x, y, width)`` gives
    a stroke's colour and actual width from its start and the pass's width;
    it is the style's, because the order of its random draws is part of that
    style's pixels.  ``brush`` goes to `brush_stroke`.
    """
    for count, width, steps, step_len in passes:
        starts = rng.random((count, 2)) * side
        spread = rng.uniform(1 - length_spread, 1 + length_spread, count)
        lines = trace(field, starts, steps, step_len * spread)
        for line, (x, y) in zip(lines, starts, strict=True):
            color, stroke_width = stroke_at(x, y, width)
            brush_stroke(draw, line, color, stroke_width, rng, **brush)


def canvas_texture(img: Image.Image, rng: np.random.Generator, strength: float) -> Image.Image:
    """Overlay a faint woven-canvas / paper grain on an image."""
    w, h = img.size
    yy, xx = np.mgrid[0:h, 0:w]
    weave = np.sin(xx * 1.9) * np.sin(yy * 1.9)
    grain = rng.normal(0, 1, (h, w))
    tex = (0.5 * weave + 0.7 * grain) * strength
    arr = np.asarray(img, float) * (1 + tex[..., None] * 0.01)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def finish(img: Image.Image, rng: np.random.Generator, texture: float = 3.0) -> Image.Image:
    """Downsample a SCALE-sized painting to SIZE and add canvas grain."""
    small = img.resize((SIZE, SIZE), Image.LANCZOS)
    return canvas_texture(small, rng, texture)


# --------------------------------------------------------------------------
# Style 1: swirls (vortex flow field, night-sky blues and yellows)
# --------------------------------------------------------------------------


def make_swirls(seed: int = 1) -> Image.Image:
    """Short curved strokes following a vortex flow field, Starry-Night palette."""
    rng = np.random.default_rng(seed)
    n = SIZE * SCALE
    blues = hex_palette(["#0b1a4a", "#14307a", "#1f4fa0", "#3a6fc0", "#6d9ad6", "#a9c8ea"])
    yellows = hex_palette(["#f6e27a", "#f4c542", "#e8a531", "#fff6c8"])
    greens = hex_palette(["#0f2a2a", "#1d3f3a", "#2e5a4a"])

    # vortices: (cx, cy, radius, spin, is_star)
    vortices = [
        (0.78, 0.20, 0.11, 1.0, True),  # big moon
        (0.20, 0.18, 0.06, -1.0, True),
        (0.48, 0.10, 0.04, 1.0, True),
        (0.10, 0.45, 0.05, 1.0, True),
        (0.42, 0.40, 0.16, -1.0, False),  # the great central swirl
        (0.62, 0.42, 0.07, 1.0, True),
        (0.90, 0.55, 0.05, -1.0, True),
        (0.30, 0.62, 0.04, 1.0, True),
    ]
    vort = np.array([(cx * n, cy * n, r * n, s) for cx, cy, r, s, _ in vortices])

    def horizon(x: Array) -> Array:
        return n * (0.80 - 0.06 * np.sin(x / n * 5.0 + 1.0) - 0.03 * np.sin(x / n * 13.0))

    def field(p: Array) -> Array:
        x, y = p[:, 0], p[:, 1]
        # background: a wavy eastward wind
        vx = np.ones_like(x) * 0.6
        vy = 0.45 * np.sin(x / n * 9.0 + y / n * 4.0) + 0.25 * np.cos(y / n * 11.0)
        for cx, cy, r, s in vort:
            dx, dy = x - cx, y - cy
            d2 = dx * dx + dy * dy
            mag = 2.2 * r / np.sqrt(d2 + (0.25 * r) ** 2) * np.exp(-d2 / (2.5 * r) ** 2)
            vx += s * -dy / np.sqrt(d2 + 1e-6) * mag * 2.0
            vy += s * dx / np.sqrt(d2 + 1e-6) * mag * 2.0
        v = np.stack([vx, vy], axis=1)
        return v / (np.linalg.norm(v, axis=1, keepdims=True) + 1e-9)

    # underpainting: vertical gradient with mottled noise
    noise = fractal_noise(n, rng, (4, 8, 16))
    yy = np.linspace(0, 1, n)[:, None] * np.ones((1, n))
    base = np.empty((n, n, 3))
    t = np.clip(0.25 + 0.5 * yy + 0.4 * (noise - 0.5), 0, 1)
    for c in range(3):
        base[..., c] = np.interp(t, np.linspace(0, 1, len(blues)), blues[::-1, c])
    img = Image.fromarray(base.astype(np.uint8))
    draw = ImageDraw.Draw(img)

    def stroke_color(x: float, y: float) -> Array:
        if y > horizon(np.array([x]))[0]:
            return greens[rng.integers(len(greens))]
        best = None
        for (cx, cy, r, _), (*_, star) in zip(vort, vortices, strict=True):
            d = math.hypot(x - cx, y - cy) / r
            if star and d < 1.25:
                best = (
                    yellows[rng.integers(len(yellows))] if d < 0.9 or rng.random() < 0.5 else blues[rng.integers(4, 6)]
                )
                break
            if not star and 0.3 < d < 1.1 and rng.random() < 0.45:
                best = lerp_palette(blues, rng.uniform(0.55, 1.0))
        if best is None:
            if rng.random() < 0.06:
                best = yellows[rng.integers(len(yellows))] * 0.9
            else:
                best = lerp_palette(blues, rng.beta(2.0, 2.2))
        return best

    def stroke_at(x: float, y: float, width: float) -> tuple[Array, float]:
        stroke_width = width * rng.uniform(0.75, 1.25)  # drawn before the colour
        return stroke_color(x, y), stroke_width

    passes = ((900, 22, 9, 9.0), (2600, 13, 8, 6.0), (5200, 7, 7, 4.0))
    paint_passes(draw, field, passes, stroke_at, rng, n, length_spread=0.3, bristles=4)

    # dark flame-like cypress on the left, painted with upward wavy strokes
    for _ in range(700):
        h = rng.uniform(0.0, 1.0)
        y0 = n * (0.98 - 0.78 * h)
        half = n * 0.075 * (1 - h) ** 0.8 + n * 0.008
        x0 = n * 0.14 + rng.uniform(-half, half) + n * 0.02 * math.sin(h * 9)
        length = rng.uniform(25, 70)
        k = np.linspace(0, 1, 8)[:, None]
        line = np.hstack([x0 + np.sin(k * 6 + rng.uniform(0, 6)) * 8, y0 - k * length])
        col = greens[rng.integers(len(greens))] * rng.uniform(0.6, 1.0)
        brush_stroke(draw, line, col, rng.uniform(7, 14), rng, bristles=3)
    return finish(img, rng)


# --------------------------------------------------------------------------
# Style 2: mosaic (Voronoi tiles with dark grout, warm palette)
# --------------------------------------------------------------------------


def make_mosaic(seed: int = 2) -> Image.Image:
    """Voronoi tesserae in warm colours with dark grout and a radial sun motif."""
    rng = np.random.default_rng(seed)
    n = SIZE * SCALE
    warm = hex_palette(["#5a1a0e", "#8f2d14", "#c2461b", "#e07b24", "#f0a830", "#f7d36a", "#fbecc0"])
    accents = hex_palette(["#1f6f6b", "#2b8c84", "#16425b"])

    # seeds: denser near the centre so tiles are small there and large at the rim
    pts = []
    while len(pts) < 1700:
        p = rng.random(2)
        r = math.hypot(p[0] - 0.5, p[1] - 0.5)
        if rng.random() < 1.15 - 1.1 * r:
            pts.append(p * n)
    seeds = np.array(pts)

    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32)
    d1 = np.full((n, n), np.inf, np.float32)
    d2 = np.full((n, n), np.inf, np.float32)
    idx = np.zeros((n, n), np.int32)
    for i, (sx, sy) in enumerate(seeds):
        # only touch a window around the seed (cells are small)
        x0, x1 = int(max(0, sx - 110)), int(min(n, sx + 110))
        y0, y1 = int(max(0, sy - 110)), int(min(n, sy + 110))
        d = np.hypot(xx[y0:y1, x0:x1] - sx, yy[y0:y1, x0:x1] - sy)
        a1, a2, ai = d1[y0:y1, x0:x1], d2[y0:y1, x0:x1], idx[y0:y1, x0:x1]
        closer = d < a1
        a2[:] = np.where(closer, a1, np.minimum(a2, d))
        ai[:] = np.where(closer, i, ai)
        a1[:] = np.where(closer, d, a1)

    # tile colours: a sun motif (disc, twisted rays, rings) drawn tile by tile
    cx, cy = seeds[:, 0] / n - 0.5, seeds[:, 1] / n - 0.5
    r = np.hypot(cx, cy)
    ang = np.arctan2(cy, cx)
    ray = np.cos(ang * 9 + 9 * r) > 0
    t = np.where(
        r < 0.11,
        0.92,  # pale centre disc
        np.where(
            r < 0.36,
            np.where(ray, 0.78, 0.42),  # gold / orange rays
            0.22 * fractal_noise_at(seeds / n, rng),
        ),
    )  # outer field
    t = np.clip(t + rng.normal(0, 0.06, len(seeds)), 0, 1)
    colors = np.array([lerp_palette(warm, v) for v in t])
    ring = (np.abs(r - 0.125) < 0.018) | (np.abs(r - 0.38) < 0.025)
    teal = ring | ((r > 0.42) & (rng.random(len(seeds)) < 0.10))
    colors[teal] = accents[rng.integers(0, len(accents), teal.sum())]
    colors *= rng.uniform(0.85, 1.12, (len(seeds), 1))

    # per-tile shading: light from the top-left, bevel darker towards edges
    off_x = (xx - seeds[idx, 0]) / 40.0
    off_y = (yy - seeds[idx, 1]) / 40.0
    shade = 1.0 - 0.10 * (off_x + off_y) - 0.35 * np.exp(-(d2 - d1) / 6.0)
    glaze = fractal_noise(n, rng, (16, 48, 96))
    img = colors[idx] * (shade * (0.9 + 0.2 * glaze))[..., None]

    # grout between tiles, slightly uneven
    gap = d2 - d1
    grout_w = 3.0 + 2.0 * smooth_noise(n, 10, rng)
    grout = np.clip((grout_w - gap) / 1.5, 0, 1)[..., None]
    grout_col = np.array([38, 26, 20]) * (0.8 + 0.4 * glaze[..., None])
    img = img * (1 - grout) + grout_col * grout

    out = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    return finish(out, rng, texture=2.0)


# --------------------------------------------------------------------------
# Style 3: waves (layered woodcut bands)
# --------------------------------------------------------------------------


def make_waves(seed: int = 3) -> Image.Image:
    """Layered wavy bands with carved hatching, like a Japanese woodblock print."""
    rng = np.random.default_rng(seed)
    n = SIZE * SCALE
    bands = hex_palette(
        [
            "#f3ead2",
            "#9cc3d0",
            "#3f7fa6",
            "#1d4e79",
            "#10305a",
            "#0a1f3d",
            "#1d4e79",
            "#5b93b8",
            "#e9dfc3",
            "#c9573a",
        ]
    )
    ink = np.array([16, 22, 40], float)
    paper = np.array([240, 230, 205], float)

    yy, xx = np.mgrid[0:n, 0:n].astype(float) / n
    warp = fractal_noise(n, rng, (3, 6, 12)) - 0.5
    warp2 = fractal_noise(n, rng, (4, 8)) - 0.5
    xw = xx + 0.08 * warp
    # phase: mostly y, bent into big waves whose crests curl over
    phi = (
        yy
        - 0.15 * np.abs(np.sin(xw * 4.0 + 2.5 * yy))
        + 0.05 * np.sin(xw * 17.0 + 1.0)
        + 0.06 * warp2
        + 0.04 * np.sin(xw * 3.0 - 4.0 * yy)
    )
    band_w = 0.085
    k = phi / band_w
    band = np.floor(k).astype(int)
    frac = k - band
    col = bands[band % len(bands)]

    # each band lighter at its crest, darker at its trough
    col = col * (0.78 + 0.3 * frac[..., None])
    # carved lines that follow the band, denser towards the trough
    lines = np.sin(k * math.pi * 9.0 + 2.5 * warp) > (0.55 + 0.35 * frac)
    col = np.where(lines[..., None], col * 0.55 + ink * 0.45, col)
    # crisp dark outline along every band boundary
    edge = np.minimum(frac, 1 - frac) * band_w * n
    outline = np.clip(1.8 - edge / 1.6, 0, 1)[..., None]
    col = col * (1 - outline) + ink * outline

    img = Image.fromarray(np.clip(col, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    # foam: claw-like spray dots along the crests
    ys = np.arange(0, n, 2)
    for b in range(int(k.min()), int(k.max()) + 1):
        if b % 3:
            continue
        for x in range(0, n, 14):
            col_k = k[:, x]
            hits = ys[np.abs(col_k[ys] - b) < 0.02]
            if len(hits) == 0:
                continue
            y = hits[0]
            for _ in range(3):
                rad = rng.uniform(2, 6)
                px, py = x + rng.normal(0, 6), y - rng.uniform(4, 20)
                draw.ellipse(
                    [px - rad, py - rad, px + rad, py + rad],
                    fill=tuple(paper.astype(int)),
                    outline=tuple(ink.astype(int)),
                    width=2,
                )
    # a big red sun peeking through
    sx, sy, sr = 0.78 * n, 0.18 * n, 0.11 * n
    sun = Image.new("L", (n, n), 0)
    ImageDraw.Draw(sun).ellipse([sx - sr, sy - sr, sx + sr, sy + sr], fill=255)
    mask = np.asarray(sun, float)[..., None] / 255 * (phi < 0.26)[..., None]
    arr = np.asarray(img, float)
    arr = arr * (1 - mask) + np.array([201, 64, 44]) * mask
    # wood grain: streaky horizontal noise multiplies everything
    grain = (
        np.asarray(
            Image.fromarray((rng.random((n // 2, 8)) * 255).astype(np.uint8)).resize((n, n), Image.BICUBIC),
            float,
        )
        / 255
    )
    arr *= (0.93 + 0.1 * grain)[..., None]
    out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    return finish(out, rng, texture=2.5)


# --------------------------------------------------------------------------
# Style 4: strokes (bold complementary brush strokes)
# --------------------------------------------------------------------------


def make_strokes(seed: int = 4) -> Image.Image:
    """Thick oriented brush strokes in a bold orange/blue, violet/yellow palette."""
    rng = np.random.default_rng(seed)
    n = SIZE * SCALE
    pal_a = hex_palette(["#f26b1d", "#f59e2b", "#ffd23f", "#d8431b", "#fff1b8"])
    pal_b = hex_palette(["#1b3fa0", "#2f6fd6", "#5fa8e8", "#3a1f7a", "#6a3fb5"])
    pal_c = hex_palette(["#1a8a5a", "#7cc24a", "#e83f6f"])

    angle = fractal_noise(n, rng, (2, 4, 8)) * 2.5 * math.pi
    region = fractal_noise(n, rng, (2, 4, 8, 16))

    def field(p: Array) -> Array:
        ix = np.clip(p[:, 0].astype(int), 0, n - 1)
        iy = np.clip(p[:, 1].astype(int), 0, n - 1)
        a = angle[iy, ix]
        return np.stack([np.cos(a), np.sin(a)], axis=1)

    def color_at(x: float, y: float) -> Array:
        v = region[min(int(y), n - 1), min(int(x), n - 1)] + rng.normal(0, 0.08)
        if rng.random() < 0.04:
            return pal_c[rng.integers(len(pal_c))]
        pal = pal_a if v > 0.5 else pal_b
        if rng.random() < 0.12:  # complementary flecks
            pal = pal_b if pal is pal_a else pal_a
        return pal[rng.integers(len(pal))]

    base = Image.new("RGB", (n, n), (40, 30, 60))
    draw = ImageDraw.Draw(base)

    def stroke_at(x: float, y: float, width: float) -> tuple[Array, float]:
        return color_at(x, y), width * rng.uniform(0.7, 1.3)  # the colour drawn first

    passes = ((500, 46, 6, 14.0), (1600, 26, 6, 9.0), (3800, 13, 5, 6.0), (3000, 6, 4, 4.0))
    paint_passes(
        draw, field, passes, stroke_at, rng, n, length_spread=0.4, bristles=6, variation=0.16, round_start=True
    )
    img = base.filter(ImageFilter.UnsharpMask(radius=2, percent=60, threshold=2))
    return finish(img, rng, texture=4.0)


STYLES: dict[str, Callable[[], Image.Image]] = {
    "style_swirls.jpg": make_swirls,
    "style_mosaic.jpg": make_mosaic,
    "style_waves.jpg": make_waves,
    "style_strokes.jpg": make_strokes,
}


# --------------------------------------------------------------------------
# Content photos and driver
# --------------------------------------------------------------------------


def fit_long_side(img: Image.Image, long_side: int = SIZE) -> Image.Image:
    """Resize so that the longer side is ``long_side`` px (Lanczos)."""
    w, h = img.size
    s = long_side / max(w, h)
    return img.resize((round(w * s), round(h * s)), Image.LANCZOS)


def make_content(out_dir: Path) -> list[Path]:
    """Save the bundled scikit-image sample photos as 512 px JPEGs."""
    try:
        import skimage.data
    except ImportError as exc:  # pragma: no cover - only needed to regenerate
        raise SystemExit("scikit-image is needed to regenerate the content photos: pip install scikit-image") from exc
    paths = []
    for name, filename in CONTENT.items():
        arr = getattr(skimage.data, name)()
        img = fit_long_side(Image.fromarray(arr).convert("RGB"))
        path = out_dir / filename
        img.save(path, quality=CONTENT_QUALITY, optimize=True)
        paths.append(path)
    return paths


def make_styles(out_dir: Path) -> list[Path]:
    """Paint and save all procedural style images."""
    paths = []
    for filename, painter in STYLES.items():
        path = out_dir / filename
        painter().save(path, quality=STYLE_QUALITY, optimize=True)
        paths.append(path)
    return paths


def contact_sheet(paths: Sequence[Path], dest: Path, tile: int = 256) -> None:
    """Write a grid of thumbnails of ``paths`` to ``dest`` (for eyeballing only)."""
    cols = 4
    rows = math.ceil(len(paths) / cols)
    sheet = Image.new("RGB", (cols * tile, rows * tile), (255, 255, 255))
    for i, p in enumerate(paths):
        with Image.open(p) as im:
            im = im.convert("RGB")
            im.thumbnail((tile - 8, tile - 8))
            x = (i % cols) * tile + (tile - im.width) // 2
            y = (i // cols) * tile + (tile - im.height) // 2
            sheet.paste(im, (x, y))
    sheet.save(dest)


def main(argv: Sequence[str] | None = None) -> None:
    """Regenerate every example file in ``examples/``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder")
    parser.add_argument("--sheet", type=Path, help="also write a contact sheet here")
    parser.add_argument(
        "--styles-only",
        action="store_true",
        help="skip the content photos (no scikit-image needed)",
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    paths = [] if args.styles_only else make_content(args.out)
    paths += make_styles(args.out)
    for p in paths:
        print(f"{p.name:24s} {p.stat().st_size / 1024:6.1f} KB")
    if args.sheet:
        contact_sheet(paths, args.sheet)
        print(f"contact sheet: {args.sheet}")


if __name__ == "__main__":
    main()
