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

Then visitors who keep their tab open: one after another, each finishes a
512 px run and stays, so every session's state stays on the server. After each
it records the server's memory, the sessions Gradio keeps and what they keep
(walked, as `tests/footprint.py` does): first on a server with the default
NST_SESSIONS, to see what an open tab costs, then on one that keeps only a few
sessions, with more visitors than that, to see the memory level off at the cap.

    python bench/soak.py                                # 120 visitors per concurrency, 50 + 60 open tabs
    python bench/soak.py --visitors 30 --default-runs 0 --open-tabs 10 --capped-tabs 0  # a quick look

Writes bench/out/soak.md (the figures), bench/out/soak.png (memory and files
per visitor served) and bench/out/soak-open-tabs.png (memory and sessions per
open tab). Gradio's cache goes to a fresh temporary folder, so that its files
are this soak's alone.
"""

from __future__ import annotations

import argparse
import contextlib
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
from tests.app_server import serve, serve_demo, wait_until  # noqa: E402
from tests.footprint import footprint  # noqa: E402
from tests.visitors import Visitor, read_until_image, upload  # noqa: E402
from web import limits  # noqa: E402
from web.run_files import runs_root  # noqa: E402

EXAMPLES = ROOT / "examples"
PAIRS = [("content_coffee.jpg", "style_swirls.jpg"), ("content_chelsea.jpg", "style_strokes.jpg"),
         ("content_astronaut.jpg", "style_mosaic.jpg")]
# What a visitor whose run starts does, and how often.
KINDS = {"finished": 0.4, "stopped": 0.3, "left running": 0.3}
SMALL_SIZES, SMALL_STEPS = (64, 96, 128), (10, 20, 30)
# The run of a visitor who keeps the tab open: the default size, as few steps as the page allows
# (a session's state after the run is the same whatever the steps, but for a loss row per step).
OPEN_TAB_RUN = {"size": 512, "steps": 10}
# Open tabs whose memory is the server settling in, left out of the memory per tab.
FIRST_TABS = 5


@dataclass
class Sample:
    """The server after a round: visitors served so far, its memory, the files in Gradio's cache."""

    visitors: int
    concurrency: int
    rss_mb: float
    files: int
    megabytes: float


@dataclass
class TabSample:
    """The server after one more visitor kept the tab open: its memory, the sessions it keeps and their size."""

    visitors: int
    cap: int
    rss_mb: float
    sessions: int
    kept_mb: float


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


def save_result(visitor: Visitor) -> None:
    """Wait for the visitor's run to finish and save its PNG and animation, as a visitor would."""
    final = visitor.completed()
    if not final["success"]:
        raise RuntimeError(f"the run failed: {final['output']}")
    for output in final["output"]["data"][4:6]:
        visitor.fetch(output)


def occupant(url: str, kind: str, settings: dict, pair: tuple[str, str], tally: Tally) -> None:
    """A visitor whose run starts: it finishes, is stopped, or is left running; then the tab closes."""
    try:
        with Visitor(url) as visitor:
            content, style = upload(url, EXAMPLES / pair[0], EXAMPLES / pair[1])
            visitor.join(content, style, **settings)
            if kind == "finished":
                save_result(visitor)
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


def sessions_kept_mb(demo) -> float:
    """What the sessions Gradio keeps hold: their state and their page's values, in MB."""
    sessions = list(demo.state_holder.session_data.values())
    return footprint(*(session.state_data for session in sessions),
                     *(session.config_values for session in sessions)).megabytes


