"""Writing the frames of a run as an animated GIF or WebP.

The original project showed its results as the optimisation's progress, a
photo dissolving into a painting; this writes exactly that. Frames from
coarse scales are smaller than the final one and are scaled up to its size.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from ..errors import SettingsError

FORMATS = {".gif": "GIF", ".webp": "WEBP"}


def save_animation(
    frames: Sequence[Image.Image],
    path: str | Path,
    frame_ms: int = 80,
    hold_last_ms: int = 1500,
) -> Path:
    """Write `frames` to `path` (.gif or .webp), holding the last frame longer."""
    path = Path(path)
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise SettingsError(f"Animations are written as .gif or .webp, not {path.suffix or 'no extension'!r}.")
    if not frames:
        raise SettingsError("There are no frames to animate.")
    size = frames[-1].size
    images = [frame.convert("RGB").resize(size, Image.Resampling.BICUBIC) for frame in frames]
    durations = [frame_ms] * (len(images) - 1) + [hold_last_ms]
    options = {"quality": 80} if kind == "WEBP" else {"optimize": False}
    images[0].save(
        path,
        format=kind,
        save_all=True,
        append_images=images[1:],
        duration=durations,
        loop=0,
        **options,
    )
    return path
