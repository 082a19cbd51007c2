"""What one stage minimises: a sum of terms, built once per stage and called on an image.

Content terms hold the photo's features, style terms the paintings' Gram
matrices (per region under a mask), total variation smooths, the palette
hold keeps the colours, a mask's keep term holds the unstyled region to
the photo, and a video frame's temporal term holds it to the previous
frame's result carried along the motion (`nst.core.temporal`). The weights are
the settings' own made size-invariant here, so the look is the same at
every working size. Calling the objective runs the
network once, forward, and returns the total and each term for reporting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from torch import Tensor

from ..colour.palette_hold import PaletteHold
from ..networks.network import Network
from ..plan.schedule import Stage, size_factor
from ..settings import Settings
from . import guidance
from .layers import stage_layers
from .losses import content_loss, style_loss, tv_loss
from .references import References
from .temporal import Temporal


@dataclass
class Objective:
    """One stage's terms, their targets and weights."""

    network: Network
    content_layers: tuple[str, ...]
    content_targets: list[Tensor]
    content_weights: list[float]
    style_layers: tuple[str, ...]
    style_targets: list[Tensor]
    style_weights: list[float]
    tv_weight: float
    normalize_gram: bool
    regions: guidance.Regions | None = None
    hold: PaletteHold | None = None
    temporal: Temporal | None = None

    def __call__(self, image: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        """The total loss at `image`, and each term (style per layer) for reporting."""
        features = self.network.features(image, list(dict.fromkeys([*self.content_layers, *self.style_layers])))
        # Under bf16 autocast the features stay bf16: the Gram matrices are computed from
        # them directly, and a difference with a float32 target is taken in float32.
        style_features = [features[name] for name in self.style_layers]
        terms = {}
        for name, weight, target in zip(self.content_layers, self.content_weights, self.content_targets, strict=True):
            terms[f"content/{name}"] = content_loss(weight, features[name], target)
        for index, name in enumerate(self.style_layers):
            if self.regions is None:
                terms[f"style/{name}"] = style_loss(
                    style_features,
                    [index],
                    [self.style_targets[index]],
                    [self.style_weights[index]],
                    normalize=self.normalize_gram,
                )
            else:
                terms[f"style/{name}"] = self.regions.style_loss(
                    index, style_features[index], self.style_weights[index], self.normalize_gram
                )
        terms.update(self.pixel_terms(image))
        return sum(terms.values()), terms

    def pixel_terms(self, image: Tensor) -> dict[str, Tensor]:
        """The terms that need no network: smoothness, the palette hold, a mask's keep term, the temporal term."""
        terms = {"tv": tv_loss(image, self.tv_weight)}
        if self.hold is not None:
            terms["palette"] = self.hold(image)
        if self.regions is not None and self.regions.keep is not None:
            terms["keep"] = self.regions.keep_loss(image)
        if self.temporal is not None:
            terms["temporal"] = self.temporal(image)
        return terms


def objective_for(
    stage: Stage,
    references: References,
    settings: Settings,
    network: Network,
    mask: Tensor | None,
    temporal: Temporal | None = None,
) -> Objective:
    """The objective of `stage`: its layers' terms against `references`, weighted for its size and strength.

    `temporal`, for a video frame after the first, is added as it is: its weight is a mean's, size-free already.
    """
    s = settings
    layers = stage_layers(s, stage.kind, network.extractor.layer_names)
    content_targets = [references.content_features[name] for name in layers.content]
    style_targets = [references.style_targets[name] for name in layers.style]
    content_weights = [s.content_weight * w for w in layers.content_weights]
    style_weights = [s.style_strength * w for w in layers.style_weights]
    factor = size_factor(s, stage.long_side)
    if s.weighting == "relative":
        content_weights = per_target(content_weights, content_targets)
        style_weights = per_target(style_weights, style_targets)
    else:
        content_weights = [w * factor for w in content_weights]
    regions = None
    if mask is not None:
        others = references.other_targets
        other_targets = None if others is None else [others[name] for name in layers.style]
        keep_weight = guidance.KEEP_WEIGHT * factor
        regions = guidance.regions_at(mask, stage.size, references.seen, style_targets, other_targets, keep_weight)
    return Objective(
        network=network,
        content_layers=layers.content,
        content_targets=content_targets,
        content_weights=content_weights,
        style_layers=layers.style,
        style_targets=style_targets,
        style_weights=style_weights,
        tv_weight=s.tv_weight * factor,
        normalize_gram=s.normalize_gram,
        regions=regions,
        hold=references.hold,
        temporal=temporal,
    )


def per_target(weights: Sequence[float], targets: Sequence[Tensor]) -> list[float]:
    """Each weight divided by its target's squared norm.

    A summed squared error divided so becomes a squared relative error, the
    same for every layer, photo and painting: left as sums, the layers
    differ by orders of magnitude (relu4_1's Gram entries dwarf relu1_1's,
    where the palette lives) and a weight tuned on one pair is wrong for the next.
    """
    return [w / float(t.pow(2).sum().clamp_min(1e-30)) for w, t in zip(weights, targets, strict=True)]