def open_tabs_phase(visitors: int, cap: int, rng: random.Random, tally: Tally, record: Callable[[TabSample], None],
                    settings: dict | None = None) -> None:
    """One server that keeps `cap` sessions (NST_SESSIONS); `visitors` in turn finish a run (`OPEN_TAB_RUN`
    unless `settings` says otherwise) and keep their tab open until the last has come."""
    os.environ["NST_CONCURRENCY"], os.environ["NST_SESSIONS"] = "1", str(cap)
    with serve_demo() as (demo, url), contextlib.ExitStack() as tabs:
        for index in range(visitors):
            pair = rng.choice(PAIRS)
            try:
                visitor = tabs.enter_context(Visitor(url))
                content, style = upload(url, EXAMPLES / pair[0], EXAMPLES / pair[1])
                visitor.join(content, style, **(settings or OPEN_TAB_RUN))
                save_result(visitor)
                tally.count("finished, tab kept open")
            except Exception as error:  # a soak records every failure and carries on
                tally.problem(f"finished, tab kept open: {type(error).__name__}: {error}")
            wait_until(lambda: app.ACTIVE_RUNS.count == 0, timeout=30)
            record(TabSample(index + 1, cap, rss_mb(), len(demo.state_holder.session_data), sessions_kept_mb(demo)))


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


