"""Speed and quality benchmark: prints tables and writes BENCHMARKS.md.

    python bench/benchmark.py           # full run, 20-30 minutes on 2 CPU cores
    python bench/benchmark.py --quick   # smoke run at tiny sizes, a few minutes

Sections (all on the best device here: CUDA, else MPS, else the CPU):
1. cost of one optimisation step per feature network, size, precision and
   memory format, with peak resident memory, against the hardware floor
   (the step's floating-point operations / the measured dense throughput);
   then the speed levers (threads, L-BFGS, torch.compile) at 512 px;
2. time to result of the default settings at 512 px: set-up, optimisation,
   first streamed image;
3. the same images stylised by `pastiche` (PyPI) and by us at 256 px, both
   judged by `judge.py`: wall time to reach pastiche's quality;
4. the judge's numbers of the default settings on the example pairs, in
   fp32 and in bf16, and a contact sheet to look at.

Timings are medians of several runs (the best in brackets): the machine may
be shared, so compare numbers within one run. Each configuration of
section 1 runs in its own process, so that its peak memory is its own.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime
import importlib.metadata
import importlib.resources
import io
import json
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image
from torch.utils.flop_counter import FlopCounterMode

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(BENCH), str(ROOT)]

from contact_sheet import DEFAULT_PAIRS, make_sheet  # noqa: E402
from judge import CONTENT_LAYER, STYLE_LAYERS, Judge  # noqa: E402

from nst import Settings, load_image, preset, stylize  # noqa: E402
from nst.device import bf16_is_fast, pick_device, resolve_compute  # noqa: E402
from nst.extractors import FeatureExtractor, get_extractor  # noqa: E402
from nst.losses import gram_matrix  # noqa: E402
from nst.schedule import plan_scales  # noqa: E402
from nst.stylize import Run, make_optimizer, take_step  # noqa: E402
from nst.targets import clear_cache  # noqa: E402
from nst.vgg19 import WEIGHTS_FILE  # noqa: E402

EXAMPLES = ROOT / "examples"
OUT = BENCH / "out"
SQUEEZENET_FILE = "squeezenet1_1-b8a52dc0.pth"
RESULT_PREFIX = "RESULT "


@dataclass(frozen=True)
class Profile:
    """How big and how long: the full benchmark, or a quick smoke run."""

    iteration_sizes: tuple[int, ...]
    lever_size: int
    result_size: int
    result_steps: int | None  # None: the default number of steps
    first_image_repeats: int
    race_size: int
    pastiche_steps: int
    race_steps: int | None
    pairs: int
    matmul_sizes: tuple[int, ...]
    out: Path  # where contact sheets go
    largest: int  # long side of the square worst case whose memory is measured


FULL = Profile((256, 512, 1024), 512, 512, None, 3, 256, 100, None, 3, (2048, 4096), OUT, 2048)
QUICK = Profile((64, 128), 128, 128, 12, 2, 96, 10, 20, 2, (512, 1024), OUT / "quick", 192)
# The square example photo: at a given long side the most pixels, so the most memory.
SQUARE_PAIR = 1


# --------------------------------------------------------------------------- utilities


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


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


def median_best(values: list[float]) -> str:
    return f"{statistics.median(values):.3g} ({min(values):.3g})"


def table(headers: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def pair_paths(index: int) -> tuple[Path, Path]:
    content, style = DEFAULT_PAIRS[index]
    return EXAMPLES / content, EXAMPLES / style


def pair_name(index: int) -> str:
    content, style = DEFAULT_PAIRS[index]
    return f"{Path(content).stem.removeprefix('content_')} + {Path(style).stem.removeprefix('style_')}"


def loads() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


class Report:
    """Collects Markdown sections, echoing each to stdout as it is finished."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, text: str) -> None:
        print(text + "\n", flush=True)
        self.parts.append(text)

    def text(self) -> str:
        return "\n\n".join(self.parts) + "\n"


# --------------------------------------------------------------------------- machine and floor


def cpu_info() -> tuple[str, list[str]]:
    """CPU model name and the instruction-set flags that matter here."""
    wanted = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8")
    model, flags = platform.processor() or platform.machine(), set()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    return model, [flag for flag in wanted if flag in flags]


def machine(device: torch.device) -> list[list[object]]:
    model, flags = cpu_info()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    rows = [
        ["CPU", model],
        ["cores (os.cpu_count) / torch threads", f"{os.cpu_count()} / {torch.get_num_threads()}"],
        ["CPU flags", ", ".join(flags) or "none of avx2/avx512/amx"],
        ["memory", f"{memory:.0f} GiB"],
        ["native bf16 on the CPU (oneDNN)", bf16_is_fast(torch.device("cpu"))],
        ["device used", str(device)],
    ]
    if device.type == "cuda":
        properties = torch.cuda.get_device_properties(device)
        rows.append(["GPU", f"{properties.name}, {properties.total_memory / 2**30:.0f} GiB"])
    rows += [
        ["OS / Python", f"{platform.platform()} / {platform.python_version()}"],
        [
            "torch / torchvision / pastiche",
            " / ".join(importlib.metadata.version(name) for name in ("torch", "torchvision", "pastiche")),
        ],
        ["load average at start (1/5/15 min)", loads()],
    ]
    return rows


def best_seconds(work: Callable[[], object], device: torch.device, repeats: int) -> float:
    work()
    sync(device)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        sync(device)
        best = min(best, time.perf_counter() - started)
    return best


