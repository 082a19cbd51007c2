"""The web app as a visitor sees it: one job of the default settings, submitted to the real app.

    python bench/visitor.py [--quick]

A visitor waits for the library's run plus what the page adds: streaming
the images, converting them, the downloads. `time_to_result.py` sets this
run beside the library's own; run alone, it prints the app's run by itself.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch
from common import Profile, Report, default_settings, pair_paths, run_alone, table

from nst import Settings
from nst.core.targets import clear_cache


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


def section(report: Report, profile: Profile, device: torch.device) -> dict:
    """One default job through the app, on the coffee photo with the swirls style."""
    content, style = pair_paths(0)
    settings = default_settings(profile)
    clear_cache()
    first, total, updates = app_run(content, style, settings)
    report.add(
        f"## The web app at {profile.result_size} px, as a visitor sees it ({device})\n\n"
        + table(["run", "total s", "first image s", "streamed updates"],
                [["through the web app (loopback server, gradio_client)", f"{total:.1f}", f"{first:.2f}", updates]])
    )
    return {"first": first, "total": total, "updates": updates}


if __name__ == "__main__":
    run_alone(__doc__.splitlines()[0], section)
