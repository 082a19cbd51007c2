"""Colour handling: keeping the photo's colours, and taking the painting's."""

from __future__ import annotations

import torch

from nst.colour.color import (
    fit_palette_map,
    luminance,
    match_histogram,
    match_luminance,
    palette,
    palette_pixels,
    recombine,
    repaint,
    rgb_to_yiq,
    yiq_to_rgb,
)
from nst.io.images import resize_long_side, to_tensor

from ..factories import make_painting, make_photo


def test_yiq_round_trip():
    image = torch.rand(1, 3, 8, 8)
    assert torch.allclose(yiq_to_rgb(rgb_to_yiq(image)), image, atol=1e-5)


def test_histogram_matching_gives_the_contents_mean_and_covariance():
    torch.manual_seed(0)
    content = torch.rand(1, 3, 32, 32) * torch.tensor([0.5, 0.3, 0.2]).view(1, 3, 1, 1) + 0.2
    style = torch.rand(1, 3, 32, 32) * torch.tensor([0.2, 0.4, 0.4]).view(1, 3, 1, 1) + 0.1
    matched = match_histogram(style, content)
    flat_m, flat_c = matched[0].reshape(3, -1), content[0].reshape(3, -1)
    assert torch.allclose(flat_m.mean(1), flat_c.mean(1), atol=1e-3)
    assert torch.allclose(torch.cov(flat_m), torch.cov(flat_c), atol=2e-3)


def test_luminance_is_grey_and_matched_in_tone():
    torch.manual_seed(1)
    grey = luminance(torch.rand(1, 3, 16, 16))
    assert torch.equal(grey[:, 0], grey[:, 1]) and torch.equal(grey[:, 1], grey[:, 2])
    dark = luminance(torch.rand(1, 3, 16, 16) * 0.2)
    matched = match_luminance(dark, grey)
    assert abs(matched.mean().item() - grey.mean().item()) < 0.01


def test_recombine_takes_luma_from_result_and_chroma_from_content():
    torch.manual_seed(2)
    content = torch.rand(1, 3, 16, 16) * 0.5 + 0.25
    result = luminance(torch.rand(1, 3, 16, 16) * 0.5 + 0.25)
    mixed = rgb_to_yiq(recombine(result, content))
    assert torch.allclose(mixed[:, :1], rgb_to_yiq(result)[:, :1], atol=1e-4)
    assert torch.allclose(mixed[:, 1:], rgb_to_yiq(content)[:, 1:], atol=1e-4)


def colour_cloud_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean absolute difference of the sorted values of each RGB channel (1-D Wasserstein per channel)."""
    flat_a, flat_b = a[0].reshape(3, -1), b[0].reshape(3, -1)
    levels = torch.linspace(0, 1, 256)
    return float((torch.quantile(flat_a, levels, dim=1) - torch.quantile(flat_b, levels, dim=1)).abs().mean())


def test_palette_transfer_takes_the_paintings_colours_and_keeps_the_photos_shapes():
    # A shaded wall (a smooth dark-to-mid green ramp, as real photos shade continuously)
    # with a flat light square on it.
    ramp = torch.linspace(0.1, 0.5, 96).view(1, 1, 1, 96).expand(1, 1, 72, 96)
    photo = torch.cat([ramp * 0.6, ramp, ramp * 0.4], dim=1).clone()
    photo[:, :, 20:50, 30:60] = torch.tensor([0.9, 0.85, 0.8]).view(1, 3, 1, 1)
    # A night painting: mostly deep blues, some bright yellow, brushed (noisy) throughout.
    brush = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    blue, yellow = torch.tensor([0.1, 0.2, 0.5]).view(1, 3, 1, 1), torch.tensor([0.95, 0.85, 0.3]).view(1, 3, 1, 1)
    painting = blue.expand(1, 3, 64, 64).clone()
    painting[:, :, :, 48:] = yellow
    painting = (painting + 0.15 * (brush - 0.5)).clamp(0, 1)
    moved = fit_palette_map(photo, palette_pixels([painting], [1.0]))(photo)
    assert colour_cloud_distance(moved, painting) < 0.2 * colour_cloud_distance(photo, painting)
    # A map of colours: the flat square stays one flat colour, and it stays lighter than the wall.
    square = moved[:, :, 20:50, 30:60]
    assert float(square.std(dim=(2, 3)).max()) < 1e-4
    luma = luminance(moved)[0, 0]
    wall = torch.cat([luma[:20].flatten(), luma[50:].flatten()])
    assert float(luma[20:50, 30:60].mean()) > float(wall.mean()) + 0.2
    assert torch.equal(moved, fit_palette_map(photo, palette_pixels([painting], [1.0]))(photo))  # repeatable


def test_a_palette_map_fitted_once_recolours_every_scale_alike():
    picture = make_photo(192, 144)
    photo = to_tensor(picture)
    painting = to_tensor(make_painting(96))
    palette_map = fit_palette_map(photo, palette_pixels([painting], [1.0]))
    # A coarse scale's photo, reduced as a run reduces it (Lanczos, resize_long_side).
    small = to_tensor(resize_long_side(picture, 96))
    recoloured_small = palette_map(small)
    # The same colours at both sizes: per channel, the same mean and spread.
    recoloured = palette_map(photo)
    for statistic in (torch.mean, torch.std):
        large, small_one = (statistic(x[0].flatten(1), dim=1) for x in (recoloured, recoloured_small))
        assert torch.allclose(large, small_one, atol=0.01)
    assert colour_cloud_distance(recoloured_small, painting) < 0.6 * colour_cloud_distance(small, painting)


def test_palette_pixels_follow_the_blend_weights():
    red = torch.zeros(1, 3, 40, 40)
    red[:, 0] = 1
    blue = torch.zeros(1, 3, 10, 10)
    blue[:, 2] = 1
    pixels = palette_pixels([red, blue], [3.0, 1.0], count=400)
    assert pixels.shape[1] == 400
    assert abs(float(pixels[0].mean()) - 0.75) < 0.01 and abs(float(pixels[2].mean()) - 0.25) < 0.01
    assert torch.equal(palette_pixels([red, blue], [1.0, 0.0], count=400), palette_pixels([red], [1.0], count=400))


def test_moment_repaint_moves_chroma_to_the_palette_and_keeps_luma_affine():
    torch.manual_seed(3)
    photo = torch.rand(1, 3, 24, 24) * 0.6 + 0.2
    painting = torch.rand(1, 3, 24, 24) * torch.tensor([0.2, 0.3, 0.9]).view(1, 3, 1, 1)
    moved = repaint(photo, palette([painting], [1.0]), 1.0)
    target_mean = rgb_to_yiq(painting)[0].reshape(3, -1).mean(1)
    assert torch.allclose(rgb_to_yiq(moved)[0].reshape(3, -1).mean(1), target_mean, atol=0.02)
    luma_before, luma_after = luminance(photo)[0, 0].flatten(), luminance(moved)[0, 0].flatten()
    # Affine before the colours are clamped into [0, 1], which bends the darkest few.
    assert torch.corrcoef(torch.stack([luma_before, luma_after]))[0, 1] > 0.99
    assert torch.equal(repaint(photo, palette([painting], [1.0]), 0.0), photo)
