"""The one settings object shared by the library, the command line and the app.

A frozen dataclass with defaults that work offline and well (the embedded
VGG-19, coarse to fine at 512 px), validated on construction so that a bad
value is reported before any work starts, in words the user can act on.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .errors import SettingsError

OPTIMIZERS = ("adam", "lbfgs")
# The feature networks by name (`nst.networks.registry` builds them).
BACKBONES = ("vgg19", "vgg19-lite", "squeezenet")
INITS = ("content", "noise", "image")
COLOR_MODES = ("none", "luminance", "histogram")
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "bf16")
WEIGHTINGS = ("relative", "absolute")
PALETTE_TRANSFERS = ("transport", "moments")
CONTENT_TARGETS = ("repainted", "photo")
RESCALES = ("change", "picture")
TILE_GRAMS = ("exact", "previous")

# Style strengths that span "the photo with painted texture" (the lower end) to
# "the painting's palette and textures throughout" (the upper end): what the
# page offers; the library takes any finite strength.
STRENGTH_RANGE = (0.25, 4.0)
MIN_SIZE = 32
MAX_SIZE = 8192
MAX_STEPS = 5000
MAX_LAYERS = 64
# A run needs about a gigabyte before its first picture (Python, torch, the network).
MIN_MEMORY = 1 << 30
SMALLEST_TILE = 32
DEFAULT_LEARNING_RATES = {"adam": 0.02, "lbfgs": 1.0}
# Coarse to fine pays from this many times the smallest scale up: the coarse scales lay down
# the painting's large strokes, which one scale at the same cost does not; below it, one scale
# made as good a picture sooner (BENCHMARKS.md, "Figures behind the defaults").
MULTISCALE_FROM = 3

VGG_STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")


@dataclass(frozen=True)
class Settings:
    """Everything that decides a stylisation run.

    Weights are given as tuned at `reference_size` (long side, pixels). The
    content and total-variation terms are sums over pixels, so the loop scales
    their weights by (reference_size / long side)^2 at each size it works at;
    the normalised Gram makes the style term size-free already. The balance
    between the terms, and so the look, is then the same at every size.
    """

    backbone: str = "vgg19"
    size: int = 512
    # Steps in all, over every scale and stage (see nst.plan.schedule): few enough for seconds on a
    # 2-core CPU at 512 px (BENCHMARKS.md, Speed). Above 1024 px they make the picture at 1024,
    # and each larger size adds large_size_steps (texture, then shapes): the strokes at full size.
    steps: int = 26
    large_size_steps: int = 4
    # Above 1024 px, the picture reduced to 1024 px stays the 1024 px run's; the larger sizes add only
    # the detail 1024 px cannot show (nst/plan/viewing.py; BENCHMARKS.md, Print size).
    keep_viewing: bool = True
    optimizer: str = "adam"
    learning_rate: float | None = None
    final_learning_rate: float | None = None
    lr_drop_at: float = 0.9
    init: str = "content"
    seed: int | None = 0

    # "relative": each layer's term is divided by its target's squared norm, so a
    # weight says how much that layer counts whatever its scale (relu1_1 Grams are
    # ~1e4 times smaller than relu4_1's); "absolute" keeps the raw sums (SqueezeNet
    # presets). Equal relative style weights let the shallow layers, where the
    # palette lives, count. relu2_2 in the content holds the photo's edges, which the
    # stronger style would otherwise wash out (BENCHMARKS.md, "Figures behind the defaults").
    weighting: str = "relative"
    content_layers: tuple[str, ...] = ("relu4_2", "relu2_2")
    content_layer_weights: tuple[float, ...] = (2.0, 0.5)
    content_weight: float = 1000.0
    style_layers: tuple[str, ...] = VGG_STYLE_LAYERS
    # relu5_1 at weight 0 (a zero-weight layer is not computed at all). Its Gram, taken
    # from a map of a few dozen positions at the coarse scales, describes the painting's
    # objects rather than its texture: a portrait's face, lips and nose turned up in a
    # coffee cup and in a town's sky, worse at high strength and small brush sizes.
    # Without it those were gone, for a little Gram distance (bench/brushwork.py).
    # Give it a weight to have it back.
    style_layer_weights: tuple[float, ...] = (1000.0, 1000.0, 1000.0, 1000.0, 0.0)
    style_strength: float = 1.0
    tv_weight: float = 1.0e-3
    normalize_gram: bool = True
    reference_size: int = 512

    # The start is the photo repainted in the painting's colours (palette = how far,
    # scaled down for strengths below 1); "transport" moves the colour distribution
    # onto the painting's (sliced optimal transport), "moments" only matches mean and
    # covariance. "repainted" holds the content term to that start rather than to the
    # photo, so the palette is not pulled back.
    palette: float = 1.0
    palette_transfer: str = "transport"
    content_target: str = "repainted"
    # Weight of the term that holds the picture's colour distribution to the palette
    # the start was moved to (nst/colour/palette_hold.py), against the style layers' 1000 each;
    # it grows with the strength, faster above 1. Without it the texture pulled the
    # colours off the painting's as the strength rose.
    palette_hold: float = 10000.0

    style_scale: float = 1.0
    style_blend: tuple[float, ...] = ()
    preserve_color: str = "none"

    multiscale: bool | None = None
    min_scale: int = 128
    # How a finer scale starts. "change": its own repainted photo plus the change the
    # coarser scales made, enlarged, so the photo's finer detail is there from its first
    # step (and every streamed image is at the output size); "picture": the coarser
    # picture enlarged, blurred detail and all. (Only for init "content"; the others
    # have no start to carry a change from, so they enlarge the picture.)
    rescale: str = "change"
    # The coarse scales' steps go as (size / side) ** coarse_bias: 8, 6 and 4 at 128, 181
    # and 256 px for a 512 px picture.
    coarse_bias: float = 1.0
    # Coarse to fine, the output size takes finish_share of the steps: first texture_share
    # of them count only the shallowest texture_layers style layers, then the shallowest
    # finish_layers, the deepest of those at finish_deep_weight times its weight (content
    # layers no deeper than the deepest style layer counted). See nst.plan.schedule. A
    # finish_share of 0 is the plan before these stages: every scale up to the output
    # counts every layer (with 160 steps and coarse_bias 1.25, the previous default).
    finish_share: float = 0.3
    texture_share: float = 0.4
    texture_layers: int = 3
    finish_layers: int = 4
    finish_deep_weight: float = 0.5
    # Adam moves a pixel by about the learning rate a step, whatever the loss's scale,
    # so with a fixed budget of steps a larger style strength could reweigh the losses
    # but not reach further from the photo: at strength 4 the picture hardly changed.
    # The whole-picture scales' rate grows as strength ** strength_reach above 1, so
    # that strength 2-4 lets the painting's shapes reshape the photo (strength 1 and
    # below unchanged). 0 turns it off.
    strength_reach: float = 1.0
    # A running average of the iterates smooths Adam's path, but it lags: at the
    # finest scale, with its few steps, it ends further from the style than the
    # last iterate. Off unless asked for.
    average: bool = False
    clamp: bool = True
    # Carry Adam's moments to the next scale (upsampled): measured worse, so off.
    carry_adam: bool = False

    # Video clips (nst.clips.clip; Ruder, Dosovitskiy and Brox, GCPR 2016): a later frame starts from
    # the previous result carried along the motion, takes later_steps at later_rate of the first
    # frame's rate (Adam's first step would widen the colours), and temporal_weight holds it where
    # the motion is reliable. Figures: BENCHMARKS.md, Clips.
    later_steps: int = 4
    later_rate: float = 0.25
    temporal_weight: float = 1.0e6
    # A later frame holds the palette later_hold times harder: what the motion uncovers starts
    # brighter than the painting around it (BENCHMARKS.md, Clips).
    later_hold: float = 30.0

    # Report every this many steps (and always after the first and the last).
    yield_every: int = 5
    deadline: float | None = None

    device: str = "auto"
    precision: str = "auto"
    channels_last: bool | None = None
    # Memory the run may use, in bytes (None: half the machine's, or the GPU's). A stage whose
    # network activations do not fit runs in tiles (nst/tiles/budget.py), with the same result.
    max_memory: float | None = None
    # Force tiles of this many pixels a side whatever the budget (tests and studies).
    tile: int | None = None
    # How tiles get the whole picture's style statistics: "exact" sums them in a pass of its own
    # each step (the untiled gradient); "previous" reuses the sums of the step before, a pass
    # fewer (nst/tiles/tiled.py; BENCHMARKS.md, Print size, compares the two).
    tile_grams: str = "exact"

    def __post_init__(self) -> None:
        choose("backbone", self.backbone, BACKBONES)
        choose("optimizer", self.optimizer, OPTIMIZERS)
        choose("init", self.init, INITS)
        choose("preserve_color", self.preserve_color, COLOR_MODES)
        choose("device", self.device, DEVICES)
        choose("precision", self.precision, PRECISIONS)
        within("size", self.size, MIN_SIZE, MAX_SIZE)
        within("steps", self.steps, 1, MAX_STEPS)
        within("large_size_steps", self.large_size_steps, 0, MAX_STEPS)
        within("later_steps", self.later_steps, 1, MAX_STEPS)
        within("later_hold", self.later_hold, 0.0, 1000.0)
        within("min_scale", self.min_scale, MIN_SIZE, MAX_SIZE)
        within("reference_size", self.reference_size, MIN_SIZE, MAX_SIZE)
        within("yield_every", self.yield_every, 1, MAX_STEPS)
        within("lr_drop_at", self.lr_drop_at, 0.0, 1.0)
        within("later_rate", self.later_rate, 0.01, 1.0)
        within("style_scale", self.style_scale, 0.1, 4.0)
        within("palette", self.palette, 0.0, 1.0)
        within("finish_share", self.finish_share, 0.0, 1.0)
        within("texture_share", self.texture_share, 0.0, 1.0)
        within("texture_layers", self.texture_layers, 1, MAX_LAYERS)
        within("finish_layers", self.finish_layers, self.texture_layers, MAX_LAYERS)
        within("finish_deep_weight", self.finish_deep_weight, 0.0, 1.0)
        within("strength_reach", self.strength_reach, 0.0, 2.0)
        choose("palette_transfer", self.palette_transfer, PALETTE_TRANSFERS)
        choose("content_target", self.content_target, CONTENT_TARGETS)
        choose("weighting", self.weighting, WEIGHTINGS)
        choose("rescale", self.rescale, RESCALES)
        choose("tile_grams", self.tile_grams, TILE_GRAMS)
        if self.max_memory is not None and not MIN_MEMORY <= self.max_memory < float("inf"):
            raise SettingsError(f"max_memory must be at least {MIN_MEMORY / 2**30:g} GB; got {self.max_memory!r}.")
        if self.tile is not None:
            within("tile", self.tile, SMALLEST_TILE, MAX_SIZE)
        for name in ("learning_rate", "final_learning_rate", "deadline"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise SettingsError(f"{name} must be positive, got {value}.")
        for name in ("content_weight", "style_strength", "tv_weight", "palette_hold", "temporal_weight"):
            value = getattr(self, name)
            if not 0 <= value < float("inf"):
                raise SettingsError(f"{name} must be zero or positive and finite, got {value}.")
        layer_weights("style", self.style_layers, self.style_layer_weights)
        layer_weights("content", self.content_layers, self.content_layer_weights)
        blend = self.style_blend
        if any(not 0 <= w < float("inf") for w in blend) or (blend and sum(blend) == 0):
            raise SettingsError("Style blend weights must be non-negative and not all zero.")

    @property
    def lr(self) -> float:
        """The learning rate in use: the explicit one or the optimiser's default."""
        return self.learning_rate if self.learning_rate is not None else DEFAULT_LEARNING_RATES[self.optimizer]

    @property
    def use_multiscale(self) -> bool:
        """Coarse to fine unless turned off; automatic from MULTISCALE_FROM times the smallest scale."""
        if self.multiscale is None:
            return self.size >= MULTISCALE_FROM * self.min_scale
        return self.multiscale

    def replace(self, **changes: object) -> Settings:
        """A copy with `changes` applied and validated."""
        return dataclasses.replace(self, **changes)


FIELDS = tuple(field.name for field in dataclasses.fields(Settings))
"""Every setting's name: what a command line or a form may set."""


def layer_weights(kind: str, layers: tuple[str, ...], weights: tuple[float, ...]) -> None:
    """Raise unless there are layers, one finite non-negative weight each."""
    if not layers:
        raise SettingsError(f"At least one {kind} layer is needed.")
    if len(weights) != len(layers):
        raise SettingsError(
            f"{len(layers)} {kind} layers but {len(weights)} {kind} layer weights: give one weight per layer."
        )
    if any(not 0 <= w < float("inf") for w in weights):
        raise SettingsError(f"{kind.capitalize()} layer weights must be zero or positive and finite.")


def choose(name: str, value: object, options: tuple[str, ...]) -> None:
    """Raise unless `value` is one of `options`."""
    if value not in options:
        raise SettingsError(f"{name} must be one of {', '.join(options)}; got {value!r}.")


def within(name: str, value: float, low: float, high: float) -> None:
    """Raise unless low <= value <= high."""
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low:g} and {high:g}; got {value!r}.")
