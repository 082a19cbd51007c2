"""Soak: hundreds of visitors through the real server; does it stay up and stay small?

Serves the app on loopback in this process (so its run counter is readable)
and sends it rounds of visitors, one browser tab each (`tests/visitors.py`),
who finish their run and save its downloads, press Stop and save what it
reached, walk away while their run computes, or walk away while still waiting
in the queue; first at NST_CONCURRENCY 1, then at 2. A few runs are at the
default size, most small. After every round it records the server's memory
(this process's RSS) and the files under Gradio's cache folder. After each
phase it checks that nothing computes, that a newcomer is served at once, and
what is left on disk once every tab has closed.

    python bench/soak.py                                # 120 visitors per concurrency
    python bench/soak.py --visitors 30 --default-runs 0 # a quick look

Writes bench/out/soak.md (the figures) and bench/out/soak.png (memory and
files per visitor served). Gradio's cache goes to a fresh temporary folder, so
that its files are this soak's alone.
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

import app  # noqa: E402  (the repository root is on the path only now)
from tests.app_server import serve, wait_until  # noqa: E402
from tests.visitors import Visitor, read_until_image, upload  # noqa: E402
from web.run_files import runs_root  # noqa: E402

EXAMPLES = ROOT / "examples"
PAIRS = [("content_coffee.jpg", "style_swirls.jpg"), ("content_chelsea.jpg", "style_strokes.jpg"),
         ("content_astronaut.jpg", "style_mosaic.jpg")]
# What a visitor whose run starts does, and how often.
KINDS = {"finished": 0.4, "stopped": 0.3, "left running": 0.3}
SMALL_SIZES, SMALL_STEPS = (64, 96, 128), (10, 20, 30)


@dataclass
class Sample:
    """The server after a round: visitors served so far, its memory, the files in Gradio's cache."""

    visitors: int
    concurrency: int
    rss_mb: float
    files: int
    megabytes: float


@dataclass
class Phase:
    """How one concurrency ended: idle or not, how soon a newcomer started, what stayed on disk."""

    idle: bool
    newcomer_wait: float
    files_after_close: int
    megabytes_after_close: float
    run_files_after_close: int


@dataclass
class Tally:
    """What the visitors did, and anything that went wrong for them."""

    outcomes: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, outcome: str) -> None:
        with self.lock:
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)

    @property
    def visitors(self) -> int:
        return sum(self.outcomes.values()) + len(self.problems)