def dense_throughput(device: torch.device, dtype: torch.dtype, sizes: tuple[int, ...]) -> dict[str, float]:
    """Best GFLOP/s of a large matrix multiply and of a large 3x3 convolution."""
    matmul = 0.0
    for n in sizes:
        a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
        matmul = max(matmul, 2 * n**3 / best_seconds(lambda a=a, b=b: torch.mm(a, b), device, 5) / 1e9)
    side = sizes[0] // 16
    x = torch.randn(1, 256, side, side, device=device, dtype=dtype).contiguous(memory_format=torch.channels_last)
    w = torch.randn(256, 256, 3, 3, device=device, dtype=dtype).contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        seconds = best_seconds(lambda: torch.nn.functional.conv2d(x, w, padding=1), device, 5)
    conv = 2 * 256 * 256 * 9 * side * side / seconds / 1e9
    return {"matmul": matmul, "conv": conv}


# --------------------------------------------------------------------------- networks and FLOPs


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


def iteration_flops(extractor: FeatureExtractor, settings: Settings, size: tuple[int, int]) -> float:
    """FLOPs of one loss evaluation with its gradient, counted by PyTorch on the meta device."""
    model = copy.deepcopy(extractor).to("meta")
    image = torch.empty(1, 3, size[1], size[0], device="meta", requires_grad=True)
    with FlopCounterMode(display=False) as counter:
        features = model(image, [settings.content_layer, *settings.style_layers])
        loss = features[settings.content_layer].sum()
        loss = loss + sum(gram_matrix(features[name]).sum() for name in settings.style_layers)
        loss.backward()
    return counter.get_total_flops()


def forward_flops(extractor: FeatureExtractor, layers: list[str], size: tuple[int, int]) -> float:
    model = copy.deepcopy(extractor).to("meta")
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.empty(1, 3, size[1], size[0], device="meta"), layers)
    return counter.get_total_flops()


# --------------------------------------------------------------------------- section 1: one step


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


def iteration_worker(spec: dict) -> dict:
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
    extractor = get_extractor(settings.backbone, str(compute.device), compute.channels_last)
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


