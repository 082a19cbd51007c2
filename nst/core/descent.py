"""Gradient descent on the pixels of one stage, with its guards.

Each step evaluates the stage's objective, moves the picture and keeps it in
range; the picture from before the step is kept as the last good one, so a
loss that stops being finite (or memory that runs out) still leaves a
picture to hand back. With `Settings.average` the stage's result is a
running average of its iterates.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from ..settings import Settings
from .adam import Adam

# Largest pixel change of the first L-BFGS step at each stage (see size_first_step).
LBFGS_FIRST_STEP = 0.02
# Decay of the running average of iterates shown and returned (Adam only).
AVERAGE_DECAY = 0.9

Optimizer = Adam | torch.optim.LBFGS
Evaluate = Callable[[Tensor], tuple[Tensor, dict[str, Tensor]]]


class Descent:
    """One stage's optimiser on its picture, the last good picture, and the running average."""

    def __init__(
        self,
        settings: Settings,
        image: Tensor,
        previous: Descent | None = None,
        keep: Callable[[Tensor], Tensor] | None = None,
    ) -> None:
        self.settings = settings
        self.keep = keep  # applied to the picture after every step (see nst.plan.viewing)
        self.image = image.detach().requires_grad_(True)
        self.last_good = self.image.detach().clone()
        self.optimizer = make_optimizer(settings, self.image)
        if settings.carry_adam and previous is not None:
            if isinstance(previous.optimizer, Adam) and isinstance(self.optimizer, Adam):
                self.optimizer.carry_from(previous.optimizer)
        use_average = settings.average and settings.optimizer == "adam"
        self.average = torch.zeros_like(self.image) if use_average else None
        self.steps = 0

    def step(self, objective: Evaluate, rate: float) -> dict[str, float]:
        """One step at learning rate `rate`; the losses at the picture it started from.

        A non-finite total leaves the last good picture as it was: the caller stops there.
        """
        for group in self.optimizer.param_groups:
            group["lr"] = rate
        candidate = self.image.detach().clone()
        total, terms = take_step(self.optimizer, self.image, objective)
        losses = read_losses(total, terms)
        if not math.isfinite(losses["total"]):
            return losses
        self.last_good = candidate
        with torch.no_grad():
            if self.keep is not None:
                self.image.copy_(self.keep(self.image))
            if self.settings.clamp and self.settings.optimizer == "adam":
                self.image.clamp_(0, 1)
            if self.average is not None:
                self.average.mul_(AVERAGE_DECAY).add_(self.image, alpha=1 - AVERAGE_DECAY)
        self.steps += 1
        return losses

    def current(self) -> Tensor:
        """The picture as it stands: the running average of iterates (bias-corrected), or the iterate itself."""
        if self.average is None:
            return self.image.detach()
        return (self.average / (1 - AVERAGE_DECAY**self.steps)).clamp(0, 1)


def take_step(optimizer: Optimizer, image: Tensor, objective: Evaluate) -> tuple[Tensor, dict[str, Tensor]]:
    """One optimiser step; returns the loss at the image before it, and its terms."""
    terms: dict[str, Tensor] = {}

    def closure() -> Tensor:
        optimizer.zero_grad(set_to_none=True)
        total, parts = objective(image)
        total.backward()
        # L-BFGS may evaluate more than once in a step; report the loss at the
        # iterate the step started from, which is a real image.
        if not terms:
            terms.update(parts)
        return total

    if isinstance(optimizer, torch.optim.LBFGS):
        if not optimizer.state:
            size_first_step(optimizer, closure)
            terms.clear()
        return optimizer.step(closure), terms
    total = closure()
    # Stepping on a non-finite loss spoils the image, but the loop then stops
    # and hands back the image from before this step, so no check is needed here.
    optimizer.step()
    return total, terms


def size_first_step(optimizer: torch.optim.LBFGS, closure: Callable[[], Tensor]) -> None:
    """Make L-BFGS's first step move pixels by up to `LBFGS_FIRST_STEP`.

    Its default first step (1 / |g|_1) is so tiny here that the curvature it
    measures is meaningless, and the second step then overshoots by orders of
    magnitude; a first step of visible size gives a curvature pair that works.
    """
    closure()
    grad = optimizer.param_groups[0]["params"][0].grad
    for group in optimizer.param_groups:
        group["lr"] = LBFGS_FIRST_STEP * float(grad.abs().sum() / grad.abs().max().clamp_min(1e-12))


def make_optimizer(settings: Settings, image: Tensor) -> Optimizer:
    """Adam (our own, see nst.core.adam), or torch's L-BFGS taking one evaluation a step."""
    if settings.optimizer == "lbfgs":
        return torch.optim.LBFGS([image], lr=settings.lr, max_iter=1, history_size=20)
    return Adam(image, lr=settings.lr)


def read_losses(total: Tensor, terms: dict[str, Tensor]) -> dict[str, float]:
    """The total and every term as floats, fetched from the device in one transfer.

    Each read of a GPU tensor waits until the GPU has caught up; reading all
    of a step's numbers at once makes that one wait per step instead of nine.
    """
    values = torch.stack([total.detach().float(), *(term.detach().float() for term in terms.values())]).tolist()
    losses = dict(zip(terms, values[1:], strict=True))
    losses["content"] = sum(v for k, v in losses.items() if k.startswith("content/"))
    losses["style"] = sum(v for k, v in losses.items() if k.startswith("style/"))
    losses["total"] = values[0]
    return losses
