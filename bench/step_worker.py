"""One configuration's optimisation steps, timed in a process of its own.

`step_cost.py` measures every network, size, precision and memory format, and
each speed lever, in a fresh Python process started by `in_own_process`: the
peak resident memory it reports is then that configuration's own, and a
lever that changes the process (threads, OMP_WAIT_POLICY) touches nothing
else. The child times the real loop's `take_step` and answers with one
`RESULT` line (see `common.in_child`).
"""

from __future__ import annotations

import contextlib
import copy
import os
import resource
import sys
import time
from pathlib import Path

import torch
from common import OUT, in_child, pair_paths, serve_child, sync

from nst import Settings, load_image, preset
from nst.device import resolve_compute
from nst.extractors import get_extractor
from nst.schedule import plan_scales
from nst.stylize import Run, make_optimizer, take_step

SQUEEZENET_FILE = "squeezenet1_1-b8a52dc0.pth"


def in_own_process(spec: dict) -> dict:
    """Time the configuration `spec` in a fresh process (see `time_configuration`)."""
    return in_child(Path(__file__).resolve(), spec)


def ensure_squeezenet_weights() -> str:
    """Real SqueezeNet weights if cached; else random ones (same cost) in a private TORCH_HOME."""
    if (Path(torch.hub.get_dir()) / "checkpoints" / SQUEEZENET_FILE).is_file():
        return "ImageNet weights"
    from torchvision.models import squeezenet1_1

    home = OUT / "torch_home"
    file = home / "hub" / "checkpoints" / SQUEEZENET_FILE
    if not file.is_file():
        file.parent.mkdir(parents=True, exist_ok=True)
        torch.save(squeezenet1_1(weights=None).state_dict(), file)
    os.environ["TORCH_HOME"] = str(home)
    return "random weights (ImageNet weights not downloadable here; the cost is the same)"


def backbone_settings(backbone: str, **changes: object) -> Settings:
    """The default settings of a network: ours for VGG-19, the reference recipe for SqueezeNet."""
    return preset("vgg19" if backbone == "vgg19" else "starry-night", **changes)


# --------------------------------------------------------------------------- memory


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss is KB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def proc_status_mb(field: str) -> float | None:
    """A memory field of /proc/self/status (Linux), in MB."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 2**10
    return None


def reset_peak_rss() -> bool:
    """Restart the peak-RSS count from the current RSS (Linux), so a later peak is the loop's own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


# --------------------------------------------------------------------------- steps


def time_steps(run: Run, settings: Settings, device: torch.device, steps: int) -> dict[str, list[float]]:
    """Seconds and loss evaluations of each of `steps` optimiser steps of the real loop's `take_step`.

    Also the seconds of preparing the scale (style targets, content features) before them.
    """
    started = time.perf_counter()
    inputs = run.prepare(plan_scales(settings, run.content.size)[0])
    sync(device)
    prepare = time.perf_counter() - started
    image = run.initial(inputs, None).requires_grad_(True)
    optimizer = make_optimizer(settings, image)
    losses = run.losses
    calls = [0]

    def counted(*args: object) -> object:
        calls[0] += 1
        return losses(*args)

    run.losses = counted
    seconds, evaluations = [], []
    try:
        for _ in range(steps):
            calls[0] = 0
            sync(device)
            started = time.perf_counter()
            take_step(run, optimizer, image, inputs)
            sync(device)
            seconds.append(time.perf_counter() - started)
            evaluations.append(calls[0])
    finally:
        del run.losses
    return {"seconds": seconds, "evaluations": evaluations, "prepare": [prepare]}


def time_configuration(spec: dict) -> dict:
    """Run in a child process: time `spec["steps"]` steps of one configuration."""
    if spec.get("threads"):
        torch.set_num_threads(spec["threads"])
    weights = ensure_squeezenet_weights() if spec["backbone"] == "squeezenet" else "embedded"
    settings = backbone_settings(
        spec["backbone"],
        size=spec["size"],
        multiscale=False,
        precision=spec["precision"],
        channels_last=spec["channels_last"],
        optimizer=spec.get("optimizer", "adam"),
    )
    compute = resolve_compute(settings.device, settings.precision, settings.channels_last)
    extractor = get_extractor(settings.backbone, str(compute.device), compute.channels_last, compute.bf16)
    content, style = (load_image(path) for path in pair_paths(spec.get("pair", 0)))
    run = Run(content, [style], settings, compute, extractor)
    result: dict = {"weights": weights, "threads": torch.get_num_threads()}
    result["rss_before_mb"] = proc_status_mb("VmRSS") or peak_rss_mb()
    own_peak = reset_peak_rss()
    if spec.get("compile"):
        result.update(compile_lever(run, settings, compute.device, spec["steps"]))
    else:
        result.update(time_steps(run, settings, compute.device, spec["steps"]))
    result["peak_rss_mb"] = (proc_status_mb("VmHWM") if own_peak else None) or peak_rss_mb()
    if compute.device.type == "cuda":
        result["peak_device_mb"] = torch.cuda.max_memory_allocated(compute.device) / 2**20
    return result


def compile_lever(run: Run, settings: Settings, device: torch.device, steps: int) -> dict:
    """Eager and torch.compile'd steps; if compiling fails, the same with conv1 zero-padded."""
    extractor = run.extractor
    run.extractor = torch.compile(extractor)
    try:
        compiled = time_steps(run, settings, device, steps)
        run.extractor = extractor
        return {"eager": time_steps(run, settings, device, steps), "compiled": compiled}
    except Exception as error:  # noqa: BLE001 - any compiler failure is a result to report
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        message = "; ".join(
            [f"{type(error).__name__}: {lines[0] if lines else ''}"]
            + [line for line in lines if line.startswith("Error in op")]
        )
    torch._dynamo.reset()
    patched = copy.deepcopy(extractor)
    patched.body[0].padding_mode = "zeros"
    run.extractor = patched
    eager = time_steps(run, settings, device, steps)
    run.extractor = torch.compile(patched)
    try:
        compiled = time_steps(run, settings, device, steps)
    except Exception as error:  # noqa: BLE001
        return {"error": message, "workaround_error": f"{type(error).__name__}: {str(error)[:200]}"}
    return {"error": message, "workaround": True, "eager": eager, "compiled": compiled}


if __name__ == "__main__" and not serve_child(time_configuration):
    sys.exit("run by step_cost.py: python bench/step_worker.py --worker SPEC")
