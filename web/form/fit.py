"""What the page offers, shown as the settings change, and taken in one click (`web.costs.offers`).

The size slider reaches as far as this server finishes in time, and its hint
says why. Where the chosen size, or the clip given, would not finish, the
estimate says what would, and a button beside it takes that: the size, or the
clip's first seconds (a copy of the clip cut to them, which the clip input
then shows and the run takes).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
from PIL import Image

import nst
from nst.io.clip_reader import Clip
from nst.io.clip_writer import write_clip
from nst.io.images import resize_long_side

from .. import limits
from ..costs.estimate import estimate_settings
from ..costs.offers import caps_text, clip_estimate_text, clip_fit, estimate_text, largest_size, size_info
from ..page_update import PageUpdate
from ..run_files import session_folder
from .uploads import open_clip_upload


@dataclasses.dataclass(frozen=True)
class SizeOffer:
    """What the controls say of a picture's size: the estimate, the size slider's reach and why, and the button
    that takes the size that fits, where the chosen one would not finish in time."""

    estimate: str
    reach: int
    info: str
    button: str | None


def size_offer(backbone: str, size: float, steps: float, multiscale: bool) -> SizeOffer | None:
    """The offer for the widgets' values; None while they are not valid.

    The slider reaches the largest size that finishes, or the chosen size
    where that is larger (as a link or a restored form may choose): a value
    past its end would not show. It reaches one step at least: Gradio
    refuses a slider that ends where it starts.
    """
    settings = estimate_settings(backbone, size, steps, multiscale)
    if settings is None:
        return None
    largest = largest_size(settings)
    offered = largest is not None and settings.size > largest
    return SizeOffer(
        estimate=estimate_text(settings, largest),
        reach=max(largest or limits.MIN_SIZE, settings.size, limits.MIN_SIZE + limits.SIZE_STEP),
        info=size_info(settings, largest), button=f"Use {largest} px" if offered else None,
    )


# Runs in the browser after `show_offer`. A size past the slider's end (typed in, or from a link) leaves the
# range's handle held at the old end once the end moves out to it: Gradio (6.31) redraws the handle only when
# the value or its share of the range changes, and both are the same. The handle goes to the number shown.
SLIDER_JS = """
() => {
  const range = document.querySelector("#size input[type=range]");
  const number = document.querySelector("#size input[type=number]");
  if (range && number && range.value !== number.value) range.value = number.value;
}
"""


def offer_button(label: str | None) -> gr.Button:
    """A button that takes an offer: shown with `label`, or hidden when there is nothing to offer."""
    return gr.Button(value=label, visible=True) if label else gr.Button(visible=False)


def show_offer(backbone: str, size: float, steps: float, multiscale: bool) -> PageUpdate:
    """The estimate under the steps, the size slider's reach and its reason, and "Use N px" where the chosen size
    would not finish in time."""
    offer = size_offer(backbone, size, steps, multiscale)
    if offer is None:
        return PageUpdate(estimate="", fit_size=offer_button(None))
    return PageUpdate(
        estimate=offer.estimate, form={"size": gr.Slider(maximum=offer.reach, info=offer.info)},
        fit_size=offer_button(offer.button),
    )


def use_size_offer(backbone: str, size: float, steps: float, multiscale: bool) -> PageUpdate:
    """"Use N px": the size slider set to the largest size that finishes in time."""
    settings = estimate_settings(backbone, size, steps, multiscale)
    largest = None if settings is None else largest_size(settings)
    return PageUpdate() if largest is None else PageUpdate(form={"size": largest})


def clip_settings(backbone: str, size: float, steps: float, multiscale: bool) -> nst.Settings | None:
    """The settings a clip's estimate is for: the widgets', at the clip's size (within the page's clip cap)."""
    settings = estimate_settings(backbone, size, steps, multiscale)
    return None if settings is None else settings.replace(size=limits.clip_size(settings.size))


def given_clip(payload: dict[str, Any] | None) -> Clip | None:
    """The clip in the clip input, if there is one the page takes (a refused one, the status explains)."""
    try:
        return open_clip_upload(payload)
    except nst.NSTError:
        return None


@dataclasses.dataclass(frozen=True)
class ClipOffer:
    """What the clip panel says: the caps at the chosen size and the clip's estimate, and the buttons that take
    what fits where the clip would not finish in time."""

    text: str
    length_button: str | None
    size_button: str | None


def clip_offer(
    payload: dict[str, Any] | None, backbone: str, size: float, steps: float, multiscale: bool
) -> ClipOffer:
    """The offer for the clip given (or none yet) and the widgets' values."""
    settings = clip_settings(backbone, size, steps, multiscale)
    if settings is None:
        return ClipOffer("", None, None)
    caps, clip = caps_text(settings), given_clip(payload)
    if clip is None:
        return ClipOffer(caps, None, None)
    fit = clip_fit(settings, clip)
    first = fit.first_seconds(clip)
    return ClipOffer(
        f"{caps}\n\n{clip_estimate_text(settings, clip, fit)}",
        f"Use the first {first:g} s" if not fit.fits and first > 0 else None,
        f"Use {fit.size} px" if not fit.fits and fit.size is not None else None,
    )


