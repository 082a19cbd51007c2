"""The three loss terms of Gatys et al. (CVPR 2016), exactly as specified.

Sums, not means: a term's size grows with the number of elements it covers.
The optimisation loop turns that into size-invariant weights (see
`nst.schedule.effective_weights`), so these functions stay the plain
formulas that the tests check against hand-computed values.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


def content_loss(content_weight: float, content_current: Tensor, content_original: Tensor) -> Tensor:
    """`w_c * sum((F - P)^2)` between current and original features, (1, C, H, W)."""
    return content_weight * (content_current - content_original).pow(2).sum()


def gram_matrix(features: Tensor, normalize: bool = True) -> Tensor:
    """Gram matrices `G_ij = sum_k F_ik F_jk` of (N, C, H, W) features, as (N, C, C).

    With `normalize` the result is divided by C*H*W, which makes it a mean
    rather than a sum and so independent of the image size.
    """
    n, c, h, w = features.shape
    if features.is_contiguous(memory_format=torch.channels_last) and not features.is_contiguous():
        # Channels-last memory holds each pixel's C values together: viewed as
        # (N, H*W, C) it needs no copy, G = F^T F is the same sum, and the
        # gradient comes back in the network's own layout, where adding it to
        # the next layer's gradient is a plain pass over memory.
        flat = features.permute(0, 2, 3, 1).reshape(n, h * w, c)
        gram = torch.bmm(flat.transpose(1, 2), flat)
    else:
        flat = features.reshape(n, c, h * w)
        gram = torch.bmm(flat, flat.transpose(1, 2))
    if normalize:
        gram = gram / (c * h * w)
    return gram


def style_loss(
    feats: Sequence[Tensor],
    style_layers: Sequence[int],
    style_targets: Sequence[Tensor],
    style_weights: Sequence[float],
    *,
    normalize: bool = True,
) -> Tensor:
    """`sum_l w_l * sum((G_l - A_l)^2)` over the chosen layers.

    `feats` holds every layer's output; `style_layers` indexes into it (any
    order), and `style_targets[i]` / `style_weights[i]` belong to
    `style_layers[i]`. Targets must be Gram matrices made with the same
    `normalize` choice.
    """
    if not (len(style_layers) == len(style_targets) == len(style_weights)):
        raise ValueError("style_layers, style_targets and style_weights must have the same length")
    total = feats[0].new_zeros(())
    for layer, target, weight in zip(style_layers, style_targets, style_weights, strict=True):
        gram = gram_matrix(feats[layer], normalize)
        total = total + weight * (gram - target).pow(2).sum()
    return total


def tv_loss(img: Tensor, tv_weight: float) -> Tensor:
    """`w_t * (sum of squared vertical + horizontal neighbour differences)`, all channels."""
    vertical = (img[..., 1:, :] - img[..., :-1, :]).pow(2).sum()
    horizontal = (img[..., :, 1:] - img[..., :, :-1]).pow(2).sum()
    return tv_weight * (vertical + horizontal)
