"""Adam on the picture's pixels, written out rather than taken from torch.optim.

torch.optim's optimisers import TorchDynamo the first time one is made or
stepped (their methods are wrapped to keep torch.compile out): 1.4 s on two
cores, as long as importing torch itself, paid by every command-line run
before its first picture. The update is Kingma and Ba's (ICLR 2015), in the
order torch.optim.Adam computes it on a CPU tensor, so the pictures are the
same.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


class Adam:
    """Adam on one tensor, with the parts of torch.optim.Adam's interface the loop uses.

    `param_groups[0]["lr"]` is the learning rate (the loop sets it at every
    step), `zero_grad` forgets the gradient, `step` moves the tensor.
    """

    def __init__(self, image: Tensor, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        self.image = image
        self.param_groups = [{"params": [image], "lr": lr}]
        self.betas = betas
        self.eps = eps
        self.steps = 0
        self.exp_avg = torch.zeros_like(image)
        self.exp_avg_sq = torch.zeros_like(image)

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.image.grad = None

    @torch.no_grad()
    def step(self) -> None:
        beta1, beta2 = self.betas
        grad = self.image.grad
        self.steps += 1
        self.exp_avg.lerp_(grad, 1 - beta1)
        self.exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        step_size = self.param_groups[0]["lr"] / (1 - beta1**self.steps)
        denominator = (self.exp_avg_sq.sqrt() / (1 - beta2**self.steps) ** 0.5).add_(self.eps)
        self.image.addcdiv_(self.exp_avg, denominator, value=-step_size)

    def carry_from(self, previous: Adam) -> None:
        """Start where `previous` (on a coarser image) left off: its step count, its moments resized.

        A fresh Adam's first steps move every pixel by about the full learning
        rate whatever its gradient; carried moments continue at the pace the
        previous scale had settled into.
        """
        if not previous.steps:
            return
        size = self.image.shape[2:]
        self.steps = previous.steps
        self.exp_avg = F.interpolate(previous.exp_avg, size=size, mode="bilinear", align_corners=False)
        self.exp_avg_sq = F.interpolate(previous.exp_avg_sq, size=size, mode="bilinear", align_corners=False)