def show_clip_offer(
    payload: dict[str, Any] | None, backbone: str, size: float, steps: float, multiscale: bool
) -> PageUpdate:
    """The clip's caps at the chosen size and, once a clip is in, about how long it takes here; where it would
    not finish in time, "Use the first N s" and "Use N px"."""
    offer = clip_offer(payload, backbone, size, steps, multiscale)
    return PageUpdate(
        clip_caps=offer.text, fit_clip_length=offer_button(offer.length_button),
        fit_clip_size=offer_button(offer.size_button),
    )


def use_clip_length_offer(
    payload: dict[str, Any] | None, backbone: str, size: float, steps: float, multiscale: bool,
    request: gr.Request | None = None,
) -> PageUpdate:
    """"Use the first N s": the clip input gets a copy of the clip cut to the part that finishes in time."""
    settings, clip = clip_settings(backbone, size, steps, multiscale), given_clip(payload)
    if settings is None or clip is None:
        return PageUpdate()
    fit = clip_fit(settings, clip)
    seconds = fit.first_seconds(clip)
    if fit.fits or seconds <= 0:
        return PageUpdate()
    folder = session_folder(request.session_hash if request else None) / "clips"
    folder.mkdir(parents=True, exist_ok=True)
    cut = folder / f"{Path(payload.get('orig_name') or clip.path.name).stem}-first-{seconds:g}s.mp4"
    return PageUpdate(clip=str(first_seconds(clip, math.floor(seconds * clip.fps), cut)))


def first_seconds(clip: Clip, frames: int, path: Path) -> Path:
    """`clip`'s first `frames` frames with their sound, at most the page's clip side long (larger frames would
    only be made smaller again by the run), as an MP4 at `path`."""
    side = limits.clip_side()

    def at_most_side(frame: np.ndarray) -> np.ndarray:
        return frame if max(frame.shape[:2]) <= side else np.asarray(resize_long_side(Image.fromarray(frame), side))

    return write_clip(map(at_most_side, itertools.islice(clip.frames(), frames)), path, clip.fps, audio_from=clip)


def use_clip_size_offer(
    payload: dict[str, Any] | None, backbone: str, size: float, steps: float, multiscale: bool
) -> PageUpdate:
    """"Use N px": the size slider set to the largest size at which the whole clip finishes in time."""
    settings, clip = clip_settings(backbone, size, steps, multiscale), given_clip(payload)
    if settings is None or clip is None:
        return PageUpdate()
    fit = clip_fit(settings, clip)
    return PageUpdate() if fit.fits or fit.size is None else PageUpdate(form={"size": fit.size})
