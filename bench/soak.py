"""Soak: hundreds of visitors through the real server; does it stay up and stay small?

Serves the app on loopback in this process (so its own run counter is
readable) and sends it visitors who finish their run, press Stop, walk away
while their run computes, or walk away while still waiting in the queue, at
NST_CONCURRENCY 1 and then 2. A few runs are at the default size, most small.
After each round it records the server's memory (this process's RSS) and the
files under Gradio's cache and our temporary folder. At the end it checks that
nothing is computing, that a new visitor is served at once, and how many files
are left once every tab has closed.

    python bench/soak.py                       # 120 visitors per concurrency
    python bench/soak.py --visitors 30 --default-runs 1   # a quick look

Writes bench/out/soak.md (the figures) and bench/out/soak.png (memory and
files per visitor).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Everything the server writes goes under one fresh folder, so that counting it counts only this soak.
WORK = Path(tempfile.mkdtemp(prefix="nst-soak-"))
os.environ["GRADIO_TEMP_DIR"] = str(WORK / "gradio")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
tempfile.tempdir = str(WORK / "tmp")
Path(tempfile.tempdir).mkdir()

import app  # noqa: E402  (after the folders above are set)
from tests.app_server import serve, wait_until  # noqa: E402
from tests.visitors import Visitor, upload  # noqa: E402

EXAMPLES = ROOT / "examples"
PAIRS = [("content_coffee.jpg", "style_swirls.jpg"), ("content_chelsea.jpg", "style_strokes.jpg"),
         ("content_astronaut.jpg", "style_mosaic.jpg")]
# A visitor's outcome, and how often each comes up among the runs that start.
KINDS = {"finished": 0.4, "stopped": 0.3, "left running": 0.3}


@dataclass
class Sample:
    """The server after a round: how many visitors so far, its memory and its files."""

    visitors: int
    concurrency: int
    rss_mb: float
    files: int
    megabytes: float


@dataclass
class Tally:
    """What the visitors did and met."""

    outcomes: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, outcome: str) -> None:
        with self.lock:
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)


def rss_mb() -> float:
    """This process's resident memory, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def files_on_disk() -> tuple[int, float]:
    """Files under Gradio's cache and our temporary folder: how many, and their megabytes."""
    files = [path for path in WORK.rglob("*") if path.is_file()]
    return len(files), sum(path.stat().st_size for path in files) / 1e6


def small_settings(rng: random.Random) -> dict:
    return {"size": rng.choice([64, 96, 128]), "steps": rng.choice([10, 20, 30])}


def first_image(visitor: Visitor, stream) -> bool:
    """Read until the first streamed image; False if the run ended before one."""
    for message in stream:
        if message["msg"] == "process_generating" and message["output"]["data"][0]:
            return True
        if message["msg"] == "process_completed":
            return False
    return False


def occupant(url: str, kind: str, settings: dict, pair: tuple[str, str], tally: Tally) -> None:
    """A visitor whose run starts: it finishes, is stopped, or is left while running; then the tab closes."""
    visitor = Visitor(url)
    try:
        content, style = upload(url, EXAMPLES / pair[0], EXAMPLES / pair[1])
        visitor.join(content, style, **settings)
        with visitor.messages() as stream:
            if kind == "finished":
                for message in stream:
                    if message["msg"] == "process_completed":
                        break
                if not message.get("success"):
                    tally.problem(f"finished run failed: {message.get('output')}")
                else:
                    for output in message["output"]["data"][4:6]:  # the PNG and the animation, as a visitor saves them
                        visitor.fetch(output)
            elif not first_image(visitor, stream):
                tally.problem(f"{kind}: the run ended before its first image")
            elif kind == "stopped":
                visitor.stop()
        tally.count(kind)
    except Exception as error:  # a soak reports every failure and carries on
        tally.problem(f"{kind}: {type(error).__name__}: {error}")
    finally:
        visitor.close()


def leaves_queued(url: str, pair: tuple[str, str], tally: Tally) -> None:
    """A visitor who joins behind busy workers and closes the tab before the run starts."""
    visitor = Visitor(url)
    try:
        content, style = upload(url, EXAMPLES / pair[0], EXAMPLES / pair[1])
        visitor.join(content, style, size=64, steps=10)
        with visitor.messages() as stream:
            message = next(stream)
            busy = app.ACTIVE_RUNS.count == int(os.environ["NST_CONCURRENCY"])
        tally.count("left queued" if message["msg"] == "estimation" and busy else "left early")
    except Exception as error:
        tally.problem(f"left queued: {type(error).__name__}: {error}")
    finally:
        visitor.close()


