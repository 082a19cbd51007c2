"""The optimisation loop: a generator that turns a photo into a painting.

`stylize` optimises the pixels of the output image (never the network) to
minimise content + style + total-variation loss, and yields a `Progress`
record every few steps and always at the end. Everything that shows progress
(the web page, the command line, the benchmark) consumes this one generator.

Closing the generator stops the work at its next step and frees its memory.
A deadline ends the run early with the image reached so far; a loss that
stops being finite raises `RunFailedError` carrying the last good image.
"""

from __future__ import annotations

import math
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor

from . import color, guidance
from .adam import Adam
from .device import Compute, resolve_compute
from .errors import RunFailedError, SettingsError
from .extractors import get_extractor
from .feature_extractor import FeatureExtractor
from .images import ImageSource, load_image, resize_long_side, to_array, to_tensor
from .losses import content_loss, style_loss, tv_loss
from .palette_hold import PaletteHold, palette_quantiles
from .schedule import SHAPES, TEXTURE, WHOLE, Scale, learning_rate_at, plan_scales, reach_factor, size_factor
from .settings import Settings
from .targets import blended_grams, style_grams

# Largest style image fed to the network; beyond it style features only cost memory.
MAX_STYLE_SIDE = 2048
# Largest pixel change of the first L-BFGS step at each scale (see size_first_step).
LBFGS_FIRST_STEP = 0.02
# Decay of the running average of iterates shown and returned (Adam only).
AVERAGE_DECAY = 0.9
# Long side at which the colour map onto the painting's palette is fitted.
PALETTE_SIDE = 512

Optimizer = Adam | torch.optim.LBFGS


@dataclass(frozen=True, eq=False)
class Progress:
    """One report from the loop: where it is, what it has, what it cost.

    `size` is the working size of the current scale; `image` is always the
    picture at the output size. At a coarse scale it is the repainted photo at
    the output size plus the change the run has made so far, enlarged: what
    the next scale will start from. While the run goes on it is made when
    first read, from `picture` (an array, or a `Snapshot` that makes one):
    the page looks about once a second while the loop reports every step,
    and enlarging every report would cost more than a coarse step. A
    snapshot holds a few tensors, never the run; once the run has ended
    (finished, stopped, failed or closed), every record still held has its
    picture as an array, so keeping records keeps nothing of the run.
    """

    step: int
    total_steps: int
    scale: int
    scales: int
    size: tuple[int, int]
    picture: np.ndarray | Callable[[], np.ndarray] = field(repr=False)
    losses: dict[str, float]
    elapsed: float
    setup_seconds: float
    iterations_per_second: float
    seconds_left: float
    device: str
    precision: str
    done: bool = False
    stop_reason: str = ""

    @cached_property
    def image(self) -> np.ndarray:
        """The picture so far at the output size, an (H, W, 3) uint8 array."""
        return self.picture() if callable(self.picture) else self.picture

    def settle(self) -> None:
        """Keep the picture made, not the means to make it: the run is ending, and what it held must go with it."""
        if callable(self.picture):
            object.__setattr__(self, "picture", self.image)  # the record stays frozen to everyone else

    def to_pil(self) -> Image.Image:
        """The current image as a PIL RGB image."""
        return Image.fromarray(self.image, "RGB")

    def __getstate__(self) -> dict[str, object]:
        """Pickled (ZeroGPU sends records between processes) with the picture made, not the means to make it."""
        state = dict(self.__dict__)
        state["picture"] = self.image
        state.pop("image", None)
        return state


@dataclass(frozen=True, eq=False)
class Snapshot:
    """An image as the loop had it, and the few tensors that make it the picture at the output size.

    It holds no reference to the run: a record kept after the loop has moved
    on must not keep the run's features, style targets and palette map alive.
    """

    image: Tensor
    output_start: Tensor | None = None  # the repainted photo at the output size, when `image` is smaller
    scale_start: Tensor | None = None  # where `image`'s scale started, when its change is what gets enlarged
    photo: Tensor | None = None  # the photo at the output size, when only its luminance was styled

    def __call__(self) -> np.ndarray:
        image = self.image
        if self.output_start is not None:
            image = enlarge(image, self.output_start, self.scale_start)
        image = image.clamp(0, 1) if self.photo is None else color.recombine(image, self.photo)
        return to_array(image)


