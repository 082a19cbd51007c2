"""Coarse-to-fine plans and the size-invariant weighting."""

from __future__ import annotations

import pytest
import torch

from nst import Settings
from nst.core.losses import content_loss, gram_matrix, tv_loss
from nst.plan.schedule import (
    SHAPES,
    TEXTURE,
    WHOLE,
    learning_rate_at,
    plan_stages,
    reach_factor,
    scale_sizes,
    size_factor,
)


def test_scales_grow_by_sqrt2_from_the_smallest_to_the_target():
    assert scale_sizes(512, 128) == [128, 181, 256, 362, 512]


def test_the_default_plan_lays_shapes_down_small_then_finishes_at_the_output_size_in_two_stages():
    plan = plan_stages(Settings(), (1024, 682))
    assert [(s.size, s.steps, s.kind) for s in plan] == [
        ((128, 85), 8, WHOLE),
        ((181, 121), 6, WHOLE),
        ((256, 170), 4, WHOLE),
        ((512, 341), 3, TEXTURE),
        ((512, 341), 5, SHAPES),
    ]


def test_plan_shares_all_steps_and_favours_small_scales():
    plan = plan_stages(Settings(size=512, steps=200), (1024, 768))
    assert sum(s.steps for s in plan) == 200
    assert [s.size for s in plan][-1] == (512, 384)
    coarse = [s.steps for s in plan if s.kind == WHOLE]
    assert coarse == sorted(coarse, reverse=True) and len(coarse) == 3
    # A share of 0.3 at the output size, 0.4 of it on texture alone.
    assert [(s.steps, s.kind) for s in plan[-2:]] == [(24, TEXTURE), (36, SHAPES)]


def test_larger_outputs_keep_every_coarse_scale_but_the_one_just_below_the_output():
    sides = [max(s.size) for s in plan_stages(Settings(size=1024), (1024, 768))]
    assert sides == [128, 181, 256, 362, 512, 1024, 1024]


def test_single_scale_when_small_or_turned_off():
    assert len(plan_stages(Settings(size=192), (1000, 500))) == 1
    assert len(plan_stages(Settings(size=1024, multiscale=False), (1000, 500))) == 1
    assert plan_stages(Settings(size=192), (1000, 500))[0].size == (192, 96)
    assert plan_stages(Settings(size=1024, multiscale=False), (1000, 500))[0].kind == WHOLE


def test_small_outputs_work_at_one_scale_with_the_steps_given():
    assert Settings(size=383).use_multiscale is False and Settings(size=384).use_multiscale is True
    (scale,) = plan_stages(Settings(size=256), (1000, 500))
    assert scale.size == (256, 128) and scale.steps == 26 and scale.kind == WHOLE
    assert plan_stages(Settings(size=256, steps=160, multiscale=False), (1000, 500))[0].steps == 160


def test_every_stage_gets_a_step_even_with_few_steps():
    plan = plan_stages(Settings(size=1024, steps=3), (1024, 1024))
    assert [(max(s.size), s.steps, s.kind) for s in plan] == [(512, 1, WHOLE), (1024, 1, TEXTURE), (1024, 1, SHAPES)]
    assert [(s.steps, s.kind) for s in plan_stages(Settings(steps=1), (512, 512))] == [(1, SHAPES)]


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


def test_a_strong_style_moves_the_whole_picture_scales_faster_and_nothing_else():
    strong = Settings(style_strength=4.0)
    assert reach_factor(strong, WHOLE) == pytest.approx(4.0)
    assert reach_factor(strong.replace(strength_reach=0.5), WHOLE) == pytest.approx(2.0)
    assert reach_factor(strong, TEXTURE) == reach_factor(strong, SHAPES) == 1.0
    assert reach_factor(Settings(style_strength=1.0), WHOLE) == 1.0
    assert reach_factor(Settings(style_strength=0.25), WHOLE) == 1.0, "below 1 the rate stays"
    assert reach_factor(strong.replace(strength_reach=0.0), WHOLE) == 1.0


def test_a_large_picture_is_the_1024_px_plan_then_texture_and_shape_steps_at_each_larger_size():
    photo = (2560, 1600)
    plan = plan_stages(Settings(size=4096), photo)
    base = plan_stages(Settings(size=1024), photo)
    assert plan[: len(base)] == base
    finer = plan[len(base) :]
    assert [max(stage.size) for stage in finer] == [1448, 1448, 2048, 2048, 2896, 2896, 4096, 4096]
    assert [(stage.steps, stage.kind) for stage in finer[-2:]] == [(2, TEXTURE), (2, SHAPES)]
    assert finer[-1].size == (4096, 2560)


def test_large_size_steps_zero_shares_the_steps_over_every_size_as_before():
    plan = plan_stages(Settings(size=2048, large_size_steps=0), (2560, 1600))
    assert sum(stage.steps for stage in plan) == 26 and max(plan[-1].size) == 2048