def soak_phase(concurrency: int, visitors: int, default_runs: int, rng: random.Random, tally: Tally,
               samples: list[Sample], record: Callable[[int], None]) -> dict:
    """One server at `concurrency`: rounds of `concurrency` occupants, every other round one who leaves queued."""
    os.environ["NST_CONCURRENCY"] = str(concurrency)
    defaults_at = set(rng.sample(range(visitors // (concurrency + 1)), default_runs))
    done = 0
    with serve() as url:
        round_index = 0
        while done < visitors:
            threads = []
            for seat in range(concurrency):
                default = round_index in defaults_at and seat == 0
                kind = "finished" if default else rng.choices(list(KINDS), weights=list(KINDS.values()))[0]
                settings = {} if default else small_settings(rng)
                threads.append(threading.Thread(target=occupant, args=(url, kind, settings, rng.choice(PAIRS), tally)))
            for thread in threads:
                thread.start()
            if round_index % 2 == 1:
                wait_until(lambda: app.ACTIVE_RUNS.count == concurrency, timeout=60)
                queued = threading.Thread(target=leaves_queued, args=(url, rng.choice(PAIRS), tally))
                queued.start()
                threads.append(queued)
            for thread in threads:
                thread.join()
            done += len(threads)
            round_index += 1
            record(concurrency)
        # Every tab is closed: nothing may compute, and a newcomer must be served at once.
        idle = wait_until(lambda: app.ACTIVE_RUNS.count == 0, timeout=30)
        started = time.monotonic()
        newcomer = Visitor(url)
        content, style = upload(url, EXAMPLES / PAIRS[0][0], EXAMPLES / PAIRS[0][1])
        newcomer.join(content, style, size=64, steps=10)
        with newcomer.messages() as stream:
            first = next(message for message in stream if message["msg"] == "process_starts")
        newcomer_wait = time.monotonic() - started
        newcomer.close()
        del first
        time.sleep(20)  # Gradio notices closed tabs within its heartbeat period (15 s)
        files, megabytes = files_on_disk()
    return {"idle": idle, "newcomer_wait": newcomer_wait, "files_after_close": files, "mb_after_close": megabytes}


def plot(samples: list[Sample], path: Path) -> None:
    """Memory and files against visitors served, one colour per concurrency."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (memory, files) = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True)
    for concurrency, colour in ((1, "#6d28d9"), (2, "#db2777")):
        points = [sample for sample in samples if sample.concurrency == concurrency]
        if not points:
            continue
        label = f"NST_CONCURRENCY={concurrency}"
        memory.plot([p.visitors for p in points], [p.rss_mb for p in points], ".-", color=colour, label=label)
        files.plot([p.visitors for p in points], [p.files for p in points], ".-", color=colour, label=label)
    memory.set_ylabel("server RSS (MB)")
    memory.set_title("Soak: the server's memory and files per visitor served")
    memory.legend()
    memory.grid(alpha=0.3)
    files.set_ylabel("files in Gradio's cache + temp")
    files.set_xlabel("visitors served (all kinds, both phases)")
    files.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def slope(samples: list[Sample]) -> float:
    """Least-squares MB per visitor over the second half of a phase: how far memory still climbs."""
    half = samples[len(samples) // 2:]
    if len(half) < 2:
        return 0.0
    xs, ys = [s.visitors for s in half], [s.rss_mb for s in half]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread if spread else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=120, help="visitors per concurrency (default 120)")
    parser.add_argument("--default-runs", type=int, default=2, help="runs at the default size per concurrency")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rng, tally, samples, phases = random.Random(12), Tally(), [], {}
    started, load_start = time.monotonic(), os.getloadavg()

    def record(concurrency: int) -> None:
        files, megabytes = files_on_disk()
        visitors = sum(tally.outcomes.values()) + len(tally.problems)
        samples.append(Sample(visitors, concurrency, rss_mb(), files, megabytes))
        print(f"[soak] c={concurrency} visitors={visitors} rss={samples[-1].rss_mb:.0f} MB files={files} "
              f"({megabytes:.1f} MB) active={app.ACTIVE_RUNS.count}", flush=True)

    for concurrency in (1, 2):
        phases[concurrency] = soak_phase(concurrency, args.visitors, args.default_runs, rng, tally, samples, record)
    minutes = (time.monotonic() - started) / 60
    plot(samples, args.out / "soak.png")
    report(args.out / "soak.md", samples, phases, tally, minutes, load_start, os.getloadavg())


def report(path: Path, samples: list[Sample], phases: dict, tally: Tally, minutes: float,
           load_start: tuple[float, ...], load_end: tuple[float, ...]) -> None:
    lines = [
        "# Soak", "",
        f"{sum(tally.outcomes.values())} visitors in {minutes:.1f} min; machine load average "
        f"{load_start[0]:.1f} at the start, {load_end[0]:.1f} at the end (2 cores, shared).", "",
        "| outcome | visitors |", "| --- | --- |",
        *(f"| {kind} | {count} |" for kind, count in sorted(tally.outcomes.items())), "",
        "| concurrency | RSS first / last round (MB) | MB per visitor, second half | files most / after all tabs "
        "closed | nothing computing after | newcomer served after (s) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for concurrency, phase in phases.items():
        points = [sample for sample in samples if sample.concurrency == concurrency]
        lines.append(
            f"| {concurrency} | {points[0].rss_mb:.0f} / {points[-1].rss_mb:.0f} | {slope(points):+.2f} | "
            f"{max(p.files for p in points)} ({max(p.megabytes for p in points):.1f} MB) / "
            f"{phase['files_after_close']} ({phase['mb_after_close']:.1f} MB) | {phase['idle']} | "
            f"{phase['newcomer_wait']:.2f} |"
        )
    lines += ["", f"Problems: {len(tally.problems)}", *(f"- {problem}" for problem in tally.problems[:20]), ""]
    path.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
