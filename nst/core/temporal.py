"""The temporal loss of Ruder, Dosovitskiy and Brox (GCPR 2016), which holds a video frame to the one before.

A mean, not a sum like the terms in `nst.core.losses`: the paper divides by the
number of pixel values D, so its weight means the same at every frame size.
`Temporal` is the term as an objective holds it: a pixel term like total
variation, computed on the whole picture, so it stays whole however the
network's terms are evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor


def temporal_loss(temporal_weight: float, image: Tensor, warped: Tensor, weights: Tensor) -> Tensor:
    """`w_t * (1/D) * sum_k c_k (x_k - w_k)^2` over every pixel value k of the (1, C, H, W) `image`.

    `warped` is the previous frame's result carried along the motion (same
    shape as `image`, fixed); `weights` holds the per-pixel reliability c in
    {0, 1}, (1, 1, H, W) or (H, W), shared by the channels of a pixel (see
    `nst.clips.flow.reliability`). Unreliable pixels (disocclusions, motion
    boundaries) are free; D counts them all the same, as in the paper.
    The result is float32, as the other terms' are under bf16 autocast.
    """
    if weights.dim() == 2:
        weights = weights[None, None]
    # In float32 whatever the image's precision: a bf16 sum over a frame's values would round away the small
    # differences this term exists to hold down.
    difference = image.float() - warped.float()
    return temporal_weight * (weights.float() * difference.pow(2)).sum() / image.numel()


@dataclass(frozen=True, eq=False)
class Temporal:
    """The temporal term of one video frame: the previous result carried here, and where to hold it."""

    weight: float
    warped: Tensor  # (1, C, H, W), at the size the frame is optimised at
    reliability: Tensor  # (1, 1, H, W), the weights c

    def __call__(self, image: Tensor) -> Tensor:
        return temporal_loss(self.weight, image, self.warped, self.reliability)
