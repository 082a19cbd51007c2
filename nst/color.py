"""Keeping the content photo's colours (Gatys et al. 2017, "Controlling
perceptual factors in neural style transfer").

Two ways, both on (1, 3, H, W) tensors in [0, 1]:
- histogram matching: recolour the style image so that its colour mean and
  covariance equal the content's, then transfer as usual;
- luminance only: transfer between grey (luma) images, then put the content's
  chroma back on the result. Colours stay exactly those of the photo.
"""

from __future__ import annotations

import torch
from torch import Tensor

# YIQ, the colour space the paper uses for luminance-only transfer.
RGB_TO_YIQ = torch.tensor(
    [
        [0.299, 0.587, 0.114],
        [0.595716, -0.274453, -0.321263],
        [0.211456, -0.522591, 0.311135],
    ]
)
YIQ_TO_RGB = torch.linalg.inv(RGB_TO_YIQ)


def rgb_to_yiq(image: Tensor) -> Tensor:
    """(N, 3, H, W) RGB to YIQ."""
    return torch.einsum("ij,njhw->nihw", RGB_TO_YIQ.to(image), image)


def yiq_to_rgb(image: Tensor) -> Tensor:
    """(N, 3, H, W) YIQ to RGB."""
    return torch.einsum("ij,njhw->nihw", YIQ_TO_RGB.to(image), image)


def luminance(image: Tensor) -> Tensor:
    """The luma of an RGB image as a grey RGB image (Y in all three channels)."""
    y = rgb_to_yiq(image)[:, :1]
    return y.expand(-1, 3, -1, -1).contiguous()


def match_luminance(style_grey: Tensor, content_grey: Tensor) -> Tensor:
    """Shift and scale the style's luma to the content's mean and spread.

    Without it a dark painting would darken the photo even though only
    texture, not tone, is meant to move across.
    """
    s_mean, s_std = style_grey.mean(), style_grey.std().clamp_min(1e-6)
    c_mean, c_std = content_grey.mean(), content_grey.std()
    return ((style_grey - s_mean) / s_std * c_std + c_mean).clamp(0, 1)


def recombine(result: Tensor, content: Tensor) -> Tensor:
    """Luma of `result` with the chroma (I, Q) of `content`, back in RGB."""
    y = rgb_to_yiq(result)[:, :1]
    iq = rgb_to_yiq(content)[:, 1:]
    return yiq_to_rgb(torch.cat([y, iq], dim=1)).clamp(0, 1)


def symmetric_power(matrix: Tensor, power: float) -> Tensor:
    """matrix^power for a symmetric positive semi-definite 3x3 matrix."""
    values, vectors = torch.linalg.eigh(matrix)
    return vectors @ torch.diag(values.clamp_min(1e-8).pow(power)) @ vectors.T


def match_histogram(style: Tensor, content: Tensor) -> Tensor:
    """Recolour `style` so its RGB mean and covariance equal `content`'s.

    The linear transform x' = C_c^(1/2) C_s^(-1/2) (x - mu_s) + mu_c, with
    symmetric matrix square roots (the paper's "image analogies" variant).
    """
    s = style[0].reshape(3, -1).double()
    c = content[0].reshape(3, -1).double()
    s_mean, c_mean = s.mean(1, keepdim=True), c.mean(1, keepdim=True)
    s_cov = torch.cov(s) + 1e-5 * torch.eye(3, dtype=s.dtype)
    c_cov = torch.cov(c) + 1e-5 * torch.eye(3, dtype=c.dtype)
    transform = symmetric_power(c_cov, 0.5) @ symmetric_power(s_cov, -0.5)
    matched = transform @ (s - s_mean) + c_mean
    return matched.reshape_as(style[0]).unsqueeze(0).to(style.dtype).clamp(0, 1)