@dataclass
class ScaleInputs:
    """What one scale optimises against: content, its features, style targets."""

    content: Tensor
    start: Tensor
    content_layers: tuple[str, ...]
    style_layers: tuple[str, ...]
    content_features: list[Tensor]
    style_targets: list[Tensor]
    content_weights: list[float]
    tv_weight: float
    style_weights: list[float]
    regions: guidance.Regions | None = None
    hold: PaletteHold | None = None


@dataclass
class SizeInputs:
    """What the stages at one working size share: the photo, the start, content features, style targets."""

    size: tuple[int, int]
    stage: str  # the widest stage the layers are for: WHOLE, or SHAPES for both output stages
    content: Tensor
    seen: Tensor
    start: Tensor
    features: dict[str, Tensor]
    targets: dict[str, Tensor]
    other_targets: dict[str, Tensor] | None
    hold: PaletteHold | None


def as_image(source: ImageSource) -> Image.Image:
    """Accept a loaded PIL image as is (in RGB), load anything else."""
    if isinstance(source, Image.Image):
        return source.convert("RGB")
    return load_image(source)


def as_list(styles: ImageSource | Sequence[ImageSource]) -> list[ImageSource]:
    if isinstance(styles, (list, tuple)):
        return list(styles)
    return [styles]


class Run:
    """State of one stylisation: inputs, network, compute choices."""

    def __init__(
        self,
        content: Image.Image,
        styles: list[Image.Image],
        settings: Settings,
        compute: Compute,
        extractor: FeatureExtractor,
        output_size: tuple[int, int],
        mask: Tensor | None = None,
        mask_styles: list[Image.Image] | None = None,
    ) -> None:
        self.content = content
        self.output_size = output_size
        self.styles = styles
        self.mask = mask
        self.mask_styles = mask_styles
        self.settings = settings
        self.compute = compute
        self.extractor = extractor
        blend = settings.style_blend or (1.0,) * len(styles)
        if len(blend) != len(styles):
            raise SettingsError(f"{len(styles)} style images but {len(blend)} blend weights: give one per style.")
        self.blend = blend
        self.palettes: dict[tuple[int, ...], Callable[[Tensor], Tensor]] = {}
        self.at_output: tuple[Tensor, Tensor] | None = None
        self.palette_samples: dict[tuple[int, ...], Tensor] = {}
        self.palette_quantiles: dict[tuple[int, ...], Tensor] = {}
        self.sized: SizeInputs | None = None

    def tensor(self, image: Image.Image, size: tuple[int, int]) -> Tensor:
        resized = image if image.size == size else image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        return to_tensor(resized, self.compute.device)

    def features(self, image: Tensor, layers: Sequence[str]) -> dict[str, Tensor]:
        if self.compute.channels_last:
            image = image.contiguous(memory_format=torch.channels_last)
        with self.compute.autocast():
            return self.extractor(image, layers)

    def prepare(self, scale: Scale) -> ScaleInputs:
        """What `scale` optimises against: content, its features, style targets, weights, for its layers."""
        s = self.settings
        content_layers, content_layer_weights, style_layers, style_layer_weights = self.stage_layers(scale.stage)
        at = self.at_size(scale)
        content_features = [at.features[name] for name in content_layers]
        targets = [at.targets[name] for name in style_layers]
        content_weights = [s.content_weight * w for w in content_layer_weights]
        style_weights = [s.style_strength * w for w in style_layer_weights]
        factor = size_factor(s, scale.long_side)
        if s.weighting == "relative":
            content_weights = per_target(content_weights, content_features)
            style_weights = per_target(style_weights, targets)
        else:
            content_weights = [w * factor for w in content_weights]
        regions = None
        if self.mask is not None:
            other = None if at.other_targets is None else [at.other_targets[name] for name in style_layers]
            keep_weight = guidance.KEEP_WEIGHT * factor
            regions = guidance.regions_at(self.mask, scale.size, at.seen, targets, other, keep_weight)
        return ScaleInputs(
            content=at.content,
            start=at.start,
            content_layers=content_layers,
            style_layers=style_layers,
            content_features=content_features,
            style_targets=targets,
            content_weights=content_weights,
            tv_weight=s.tv_weight * factor,
            style_weights=style_weights,
            regions=regions,
            hold=at.hold,
        )

    def at_size(self, scale: Scale) -> SizeInputs:
        """The photo, start, content features and style targets at `scale`'s size, for every layer counted there.

        The output size's two stages share them: made once, for the shape
        stage's layers, which include the texture stage's.
        """
        s = self.settings
        widest = SHAPES if scale.stage in (TEXTURE, SHAPES) else WHOLE
        if self.sized is not None and (self.sized.size, self.sized.stage) == (scale.size, widest):
            return self.sized
        content_layers, _, style_layers, _ = self.stage_layers(widest)
        # At the output size the photo and its repainted start may be made already, for an early picture.
        content, start = self.output_start() if scale.size == self.output_size else (None, None)
        content = self.tensor(self.content, scale.size) if content is None else content
        seen = color.luminance(content) if s.preserve_color == "luminance" else content
        style_side = min(MAX_STYLE_SIDE, max(16, round(s.style_scale * scale.long_side)))
        styles = self.style_images(self.styles, content, seen, style_side)
        targets = dict(zip(style_layers, self.grams(styles, self.blend, style_layers), strict=True))
        other = None
        if self.mask is not None and self.mask_styles:
            equal = (1.0,) * len(self.mask_styles)
            others = self.grams(self.style_images(self.mask_styles, content, seen, style_side), equal, style_layers)
            other = dict(zip(style_layers, others, strict=True))
        start = self.repainted(content, seen) if start is None else start
        with torch.no_grad():
            features = self.features(start if s.content_target == "repainted" else seen, content_layers)
        hold = None
        if s.palette_hold > 0 and s.palette > 0 and s.preserve_color != "luminance":
            hold = self.palette_hold(content, start)
        self.sized = SizeInputs(
            size=scale.size,
            stage=widest,
            content=content,
            seen=seen,
            start=start,
            features={name: features[name].float() for name in content_layers},
            targets=targets,
            other_targets=other,
            hold=hold,
        )
        return self.sized

    def stage_layers(self, stage: str) -> tuple[tuple[str, ...], tuple[float, ...], tuple[str, ...], tuple[float, ...]]:
        """The content layers and weights, and the style layers and weights, that `stage` counts.

        A texture or shape stage keeps the shallowest `texture_layers` or
        `finish_layers` style layers (the deepest of a shape stage's at
        `finish_deep_weight`), and the content layers no deeper than those:
        the network then runs no further than they need.
        """
        s = self.settings
        # Layers weighted 0 count for nothing, so they are not computed (unless all are 0).
        every = list(zip(s.style_layers, s.style_layer_weights, strict=True))
        counted = [(layer, weight) for layer, weight in every if weight] or every
        if stage == WHOLE:
            return (s.content_layers, s.content_layer_weights,
                    tuple(layer for layer, _ in counted), tuple(weight for _, weight in counted))
        depth = self.extractor.layer_names.index
        by_depth = sorted((layer for layer, _ in counted), key=depth)
        count = s.texture_layers if stage == TEXTURE else s.finish_layers
        kept = by_depth[: max(1, count)]
        deepest = max(depth(layer) for layer in kept)
        lowered = kept[-1] if stage == SHAPES and len(kept) > s.texture_layers else None
        style = [
            (layer, weight * (s.finish_deep_weight if layer == lowered else 1.0))
            for layer, weight in counted
            if layer in kept
        ]
        every_content = list(zip(s.content_layers, s.content_layer_weights, strict=True))
        # With every content layer deeper than the stage's style layers (say relu4_2 alone), the
        # shallowest one still counts: a stage without the photo's content would let it drift.
        content = [(layer, weight) for layer, weight in every_content if depth(layer) <= deepest] or [
            min(every_content, key=lambda pair: depth(pair[0]))
        ]
        return (
            tuple(layer for layer, _ in content),
            tuple(weight for _, weight in content),
            tuple(layer for layer, _ in style),
            tuple(weight for _, weight in style),
        )

    def style_images(self, styles: list[Image.Image], content: Tensor, seen_content: Tensor, side: int) -> list[Tensor]:
        """`styles` scaled to `side` and recoloured as the settings ask."""
        s = self.settings
        tensors = []
        for style_image in styles:
            style = to_tensor(resize_long_side(style_image, side), self.compute.device)
            if s.preserve_color == "histogram":
                style = color.match_histogram(style, content)
            elif s.preserve_color == "luminance":
                style = color.match_luminance(color.luminance(style), seen_content)
            tensors.append(style)
        return tensors

    def grams(self, styles: list[Tensor], blend: Sequence[float], layers: tuple[str, ...]) -> list[Tensor]:
        """The blended Gram targets of the style tensors at `layers`."""
        s = self.settings
        return blended_grams(
            [style_grams(self.extractor, style, layers, s.normalize_gram, self.compute) for style in styles],
            blend,
        )

    def repainted(self, content: Tensor, seen_content: Tensor) -> Tensor:
        """The photo moved towards the paintings' palette: where the run starts, what the content terms hold.

        Matching Gram matrices from the photo itself hardly moves its palette,
        so the start has to carry the colours. How far it moves grows with the
        style strength up to 1 (`Settings.palette` at strength 1 and above).
        Under a mask only the styled region moves (to the second paintings'
        palette in the black region, when there are some).
        """
        s = self.settings
        amount = s.palette * min(1.0, s.style_strength)
        if amount <= 0 or s.preserve_color != "none":
            return seen_content
        moved = self.palette_moved(content, self.styles, self.blend)
        if self.mask is None:
            return torch.lerp(content, moved, amount)
        guide = F.adaptive_avg_pool2d(self.mask.to(content.device), content.shape[2:])
        change = guide * (moved - content)
        if self.mask_styles:
            others = self.palette_moved(content, self.mask_styles, (1.0,) * len(self.mask_styles))
            change = change + (1 - guide) * (others - content)
        return content + amount * change

    def palette_moved(self, content: Tensor, paintings: list[Image.Image], blend: Sequence[float]) -> Tensor:
        """`content` recoloured to the palette of `paintings` blended by `blend`.

        The colour map is fitted once per run on the photo and paintings at
        PALETTE_SIDE (or the output size, if smaller) and applied at every
        scale, so each scale starts from the same colours.
        """
        key = tuple(id(painting) for painting in paintings)  # the run's paintings, or the mask's
        if key not in self.palettes:
            side = min(PALETTE_SIDE, self.settings.size)
            photo = to_tensor(resize_long_side(self.content, side), self.compute.device)
            styles = [to_tensor(resize_long_side(painting, side), self.compute.device) for painting in paintings]
            if self.settings.palette_transfer == "moments":
                target = color.palette(styles, blend)
                self.palettes[key] = lambda image: color.repaint(image, target, 1.0)
            else:
                pixels = color.palette_pixels(styles, blend)
                self.palette_samples[key] = pixels
                self.palettes[key] = color.fit_palette_map(photo, pixels)
        return self.palettes[key](content)

    def palette_hold(self, content: Tensor, start: Tensor) -> PaletteHold:
        """The term that holds the picture to the palette its start was moved towards.

        That palette, not the start's own: the transport reaches the
        painting's colours only to within a few percent, and stronger style
        should bring the picture closer to them, not keep it where the start
        stopped. Under a mask, or with the photo's colours kept, the start's.
        """
        s = self.settings
        # Up to strength 1 the palette itself moves with the strength; above it, the hold
        # grows faster than the style terms, so that a stronger style also comes nearer
        # the painting's colours instead of letting the texture pull them off.
        weight = s.palette_hold * s.style_strength * max(1.0, s.style_strength)
        key = tuple(id(painting) for painting in self.styles)
        amount = s.palette * min(1.0, s.style_strength)
        if self.mask is not None or key not in self.palette_samples or amount <= 0 or s.preserve_color != "none":
            return PaletteHold.of(start, weight)
        if key not in self.palette_quantiles:
            self.palette_quantiles[key] = palette_quantiles(self.palette_samples[key].to(content.device))
        return PaletteHold.towards(content, self.palette_quantiles[key], amount, weight)

    def losses(self, image: Tensor, inputs: ScaleInputs) -> tuple[Tensor, dict[str, Tensor]]:
        """Total loss at `image`, and each term (style per layer) for reporting."""
        s = self.settings
        features = self.features(image, list(dict.fromkeys([*inputs.content_layers, *inputs.style_layers])))
        # Under bf16 autocast the features stay bf16: the Gram matrices are computed from
        # them directly, and a difference with a float32 target is taken in float32.
        style_features = [features[name] for name in inputs.style_layers]
        terms = {}
        layers = zip(inputs.content_layers, inputs.content_weights, inputs.content_features, strict=True)
        for name, weight, target in layers:
            terms[f"content/{name}"] = content_loss(weight, features[name], target)
        regions = inputs.regions
        for index, name in enumerate(inputs.style_layers):
            if regions is None:
                terms[f"style/{name}"] = style_loss(
                    style_features,
                    [index],
                    [inputs.style_targets[index]],
                    [inputs.style_weights[index]],
                    normalize=s.normalize_gram,
                )
            else:
                terms[f"style/{name}"] = regions.style_loss(
                    index, style_features[index], inputs.style_weights[index], s.normalize_gram
                )
        terms["tv"] = tv_loss(image, inputs.tv_weight)
        if inputs.hold is not None:
            terms["palette"] = inputs.hold(image)
        if regions is not None and regions.keep is not None:
            terms["keep"] = regions.keep_loss(image)
        total = sum(terms.values())
        return total, terms

    @property
    def carries_change(self) -> bool:
        return self.settings.rescale == "change" and self.settings.init == "content"

    def enlarged(self, image: Tensor, inputs: ScaleInputs, start: Tensor) -> Tensor:
        """`image`, made against `inputs`, at the size of `start` (the repainted photo there).

        Carrying the change rather than the picture keeps the photo's detail
        that the coarser scale could not hold: enlarging the picture itself
        blurs it, and the finer scale then spends steps restoring edges its
        content term asks for anyway.
        """
        return enlarge(image, start, inputs.start if self.carries_change else None)

    def output_start(self) -> tuple[Tensor, Tensor]:
        """The photo and the repainted photo at the output size, made once, for pictures at coarse scales."""
        if self.at_output is None:
            content = self.tensor(self.content, self.output_size)
            seen = color.luminance(content) if self.settings.preserve_color == "luminance" else content
            self.at_output = content, self.repainted(content, seen)
        return self.at_output

    def picture(self, image: Tensor, inputs: ScaleInputs) -> np.ndarray:
        """`image`, made against `inputs`, as the user sees it at the output size."""
        return self.later_picture(image, inputs)()

    def later_picture(self, image: Tensor, inputs: ScaleInputs) -> Snapshot:
        """What makes `picture` of `image` as it is now, when it is asked for, without the run."""
        width, height = self.output_size
        luminance = self.settings.preserve_color == "luminance"
        snapshot = image.detach().clone()
        if tuple(image.shape[2:]) == (height, width):
            return Snapshot(snapshot, photo=inputs.content if luminance else None)
        content, start = self.output_start()
        scale_start = inputs.start if self.carries_change else None
        return Snapshot(snapshot, start, scale_start, content if luminance else None)

    def initial(self, inputs: ScaleInputs, init_image: Image.Image | None) -> Tensor:
        s = self.settings
        if s.init == "noise":
            generator = torch.Generator().manual_seed(s.seed) if s.seed is not None else None
            image = torch.rand(inputs.content.shape, generator=generator).to(self.compute.device)
        elif s.init == "image":
            if init_image is None:
                raise SettingsError("init 'image' needs an initial image.")
            image = self.tensor(init_image, (inputs.content.shape[3], inputs.content.shape[2]))
        else:
            image = inputs.start.clone()
        if s.preserve_color == "luminance":
            image = color.luminance(image)
        return image


