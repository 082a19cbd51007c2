"""The visitor's uploads: checked as they arrive, decoded by the library's careful loader rather than by Gradio.

A clip is checked against the page's caps (`web.limits`) and described
(`nst.io.clip_reader.open_clip`); its frames are decoded only as its run reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image

import nst
from nst.io.clip_reader import Clip, open_clip

from .. import limits
from ..page_update import PageUpdate
from ..refusals import is_refusal, log_refusal, refused_text
from ..status import READY


def upload_path(payload: dict[str, Any] | None) -> str | None:
    """Where Gradio stored an upload (the run event skips Gradio's own decoding, see `app.build_demo`)."""
    return payload.get("path") if payload else None


def load_inputs(
    content: dict[str, Any] | None, paintings: Sequence[dict[str, Any] | None]
) -> tuple[Image.Image, list[Image.Image]]:
    """Decode the photo and the paintings given (any of the slots may be empty) with the library's loader."""
    content_path = upload_path(content)
    if content_path is None:
        raise nst.ImageInputError("Add a photo to repaint first (upload, paste, webcam or an example).")
    return nst.load_image(content_path), load_paintings(paintings)


def load_paintings(paintings: Sequence[dict[str, Any] | None]) -> list[Image.Image]:
    """Decode the paintings given (any of the slots may be empty); at least one is needed."""
    painting_paths = [path for path in map(upload_path, paintings) if path is not None]
    if not painting_paths:
        raise nst.ImageInputError("Add a painting first: upload one or pick an example painting.")
    return [nst.load_image(path) for path in painting_paths]


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


def check_upload(payload: dict[str, Any] | None, status: str | None, slot: str) -> PageUpdate:
    """A picture as it arrives (an upload, an example, a restored one): refused at once if the run could not use
    it, rather than at Stylize.

    A refused file leaves its `slot` (the photo's or a painting's, by its
    `PageUpdate` field; a file that is not an image would show as a broken
    frame there), the status says why, and an earlier run's result goes too:
    it would look like the result of the new picture. A good one clears a
    refusal from the `status` (it is answered) and changes nothing else.
    """
    path = upload_path(payload)
    if path is None:
        return PageUpdate()
    try:
        nst.load_image(path)
    except nst.ImageInputError as error:
        title = f"Cannot use this {'photo' if slot == 'photo' else 'painting'}"
        log_refusal(title, error)
        refused = PageUpdate(status=refused_text(title, error), result=None, comparison=None, png=None, animation=None)
        return refused.replace(**{slot: None})
    return answered(status)


def answered(status: str | None) -> PageUpdate:
    """A good picture or clip has arrived: a refusal in the `status` gives way to what to do next."""
    return PageUpdate(status=READY) if is_refusal(status) else PageUpdate()


def open_clip_upload(payload: dict[str, Any] | None) -> Clip | None:
    """The uploaded clip checked against the page's caps (`nst.ClipInputError` says why not); None if none."""
    path = upload_path(payload)
    if path is None:
        return None
    return open_clip(path, max_pixels=limits.clip_pixels(), max_seconds=limits.clip_seconds())


def check_clip_upload(payload: dict[str, Any] | None, status: str | None) -> PageUpdate:
    """A clip as it arrives: refused at once if the run could not use it, as `check_upload` does for a picture.

    A refused clip leaves its slot, and the results of an earlier run go; a
    good one clears a refusal from the `status` and changes nothing else.
    """
    try:
        clip = open_clip_upload(payload)
    except nst.NSTError as error:
        title = "Cannot use this clip"
        log_refusal(title, error)
        return PageUpdate(
            clip=None, status=refused_text(title, error), result=None, comparison=None, png=None, animation=None,
            video=None,
        )
    return PageUpdate() if clip is None else answered(status)