def in_child(spec: dict) -> dict:
    """Run `iteration_worker(spec)` in a fresh Python process and return its result."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)]
    environment = {**os.environ, **spec.get("env", {})}
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=environment, check=False)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX) :])
    tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
    return {"failed": " / ".join(tail) or f"exit status {done.returncode}"}


def steps_for(backbone: str, size: int) -> int:
    """Warm-up step plus enough timed steps for a median, fewer where steps are slow."""
    if backbone == "squeezenet":
        return 8
    return {256: 6, 512: 4}.get(size, 3) if size >= 256 else 4


def floor_row(seconds: list[float], flops: float, throughput: float) -> list[object]:
    timed = seconds[1:] or seconds
    floor = flops / (throughput * 1e9)
    best = min(timed)
    return [median_best(timed), f"{floor:.3g}", f"{best / floor:.2f}x", f"{100 * floor / best:.0f}%"]


def section_iteration(report: Report, profile: Profile, device: torch.device) -> dict:
    """Per-step cost grid, levers, and the floor they are compared with."""
    sizes = (4096, 8192) if device.type == "cuda" and profile is FULL else profile.matmul_sizes
    throughput = {
        "fp32": dense_throughput(device, torch.float32, sizes),
        "bf16": dense_throughput(device, torch.bfloat16, sizes),
    }
    peak = {precision: max(values.values()) for precision, values in throughput.items()}
    report.add(
        "## 1. Cost of one optimisation step\n\n"
        "### Dense throughput of this machine (the floor's denominator)\n\n"
        + table(
            ["precision", "matrix multiply, GFLOP/s", "3x3 convolution 256->256, GFLOP/s", "floor uses"],
            [[p, f"{v['matmul']:.0f}", f"{v['conv']:.0f}", f"{peak[p]:.0f}"] for p, v in throughput.items()],
        )
        + f"\n\nBest of 5 runs each; matrix sizes {', '.join(map(str, sizes))}. The floor of a "
        "step is its FLOPs divided by the better of the two throughputs of its precision."
    )
    content = load_image(pair_paths(0)[0])
    squeezenet_weights = ensure_squeezenet_weights()
    rows, results = [], {}
    for backbone in ("vgg19", "squeezenet"):
        for size in profile.iteration_sizes:
            settings = backbone_settings(backbone, size=size, multiscale=False)
            scale = plan_scales(settings, content.size)[0]
            flops = iteration_flops(get_extractor(backbone), settings, scale.size)
            for precision in ("fp32", "bf16"):
                for channels_last in (False, True):
                    spec = {
                        "backbone": backbone,
                        "size": size,
                        "precision": precision,
                        "channels_last": channels_last,
                        "steps": steps_for(backbone, size),
                    }
                    result = in_child(spec)
                    result["flops"] = flops
                    results[(backbone, size, precision, channels_last)] = result
                    rows.append(step_row(spec, scale.size, result, flops, peak))
                    print(" | ".join(map(str, rows[-1])), flush=True)
    rows.append(largest_row(profile, peak))
    print(" | ".join(map(str, rows[-1])), flush=True)
    report.add(
        "### Seconds per step (forward + backward + Adam step)\n\n"
        + table(
            [
                "network",
                "size",
                "precision",
                "memory format",
                "s/step median (best)",
                "floor s",
                "best / floor",
                "% of floor",
                "GFLOP/step",
                "peak RSS MB",
                "of which the steps MB",
            ],
            rows,
        )
        + "\n\nOne step is the real loop's `take_step` (all loss terms, backward to the image, the "
        "optimiser step) on the coffee photo, single scale; the first step is a warm-up and not counted. "
        "FLOPs are counted by `torch.utils.flop_counter` on the meta device: 2 per multiply-add, the forward "
        "pass to the deepest layer used plus the backward pass to the image. The network's weights are "
        "frozen, so the backward pass computes no weight gradients and costs about one forward pass "
        "(not two): a step is about 2x the forward FLOPs, plus the Gram matrices. Peak RSS is the "
        "process's resident memory at its highest during the steps (Python, torch, the model, the inputs; "
        "importing torch alone takes about 0.7 GB here); the last column is how much the steps added to "
        f"the memory in use just before them. SqueezeNet: {squeezenet_weights}; its settings are the "
        "reference recipe's layers (content 3, style 1, 4, 6, 7). The last row is the largest output the "
        f"app allows, {profile.largest} px, on the square example photo (the most pixels for that long side), "
        "in the default precision: its memory, not its speed, is the point: the same tensors are what a GPU "
        "would have to hold."
    )
    section_levers(report, profile, device, peak)
    return {"peak": peak, "results": results}


def largest_row(profile: Profile, peak: dict[str, float]) -> list[object]:
    """One table row: VGG-19 steps at the largest size on the square photo, default precision."""
    default = resolve_compute("auto")
    settings = backbone_settings("vgg19", size=profile.largest, multiscale=False)
    scale = plan_scales(settings, load_image(pair_paths(SQUARE_PAIR)[0]).size)[0]
    flops = iteration_flops(get_extractor("vgg19"), settings, scale.size)
    spec = {
        "backbone": "vgg19",
        "size": profile.largest,
        "precision": default.precision,
        "channels_last": default.channels_last,
        "steps": 2,
        "pair": SQUARE_PAIR,
    }
    return step_row(spec, scale.size, in_child(spec), flops, peak)


def step_row(spec: dict, size: tuple[int, int], result: dict, flops: float, peak: dict[str, float]) -> list[object]:
    """A row of the seconds-per-step table: what ran, its time against the floor, its memory."""
    label = [
        spec["backbone"],
        f"{size[0]}x{size[1]}",
        spec["precision"],
        "channels-last" if spec["channels_last"] else "contiguous",
    ]
    if "failed" in result:
        return [*label, f"failed: {result['failed']}", "", "", "", "", "", ""]
    return [
        *label,
        *floor_row(result["seconds"], flops, peak[spec["precision"]]),
        f"{flops / 1e9:.1f}",
        f"{result['peak_rss_mb']:.0f}",
        f"{max(0.0, result['peak_rss_mb'] - result['rss_before_mb']):.0f}",
    ]


def section_levers(report: Report, profile: Profile, device: torch.device, peak: dict) -> None:
    size = profile.lever_size
    content = load_image(pair_paths(0)[0])
    default = resolve_compute("auto")
    base = {
        "backbone": "vgg19",
        "size": size,
        "precision": default.precision,
        "channels_last": default.channels_last,
        "steps": steps_for("vgg19", size),
    }
    settings = backbone_settings("vgg19", size=size, multiscale=False)
    scale = plan_scales(settings, content.size)[0]
    extractor = get_extractor("vgg19")
    flops = iteration_flops(extractor, settings, scale.size)
    threads = torch.get_num_threads()
    memory_format = "channels-last" if default.channels_last else "contiguous"
    variants = {f"default ({default.precision}, {memory_format}, {threads} threads)": base}
    if device.type == "cpu" and threads > 1:
        variants["1 thread"] = {**base, "threads": 1}
        variants[f"{threads} threads, OMP_WAIT_POLICY=PASSIVE"] = {**base, "env": {"OMP_WAIT_POLICY": "PASSIVE"}}
    variants["L-BFGS instead of Adam"] = {**base, "optimizer": "lbfgs"}
    notes = {"L-BFGS instead of Adam": "max_iter=1, no line search: one loss evaluation per step"}
    # Rounds interleave the variants in time, so that a burst of load elsewhere hits all alike.
    collected: dict[str, list[dict]] = {name: [] for name in variants}
    for _ in range(2 if profile is FULL else 1):
        for name, spec in variants.items():
            collected[name].append(in_child(spec))
    rows = []
    for name, results in collected.items():
        good = [r for r in results if "seconds" in r]
        if not good:
            rows.append([name, f"failed: {results[0]['failed']}", "", "", notes.get(name, "")])
            continue
        timed = [t for r in good for t in r["seconds"][1:]]
        evaluations = statistics.mean(e for r in good for e in r["evaluations"][1:])
        ratio = min(timed) / (flops / (peak[default.precision] * 1e9))
        rows.append([name, median_best(timed), f"{ratio:.2f}x", f"{evaluations:.2f}", notes.get(name, "")])
    compiled = in_child({**base, "compile": True, "steps": base["steps"] + 2})
    if "failed" in compiled or "workaround_error" in compiled:
        rows.append(["torch.compile", "failed", "", "", compiled.get("failed") or compiled.get("error", "")])
    else:
        eager, fast = compiled["eager"], compiled["compiled"]
        steady = statistics.median(fast["seconds"][2:])
        # Compiling happens on first use: in preparing the scale (no-grad graphs) and in the first step.
        first = fast["prepare"][0] - eager["prepare"][0] + fast["seconds"][0] - steady
        note = f"compile time ~{first:.0f} s (extra time of the first preparation and step)"
        label = "torch.compile"
        if "error" in compiled:
            label = "torch.compile, conv1 zero-padded (workaround)"
            note = f"as is it fails: `{compiled['error'][:300]}`; " + note
            rows.append(
                [
                    "eager, conv1 zero-padded (same network)",
                    median_best(eager["seconds"][1:]),
                    "",
                    "1.00",
                    "baseline for the compiled row below",
                ]
            )
        saved = statistics.median(eager["seconds"][1:]) - steady
        breakeven = f"; pays off after {first / saved:.0f} steps" if saved > 0 else "; never pays off"
        rows.append([label, median_best(fast["seconds"][2:]), "", "1.00", note + breakeven])
    layers = [settings.content_layer, *settings.style_layers]
    to_relu5_1 = forward_flops(extractor, layers, scale.size)
    conv5 = 3 * 2 * 512 * 512 * 9 * (scale.size[0] // 16) * (scale.size[1] // 16)
    report.add(
        f"### Speed levers, VGG-19 at {scale.size[0]}x{scale.size[1]}\n\n"
        + table(["configuration", "s/step median (best)", "best / floor", "loss evaluations per step", "note"], rows)
        + "\n\nOther levers, measured elsewhere in this report: bf16 and channels-last (table above), "
        "coarse-to-fine and L-BFGS end to end (section 3), style targets cached across runs (section 2). "
        f"Running the network only to relu5_1: the forward pass to relu5_1 is {to_relu5_1 / 1e9:.1f} GFLOP; "
        f"the rest of VGG-19's convolutions (conv5_2 to conv5_4) would add {conv5 / 1e9:.1f} GFLOP "
        f"({100 * conv5 / to_relu5_1:.0f}%) for nothing, so they are not built."
    )


# --------------------------------------------------------------------------- section 2: time to result


@dataclass
class Timed:
    """One run of the generator: its records' timings and the final image."""

    first_image: float
    setup: float
    total: float
    steps: int
    final: Image.Image
    precision: str
    scale_ends: dict[int, float]  # long side of each scale: elapsed seconds at its last record


