"""Holding a GPU for each run on Hugging Face ZeroGPU Spaces, and nothing elsewhere."""

from __future__ import annotations

from collections.abc import Callable

try:
    import spaces
except ImportError:
    spaces = None

# What a ZeroGPU Space reserves per run; a GPU does the largest run this page allows well within it.
GPU_SECONDS = 120


def gpu(fn: Callable) -> Callable:
    """Hold a GPU for the run on Hugging Face ZeroGPU Spaces; elsewhere change nothing."""
    if spaces is None:
        return fn
    return spaces.GPU(duration=GPU_SECONDS)(fn)
