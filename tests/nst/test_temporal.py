"""nst.core.temporal: the temporal loss against values worked out by hand."""

from __future__ import annotations

import pytest
import torch

from nst.core.temporal import temporal_loss


def test_temporal_loss_matches_a_hand_computed_value() -> None:
    # Two channels of 1x2 pixels, D = 4 values. The second pixel is unreliable (c = 0).
    image = torch.tensor([[[[1.0, 5.0]], [[2.0, -1.0]]]])
    warped = torch.tensor([[[[0.0, 0.0]], [[4.0, 3.0]]]])
    weights = torch.tensor([[[[1.0, 0.0]]]])
    # Reliable pixel: (1 - 0)^2 + (2 - 4)^2 = 5; the other pixel (25 + 16) is ignored. 3 * 5 / 4 = 3.75.
    assert temporal_loss(3.0, image, warped, weights).item() == pytest.approx(3.75)
    # (H, W) weights, as nst.clips.flow.reliability gives them, mean the same.
    assert temporal_loss(3.0, image, warped, weights[0, 0]).item() == pytest.approx(3.75)
    # With every pixel reliable: (1 + 4 + 25 + 16) / 4 = 11.5.
    assert temporal_loss(1.0, image, warped, torch.ones(1, 1, 1, 2)).item() == pytest.approx(11.5)


def test_temporal_loss_is_zero_on_the_warped_picture_and_pulls_towards_it() -> None:
    warped = torch.rand(1, 3, 8, 6)
    weights = (torch.rand(1, 1, 8, 6) > 0.3).float()
    assert temporal_loss(1.0, warped.clone(), warped, weights).item() == 0.0
    image = torch.rand(1, 3, 8, 6, requires_grad=True)
    temporal_loss(2.0, image, warped, weights).backward()
    # The gradient is 2 w c (x - w) / D: towards the warped picture, and nothing where c = 0.
    expected = 2 * 2.0 * weights * (image.detach() - warped) / image.numel()
    torch.testing.assert_close(image.grad, expected)
    assert torch.all(image.grad[weights.expand_as(image) == 0] == 0)


def test_temporal_loss_of_bf16_images_is_float32_and_exact() -> None:
    # A difference of one bf16 step (2^-7) everywhere: its mean square, 2^-14, comes out exactly.
    image = torch.full((1, 3, 64, 64), 1 + 2**-7, dtype=torch.bfloat16, requires_grad=True)
    loss = temporal_loss(1.0, image, torch.ones(1, 3, 64, 64), torch.ones(64, 64))
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(2**-14)
    loss.backward()
    assert image.grad.dtype == torch.bfloat16
