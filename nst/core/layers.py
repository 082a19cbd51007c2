"""Which layers each stage of a run counts, and how much each one weighs.

Pure functions of the settings and the network's layer order, so that what
a stage computes can be read and tested without a network. A texture or
shape stage runs the network only as deep as its layers need; a layer
weighted 0 is not computed at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..plan.schedule import SHAPES, TEXTURE, WHOLE
from ..settings import Settings


@dataclass(frozen=True)
class Layers:
    """The content and style layers a stage counts, with their weights as set (before strength and size)."""

    content: tuple[str, ...]
    content_weights: tuple[float, ...]
    style: tuple[str, ...]
    style_weights: tuple[float, ...]


def widest_kind(kind: str) -> str:
    """The kind whose layers cover `kind`'s: the output size's two stages share the shape stage's."""
    return SHAPES if kind in (TEXTURE, SHAPES) else WHOLE


def stage_layers(settings: Settings, kind: str, depth_order: Sequence[str]) -> Layers:
    """The layers a stage of `kind` counts; `depth_order` is the network's layer names, shallowest first.

    A whole-picture stage counts every weighted layer. A texture or shape
    stage keeps the shallowest `texture_layers` or `finish_layers` style
    layers (the deepest of a shape stage's at `finish_deep_weight`), and the
    content layers no deeper than those.
    """
    every = list(zip(settings.style_layers, settings.style_layer_weights, strict=True))
    counted = [(layer, weight) for layer, weight in every if weight] or every  # all 0: count them all
    if kind == WHOLE:
        return Layers(
            settings.content_layers,
            settings.content_layer_weights,
            tuple(layer for layer, _ in counted),
            tuple(weight for _, weight in counted),
        )
    depth = list(depth_order).index
    by_depth = sorted((layer for layer, _ in counted), key=depth)
    kept = by_depth[: max(1, settings.texture_layers if kind == TEXTURE else settings.finish_layers)]
    deepest = max(depth(layer) for layer in kept)
    lowered = kept[-1] if kind == SHAPES and len(kept) > settings.texture_layers else None
    style = [
        (layer, weight * (settings.finish_deep_weight if layer == lowered else 1.0))
        for layer, weight in counted
        if layer in kept
    ]
    every_content = list(zip(settings.content_layers, settings.content_layer_weights, strict=True))
    # With every content layer deeper than the stage's style layers (say relu4_2 alone), the
    # shallowest one still counts: a stage without the photo's content would let it drift.
    content = [(layer, weight) for layer, weight in every_content if depth(layer) <= deepest] or [
        min(every_content, key=lambda pair: depth(pair[0]))
    ]
    return Layers(
        tuple(layer for layer, _ in content),
        tuple(weight for _, weight in content),
        tuple(layer for layer, _ in style),
        tuple(weight for _, weight in style),
    )
