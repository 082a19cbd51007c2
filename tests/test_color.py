"""Colour preservation: histogram matching and luminance-only recombination."""

from __future__ import annotations

import torch

from nst.color import luminance, match_histogram, match_luminance, recombine, rgb_to_yiq, yiq_to_rgb


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
