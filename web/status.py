"""The status line's texts: where a run is, how it ended, in words a visitor reads at a glance."""

from __future__ import annotations

import nst
from nst.clips.clip import ClipProgress
from nst.io.clip_reader import Clip

BACKBONE_NAMES = {"vgg19": "VGG-19", "vgg19-lite": "VGG-19 distilled", "squeezenet": "SqueezeNet 1.1"}
# As the page opens, with an example photo and painting in place (web.form.persist).
OPENING = "An example photo and painting are in place: press **Stylize** to see what it does, or add your own."
# Where a refusal was, once a good picture or clip has arrived.
READY = "Press **Stylize** when the photo and the painting are in."


def duration(seconds: float, tenths: bool = False) -> str:
    """12 s, 3 min, 1 h 05 min; with `tenths`, 3.4 min below ten minutes (beside a limit of 3 min, 3.4 is not
    3)."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if tenths and seconds < 600:
        return f"{seconds / 60:.1f} min"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds // 3600:.0f} h {seconds % 3600 / 60:02.0f} min"


def plain(text: str) -> str:
    """A status without its Markdown, as a program reads it (the page shows the first words in bold)."""
    return text.replace("**", "")


def status_preparing(backbone: str) -> str:
    """Before the first step: the network is being built and the images decoded."""
    return f"Preparing: loading {BACKBONE_NAMES[backbone]} and your images…"


def status_running(p: nst.Progress, seconds_left: float) -> str:
    """Where a run is: step, scale, size, speed, time left (`seconds_left`, see `web.costs.time_left`), and what it
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
        "The image it reached is the result, kept in the downloads and the history."
    )


def status_clip_running(p: ClipProgress, seconds_left: float) -> str:
    """Where a clip's run is: frame, the frame's step, size, time left for the clip."""
    r = p.run
    return (
        f"**Frame {p.frame + 1} of {p.frames}** · step {r.step} / {r.total_steps} · {r.size[0]}×{r.size[1]} px · "
        f"about {duration(seconds_left)} left · {r.device} {r.precision}"
    )


def status_clip_done(p: ClipProgress, clip: Clip, elapsed: float) -> str:
    """How a clip's run ended: every frame, or cut short by the time limit."""
    if p.stop_reason == "deadline":
        return (
            f"**Time limit reached** after {duration(elapsed)}, at frame {p.frames_written} of {p.frames}: "
            "the frames made so far are in the clip below. Choose a smaller size or a shorter clip."
        )
    return (
        f"**Done** · {p.frames_written} frames in {duration(elapsed)} · {p.run.size[0]}×{p.run.size[1]} px at "
        f"{float(clip.fps):g} fps · {p.run.device} {p.run.precision}"
    )


def status_clip_stopped(frames_written: int, clip_frames: int) -> str:
    """Where a clip's run was when the visitor pressed Stop: `frames_written` of its `clip_frames`."""
    if not frames_written:
        return "**Stopped** before the first frame was finished."
    return (
        f"**Stopped** after {frames_written} of {clip_frames} frames. "
        "The frames made so far are in the clip below."
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
