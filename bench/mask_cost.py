"""What a mask adds to a run's time: default settings, with and without a mask.

Runs alternate (plain, masked, masked with a second painting, plain, ...)
in one process, so all of them see the same machine load and the same warm
caches; the medians are compared. One plain run first warms up (network
build, kernel selection) and is left out. Both wall time and the process's
CPU time are reported: on a machine shared with other work the CPU time
varies far less than the wall time.

    python bench/mask_cost.py --rounds 4
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.mask_sheet import astronaut_background, coffee_cup  # noqa: E402
from nst import Settings, load_image, stylize  # noqa: E402

EXAMPLES = ROOT / "examples"
PHOTOS = {"coffee": ("content_coffee.jpg", coffee_cup), "astronaut": ("content_astronaut.jpg", astronaut_background)}


def seconds(photo, painting, settings: Settings, **regions) -> tuple[float, float]:
    """Wall and CPU seconds of one run."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in stylize(photo, painting, settings, **regions):
        pass
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photo", choices=list(PHOTOS), default="coffee")
    parser.add_argument("--rounds", type=int, default=4, help="timed rounds after the warm-up run")
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args()
    name, make_mask = PHOTOS[args.photo]
    photo, mask = load_image(EXAMPLES / name), make_mask()
    painting = load_image(EXAMPLES / "style_starry_night.jpg")
    second = load_image(EXAMPLES / "style_great_wave.jpg")
    settings = Settings(size=args.size)
    kinds = {"plain": {}, "mask": {"mask": mask}, "mask + second painting": {"mask": mask, "mask_styles": second}}
    times: dict[str, list[tuple[float, float]]] = {kind: [] for kind in kinds}
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    print(f"warm-up: plain {seconds(photo, painting, settings)[0]:.1f}s wall", flush=True)
    for index in range(1, args.rounds + 1):
        for kind, regions in kinds.items():
            times[kind].append(seconds(photo, painting, settings, **regions))
            wall, cpu = times[kind][-1]
            print(f"round {index}: {kind} {wall:.1f}s wall, {cpu:.1f}s CPU", flush=True)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    for column, name in ((0, "wall"), (1, "CPU")):
        plain = statistics.median(spent[column] for spent in times["plain"])
        for kind, spent in times.items():
            median = statistics.median(each[column] for each in spent)
            print(f"{name}: {kind} median {median:.1f}s of {len(spent)} ({median / plain - 1:+.1%} against plain)")


if __name__ == "__main__":
    main()
