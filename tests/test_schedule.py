"""Coarse-to-fine plans and the size-invariant weighting."""

from __future__ import annotations

import pytest
import torch

from nst import Settings
from nst.losses import content_loss, gram_matrix, tv_loss
from nst.schedule import learning_rate_at, plan_scales, scale_sizes, size_factor


def test_scales_grow_by_sqrt2_from_the_smallest_to_the_target():
    assert scale_sizes(512, 128) == [128, 181, 256, 362, 512]


def test_plan_shares_all_steps_and_favours_small_scales():
    plan = plan_scales(Settings(size=512, steps=200), (1024, 768))
    assert sum(s.steps for s in plan) == 200
    assert [s.size for s in plan][-1] == (512, 384)
    steps = [s.steps for s in plan]
    assert steps == sorted(steps, reverse=True)


def test_single_scale_when_small_or_turned_off():
    assert len(plan_scales(Settings(size=192), (1000, 500))) == 1
    assert len(plan_scales(Settings(size=1024, multiscale=False), (1000, 500))) == 1
    assert plan_scales(Settings(size=192), (1000, 500))[0].size == (192, 96)


def test_small_outputs_do_the_coarse_to_fine_work_at_one_scale():
    """Below MULTISCALE_FROM x min_scale the run works at one scale for what the plan would have cost."""
    assert Settings(size=383).use_multiscale is False and Settings(size=384).use_multiscale is True
    (scale,) = plan_scales(Settings(size=256, steps=160), (1000, 500))
    coarse = plan_scales(Settings(size=256, steps=160, multiscale=True), (1000, 500))
    assert [s.size[0] for s in coarse] == [128, 181, 256] and [s.steps for s in coarse] == [78, 50, 32]
    # 78 steps at a quarter of the pixels, 50 at about half, 32 at the full size: about 76.
    assert scale.size == (256, 128) and scale.steps == 76
    # Asked for one scale, the steps are taken as given.
    assert plan_scales(Settings(size=256, steps=160, multiscale=False), (1000, 500))[0].steps == 160
    # Nearer the smallest scale the plan had fewer, larger coarse scales: more steps at one scale
    # (at 200 px its two scales, 136 and 200 px, cost 110 steps at 200 px); at 64 px it had one, so nothing changes.
    assert plan_scales(Settings(size=200, steps=160), (1000, 500))[0].steps == 110
    assert plan_scales(Settings(size=64, steps=10), (1000, 500))[0].steps == 10


def test_every_scale_gets_a_step_even_with_few_steps():
    plan = plan_scales(Settings(size=1024, steps=3), (1024, 1024))
    assert [s.steps for s in plan] == [1, 1, 1]


def test_summed_terms_times_size_factor_do_not_depend_on_size():
    """The same picture at two sizes gives the same weighted content and TV terms."""
    torch.manual_seed(0)
    small = torch.rand(1, 3, 32, 32)
    big = torch.nn.functional.interpolate(small, scale_factor=2, mode="nearest")
    settings = Settings(reference_size=64)
    # Nearest upscaling doubles every run of equal pixels, so sums grow 4x in area;
    # TV only counts differences, which appear at half the neighbour pairs.
    c_small = content_loss(size_factor(settings, 32), small, torch.zeros_like(small))
    c_big = content_loss(size_factor(settings, 64), big, torch.zeros_like(big))
    assert c_small.item() == pytest.approx(c_big.item(), rel=1e-5)
    assert tv_loss(big, size_factor(settings, 64)).item() < tv_loss(small, size_factor(settings, 32)).item()
    assert torch.allclose(gram_matrix(small), gram_matrix(big), atol=1e-6)


def test_learning_rate_drops_at_the_given_fraction():
    settings = Settings(steps=200, learning_rate=0.5, final_learning_rate=0.01, lr_drop_at=0.9)
    assert learning_rate_at(settings, 179) == 0.5
    assert learning_rate_at(settings, 180) == 0.01
    assert learning_rate_at(Settings(optimizer="lbfgs"), 5) == 1.0
