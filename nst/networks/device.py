"""Choosing where and how precisely to compute.

"auto" takes CUDA, then Apple's MPS, then the CPU; bf16 autocast is used where
the hardware does it natively (CUDA with bf16, CPUs with AVX-512 BF16 or
AMX), because there it is several times faster and leaves the picture
unchanged (the benchmark checks that).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..errors import SettingsError


@dataclass(frozen=True)
class Compute:
    """The resolved device, precision and memory format of a run."""

    device: torch.device
    bf16: bool
    channels_last: bool

    @property
    def precision(self) -> str:
        return "bf16" if self.bf16 else "fp32"

    def autocast(self) -> torch.autocast:
        """A context that runs the network in bf16 when chosen, else a no-op."""
        return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=self.bf16)


def pick_device(choice: str = "auto") -> torch.device:
    """Resolve "auto" to the best available device; check explicit choices exist."""
    if choice == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if choice == "cuda" and not torch.cuda.is_available():
        raise SettingsError("device 'cuda' was asked for, but no CUDA GPU is available here; use 'auto' or 'cpu'.")
    if choice == "mps" and not torch.backends.mps.is_available():
        raise SettingsError("device 'mps' was asked for, but Apple's MPS is not available here; use 'auto' or 'cpu'.")
    return torch.device(choice)


def bf16_is_fast(device: torch.device) -> bool:
    """Whether bf16 has native hardware support on `device`."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return False


def resolve_compute(device: str = "auto", precision: str = "auto", channels_last: bool | None = None) -> Compute:
    """Turn the user's device/precision/memory-format choices into a `Compute`."""
    resolved = pick_device(device)
    if precision == "bf16" and resolved.type == "mps":
        raise SettingsError("bf16 is not supported on MPS here; use precision 'fp32' or 'auto'.")
    bf16 = bf16_is_fast(resolved) if precision == "auto" else precision == "bf16"
    if channels_last is None:
        # Faster in both precisions on the CPU too (a 512x384 VGG-19 step, fp32: 0.98 s
        # against 1.11 s), and the Gram matrices are cheapest in this layout.
        channels_last = resolved.type != "mps"
    return Compute(resolved, bf16, channels_last)
