"""Our Adam against torch's, step for step."""

from __future__ import annotations

import torch

from nst.core.adam import Adam


def loss_of(image: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return ((image - target) ** 2 * torch.linspace(0.1, 3.0, image.numel()).view_as(image)).sum() + image.sin().sum()


def test_it_moves_the_pixels_as_torch_optim_adam_does():
    torch.manual_seed(0)
    start, target = torch.rand(1, 3, 5, 7), torch.rand(1, 3, 5, 7)
    ours, theirs = start.clone().requires_grad_(True), start.clone().requires_grad_(True)
    ours_optimizer, their_optimizer = Adam(ours, lr=0.05), torch.optim.Adam([theirs], lr=0.05)
    for step in range(12):
        rate = 0.05 if step < 8 else 0.01  # the loop sets the rate before each step
        for optimizer, image in ((ours_optimizer, ours), (their_optimizer, theirs)):
            optimizer.param_groups[0]["lr"] = rate
            optimizer.zero_grad(set_to_none=True)
            loss_of(image, target).backward()
            optimizer.step()
        assert torch.equal(ours, theirs), f"step {step + 1}"
    assert not torch.equal(ours, start)


def test_carrying_from_a_coarser_scale_resizes_its_moments_and_keeps_its_step_count():
    coarse = torch.rand(1, 3, 4, 6, requires_grad=True)
    previous = Adam(coarse, lr=0.02)
    for _ in range(3):
        previous.zero_grad()
        coarse.sum().backward()
        previous.step()
    fine = Adam(torch.rand(1, 3, 8, 12, requires_grad=True), lr=0.02)
    fine.carry_from(previous)
    assert fine.steps == 3 and fine.exp_avg.shape == (1, 3, 8, 12)
    assert torch.allclose(fine.exp_avg, torch.full_like(fine.exp_avg, float(previous.exp_avg.mean())))