def enlarge(image: Tensor, start: Tensor, scale_start: Tensor | None) -> Tensor:
    """`image` at the size of `start` (see `Run.enlarged`).

    With `scale_start`, `start` plus the change `image` made from it, enlarged;
    without, the image itself enlarged.
    """
    size = start.shape[2:]
    if image.shape[2:] == size:  # the next stage at the same size: the image as it is
        return image
    if scale_start is None:
        return F.interpolate(image, size=size, mode="bicubic", align_corners=False)
    return start + F.interpolate(image - scale_start, size=size, mode="bicubic", align_corners=False)


def per_target(weights: Sequence[float], targets: Sequence[Tensor]) -> list[float]:
    """Each weight divided by its target's squared norm.

    A summed squared error divided so becomes a squared relative error, the
    same for every layer, photo and painting: left as sums, the layers
    differ by orders of magnitude (relu4_1's Gram entries dwarf relu1_1's,
    where the palette lives) and a weight tuned on one pair is wrong for the next.
    """
    return [w / float(t.pow(2).sum().clamp_min(1e-30)) for w, t in zip(weights, targets, strict=True)]


def read_losses(total: Tensor, terms: dict[str, Tensor]) -> dict[str, float]:
    """The total and every term as floats, fetched from the device in one transfer.

    Each read of a GPU tensor waits until the GPU has caught up; reading all
    of a step's numbers at once makes that one wait per step instead of nine.
    """
    values = torch.stack([total.detach().float(), *(term.detach().float() for term in terms.values())]).tolist()
    losses = dict(zip(terms, values[1:], strict=True))
    losses["content"] = sum(v for k, v in losses.items() if k.startswith("content/"))
    losses["style"] = sum(v for k, v in losses.items() if k.startswith("style/"))
    losses["total"] = values[0]
    return losses