def rss_mb() -> float:
    """This process's resident memory, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def files_in(folder: Path) -> tuple[int, float]:
    """Files under `folder`: how many, and their megabytes.

    Runs still computing delete frames as they go, so a file or folder may
    vanish while it is counted; it is then not counted (os.walk skips folders
    that vanish).
    """
    count, size = 0, 0
    for parent, _, names in os.walk(folder):
        for name in names:
            try:
                size += os.stat(os.path.join(parent, name)).st_size
            except FileNotFoundError:
                continue
            count += 1
    return count, size / 1e6


def cache_folder() -> Path:
    """Gradio's cache folder, which holds the uploads, the examples and (under runs_root) every run's files."""
    return runs_root().parent


def occupant(url: str, kind: str, settings: dict, pair: tuple[str, str], tally: Tally) -> None:
    """A visitor whose run starts: it finishes, is stopped, or is left running; then the tab closes."""
    try:
        with Visitor(url) as visitor:
            content, style = upload(url, EXAMPLES / pair[0], EXAMPLES / pair[1])
            visitor.join(content, style, **settings)
            if kind == "finished":
                final = visitor.completed()
                if not final["success"]:
                    raise RuntimeError(f"the run failed: {final['output']}")
                for output in final["output"]["data"][4:6]:  # the PNG and the animation, saved as a visitor would
                    visitor.fetch(output)
            else:
                with visitor.messages() as stream:
                    if not read_until_image(stream):
                        raise RuntimeError("the run ended before its first image")
                    if kind == "stopped":  # a run that ended before Stop arrived offers nothing new
                        for output in visitor.stop()["data"][3:5]:  # the PNG and the animation
                            if isinstance(output, dict) and "url" in output:
                                visitor.fetch(output)
        tally.count(kind)
    except Exception as error:  # a soak records every failure and carries on
        tally.problem(f"{kind}: {type(error).__name__}: {error}")


def leaves_queued(url: str, pair: tuple[str, str], concurrency: int, tally: Tally) -> None:
    """A visitor who joins behind busy workers and closes the tab before the run starts."""
    try:
        with Visitor(url) as visitor:
            content, style = upload(url, EXAMPLES / pair[0], EXAMPLES / pair[1])
            visitor.join(content, style, size=64, steps=10)
            with visitor.messages() as stream:
                first = next(stream)
                queued = first["msg"] == "estimation" and app.ACTIVE_RUNS.count >= concurrency
        tally.count("left queued" if queued else "left as it started")
    except Exception as error:
        tally.problem(f"left queued: {type(error).__name__}: {error}")


def newcomer_wait(url: str) -> float:
    """Seconds from a new visitor's click to its run starting."""
    with Visitor(url) as visitor:
        content, style = upload(url, EXAMPLES / PAIRS[0][0], EXAMPLES / PAIRS[0][1])
        started = time.monotonic()
        visitor.join(content, style, size=64, steps=10)
        with visitor.messages() as stream:
            next(message for message in stream if message["msg"] == "process_starts")
        return time.monotonic() - started