def timed_run(content: Path, style: Path, settings: Settings) -> Timed:
    first, ends = None, {}
    for progress in stylize(content, style, settings):
        if first is None:
            first = progress.elapsed
        ends[max(progress.size)] = progress.elapsed
    return Timed(
        first, progress.setup_seconds, progress.elapsed, progress.step, progress.to_pil(), progress.precision, ends
    )


def scale_seconds(run: Timed) -> str:
    """Seconds spent at each scale (to the last record there), e.g. "128 px 3.1 s, 181 px 4.0 s"."""
    parts, before = [], 0.0
    for side, end in run.scale_ends.items():
        parts.append(f"{side} px {end - before:.1f} s")
        before = end
    return ", ".join(parts)


def first_image_seconds(content: Path, style: Path, settings: Settings) -> float:
    run = stylize(content, style, settings)
    progress = next(run)
    run.close()
    return progress.elapsed


def app_run(content: Path, style: Path, settings: Settings) -> tuple[float, float, int]:
    """Seconds to the first image and to the end of one job through the web app, as a visitor sees it.

    The tests' loopback server (`tests/app_server.py`) and `gradio_client`;
    the app asks the library for every step and streams about once a second,
    so this is the library's time plus the page's overhead. Also the number of
    streamed updates.
    """
    # Imported here: only this measurement needs the web app, its client and the tests' loopback server.
    from gradio_client import Client

    from tests.app_server import IMAGE, STATUS, serve, submit

    with serve() as url:
        client = Client(url, verbose=False)
        started = time.perf_counter()
        job = submit(client, content, style, size=settings.size, steps=settings.steps)
        first, updates = None, 0
        for output in job:
            updates += 1
            if first is None and output[IMAGE]:
                first = time.perf_counter() - started
        total = time.perf_counter() - started
        status = str(job.outputs()[-1][STATUS])
        if "Done" not in status:
            raise RuntimeError(f"the app's job did not finish: {status}")
        return first or total, total, updates


def default_settings(profile: Profile) -> Settings:
    settings = Settings(size=profile.result_size)
    return settings.replace(steps=profile.result_steps) if profile.result_steps else settings


