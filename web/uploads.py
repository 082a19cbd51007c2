"""The visitor's uploads, decoded by the library's careful loader rather than by Gradio."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image

import nst


def upload_path(payload: dict[str, Any] | None) -> str | None:
    """Where Gradio stored an upload (the run event skips Gradio's own decoding, see `app.build_demo`)."""
    return payload.get("path") if payload else None


def load_inputs(
    content: dict[str, Any] | None, paintings: Sequence[dict[str, Any] | None]
) -> tuple[Image.Image, list[Image.Image]]:
    """Decode the photo and the paintings given (any of the slots may be empty) with the library's loader."""
    content_path = upload_path(content)
    painting_paths = [path for path in map(upload_path, paintings) if path is not None]
    if content_path is None:
        raise nst.ImageInputError("Add a photo to repaint first (upload, paste, webcam or an example).")
    if not painting_paths:
        raise nst.ImageInputError("Add a painting first: upload one or pick an example painting.")
    return nst.load_image(content_path), [nst.load_image(path) for path in painting_paths]


def painting_names(paintings: Sequence[dict[str, Any] | None]) -> list[str]:
    """The paintings' names as a visitor knows them: their file names without "style_" and the extension."""
    names = []
    for payload in paintings:
        if payload is not None:
            name = Path(payload.get("orig_name") or payload.get("path") or "painting").stem
            names.append(name.removeprefix("style_").replace("_", " "))
    return names


def load_regions(
    mask: dict[str, Any] | None, mask_style: dict[str, Any] | None
) -> tuple[Image.Image | None, list[Image.Image]]:
    """Decode the mask (white = painted) and the painting for the unmasked part, where given."""
    mask_path, style_path = upload_path(mask), upload_path(mask_style)
    if style_path and not mask_path:
        raise nst.SettingsError(
            "The painting for the rest needs a region to leave to it: brush where the first painting goes."
        )
    return (
        nst.load_image(mask_path) if mask_path else None,
        [nst.load_image(style_path)] if style_path else [],
    )


def thumbnail(image: Image.Image, long_side: int) -> Image.Image:
    """A copy at most `long_side` pixels long: the photo as the before/after needs it, not a 40 MP original."""
    small = image.copy()
    small.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
    return small
