"""Cost of one optimisation step, against the hardware floor, and the speed levers.

    python bench/step_cost.py [--quick]

For each feature network, size, precision and memory format: seconds per
step of the real loop and peak resident memory, against the floor (the
step's floating-point operations / this machine's measured dense
throughput); then the levers at 512 px (threads, L-BFGS, torch.compile).
Every configuration runs in its own process (`step_worker.py`), so that its
peak memory is its own.
"""

from __future__ import annotations

import copy
import statistics
import time
from collections.abc import Callable

import torch
from common import FULL, SQUARE_PAIR, Profile, Report, median_best, pair_paths, run_alone, sync, table
from step_worker import backbone_settings, ensure_squeezenet_weights, in_own_process
from torch.utils.flop_counter import FlopCounterMode

from nst import Settings, load_image
from nst.core.losses import gram_matrix
from nst.networks.device import resolve_compute
from nst.networks.interface import FeatureExtractor
from nst.networks.registry import get_extractor
from nst.plan.schedule import plan_stages
from web.limits import MAX_SIZE

# --------------------------------------------------------------------------- the floor


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


def iteration_flops(extractor: FeatureExtractor, settings: Settings, size: tuple[int, int]) -> float:
    """FLOPs of one loss evaluation with its gradient, counted by PyTorch on the meta device."""
    model = copy.deepcopy(extractor).to("meta")
    image = torch.empty(1, 3, size[1], size[0], device="meta", requires_grad=True)
    with FlopCounterMode(display=False) as counter:
        features = model(image, list(dict.fromkeys([*settings.content_layers, *settings.style_layers])))
        loss = sum(features[name].sum() for name in settings.content_layers)
        loss = loss + sum(gram_matrix(features[name]).sum() for name in settings.style_layers)
        loss.backward()
    return counter.get_total_flops()


def forward_flops(extractor: FeatureExtractor, layers: list[str], size: tuple[int, int]) -> float:
    model = copy.deepcopy(extractor).to("meta")
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.empty(1, 3, size[1], size[0], device="meta"), layers)
    return counter.get_total_flops()


# --------------------------------------------------------------------------- seconds per step


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


def section(report: Report, profile: Profile, device: torch.device) -> dict:
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
            scale = plan_stages(settings, content.size)[0]
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
                    result = in_own_process(spec)
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
        + "\n\nOne step is the real loop's descent step (all loss terms, backward to the image, the "
        "optimiser step) on the coffee photo, single scale; the first step is a warm-up and not counted. "
        "FLOPs are counted by `torch.utils.flop_counter` on the meta device: 2 per multiply-add, the forward "
        "pass to the deepest layer used plus the backward pass to the image. The network's weights are "
        "frozen, so the backward pass computes no weight gradients and costs about one forward pass "
        "(not two): a step is about 2x the forward FLOPs, plus the Gram matrices. Peak RSS is the "
        "process's resident memory at its highest during the steps (Python, torch, the model, the inputs; "
        "importing torch alone takes about 0.7 GB here); the last column is how much the steps added to "
        f"the memory in use just before them. SqueezeNet: {squeezenet_weights}; its settings are the "
        "reference recipe's layers (content 3, style 1, 4, 6, 7). The last row is a large output for the "
        f"library and the command line, {profile.largest} px (the web page stops at {MAX_SIZE} px), on the square "
        "example photo (the most pixels for that long side), in the default precision: its memory, not its "
        "speed, is the point: the same tensors are what a GPU would have to hold."
    )
    levers(report, profile, device, peak)
    return {"peak": peak, "results": results}


def largest_row(profile: Profile, peak: dict[str, float]) -> list[object]:
    """One table row: VGG-19 steps at the largest size on the square photo, default precision."""
    default = resolve_compute("auto")
    settings = backbone_settings("vgg19", size=profile.largest, multiscale=False)
    scale = plan_stages(settings, load_image(pair_paths(SQUARE_PAIR)[0]).size)[0]
    flops = iteration_flops(get_extractor("vgg19"), settings, scale.size)
    spec = {
        "backbone": "vgg19",
        "size": profile.largest,
        "precision": default.precision,
        "channels_last": default.channels_last,
        "steps": 2,
        "pair": SQUARE_PAIR,
    }
    return step_row(spec, scale.size, in_own_process(spec), flops, peak)


def step_row(spec: dict, size: tuple[int, int], result: dict, flops: float, peak: dict[str, float]) -> list[object]:
    """A row of the seconds-per-step table: what ran, its time against the floor, its memory."""
    label = [
        spec["backbone"],
        f"{size[0]}x{size[1]}",
        spec["precision"],
        "channels-last" if spec["channels_last"] else "contiguous",
    ]
    return [
        *label,
        *floor_row(result["seconds"], flops, peak[spec["precision"]]),
        f"{flops / 1e9:.1f}",
        f"{result['peak_rss_mb']:.0f}",
        f"{max(0.0, result['peak_rss_mb'] - result['rss_before_mb']):.0f}",
    ]


# --------------------------------------------------------------------------- speed levers


def levers(report: Report, profile: Profile, device: torch.device, peak: dict) -> None:
    """The speed levers, each against the default configuration at the levers' size, in interleaved rounds."""
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
    scale = plan_stages(settings, content.size)[0]
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
            collected[name].append(in_own_process(spec))
    rows = []
    for name, results in collected.items():
        timed = [t for r in results for t in r["seconds"][1:]]
        evaluations = statistics.mean(e for r in results for e in r["evaluations"][1:])
        ratio = min(timed) / (flops / (peak[default.precision] * 1e9))
        rows.append([name, median_best(timed), f"{ratio:.2f}x", f"{evaluations:.2f}", notes.get(name, "")])
    compiled = in_own_process({**base, "compile": True, "steps": base["steps"] + 2})
    if "workaround_error" in compiled:
        rows.append(["torch.compile", "failed", "", "", compiled["error"]])
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
    layers = list(dict.fromkeys([*settings.content_layers, *settings.style_layers]))
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


def target_rows(found: dict | None) -> list[list[object]]:
    """The step's verdict for the report's targets: a VGG-19 step at 512 px within 3x of the floor."""
    if not found:
        return []
    default = resolve_compute("auto")
    measured = found["results"].get(("vgg19", 512, default.precision, default.channels_last), {})
    if "seconds" not in measured:
        return []
    best = min(measured["seconds"][1:])
    ratio = best / (measured["flops"] / (found["peak"][default.precision] * 1e9))
    verdict = "met" if ratio <= 3 else "not met"
    return [["VGG-19 step at 512 px within 3x of the hardware floor", f"{ratio:.2f}x", verdict]]


if __name__ == "__main__":
    run_alone(__doc__.splitlines()[0], section)