def section_result(report: Report, profile: Profile, device: torch.device) -> dict:
    content, style = pair_paths(0)
    settings = default_settings(profile)
    scales = plan_scales(settings, load_image(content).size)
    get_extractor.cache_clear()
    clear_cache()
    runs = {"1: cold (network built, style targets computed)": timed_run(content, style, settings)}
    clear_cache()
    runs["2: warm (network loaded, style targets computed)"] = timed_run(content, style, settings)
    optimisation = [t.total - t.setup for t in runs.values()]
    threads = torch.get_num_threads()
    if device.type == "cpu" and threads > 1:
        torch.set_num_threads(1)
        try:
            clear_cache()
            runs["3: as 2, with torch.set_num_threads(1)"] = timed_run(content, style, settings)
        finally:
            torch.set_num_threads(threads)
    for name, t in runs.items():
        print(f"{name}: {t.total:.1f} s", flush=True)
    rows = [
        [name, f"{t.total:.1f}", f"{t.setup:.2f}", f"{t.total - t.setup:.1f}", f"{t.first_image:.2f}", t.steps]
        for name, t in runs.items()
    ]
    clear_cache()
    app_first, app_total, app_updates = app_run(content, style, settings)
    rows.append(["4: as 2, through the web app (loopback server, gradio_client)", f"{app_total:.1f}", "", "",
                 f"{app_first:.2f}", settings.steps])
    print(f"app: {app_total:.1f} s, {app_updates} updates", flush=True)
    firsts = {"computed": [], "cached": []}
    for _ in range(profile.first_image_repeats):
        clear_cache()
        firsts["computed"].append(first_image_seconds(content, style, settings))
        firsts["cached"].append(first_image_seconds(content, style, settings))
    compute = resolve_compute(settings.device, settings.precision, settings.channels_last)
    get_extractor.cache_clear()
    started = time.perf_counter()
    get_extractor(settings.backbone, str(compute.device), compute.channels_last)
    load = time.perf_counter() - started
    big, big_done = "", None
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
        square = pair_paths(SQUARE_PAIR)
        try:
            t = timed_run(square[0], square[1], settings.replace(size=2048))
            memory = torch.cuda.max_memory_allocated(device) / 2**30
            big_done = f"{t.total:.1f} s, peak GPU memory {memory:.1f} GiB"
            big = f"\n\nDefault settings at 2048x2048 (the square photo): {big_done}."
        except Exception as error:  # noqa: BLE001 - a failure here is the result
            big = f"\n\nDefault settings at 2048x2048 (the square photo) failed: {type(error).__name__}: {error}"
    plan = ", ".join(f"{s.long_side} px x {s.steps}" for s in scales)
    warm = runs["2: warm (network loaded, style targets computed)"]
    report.add(
        f"## 2. Time to result: default settings at {profile.result_size} px\n\n"
        f"Coffee photo with the swirls style, `Settings(size={profile.result_size}"
        + (f", steps={profile.result_steps}" if profile.result_steps else "")
        + f")`: {warm.precision}, {settings.steps} steps over the "
        f"scales {plan}, a streamed image every {settings.yield_every} steps.\n\n"
        + table(["run", "total s", "set-up s", "optimisation s", "first image s", "steps"], rows)
        + f"\n\nWhere run 2's time went, by scale: {scale_seconds(warm)}. "
        f"Optimisation, median of runs 1 and 2: {statistics.median(optimisation):.1f} s. Set-up is "
        "`Progress.setup_seconds`: building the network (run 1 only; it takes "
        f"{load:.2f} s on its own) and computing the style targets and content features of the first scale; "
        "later scales prepare their own targets inside the optimisation time. The first image is the "
        "first `Progress` record. Run 4 is what a visitor waits: from submitting the job to its last update, "
        f"{app_updates} streamed updates; the app asks the library for every step and converts one image a "
        f"second, so it costs {app_total - warm.total:+.1f} s against run 2 "
        f"({100 * (app_total / warm.total - 1):+.0f}%).\n\n"
        f"Time to the first streamed image over {profile.first_image_repeats} more starts (model loaded), "
        f"median (best): {median_best(firsts['computed'])} s with the style targets computed, "
        f"{median_best(firsts['cached'])} s with them cached from an earlier run."
        + (big or "\n\nThe 2048 px run is made on CUDA machines only.")
    )
    return {
        "runs": runs,
        "first": statistics.median(firsts["computed"]),
        "warm_total": warm.total,
        "final": warm,
        "big": big_done or (big.strip() if big else None),
        "big_ok": big_done is not None,
    }


# --------------------------------------------------------------------------- section 3: against pastiche


def pastiche_image(artist: object) -> Image.Image:
    """The pastiche's current image exactly as its own `save_image` writes it."""
    from pastiche.pastiche import save_image

    buffer = io.BytesIO()
    save_image(artist.pastiche, buffer)
    return Image.open(buffer).convert("RGB")


