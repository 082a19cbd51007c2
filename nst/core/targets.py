"""Style targets: the Gram matrices a run tries to match, cached across runs.

Computing them costs one forward pass of the style image per scale. A web
demo sees the same example styles again and again, so the targets are kept
in a small in-process cache keyed by the exact pixels and every setting that
changes them.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import Tensor

from ..networks.device import Compute
from ..networks.interface import FeatureExtractor
from .losses import gram_matrix

CACHE_ENTRIES = 32

_cache: OrderedDict[tuple, list[Tensor]] = OrderedDict()
_lock = threading.Lock()


def fingerprint(image: Tensor) -> str:
    """A digest of a tensor's exact values, for cache keys."""
    data = image.detach().to("cpu", torch.float32).contiguous().numpy().tobytes()
    return hashlib.blake2b(data, digest_size=16).hexdigest() + str(tuple(image.shape))


def style_grams(
    extractor: FeatureExtractor,
    style: Tensor,
    layers: Sequence[str],
    normalize: bool,
    compute: Compute,
) -> list[Tensor]:
    """Gram matrices (1, C, C) of `style` at `layers`, in float32, from cache when possible."""
    key = (id(extractor), fingerprint(style), tuple(layers), normalize, str(compute))
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    image = style.to(compute.device)
    if compute.channels_last:
        image = image.contiguous(memory_format=torch.channels_last)
    with torch.no_grad(), compute.autocast():
        features = extractor(image, layers)
    grams = [gram_matrix(features[name].float(), normalize) for name in layers]
    with _lock:
        _cache[key] = grams
        while len(_cache) > CACHE_ENTRIES:
            _cache.popitem(last=False)
    return grams


def blended_grams(per_style: Sequence[Sequence[Tensor]], blend: Sequence[float]) -> list[Tensor]:
    """Weighted average, layer by layer, of several styles' Gram matrices."""
    total = float(sum(blend))
    return [
        sum(weight / total * grams[i] for weight, grams in zip(blend, per_style, strict=True))
        for i in range(len(per_style[0]))
    ]


def clear_cache() -> None:
    """Forget every cached target (tests, and freeing memory)."""
    with _lock:
        _cache.clear()
