"""What the picture is compared with at one working size: the photo, its start, content features, style targets.

The output size's two stages (texture, then shapes) share one set, made for
the shape stage's layers, which include the texture stage's: the paintings'
Gram matrices and the photo's features are computed once per size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from PIL import Image
from torch import Tensor

from ..colour import color
from ..colour.palette_hold import PaletteHold
from ..io.images import resize_long_side, to_tensor
from ..networks.network import Network
from ..paintings import Paintings
from ..plan.schedule import VIEWING_SIZE, Stage
from ..settings import Settings
from .canvas import Canvas
from .layers import Layers, stage_layers, widest_kind
from .targets import blended_grams, style_grams

# Largest style image fed to the network; beyond it style features only cost memory.
MAX_STYLE_SIDE = 2048

# The photo's features at the named layers, without gradients: whole, or tile by tile where the loop cut the size.
ContentFeatures = Callable[[Tensor, Sequence[str]], dict[str, Tensor]]


@dataclass
class References:
    """Everything the stages at one size compare the picture with."""

    size: tuple[int, int]
    kind: str  # the widest kind of stage they serve (see `nst.core.layers.widest_kind`)
    photo: Tensor
    seen: Tensor  # the photo as the style terms see it
    start: Tensor  # the repainted photo: where the size starts, what the content terms hold
    content_features: dict[str, Tensor]
    style_targets: dict[str, Tensor]
    other_targets: dict[str, Tensor] | None  # a mask's second paintings, for its black region
    hold: PaletteHold | None
    tiles: Sequence[object] | None = None  # the tiles the loop cut this size into (`nst.tiles`), None when whole

    def serve(self, stage: Stage) -> bool:
        """Whether these were made for `stage`'s size and layers."""
        return (self.size, self.kind) == (stage.size, widest_kind(stage.kind))


def reference_layers(stage: Stage, settings: Settings, network: Network) -> Layers:
    """The layers a size's references are made for: those of the widest stage at that size."""
    return stage_layers(settings, widest_kind(stage.kind), network.extractor.layer_names)


def references_for(
    stage: Stage,
    settings: Settings,
    network: Network,
    paintings: Paintings,
    canvas: Canvas,
    masked: bool,
    tiles: Sequence[object] | None = None,
    content_features: ContentFeatures | None = None,
) -> References:
    """The references `stage` needs, made at its size for its widest layers.

    Whether the size runs in tiles is the loop's choice: it hands in the
    tiles and the way to compute the photo's features in them.
    """
    layers = reference_layers(stage, settings, network)
    photo, start = canvas.photo_and_start(stage.size)
    seen = canvas.seen(photo)
    side = style_side(settings, stage)
    styles = paintings_at(settings, network, paintings.images, photo, seen, side)
    targets = grams(settings, network, styles, paintings.blend, layers.style)
    others = None
    if masked and paintings.others:
        second = paintings_at(settings, network, paintings.others, photo, seen, side)
        others = grams(settings, network, second, paintings.others_blend, layers.style)
    held = start if settings.content_target == "repainted" else seen
    if content_features is not None:
        features = content_features(held, layers.content)
    else:
        with torch.no_grad():
            features = network.features(held, layers.content)
    # In tiles, where the picture is large, the content targets stay as the network made them
    # (bf16 halves them); each tile reads its part in float32, as the untiled terms read the whole.
    kept = {name: features[name] if tiles else features[name].float() for name in layers.content}
    return References(
        size=stage.size,
        kind=widest_kind(stage.kind),
        photo=photo,
        seen=seen,
        start=start,
        content_features=kept,
        style_targets=targets,
        other_targets=others,
        hold=canvas.palette.hold(photo, start),
        tiles=tiles,
    )


def style_side(settings: Settings, stage: Stage) -> int:
    """The long side the paintings are seen at in `stage`: the brush size times the stage's long side.

    Above VIEWING_SIZE no painting is enlarged beyond its own size (see
    `paintings_at`): the large strokes are laid down by then, and an
    enlarged painting would only teach the finest stages its blur.
    """
    return min(MAX_STYLE_SIDE, max(16, round(settings.style_scale * stage.long_side)))


def paintings_at(
    settings: Settings, network: Network, paintings: list[Image.Image], photo: Tensor, seen: Tensor, side: int
) -> list[Tensor]:
    """`paintings` scaled to `side` and recoloured as the settings ask (the photo's colours or luminance kept)."""
    tensors = []
    for painting in paintings:
        own_side = side if side <= VIEWING_SIZE else min(side, max(painting.size))
        style = to_tensor(resize_long_side(painting, own_side), network.device)
        if settings.preserve_color == "histogram":
            style = color.match_histogram(style, photo)
        elif settings.preserve_color == "luminance":
            style = color.match_luminance(color.luminance(style), seen)
        tensors.append(style)
    return tensors


def grams(
    settings: Settings, network: Network, styles: list[Tensor], blend: Sequence[float], layers: tuple[str, ...]
) -> dict[str, Tensor]:
    """The blended Gram targets of `styles` at `layers`, by layer."""
    per_style = [
        style_grams(network.extractor, style, layers, settings.normalize_gram, network.compute) for style in styles
    ]
    return dict(zip(layers, blended_grams(per_style, blend), strict=True))