def plot_open_tabs(samples: list[TabSample], path: Path) -> None:
    """Memory and what the sessions keep against tabs left open, one colour per NST_SESSIONS."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (memory, kept) = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True)
    for cap, colour in zip(sorted({sample.cap for sample in samples}, reverse=True), ("#6d28d9", "#db2777"),
                           strict=False):
        points = [sample for sample in samples if sample.cap == cap]
        xs, label = [p.visitors for p in points], f"NST_SESSIONS={cap}"
        memory.plot(xs, [p.rss_mb for p in points], ".-", color=colour, label=label)
        kept.plot(xs, [p.kept_mb for p in points], ".-", color=colour, label=label)
        if cap < points[-1].visitors:
            for axes in (memory, kept):
                axes.axvline(cap, color=colour, linestyle=":", alpha=0.6)
    memory.set_ylabel("server RSS (MB)")
    memory.set_title(f"Open tabs: visitors who finish a {OPEN_TAB_RUN['size']} px run and stay")
    memory.legend()
    memory.grid(alpha=0.3)
    kept.set_ylabel("what the kept sessions hold (MB)")
    kept.set_xlabel("tabs left open, one visitor after another (each NST_SESSIONS a new server; dotted: the cap)")
    kept.legend()
    kept.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def slope(samples: list[Sample]) -> float:
    """Least-squares MB per visitor over the second half of a phase: how much memory still climbs."""
    half = samples[len(samples) // 2:]
    return least_squares([s.visitors for s in half], [s.rss_mb for s in half])


def least_squares(xs: list[float], ys: list[float]) -> float:
    """The slope of the straight line nearest the points; 0 with fewer than two distinct xs."""
    if len(set(xs)) < 2:
        return 0.0
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def open_tabs_rows(samples: list[TabSample]) -> list[str]:
    """The open-tab servers as Markdown table rows: memory per tab before and after the cap is reached."""
    rows = []
    for cap in sorted({sample.cap for sample in samples}, reverse=True):
        points = [sample for sample in samples if sample.cap == cap]
        settled = [p for p in points if FIRST_TABS < p.visitors <= cap]
        capped = [p for p in points if p.visitors > cap]
        per_tab = least_squares([p.visitors for p in settled], [p.rss_mb for p in settled])
        after = least_squares([p.visitors for p in capped], [p.rss_mb for p in capped]) if len(capped) > 1 else None
        rows.append(
            f"| {cap} | {points[-1].visitors} | {points[0].rss_mb:.0f} / {points[-1].rss_mb:.0f} | {per_tab:+.2f} | "
            f"{'' if after is None else f'{after:+.2f}'} | {points[-1].sessions} | {points[-1].kept_mb:.1f} "
            f"({points[-1].kept_mb / max(1, points[-1].sessions):.2f} each) |"
        )
    return rows


def report(samples: list[Sample], phases: dict[int, Phase], tab_samples: list[TabSample], tally: Tally,
           minutes: float, loads: tuple[tuple[float, ...], tuple[float, ...]]) -> str:
    """The soak's figures as Markdown."""
    lines = [
        "# Soak", "",
        f"Made by `python bench/soak.py`: {tally.visitors} visitors in {minutes:.1f} min. Machine load average "
        f"(1 min) {loads[0][0]:.1f} at the start, {loads[1][0]:.1f} at the end (2 cores, shared).", "",
        "| outcome | visitors |", "| --- | --- |",
        *(f"| {kind} | {count} |" for kind, count in sorted(tally.outcomes.items())), "",
    ]
    if phases:
        lines += [
            "| NST_CONCURRENCY | RSS after first / last round (MB) | RSS slope, second half (MB per visitor) | "
            "files in Gradio's cache, most during the phase | files left when all tabs closed (of which run files) | "
            "nothing computing afterwards | a newcomer's run started after (s) |",
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
    if tab_samples:
        lines += [
            "", f"Open tabs ({OPEN_TAB_RUN['size']} px, {OPEN_TAB_RUN['steps']} steps each):", "",
            f"| NST_SESSIONS | tabs left open | RSS after first / last (MB) | RSS slope from tab {FIRST_TABS + 1} up "
            "to the cap (MB per tab) | RSS slope past the cap (MB per tab) | sessions kept at the end | what they "
            "hold (MB) |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            *open_tabs_rows(tab_samples),
        ]
    lines += ["", f"Problems: {len(tally.problems)}", *(f"- {problem}" for problem in tally.problems[:20]), ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=120, help="visitors per concurrency (default 120)")
    parser.add_argument("--default-runs", type=int, default=2, help="runs at the default size per concurrency")
    parser.add_argument("--open-tabs", type=int, default=50, help="visitors who keep their tab open (default 50)")
    parser.add_argument("--capped-tabs", type=int, default=60,
                        help="visitors who keep their tab open on a server that keeps --cap sessions (default 60)")
    parser.add_argument("--cap", type=int, default=20, help="NST_SESSIONS of that server (default 20)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ["GRADIO_TEMP_DIR"] = tempfile.mkdtemp(prefix="nst-soak-")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    rng, tally, samples, phases, tab_samples = random.Random(12), Tally(), [], {}, []
    started, load_start = time.monotonic(), os.getloadavg()

    def record(concurrency: int) -> None:
        files, megabytes = files_in(cache_folder())
        samples.append(Sample(tally.visitors, concurrency, rss_mb(), files, megabytes))
        print(f"[soak] c={concurrency} visitors={tally.visitors} rss={samples[-1].rss_mb:.0f} MB files={files} "
              f"({megabytes:.1f} MB) computing={app.ACTIVE_RUNS.count} load={os.getloadavg()[0]:.1f}", flush=True)

    def record_tab(sample: TabSample) -> None:
        tab_samples.append(sample)
        print(f"[soak] NST_SESSIONS={sample.cap} open tabs={sample.visitors} rss={sample.rss_mb:.0f} MB "
              f"sessions={sample.sessions} holding {sample.kept_mb:.1f} MB load={os.getloadavg()[0]:.1f}", flush=True)

    for concurrency in (1, 2) if args.visitors else ():
        phases[concurrency] = soak_phase(concurrency, args.visitors, args.default_runs, rng, tally, record)
    for visitors, cap in ((args.open_tabs, limits.DEFAULT_SESSIONS), (args.capped_tabs, args.cap)):
        if visitors:
            open_tabs_phase(visitors, cap, rng, tally, record_tab)
    minutes = (time.monotonic() - started) / 60
    if samples:
        plot(samples, args.out / "soak.png")
    if tab_samples:
        plot_open_tabs(tab_samples, args.out / "soak-open-tabs.png")
    text = report(samples, phases, tab_samples, tally, minutes, (load_start, os.getloadavg()))
    (args.out / "soak.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
