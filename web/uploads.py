"""The visitor's uploads, decoded by the library's careful loader rather than by Gradio."""

from __future__ import annotations

from typing import Any

from PIL import Image

import nst


def upload_path(payload: dict[str, Any] | None) -> str | None:
    """Where Gradio stored an upload (the run event skips Gradio's own decoding, see `app.build_demo`)."""
    return payload.get("path") if payload else None


def load_inputs(content: dict[str, Any] | None, style: dict[str, Any] | None) -> tuple[Image.Image, Image.Image]:
    """Decode the two uploads with the library's careful loader."""
    content_path, style_path = upload_path(content), upload_path(style)
    if content_path is None:
        raise nst.ImageInputError("Add a photo to repaint first (upload, paste, webcam or an example).")
    if style_path is None:
        raise nst.ImageInputError("Add a style image first: upload a painting or pick an example style.")
    return nst.load_image(content_path), nst.load_image(style_path)


def thumbnail(image: Image.Image, long_side: int) -> Image.Image:
    """A copy at most `long_side` pixels long: the photo as the before/after needs it, not a 40 MP original."""
    small = image.copy()
    small.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
    return small
