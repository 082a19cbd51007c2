"""Small test images made in code, so no test depends on files outside the repo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torchvision.models import squeezenet1_1

SQUEEZENET_FILE = "squeezenet1_1-b8a52dc0.pth"


def make_photo(width: int = 96, height: int = 72, seed: int = 0) -> Image.Image:
    """A smooth 'photo': a sky gradient, a sun and a dark house, plus a little noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    sky = np.stack([0.3 + 0.4 * y / height, 0.5 + 0.3 * y / height, 0.9 - 0.2 * y / height], axis=-1)
    sun = ((x - 0.75 * width) ** 2 + (y - 0.25 * height) ** 2) < (0.12 * height) ** 2
    sky[sun] = (1.0, 0.85, 0.3)
    house = (x > 0.15 * width) & (x < 0.45 * width) & (y > 0.5 * height)
    sky[house] = (0.45, 0.2, 0.15)
    sky += rng.normal(0, 0.02, sky.shape)
    return Image.fromarray((np.clip(sky, 0, 1) * 255).astype(np.uint8), "RGB")


def make_painting(size: int = 96, seed: int = 1) -> Image.Image:
    """A 'painting': bold diagonal stripes in two colours with random blotches."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    stripes = (np.sin((x + y) / 3.0) > 0)[..., None]
    image = np.where(stripes, np.array([0.95, 0.75, 0.1]), np.array([0.1, 0.2, 0.7]))
    for _ in range(12):
        cx, cy, r = rng.uniform(0, size, 2).tolist() + [rng.uniform(3, 9)]
        blot = ((x - cx) ** 2 + (y - cy) ** 2) < r**2
        image[blot] = rng.uniform(0, 1, 3)
    return Image.fromarray((image * 255).astype(np.uint8), "RGB")


def save_random_squeezenet(torch_home: Path) -> None:
    """Put randomly initialised SqueezeNet 1.1 weights where torchvision looks for the ImageNet ones.

    Torchvision does not re-check a cached file, so the real loading code runs
    offline; the pictures are meaningless but every code path is the real one.
    """
    checkpoints = torch_home / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    torch.save(squeezenet1_1(weights=None).state_dict(), checkpoints / SQUEEZENET_FILE)


def make_half_mask(width: int = 96, height: int = 72) -> Image.Image:
    """A mask over `make_photo`: white (styled) left half, black (kept) right half."""
    pixels = np.zeros((height, width), np.uint8)
    pixels[:, : width // 2] = 255
    return Image.fromarray(pixels, "L")