def stylize(
    content: ImageSource,
    styles: ImageSource | Sequence[ImageSource],
    settings: Settings | None = None,
    *,
    init_image: ImageSource | None = None,
    mask: ImageSource | None = None,
    mask_styles: ImageSource | Sequence[ImageSource] | None = None,
) -> Iterator[Progress]:
    """Stylise `content` with one or more `styles`, yielding `Progress` as it goes.

    The last record has `done=True` and the final image; `stop_reason` is
    "finished", or "deadline" when `settings.deadline` cut the run short.

    `mask` (any image, the photo's proportions) says where the style goes:
    white = styled, black = kept as the photo, grey = in between; with
    `mask_styles` the black region takes those paintings instead of the photo.
    An all-white mask is an ordinary run. See `nst.guidance`.
    """
    started = time.perf_counter()
    settings = settings or Settings()
    content_image = as_image(content)
    style_images = [as_image(style) for style in as_list(styles)]
    if not style_images:
        raise SettingsError("At least one style image is needed.")
    start_image = as_image(init_image) if init_image is not None else None
    compute = resolve_compute(settings.device, settings.precision, settings.channels_last)
    extractor = get_extractor(settings.backbone, str(compute.device), compute.channels_last, compute.bf16)
    extractor.check_layers([*settings.content_layers, *settings.style_layers])
    scales = plan_scales(settings, content_image.size)
    second_styles = [as_image(style) for style in as_list(mask_styles)] if mask_styles is not None else []
    mask_tensor = guidance.mask_for_run(mask, content_image.size, scales[-1].size, bool(second_styles))
    run = Run(content_image, style_images, settings, compute, extractor, scales[-1].size, mask_tensor, second_styles)
    total_steps = sum(scale.steps for scale in scales)
    use_average = settings.average and settings.optimizer == "adam"

    step = 0
    setup_seconds = 0.0
    optimising_seconds = 0.0
    image: Tensor | None = None
    last_good: Tensor | None = None
    inputs: ScaleInputs | None = None
    optimizer: Optimizer | None = None
    losses: dict[str, float] = {}
    stop_reason = "finished"
    # Every record handed out, as long as someone holds it: when the run ends, each gets its picture made.
    handed_out: weakref.WeakSet[Progress] = weakref.WeakSet()

    def record(
        scale_index: int, picture: np.ndarray | Snapshot, seconds_left: float, done: bool = False
    ) -> Progress:
        progress = Progress(
            step=step,
            total_steps=total_steps,
            scale=scale_index + 1,
            scales=len(scales),
            size=(inputs.content.shape[3], inputs.content.shape[2]),
            picture=picture,
            losses=dict(losses),
            elapsed=time.perf_counter() - started,
            setup_seconds=setup_seconds,
            iterations_per_second=step / optimising_seconds if optimising_seconds > 0 else 0.0,
            seconds_left=seconds_left,
            device=str(compute.device),
            precision=compute.precision,
            done=done,
            stop_reason=stop_reason if done else "",
        )
        handed_out.add(progress)
        return progress

    try:
        for scale_index, scale in enumerate(scales):
            coarser, inputs = inputs, run.prepare(scale)
            if image is None:
                image = run.initial(inputs, start_image)
                setup_seconds = time.perf_counter() - started
            else:
                image = run.enlarged(image, coarser, inputs.start)
                image = image.clamp(0, 1) if settings.clamp else image
            image = image.detach().requires_grad_(True)
            last_good = image.detach().clone()
            previous, optimizer = optimizer, make_optimizer(settings, image)
            if settings.carry_adam and isinstance(previous, Adam) and isinstance(optimizer, Adam):
                optimizer.carry_from(previous)
            average = torch.zeros_like(image) if use_average else None
            # The first step at each size pays one-off set-up (kernel selection,
            # allocations); timing from its end keeps the estimate of time left honest.
            warm_from = 0.0
            reach = reach_factor(settings, scale.stage)
            for local_step in range(scale.steps):
                step_started = time.perf_counter()
                rate = learning_rate_at(settings, step, total_steps) * reach
                for group in optimizer.param_groups:
                    group["lr"] = rate
                candidate = image.detach().clone()
                total, terms = take_step(run, optimizer, image, inputs)
                losses = read_losses(total, terms)
                check_finite(losses["total"], step, last_good, run, inputs)
                last_good = candidate
                with torch.no_grad():
                    if settings.clamp and settings.optimizer == "adam":
                        image.clamp_(0, 1)
                    if average is not None:
                        average.mul_(AVERAGE_DECAY).add_(image, alpha=1 - AVERAGE_DECAY)
                step += 1
                now = time.perf_counter()
                optimising_seconds += now - step_started
                if local_step == 0:
                    warm_from, first_step = now, now - step_started
                if settings.deadline is not None and now - started > settings.deadline:
                    stop_reason = "deadline"
                    break
                # The first step is always reported: whoever watches sees a picture at once.
                if (step % settings.yield_every == 0 or step == 1) and step < total_steps:
                    per_step = (now - warm_from) / local_step if local_step else first_step
                    left = remaining_seconds(scales, scale_index, local_step + 1, per_step)
                    yield record(scale_index, run.later_picture(current(image, average, local_step + 1), inputs), left)
            if average is not None:
                with torch.no_grad():
                    image = current(image, average, local_step + 1)
            if stop_reason == "deadline":
                break
        yield record(scale_index, run.picture(image, inputs), 0.0, done=True)
    except torch.OutOfMemoryError as error:
        raise out_of_memory(step, last_good, run, inputs) from error
    except RuntimeError as error:
        if "allocate" in str(error).lower() or "out of memory" in str(error).lower():
            raise out_of_memory(step, last_good, run, inputs) from error
        raise
    finally:
        for progress in list(handed_out):
            progress.settle()
        if compute.device.type == "cuda":
            torch.cuda.empty_cache()