def run_pastiche(content: Path, style: Path, size: int, steps: int, device: torch.device, judge: Judge) -> dict:
    """Pastiche as its command line runs it (L-BFGS, its defaults), timed and judged."""
    from pastiche.pastiche import PasticheArtist
    from pastiche.vgg19 import VGG19

    weights = importlib.resources.files("pastiche") / WEIGHTS_FILE
    started = time.perf_counter()
    VGG19.from_quantized_bin(str(weights))
    load = time.perf_counter() - started
    torch.manual_seed(0)
    started = time.perf_counter()
    artist = PasticheArtist(str(content), [str(style)], device=str(device), size=size, style_weights=[1.0])
    setup = time.perf_counter() - started
    curve, optimisation = [], 0.0
    for step in range(1, steps + 1):
        started = time.perf_counter()
        artist.draw()
        sync(device)
        optimisation += time.perf_counter() - started
        if step % max(1, steps // 10) == 0 or step == steps:
            curve.append((step, setup + optimisation, judge(pastiche_image(artist))))
    return {
        "load": load,
        "setup": setup,
        "optimisation": optimisation,
        "curve": curve,
        "final": pastiche_image(artist),
        "scores": curve[-1][2],
    }


def race(content: Path, style: Path, settings: Settings, target: dict[str, float], judge: Judge) -> dict:
    """Run our generator, judging every step, until it has pastiche's quality by both criteria.

    `target` is `Judge.parts` of pastiche's result. Criterion "sum": style distance (summed over the
    layers) and content distance at or below pastiche's. Criterion "every layer": the style distance
    at each layer and the content distance at or below pastiche's. Only the time spent inside the
    generator counts; judging happens while it waits.
    """
    run = stylize(content, style, settings.replace(yield_every=1))
    clock, reached, reached_layers, parts = 0.0, None, None, {}
    while True:
        started = time.perf_counter()
        progress = next(run, None)
        clock += time.perf_counter() - started
        if progress is None:
            break
        parts = judge.parts(progress.image)
        content_ok = parts[CONTENT_LAYER] <= target[CONTENT_LAYER]
        style = sum(parts[name] for name in STYLE_LAYERS)
        if reached is None and content_ok and style <= sum(target[name] for name in STYLE_LAYERS):
            reached = (clock, progress.step, progress.to_pil())
        if reached_layers is None and content_ok and all(parts[name] <= target[name] for name in STYLE_LAYERS):
            reached_layers = (clock, progress.step)
        if reached and reached_layers:
            run.close()
            break
    return {"reached": reached, "reached_layers": reached_layers, "last": parts}


def distances(parts: dict[str, float]) -> str:
    return f"{sum(parts[name] for name in STYLE_LAYERS):.4g} / {parts[CONTENT_LAYER]:.4g}"


def section_pastiche(report: Report, profile: Profile, device: torch.device) -> dict:
    content, style = pair_paths(0)
    size = profile.race_size
    judge = Judge(content, style)
    theirs = run_pastiche(content, style, size, profile.pastiche_steps, device, judge)
    target = judge.parts(theirs["final"])
    cold = theirs["setup"] + theirs["optimisation"]
    warm = cold - theirs["load"]
    base = Settings(size=size, steps=profile.race_steps) if profile.race_steps else Settings(size=size)
    variants = {
        f"default (coarse to fine, Adam, {base.steps} steps)": base,
        f"coarse to fine, Adam, {base.steps * 3 // 10} steps": base.replace(steps=base.steps * 3 // 10),
        "single scale, Adam": base.replace(multiscale=False),
        "single scale, L-BFGS": base.replace(multiscale=False, optimizer="lbfgs"),
        "single scale, Adam, learning rate 0.05": base.replace(multiscale=False, learning_rate=0.05),
        "default in fp32": base.replace(precision="fp32"),
    }
    # Load our network and meet every scale's shapes once, outside the race.
    timed_run(content, style, base.replace(steps=len(plan_scales(base, load_image(content).size))))
    ours = {}
    for name, settings in variants.items():
        clear_cache()
        ours[name] = race(content, style, settings, target, judge)
        print(name, ours[name]["reached"], flush=True)
    rows, layer_rows = [], [["pastiche", *(f"{target[name]:.3g}" for name in [*STYLE_LAYERS, CONTENT_LAYER])]]
    for name, result in ours.items():
        row = [name]
        for reached in (result["reached"], result["reached_layers"]):
            row += [f"{reached[0]:.1f} (step {reached[1]})", f"{warm / reached[0]:.1f}x"] if reached else ["no", ""]
        rows.append([*row, distances(result["last"])])
        layer_rows.append([name, *(f"{result['last'][n]:.3g}" for n in [*STYLE_LAYERS, CONTENT_LAYER])])
    sheet_rows = [
        (
            [load_image(content), load_image(style), theirs["final"]],
            f"content | style | pastiche after {profile.pastiche_steps} L-BFGS steps",
        )
    ]
    matched = [name for name, result in ours.items() if result["reached"]]
    for start in range(0, len(matched), 3):
        names = matched[start : start + 3]
        sheet_rows.append(
            ([ours[name]["reached"][2] for name in names], "ours where it first matched pastiche: " + " | ".join(names))
        )
    sheet = profile.out / "pastiche.png"
    profile.out.mkdir(parents=True, exist_ok=True)
    make_sheet(sheet_rows).save(sheet, optimize=True)
    curve = table(
        ["pastiche step", "seconds (set-up + optimisation)", "style distance", "content distance"],
        [[s, f"{t:.1f}", f"{j['style_distance']:.4g}", f"{j['content_distance']:.4g}"] for s, t, j in theirs["curve"]],
    )
    report.add(
        f"## 3. Against pastiche at {size} px\n\n"
        f"Both stylise the coffee photo with the swirls style at {size} px long side. `pastiche` runs "
        f"in this process the way its command line does (`pastiche --size {size} --num-steps "
        f"{profile.pastiche_steps}`: L-BFGS, content weight 1, no TV, style image at the content's pixel "
        "count, fp32), using the same VGG-19 weights. Its time: "
        f"{cold:.1f} s from the start, of which {theirs['load']:.1f} s build the network; "
        f"{warm:.1f} s with the network already built (set-up {theirs['setup'] - theirs['load']:.1f} s, "
        f"{profile.pastiche_steps} steps {theirs['optimisation']:.1f} s). Its result, judged: style / content "
        f"distance {distances(target)}.\n\n"
        "Ours runs with the network already loaded (our cold load is in section 2); each variant is judged "
        "after every step and the clock counts only time inside the generator, set-up included. "
        "Ratios are pastiche's warm time / ours. Two criteria: the judge's two numbers (style distance "
        "summed over the layers, content distance) both at or below pastiche's; and, stricter, the style "
        "distance at every layer and the content distance at or below pastiche's (the sum is mostly "
        "relu4_1, so it says little about colour, which lives in relu1_1, or about relu5_1). A variant "
        "stops when it meets both, else runs all its steps.\n\n"
        + table(
            [
                "ours",
                "s to pastiche's judged quality",
                "ratio",
                "s to it at every layer",
                "ratio",
                "last judged: style / content",
            ],
            rows,
        )
        + "\n\nDistance by layer: pastiche's result, and each variant's last judged image:\n\n"
        + table(["", *STYLE_LAYERS, f"content ({CONTENT_LAYER})"], layer_rows)
        + f"\n\nThe images compared: `{sheet.relative_to(ROOT)}`. Pastiche's quality along its run:\n\n"
        + curve
    )
    return {"pastiche": theirs, "warm": warm, "cold": cold, "ours": ours}


# --------------------------------------------------------------------------- section 4: quality


def section_quality(report: Report, profile: Profile, result: dict | None) -> dict:
    """Judge the default settings in the default precision and in fp32, and half the steps; save a sheet."""
    settings = default_settings(profile)
    default_precision = resolve_compute(settings.device).precision
    variants = {default_precision: settings}
    if default_precision != "fp32":
        variants["fp32"] = settings.replace(precision="fp32")
    # The same fp32 arithmetic in the other memory format: only the rounding differs, so
    # its distance from fp32 is how far the optimisation itself amplifies rounding.
    fp32_format = resolve_compute(settings.device, "fp32").channels_last
    rounding = f"fp32, {'contiguous' if fp32_format else 'channels-last'}"
    variants[rounding] = settings.replace(precision="fp32", channels_last=not fp32_format)
    # The default before this benchmark's study: a quarter more steps, the shown image a running average.
    averaged = f"{round(settings.steps * 1.25)} steps, averaged"
    variants[averaged] = settings.replace(steps=round(settings.steps * 1.25), average=True)
    half = f"{settings.steps // 2} steps"
    single = f"single scale, {settings.steps // 4} steps"
    rows, sheet, changes, noise, walls, columns = [], [], [], [], [], ""
    for index in range(profile.pairs):
        content, style = pair_paths(index)
        judge = Judge(content, style)
        runs = {name: timed_run(content, style, v) for name, v in variants.items() if name != default_precision}
        if result and index == 0:
            runs[default_precision] = result["final"]
        else:
            runs[default_precision] = timed_run(content, style, settings)
        if index == 0:
            runs[half] = timed_run(content, style, settings.replace(steps=settings.steps // 2))
            runs[single] = timed_run(content, style, settings.replace(multiscale=False, steps=settings.steps // 4))
            layers = {name: judge.parts(runs[name].final) for name in variants}
        runs = {name: runs[name] for name in [*variants, half, single] if name in runs}
        columns = columns if index else " | ".join(runs)
        scores = {name: judge(run.final) for name, run in runs.items()}
        reference = scores[default_precision]
        for name, run in runs.items():
            change = [100 * (scores[name][key] / reference[key] - 1) for key in ("style_distance", "content_distance")]
            if name == "fp32":
                changes += [(abs(c), pair_name(index), change) for c in change]
            if name == rounding and "fp32" in scores:
                keys = ("style_distance", "content_distance")
                spread = [100 * (scores[name][key] / scores["fp32"][key] - 1) for key in keys]
                noise += [(abs(c), pair_name(index), spread) for c in spread]
            if name == default_precision:
                walls.append((pair_name(index), "x".join(map(str, run.final.size)), run.total))
            rows.append(
                [
                    pair_name(index),
                    "default" if name == default_precision else name,
                    run.precision,
                    f"{scores[name]['style_distance']:.4g}",
                    f"{scores[name]['content_distance']:.4g}",
                    "" if name == default_precision else " / ".join(f"{c:+.1f}%" for c in change),
                    f"{run.total:.1f}",
                ]
            )
        caption = f"{pair_name(index)}: " + "; ".join(
            f"{name} style {v['style_distance']:.3g} content {v['content_distance']:.3g}" for name, v in scores.items()
        )
        sheet.append(([load_image(content), load_image(style), *(run.final for run in runs.values())], caption))
    profile.out.mkdir(parents=True, exist_ok=True)
    path = profile.out / "quality.png"
    make_sheet(sheet).save(path, optimize=True)
    worst = max(changes, default=None)
    worst_noise = max(noise, default=None)
    report.add(
        f"## 4. Quality of the default settings at {profile.result_size} px\n\n"
        + table(
            [
                "pair",
                "run",
                "precision",
                "style distance",
                "content distance",
                "change from default (style / content)",
                "wall s",
            ],
            rows,
        )
        + "\n\nThe judge (`bench/judge.py`): our VGG-19 in fp32 at 256 px; style distance = sum over "
        "relu1_1 ... relu5_1 of the mean squared difference of normalised Gram matrices, content distance "
        "= mean squared difference at relu4_2; lower is better. A speed change that moves these numbers "
        "by more than a few percent changes the picture.\n\n"
        + (
            f"{default_precision} against fp32: the largest difference of either distance is {worst[0]:.1f}% "
            f"({worst[1]}). "
            if worst is not None
            else ""
        )
        + (
            f"fp32 against fp32 in the other memory format (same arithmetic, different rounding): up to "
            f"{worst_noise[0]:.1f}% ({worst_noise[1]}): after a few hundred steps the optimisation has amplified "
            "rounding differences by that much, so a precision change cannot be held to less. "
            if worst_noise is not None
            else ""
        )
        + f"Style distance by layer, {pair_name(0)}: "
        + "; ".join(
            f"{name} " + ", ".join(f"{layer} {value:.3g}" for layer, value in parts.items() if layer in STYLE_LAYERS)
            for name, parts in layers.items()
        )
        + f". {averaged.capitalize()} is the previous default (until 2026-11-28): a quarter more steps and "
        "the result a running average of the iterates (decay 0.9), which lags behind at the finest scale's few "
        "steps. Half the steps is the cheapest speed lever, and a single scale at about the default's cost tests "
        "coarse to fine; the table shows what each costs in quality. "
        f"Contact sheet (content | style | {columns}): `{path.relative_to(ROOT)}`; "
        "only the first row has the last two runs."
    )
    return {"worst_change": worst, "worst_noise": worst_noise, "walls": walls, "sheet": path}


# --------------------------------------------------------------------------- targets and main


def targets(device: torch.device, profile: Profile, found: dict) -> str:
    rows = []
    result = found.get("result")
    walls = (found.get("quality") or {}).get("walls", [])
    if result and device.type == "cpu":
        total, first = result["warm_total"], result["first"]
        size = "x".join(map(str, result["final"].final.size))
        measured, status = f"{total:.1f} s ({size})", "met" if total <= 60 else "not met"
        if walls:
            pair, slow_size, slowest = max(walls, key=lambda wall: wall[2])
            measured += f"; slowest example pair {slowest:.1f} s ({pair}, {slow_size})"
            if total <= 60 < slowest:
                status = f"met at {size}, not at {slow_size}"
        rows.append(["default, 512 px: final image <= 60 s (model loaded)", measured, status])
        rows.append(
            ["default, 512 px: first image <= 3 s (model loaded)", f"{first:.2f} s", "met" if first <= 3 else "not met"]
        )
    if result and device.type == "cuda":
        total = result["warm_total"]
        rows.append(["H200-class GPU: default 512 px <= 3 s", f"{total:.2f} s", "met" if total <= 3 else "not met"])
        if result.get("big"):
            rows.append(["GPU: default at 2048 px completes without running out of memory", result["big"],
                         "met" if result["big_ok"] else "not met"])
    race_found = found.get("pastiche")
    if race_found:
        name = "pastiche's quality (100 L-BFGS steps, 256 px) in >= 10x less time"
        ours = race_found["ours"].values()
        times = [r["reached"][0] for r in ours if r["reached"]]
        strict = [r["reached_layers"][0] for r in ours if r["reached_layers"]]
        if times:
            ratio = race_found["warm"] / min(times)
            measured = (
                f"judged quality: {ratio:.1f}x against its time with its network built "
                f"({race_found['cold'] / min(times):.1f}x from its start), fastest variant; "
            )
            status = "met" if ratio >= 10 else "not met"
            if strict:
                strict_ratio = race_found["warm"] / min(strict)
                measured += f"at every layer: {strict_ratio:.1f}x"
                status += f" (at every layer: {'met' if strict_ratio >= 10 else 'not met'})"
            else:
                measured += "at every layer: never matched"
                status += " (at every layer: not met)"
            rows.append([name, measured, status])
        else:
            rows.append([name, "both distances never matched", "not met (see section 3)"])
    iteration = found.get("iteration")
    if iteration:
        default = resolve_compute("auto")
        key = ("vgg19", 512, default.precision, default.channels_last)
        measured = iteration["results"].get(key, {})
        if "seconds" in measured:
            best = min(measured["seconds"][1:])
            ratio = best / (measured["flops"] / (iteration["peak"][default.precision] * 1e9))
            rows.append(
                [
                    "VGG-19 step at 512 px within 3x of the hardware floor",
                    f"{ratio:.2f}x",
                    "met" if ratio <= 3 else "not met",
                ]
            )
    quality = found.get("quality")
    if quality and quality["worst_change"] is not None:
        worst, pair, change = quality["worst_change"]
        direction = "bf16 lower on both" if min(change) > 0 else "bf16 higher on both" if max(change) < 0 else "mixed"
        rows.append(
            [
                "bf16 leaves the judge's numbers within a few percent of fp32's",
                f"{worst:.1f}% worst ({pair}: fp32 {' / '.join(f'{c:+.1f}%' for c in change)} "
                f"style / content, {direction})",
                "met" if worst <= 5 else "not met",
            ]
        )
        noise = quality.get("worst_noise")
        if noise:
            rows[-1][1] += f"; fp32 vs fp32 with only the rounding changed: {noise[0]:.1f}% worst ({noise[1]})"
            if worst > 5 and worst <= noise[0]:
                rows[-1][2] = "not met as worded; within fp32's own rounding spread"
    caveat = (
        ""
        if profile is FULL
        else "Quick run: smaller sizes and fewer steps than the targets assume, so these are not verdicts.\n\n"
    )
    return "## Targets\n\n" + caveat + table(["target", "measured", "status"], rows)


SECTIONS = ("iteration", "result", "pastiche", "quality")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes and few steps: a smoke run")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated subset of {', '.join(SECTIONS)}")
    parser.add_argument("-o", "--output", help="Markdown file (default BENCHMARKS.md; bench/out/quick/ with --quick)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(RESULT_PREFIX + json.dumps(iteration_worker(json.loads(args.worker))), flush=True)
        return
    profile = QUICK if args.quick else FULL
    default_output = QUICK.out / "BENCHMARKS.md" if args.quick else ROOT / "BENCHMARKS.md"
    output = Path(args.output) if args.output else default_output
    only = [name.strip() for name in args.only.split(",")]
    device = pick_device("auto")
    started = time.perf_counter()
    command = "python " + " ".join(shlex.quote(a) for a in [str(Path(sys.argv[0])), *sys.argv[1:]])
    report = Report()
    report.add(
        "# Benchmarks\n\n"
        f"Made by `{command}` on {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC"
        + (" (quick smoke run: tiny sizes, not representative)" if args.quick else "")
        + ".\n\n"
        + table(["machine", ""], machine(device))
    )
    sections: dict[str, Callable[[], dict]] = {
        "iteration": lambda: section_iteration(report, profile, device),
        "result": lambda: section_result(report, profile, device),
        "pastiche": lambda: section_pastiche(report, profile, device),
        "quality": lambda: section_quality(report, profile, found.get("result")),
    }
    found: dict[str, dict] = {}
    for name in SECTIONS:
        if name in only:
            section_started = time.perf_counter()
            found[name] = sections[name]()
            print(f"[{name}: {time.perf_counter() - section_started:.0f} s, load {loads()}]", flush=True)
    summary = targets(device, profile, found)
    print(summary + "\n")
    report.parts.insert(1, summary)
    report.add(f"Whole run: {(time.perf_counter() - started) / 60:.1f} minutes; load average at the end {loads()}.")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report.text())
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
