"""One quality function for every implementation: VGG-19 style and content distance.

The benchmark compares our results with other programs' and with themselves
under other speed settings, so the measure must not depend on how an image
was made. Every image is judged the same way: resized to a fixed working size
(256 px long side), fed through our VGG-19 in full fp32 precision, and
compared with the inputs:

- style distance: the sum over relu1_1, relu2_1, relu3_1, relu4_1 and relu5_1,
  with equal weights, of the mean squared difference between the normalised
  Gram matrices (divided by C*H*W) of the result and of the style image;
- content distance: the mean squared difference of the relu4_2 features of
  the result and of the content image (the result is resized to exactly the
  content's working size, so the features line up).

On the 0-255 pixel scale of these weights, deeper layers have far larger Gram
entries, so relu4_1 makes up most of the style distance; `Judge.parts` gives
each layer's share. Lower is better for both. They pull against each other (the content image
itself has content distance 0), so a fair comparison needs both.

    from judge import judge
    judge("result.png", "photo.jpg", "painting.jpg")
    # {'style_distance': 1234.5, 'content_distance': 67.8}
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nst.device import pick_device  # noqa: E402
from nst.extractors import get_extractor  # noqa: E402
from nst.images import ImageSource, load_image, resize_long_side, to_tensor  # noqa: E402
from nst.losses import gram_matrix  # noqa: E402

WORKING_SIZE = 256
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
CONTENT_LAYER = "relu4_2"

Judgeable = ImageSource | np.ndarray


def as_image(source: Judgeable) -> Image.Image:
    if isinstance(source, np.ndarray):
        return Image.fromarray(source, "RGB")
    if isinstance(source, Image.Image):
        return source.convert("RGB")
    return load_image(source)


@contextlib.contextmanager
def exact_fp32() -> Iterator[None]:
    """No gradients and full fp32 on every device (CUDA would otherwise use TF32)."""
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        with torch.no_grad():
            yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


class Judge:
    """Judges many results against one content and style image (their features kept)."""

    def __init__(self, content: Judgeable, style: Judgeable, size: int = WORKING_SIZE) -> None:
        self.device = pick_device("auto")
        self.extractor = get_extractor("vgg19", str(self.device), False)
        content_image = resize_long_side(as_image(content), size)
        self.size = content_image.size
        with exact_fp32():
            self.content_features = self.features(content_image)[CONTENT_LAYER]
            style_features = self.features(resize_long_side(as_image(style), size))
            self.style_grams = [gram_matrix(style_features[name]) for name in STYLE_LAYERS]

    def features(self, image: Image.Image) -> dict[str, Tensor]:
        return self.extractor(to_tensor(image, self.device), [CONTENT_LAYER, *STYLE_LAYERS])

    def __call__(self, result: Judgeable) -> dict[str, float]:
        """Style distance (summed over the layers) and content distance of `result`."""
        parts = self.parts(result)
        content = parts.pop(CONTENT_LAYER)
        return {"style_distance": sum(parts.values()), "content_distance": content}

    def parts(self, result: Judgeable) -> dict[str, float]:
        """The style distance at each style layer, and the content distance under the content layer's name."""
        image = as_image(result)
        if image.size != self.size:
            image = image.resize(self.size, Image.Resampling.LANCZOS)
        with exact_fp32():
            features = self.features(image)
            parts = {
                name: float((gram_matrix(features[name]) - target).pow(2).mean())
                for name, target in zip(STYLE_LAYERS, self.style_grams, strict=True)
            }
            parts[CONTENT_LAYER] = float((features[CONTENT_LAYER] - self.content_features).pow(2).mean())
        return parts


def judge(result: Judgeable, content: Judgeable, style: Judgeable) -> dict[str, float]:
    """Style and content distance of `result` from `style` and `content` (lower is better)."""
    return Judge(content, style)(result)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: python bench/judge.py RESULT CONTENT STYLE")
    print(judge(*sys.argv[1:]))