def take_step(
    run: Run, optimizer: Optimizer, image: Tensor, inputs: ScaleInputs
) -> tuple[Tensor, dict[str, Tensor]]:
    """One optimiser step; returns the loss at the image before it, and its terms."""
    terms: dict[str, Tensor] = {}

    def closure() -> Tensor:
        optimizer.zero_grad(set_to_none=True)
        total, parts = run.losses(image, inputs)
        total.backward()
        # L-BFGS may evaluate more than once in a step; report the loss at the
        # iterate the step started from, which is a real image.
        if not terms:
            terms.update(parts)
        return total

    if isinstance(optimizer, torch.optim.LBFGS):
        if not optimizer.state:
            size_first_step(optimizer, closure)
            terms.clear()
        return optimizer.step(closure), terms
    total = closure()
    # Stepping on a non-finite loss spoils the image, but the loop then stops
    # and hands back the image from before this step, so no check is needed here.
    optimizer.step()
    return total, terms


def size_first_step(optimizer: torch.optim.LBFGS, closure) -> None:
    """Make L-BFGS's first step move pixels by up to `LBFGS_FIRST_STEP`.

    Its default first step (1 / |g|_1) is so tiny here that the curvature it
    measures is meaningless, and the second step then overshoots by orders of
    magnitude; a first step of visible size gives a curvature pair that works.
    """
    closure()
    grad = optimizer.param_groups[0]["params"][0].grad
    for group in optimizer.param_groups:
        group["lr"] = LBFGS_FIRST_STEP * float(grad.abs().sum() / grad.abs().max().clamp_min(1e-12))


