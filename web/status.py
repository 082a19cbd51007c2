"""The status line's texts: where a run is, how it ended, in words a visitor reads at a glance."""

from __future__ import annotations

import nst

BACKBONE_NAMES = {"vgg19": "VGG-19", "squeezenet": "SqueezeNet 1.1"}


def duration(seconds: float) -> str:
    """12 s, 3 min, 1 h 05 min."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds // 3600:.0f} h {seconds % 3600 / 60:02.0f} min"


def status_preparing(backbone: str) -> str:
    """Before the first step: the network is being built and the images decoded."""
    return f"Preparing: loading {BACKBONE_NAMES[backbone]} and your images…"


def status_running(p: nst.Progress, seconds_left: float) -> str:
    """Where a run is: step, scale, size, speed, time left (`seconds_left`, see `web.time_left`), and what it
    computes on."""
    scale = f" · scale {p.scale} of {p.scales}" if p.scales > 1 else ""
    return (
        f"**Step {p.step} / {p.total_steps}**{scale} · {p.size[0]}×{p.size[1]} px · "
        f"{p.iterations_per_second:.1f} it/s · about {duration(seconds_left)} left · {p.device} {p.precision}"
    )


def status_done(p: nst.Progress, seed: int | None) -> str:
    """How a run ended: complete, or cut short by the time limit."""
    seed_note = f" · seed {seed}" if seed is not None else ""
    if p.stop_reason == "deadline":
        return (
            f"**Time limit reached** after {duration(p.elapsed)}, at step {p.step} / {p.total_steps}: "
            f"the image so far is kept. Choose a smaller size or fewer steps for a complete run.{seed_note}"
        )
    return (
        f"**Done** · {p.step} steps in {duration(p.elapsed)} (setup {p.setup_seconds:.1f} s) · "
        f"{p.size[0]}×{p.size[1]} px · {p.iterations_per_second:.1f} it/s · {p.device} {p.precision}{seed_note}"
    )


def status_stopped(p: nst.Progress) -> str:
    """Where a run was when the visitor pressed Stop."""
    return (
        f"**Stopped** at step {p.step} / {p.total_steps} after {duration(p.elapsed)}. "
        "The image reached so far is below and in the downloads."
    )


def caption(settings: nst.Settings, paintings: list[str]) -> str:
    """A history entry's one line: which paintings, and the settings a visitor changes most.

    The brush size is named only when it is not the usual 1, to keep the line short.
    """
    stroke = f" · brush size {settings.style_scale:g}" if settings.style_scale != 1 else ""
    return (
        f"{' + '.join(paintings)} · {settings.size} px · strength {settings.style_strength:g}{stroke} · "
        f"{settings.steps} steps · seed {settings.seed}"
    )


def steps_done(caption_text: str, step: int, total_steps: int) -> str:
    """A `caption` for a run that ended at `step` of its `total_steps`: "12 of 26 steps", not "26 steps"."""
    if step >= total_steps:
        return caption_text
    return caption_text.replace(f" · {total_steps} steps · ", f" · {step} of {total_steps} steps · ")
