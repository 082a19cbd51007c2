"""One configuration's optimisation steps, timed in a process of its own.

`step_cost.py` measures every network, size, precision and memory format, and
each speed lever, in a fresh Python process started by `in_own_process`: the
peak resident memory it reports is then that configuration's own, and a
lever that changes the process (threads, OMP_WAIT_POLICY) touches nothing
else. The child times the real loop's step (`nst.core.descent.Descent.step` on the
first stage's objective) and answers with one `RESULT` line (see `common.in_child`).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import os
import resource
import sys
import time
from pathlib import Path

import torch
from common import OUT, in_child, pair_paths, serve_child, sync
from PIL import Image

from nst import Settings, load_image, preset
from nst.core.descent import Descent
from nst.core.objective import Objective
from nst.networks.network import Network
from nst.stylize import prepare

SQUEEZENET_FILE = "squeezenet1_1-b8a52dc0.pth"


def in_own_process(spec: dict) -> dict:
    """Time the configuration `spec` in a fresh process (see `time_configuration`); a failed child stops the benchmark.

    A row that quietly says "failed" hid a broken worker for a week: every
    configuration here is expected to run, so a failure is the benchmark's own.
    """
    result = in_child(Path(__file__).resolve(), spec)
    if "failed" in result:
        raise RuntimeError(f"the step worker failed on {spec}: {result['failed']}")
    return result


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


@dataclasses.dataclass
class FirstStage:
    """The first stage of a run, as the loop makes it: its objective and its starting picture."""

    objective: Objective
    start: torch.Tensor
    prepare_seconds: float


def first_stage(settings: Settings, content: Image.Image, style: Image.Image) -> FirstStage:
    """The loop's own parts for the first stage of `settings` on this pair, and the seconds they took."""
    started = time.perf_counter()
    parts = prepare(settings, content, [style])
    references = parts.references(parts.plan[0])
    objective = parts.objective(parts.plan[0], references)
    start = parts.canvas.first(references.photo, references.start, None)
    sync(parts.network.device)
    return FirstStage(objective, start, time.perf_counter() - started)


def time_steps(stage: FirstStage, settings: Settings, device: torch.device, steps: int) -> dict[str, list[float]]:
    """Seconds and loss evaluations of each of `steps` steps of the real loop's descent.

    Also the seconds of preparing the stage (style targets, content features) before them.
    """
    descent = Descent(settings, stage.start)
    calls = [0]

    def counted(image: torch.Tensor) -> object:
        calls[0] += 1
        return stage.objective(image)

    seconds, evaluations = [], []
    for _ in range(steps):
        calls[0] = 0
        sync(device)
        started = time.perf_counter()
        descent.step(counted, settings.lr)
        sync(device)
        seconds.append(time.perf_counter() - started)
        evaluations.append(calls[0])
    return {"seconds": seconds, "evaluations": evaluations, "prepare": [stage.prepare_seconds]}


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
    content, style = (load_image(path) for path in pair_paths(spec.get("pair", 0)))
    stage = first_stage(settings, content, style)
    compute = stage.objective.network.compute
    result: dict = {"weights": weights, "threads": torch.get_num_threads()}
    result["rss_before_mb"] = proc_status_mb("VmRSS") or peak_rss_mb()
    own_peak = reset_peak_rss()
    if spec.get("compile"):
        result.update(compile_lever(stage, settings, compute.device, spec["steps"]))
    else:
        result.update(time_steps(stage, settings, compute.device, spec["steps"]))
    result["peak_rss_mb"] = (proc_status_mb("VmHWM") if own_peak else None) or peak_rss_mb()
    if compute.device.type == "cuda":
        result["peak_device_mb"] = torch.cuda.max_memory_allocated(compute.device) / 2**20
    return result


def with_network(stage: FirstStage, extractor: torch.nn.Module) -> FirstStage:
    """`stage` with its objective computing through `extractor` instead."""
    network = Network(stage.objective.network.compute, extractor)
    return dataclasses.replace(stage, objective=dataclasses.replace(stage.objective, network=network))


def compile_lever(stage: FirstStage, settings: Settings, device: torch.device, steps: int) -> dict:
    """Eager and torch.compile'd steps; if compiling fails, the same with conv1 zero-padded."""
    extractor = stage.objective.network.extractor
    try:
        compiled = time_steps(with_network(stage, torch.compile(extractor)), settings, device, steps)
        return {"eager": time_steps(stage, settings, device, steps), "compiled": compiled}
    except Exception as error:  # noqa: BLE001 - any compiler failure is a result to report
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        message = "; ".join(
            [f"{type(error).__name__}: {lines[0] if lines else ''}"]
            + [line for line in lines if line.startswith("Error in op")]
        )
    torch._dynamo.reset()
    patched = copy.deepcopy(extractor)
    patched.body[0].padding_mode = "zeros"
    eager = time_steps(with_network(stage, patched), settings, device, steps)
    try:
        compiled = time_steps(with_network(stage, torch.compile(patched)), settings, device, steps)
    except Exception as error:  # noqa: BLE001
        return {"error": message, "workaround_error": f"{type(error).__name__}: {str(error)[:200]}"}
    return {"error": message, "workaround": True, "eager": eager, "compiled": compiled}


if __name__ == "__main__" and not serve_child(time_configuration):
    sys.exit("run by step_cost.py: python bench/step_worker.py --worker SPEC")
