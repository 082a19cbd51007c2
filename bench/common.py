"""What every benchmark question shares: sizes, paths, the machine, timing, tables.

Each question of the benchmark is a module of its own (`step_cost.py`,
`time_to_result.py`, `visitor.py`, `quality.py` over `measures.py`)
that `benchmark.py` runs in turn; this module holds what they have in common,
so that every one of them measures and reports the same way:

- the two profiles: the full benchmark and a quick smoke run at tiny sizes;
- the example pairs and where results go;
- the machine a report describes;
- one timed run of the generator, and medians with the best in brackets;
- Markdown tables and a report that echoes each section as it is finished;
- the protocol of measuring in a child process (a `RESULT` line of JSON);
- the command line of a question run alone (`--quick`).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from contact_sheet import DEFAULT_PAIRS  # noqa: E402

from nst import Settings, stylize  # noqa: E402
from nst.networks.device import bf16_is_fast, pick_device  # noqa: E402

EXAMPLES = ROOT / "examples"
OUT = BENCH / "out"
RESULT_PREFIX = "RESULT "
WORKER_FLAG = "--worker"


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
    pairs: int
    matmul_sizes: tuple[int, ...]
    out: Path  # where contact sheets go
    largest: int  # long side of the square worst case whose memory is measured


FULL = Profile((256, 512, 1024), 512, 512, None, 3, 256, 100, 6, (2048, 4096), OUT, 2048)


QUICK = Profile((64, 128), 128, 128, 12, 2, 96, 10, 2, (512, 1024), OUT / "quick", 192)
# The square example photo: at a given long side the most pixels, so the most memory.
SQUARE_PAIR = 1


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


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


# --------------------------------------------------------------------------- the machine


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


# --------------------------------------------------------------------------- one run of the generator


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
    """Run to the end; the first image counts until its picture is made (records make it when read)."""
    first, ends = None, {}
    started = time.perf_counter()
    for progress in stylize(content, style, settings):
        if first is None:
            progress.image  # noqa: B018 - made on first read; the wait for it is part of the first image
            first = time.perf_counter() - started
        ends[max(progress.size)] = progress.elapsed
    return Timed(
        first, progress.setup_seconds, progress.elapsed, progress.step, progress.to_pil(), progress.precision, ends
    )


def default_settings(profile: Profile) -> Settings:
    settings = Settings(size=profile.result_size)
    return settings.replace(steps=profile.result_steps) if profile.result_steps else settings


# --------------------------------------------------------------------------- child processes and running alone


def in_child(script: Path, spec: dict) -> dict:
    """Run `script` on `spec` in a fresh Python process and return its result.

    The child is `python script --worker SPEC` and answers with `serve_child`:
    its last line that starts with `RESULT ` carries the result as JSON. Output
    without one comes back as `{"failed": the last lines of its error}`.
    """
    command = [sys.executable, str(script), WORKER_FLAG, json.dumps(spec)]
    environment = {**os.environ, **spec.get("env", {})}
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=environment, check=False)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX) :])
    tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
    return {"failed": " / ".join(tail) or f"exit status {done.returncode}"}


def serve_child(worker: Callable[[dict], dict]) -> bool:
    """In a process started by `in_child`: answer its spec with `worker`'s result; else do nothing.

    Returns whether this process was such a child.
    """
    if len(sys.argv) != 3 or sys.argv[1] != WORKER_FLAG:
        return False
    print(RESULT_PREFIX + json.dumps(worker(json.loads(sys.argv[2]))), flush=True)
    return True


def run_alone(description: str, section: Callable[[Report, Profile, torch.device], object]) -> None:
    """The command line of one question run by itself: its tables go to stdout."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="tiny sizes and few steps: a smoke run")
    args = parser.parse_args()
    section(Report(), QUICK if args.quick else FULL, pick_device("auto"))