def soak_phase(concurrency: int, visitors: int, default_runs: int, rng: random.Random, tally: Tally,
               record: Callable[[int], None], settle_seconds: float = 20.0) -> Phase:
    """One server at `concurrency`: rounds of `concurrency` visitors whose runs start, every other
    round one more who leaves while queued behind them, until `visitors` have come."""
    os.environ["NST_CONCURRENCY"] = str(concurrency)
    default_rounds = set(rng.sample(range(visitors // (concurrency + 1)), default_runs))
    start = tally.visitors
    with serve() as url:
        round_index = 0
        while tally.visitors - start < visitors:
            queue_round, threads = round_index % 2 == 1, []
            for seat in range(concurrency):
                kind = rng.choices(list(KINDS), weights=list(KINDS.values()))[0]
                settings = {"size": rng.choice(SMALL_SIZES), "steps": rng.choice(SMALL_STEPS)}
                if seat == 0 and round_index in default_rounds:
                    kind, settings = "finished", {}
                elif queue_round:  # every worker busy long enough for someone to queue behind them
                    kind, settings = "finished", {"size": 64, "steps": 60}
                threads.append(threading.Thread(target=occupant, args=(url, kind, settings, rng.choice(PAIRS), tally)))
            for thread in threads:
                thread.start()
            if queue_round and wait_until(lambda: app.ACTIVE_RUNS.count >= concurrency, timeout=60):
                pair = rng.choice(PAIRS)
                threads.append(threading.Thread(target=leaves_queued, args=(url, pair, concurrency, tally)))
                threads[-1].start()
            for thread in threads:
                thread.join()
            round_index += 1
            record(concurrency)
        idle = wait_until(lambda: app.ACTIVE_RUNS.count == 0, timeout=30)
        wait = newcomer_wait(url)
        # Gradio notices a closed tab when its heartbeat connection drops; give the last ones time.
        wait_until(lambda: files_in(runs_root())[0] == 0, timeout=settle_seconds)
        files, megabytes = files_in(cache_folder())
        run_files, _ = files_in(runs_root())
    return Phase(idle, wait, files, megabytes, run_files)


def plot(samples: list[Sample], path: Path) -> None:
    """Memory and files against visitors served, one colour per concurrency."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (memory, files) = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True)
    for concurrency, colour in ((1, "#6d28d9"), (2, "#db2777")):
        points = [sample for sample in samples if sample.concurrency == concurrency]
        if points:
            label = f"NST_CONCURRENCY={concurrency}"
            memory.plot([p.visitors for p in points], [p.rss_mb for p in points], ".-", color=colour, label=label)
            files.plot([p.visitors for p in points], [p.files for p in points], ".-", color=colour, label=label)
    memory.set_ylabel("server RSS (MB)")
    memory.set_title("Soak: the server's memory and files as visitors come and go")
    memory.legend()
    memory.grid(alpha=0.3)
    files.set_ylabel("files in Gradio's cache")
    files.set_xlabel("visitors served (all kinds; the second phase is a new server in the same process)")
    files.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def slope(samples: list[Sample]) -> float:
    """Least-squares MB per visitor over the second half of a phase: how much memory still climbs."""
    half = samples[len(samples) // 2:]
    xs, ys = [s.visitors for s in half], [s.rss_mb for s in half]
    if len(half) < 2 or len(set(xs)) < 2:
        return 0.0
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def report(samples: list[Sample], phases: dict[int, Phase], tally: Tally, minutes: float,
           loads: tuple[tuple[float, ...], tuple[float, ...]]) -> str:
    """The soak's figures as Markdown."""
    lines = [
        "# Soak", "",
        f"Made by `python bench/soak.py`: {tally.visitors} visitors in {minutes:.1f} min. Machine load average "
        f"(1 min) {loads[0][0]:.1f} at the start, {loads[1][0]:.1f} at the end (2 cores, shared).", "",
        "| outcome | visitors |", "| --- | --- |",
        *(f"| {kind} | {count} |" for kind, count in sorted(tally.outcomes.items())), "",
        "| NST_CONCURRENCY | RSS after first / last round (MB) | RSS slope, second half (MB per visitor) | files in "
        "Gradio's cache, most during the phase | files left when all tabs closed (of which run files) | nothing "
        "computing afterwards | a newcomer's run started after (s) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for concurrency, phase in phases.items():
        points = [sample for sample in samples if sample.concurrency == concurrency]
        most = max(points, key=lambda point: point.files)
        lines.append(
            f"| {concurrency} | {points[0].rss_mb:.0f} / {points[-1].rss_mb:.0f} | {slope(points):+.2f} | "
            f"{most.files} ({most.megabytes:.1f} MB) | {phase.files_after_close} "
            f"({phase.megabytes_after_close:.1f} MB; {phase.run_files_after_close}) | {phase.idle} | "
            f"{phase.newcomer_wait:.2f} |"
        )
    lines += ["", f"Problems: {len(tally.problems)}", *(f"- {problem}" for problem in tally.problems[:20]), ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=120, help="visitors per concurrency (default 120)")
    parser.add_argument("--default-runs", type=int, default=2, help="runs at the default size per concurrency")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ["GRADIO_TEMP_DIR"] = tempfile.mkdtemp(prefix="nst-soak-")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    rng, tally, samples, phases = random.Random(12), Tally(), [], {}
    started, load_start = time.monotonic(), os.getloadavg()

    def record(concurrency: int) -> None:
        files, megabytes = files_in(cache_folder())
        samples.append(Sample(tally.visitors, concurrency, rss_mb(), files, megabytes))
        print(f"[soak] c={concurrency} visitors={tally.visitors} rss={samples[-1].rss_mb:.0f} MB files={files} "
              f"({megabytes:.1f} MB) computing={app.ACTIVE_RUNS.count} load={os.getloadavg()[0]:.1f}", flush=True)

    for concurrency in (1, 2):
        phases[concurrency] = soak_phase(concurrency, args.visitors, args.default_runs, rng, tally, record)
    minutes = (time.monotonic() - started) / 60
    plot(samples, args.out / "soak.png")
    text = report(samples, phases, tally, minutes, (load_start, os.getloadavg()))
    (args.out / "soak.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
