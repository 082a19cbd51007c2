"""The three loss terms of Gatys et al. (CVPR 2016), exactly as specified.

Sums, not means: a term's size grows with the number of elements it covers.
Each stage's objective turns that into size-invariant weights (see
`nst.core.objective.objective_for`), so these functions stay the plain
formulas that the tests check against hand-computed values.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


def content_loss(content_weight: float, content_current: Tensor, content_original: Tensor) -> Tensor:
    """`w_c * sum((F - P)^2)` between current and original features, (1, C, H, W)."""
    return content_weight * SquaredDistance.apply(content_current, content_original)


class SquaredDistance(torch.autograd.Function):
    """`sum((a - b)^2)` with `b` fixed, in two passes over memory forward and one backward.

    Autograd of the plain expression makes six passes (difference, square,
    sum, and their gradients, each a new tensor) plus casts when the features
    are bf16: a fifth of a bf16 step at 512 px went to relu2_2's content term.
    Here the difference is kept (in float32) and is the gradient, doubled.
    """

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, current: Tensor, target: Tensor) -> Tensor:
        difference = torch.sub(current, target.to(torch.promote_types(current.dtype, target.dtype)))
        ctx.save_for_backward(difference)
        ctx.dtype = current.dtype
        flat = in_memory_order(difference)
        return torch.dot(flat, flat)

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: Tensor) -> tuple[Tensor, None]:
        (difference,) = ctx.saved_tensors
        return (difference * (2 * grad)).to(ctx.dtype), None


def layout_of(tensor: Tensor) -> torch.memory_format:
    """Channels-last where a 4-D tensor is laid out so (and is not also plain contiguous), else contiguous."""
    if tensor.dim() == 4 and not tensor.is_contiguous() and tensor.is_contiguous(memory_format=torch.channels_last):
        return torch.channels_last
    return torch.contiguous_format


def in_memory_order(tensor: Tensor) -> Tensor:
    """A 1-D view of a contiguous or channels-last tensor's elements, in the order they lie in memory."""
    if layout_of(tensor) == torch.channels_last:
        return tensor.permute(0, 2, 3, 1).reshape(-1)
    return tensor.reshape(-1)


class PixelGram(torch.autograd.Function):
    """`F^T F` of (N, M, C) pixel-major features, with a backward pass of one product.

    Autograd differentiates the batched product as two products of unrelated
    operands and adds them in different memory layouts: on two CPU cores that
    cost five times the forward pass (140 ms a step at 512x384 over the five
    style layers). The Gram matrix is symmetric, so the gradient is one product,
    `F (dG + dG^T)`, written straight into the features' own layout.
    """

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, flat: Tensor) -> Tensor:
        ctx.save_for_backward(flat)
        return torch.bmm(flat.transpose(1, 2), flat)

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: Tensor) -> Tensor:
        (flat,) = ctx.saved_tensors
        return torch.bmm(flat, grad + grad.transpose(1, 2))


class ChannelGram(torch.autograd.Function):
    """`F F^T` of (N, C, M) channel-major features; the same single-product backward."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, flat: Tensor) -> Tensor:
        ctx.save_for_backward(flat)
        return torch.bmm(flat, flat.transpose(1, 2))

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: Tensor) -> Tensor:
        (flat,) = ctx.saved_tensors
        return torch.bmm(grad + grad.transpose(1, 2), flat)


def gram_matrix(features: Tensor, normalize: bool = True) -> Tensor:
    """Gram matrices `G_ij = sum_k F_ik F_jk` of (N, C, H, W) features, as (N, C, C).

    With `normalize` the result is divided by C*H*W, which makes it a mean
    rather than a sum and so independent of the image size.
    """
    n, c, h, w = features.shape
    if layout_of(features) == torch.channels_last:
        # Channels-last memory holds each pixel's C values together: viewed as
        # (N, H*W, C) it needs no copy, and the product over pixels is the
        # faster of the two layouts (45 against 105 ms, forward and backward, for relu1_1 at 512x384).
        gram = PixelGram.apply(features.permute(0, 2, 3, 1).reshape(n, h * w, c))
    else:
        gram = ChannelGram.apply(features.reshape(n, c, h * w))
    if gram.dtype == torch.bfloat16:
        # bf16 features (autocast runs): the product is accumulated in float32 and
        # only its result rounded, at a quarter of float32's cost; the loss takes it in float32.
        gram = gram.float()
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