def current(image: Tensor, average: Tensor | None, steps: int) -> Tensor:
    """The running average of iterates (bias-corrected), or the iterate itself."""
    if average is None:
        return image.detach()
    return (average / (1 - AVERAGE_DECAY**steps)).clamp(0, 1)


def make_optimizer(settings: Settings, image: Tensor) -> Optimizer:
    """Adam (our own, see nst.adam), or torch's L-BFGS taking one evaluation a step."""
    if settings.optimizer == "lbfgs":
        return torch.optim.LBFGS([image], lr=settings.lr, max_iter=1, history_size=20)
    return Adam(image, lr=settings.lr)


def remaining_seconds(scales: list[Scale], index: int, done_here: int, per_step: float) -> float:
    """Time left, assuming a step's cost grows with the pixel count of its scale."""
    area = scales[index].size[0] * scales[index].size[1]
    left = (scales[index].steps - done_here) * per_step
    for later in scales[index + 1 :]:
        left += later.steps * per_step * (later.size[0] * later.size[1]) / area
    return left


def check_finite(total: float, step: int, last_good: Tensor | None, run: Run, inputs: ScaleInputs) -> None:
    """Stop with the last good image when the loss is no longer a finite number."""
    if math.isfinite(total):
        return
    raise RunFailedError(
        f"The optimisation diverged at step {step + 1} (the loss became {total}). "
        "Lower the learning rate or the loss weights and try again; the last good image is kept.",
        last_image=None if last_good is None else run.picture(last_good, inputs),
    )


def out_of_memory(step: int, last_good: Tensor | None, run: Run, inputs: ScaleInputs | None) -> RunFailedError:
    size = "" if inputs is None else f" at {inputs.content.shape[3]}x{inputs.content.shape[2]} pixels"
    return RunFailedError(
        f"Ran out of memory{size} (step {step + 1}). Choose a smaller output size or style scale.",
        last_image=None if last_good is None or inputs is None else run.picture(last_good, inputs),
    )
