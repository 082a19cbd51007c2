"""The term that holds a picture's colour distribution: what it charges and where it pulls."""

from __future__ import annotations

import pytest
import torch

from nst.colour.palette_hold import PaletteHold, directions, palette_quantiles, sorted_projections
from nst.io.images import to_tensor

from ..factories import make_painting, make_photo


def photo() -> torch.Tensor:
    return to_tensor(make_photo().resize((48, 36)), torch.device("cpu"))


def painting_palette() -> torch.Tensor:
    return palette_quantiles(to_tensor(make_painting().resize((40, 40)), torch.device("cpu"))[0].reshape(3, -1))


def test_it_charges_a_change_of_palette_but_not_a_change_of_place():
    start = photo()
    hold = PaletteHold.of(start, 1.0)
    assert hold(start).item() == pytest.approx(0.0, abs=1e-9)
    shuffled = start.reshape(1, 3, -1)[:, :, torch.randperm(start[0, 0].numel())].reshape_as(start)
    assert hold(shuffled).item() == pytest.approx(0.0, abs=1e-9), "the same colours elsewhere cost nothing"
    assert hold((start * 0.7 + 0.2).clamp(0, 1)).item() > 1e-3
    # A relative error: twice the weight, twice the charge; the same change at another size, about the same.
    darker = (start * 0.8).clamp(0, 1)
    assert PaletteHold.of(start, 2.0)(darker).item() == pytest.approx(2 * hold(darker).item(), rel=1e-5)
    big = torch.nn.functional.interpolate(start, scale_factor=2, mode="nearest")
    assert PaletteHold.of(big, 1.0)((big * 0.8).clamp(0, 1)).item() == pytest.approx(hold(darker).item(), rel=0.02)


def test_towards_interpolates_between_the_photos_palette_and_the_paintings():
    start, palette = photo(), painting_palette()
    assert PaletteHold.towards(start, palette, 0.0, 1.0)(start).item() == pytest.approx(0.0, abs=1e-9)
    along = directions(start.device)
    full = PaletteHold.towards(start, palette, 1.0, 1.0)
    half = PaletteHold.towards(start, palette, 0.5, 1.0)
    own = sorted_projections(start, along)
    # Half way, every quantile lies half way between the photo's and the painting's.
    assert torch.allclose(half.target, (own + full.target) / 2, atol=1e-5)


def test_descending_on_it_moves_the_colours_to_the_paintings():
    start, palette = photo(), painting_palette()
    hold = PaletteHold.towards(start, palette, 1.0, 1.0)
    image = start.clone().requires_grad_(True)
    optimizer = torch.optim.Adam([image], lr=0.02)
    before = hold(start).item()
    for _ in range(150):
        optimizer.zero_grad()
        hold(image).backward()
        optimizer.step()
    assert hold(image.detach()).item() < 0.05 * before
