"""The page's own limits and the environment variables that set them.

A public demo on a CPU must not accept a run that takes hours, nor let a queue
grow without bound, so the page narrows what the library allows.
"""

from __future__ import annotations

import os

import torch

MIN_SIZE = 64
SIZE_STEP = 32  # the size slider's step
# The largest picture the page takes, by its hardware (BENCHMARKS.md, Print size): on a GPU
# 4096 px, on a 2-core CPU 2048 px (tiles keep its memory within the budget); NST_MAX_SIZE sets
# another. These, and the clip caps below, are upper bounds: within them the page offers what
# this server's learned pace finishes within the deadline (web/costs/offers.py). Pictures larger
# than DISPLAY_SIDE are shown at that size while they form; the full-size PNG is the download.
GPU_MAX_SIZE, CPU_MAX_SIZE = 4096, 2048
DISPLAY_SIDE = 1024
MIN_STEPS, MAX_STEPS = 10, 1000
# The brush size (the library's `style_scale`: the painting is resized to this times the
# picture's long side before its statistics are taken, so larger means broader strokes).
# The brush-size study (bench/brushwork.py, docs/brush-size.png): 0.5 small crisp strokes,
# 1 the painting's own, 2-3 broad soft ones with the canvas weave showing, the colours
# drifting a little and the time 50-75% longer at 3. It must hold
# every preset's own scale (Composition VII's is 512/192 = 2.67), or choosing that preset
# would put the slider out of its range (tests/web/test_form.py checks).
STROKE_RANGE = (0.5, 3.0)
STROKE_STEP = 0.05
# Clips: every frame is a run (the later ones short), so the page takes short, small clips, restyled
# at most CLIP_SIDE px on the long side: on a CPU 4 s at 480 px, on a GPU 10 s at 1024 px
# (NST_CLIP_SECONDS, NST_CLIP_SIDE set others; of a clip that would not finish in time the page
# offers the start, or a smaller size). Uploaded frames may be larger, up to Full HD
# (NST_CLIP_PIXELS): they are resized to the output size as they are decoded.
GPU_CLIP_SECONDS, CPU_CLIP_SECONDS = 10.0, 4.0
GPU_CLIP_SIDE, CPU_CLIP_SIDE = 1024, 480
CLIP_PIXELS = 1920 * 1080
DEFAULT_DEADLINE = 180.0
DEFAULT_QUEUE_SIZE = 16
DEFAULT_CONCURRENCY = 1
# Gradio keeps every session's state until it has this many, 10000 by default: after a default
# 512 px run about 1.2 MB (the final picture 0.5 MB, the loss rows and the page's values with its
# loss chart 0.2 and 0.5 MB; see tests/web/test_memory.py), so a thousand bounds that to about 1 GB.
DEFAULT_SESSIONS = 1000


def env_number(name: str, default: float) -> float:
    """A positive number from the environment, with a message naming the variable if it is not one."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {text!r}.") from None
    if not value > 0:
        raise ValueError(f"{name} must be positive, got {text!r}.")
    return value


def largest_size() -> int:
    """The largest output the page takes (NST_MAX_SIZE, else by the hardware): what it offers stays within it."""
    default = GPU_MAX_SIZE if torch.cuda.is_available() else CPU_MAX_SIZE
    return int(env_number("NST_MAX_SIZE", default))


MAX_SIZE = largest_size()


def deadline() -> float:
    """Seconds a run may take (NST_DEADLINE), read at each run so a test or operator can change it."""
    return env_number("NST_DEADLINE", DEFAULT_DEADLINE)


def queue_size() -> int:
    """Visitors who may wait for a run (NST_QUEUE_SIZE)."""
    return int(env_number("NST_QUEUE_SIZE", DEFAULT_QUEUE_SIZE))


def concurrency() -> int:
    """Runs computed at once per process (NST_CONCURRENCY)."""
    return int(env_number("NST_CONCURRENCY", DEFAULT_CONCURRENCY))


def sessions() -> int:
    """Sessions whose state the server keeps (NST_SESSIONS); past it Gradio forgets the least recently used."""
    return int(env_number("NST_SESSIONS", DEFAULT_SESSIONS))


def clip_seconds() -> float:
    """The longest clip the page restyles, in seconds (NST_CLIP_SECONDS, else by the hardware)."""
    return env_number("NST_CLIP_SECONDS", GPU_CLIP_SECONDS if torch.cuda.is_available() else CPU_CLIP_SECONDS)


def clip_side() -> int:
    """The long side of a restyled clip at most (NST_CLIP_SIDE, else by the hardware); the size slider's value
    when smaller."""
    return int(env_number("NST_CLIP_SIDE", GPU_CLIP_SIDE if torch.cuda.is_available() else CPU_CLIP_SIDE))


def clip_pixels() -> int:
    """The most pixels an uploaded clip's frame may have (NST_CLIP_PIXELS)."""
    return int(env_number("NST_CLIP_PIXELS", CLIP_PIXELS))


def clip_size(size: int) -> int:
    """A clip's output long side: the size asked for, within the page's clip cap."""
    return min(int(size), clip_side())
