"""The running web app under abuse: bad files, crowds, hang-ups, runaway settings, probing URLs.

Every test drives a real server on loopback (127.0.0.1) inside this process,
so it can read the app's own state (`app.ACTIVE_RUNS`), this process's memory
and CPU time, while real HTTP and Gradio's real queue sit in between. Jobs are
small (64 px, 10 steps) and every wait has a timeout. Measured numbers are
printed; `pytest -s` shows them.

The per-run time limit is tested in `test_app.py`
(`test_the_deadline_keeps_the_image_reached`).
"""

from __future__ import annotations

import contextlib
import io
import os
import resource
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import numpy as np
import pytest
from gradio.utils import _parse_file_size
from gradio_client import Client
from gradio_client.client import Job
from gradio_client.exceptions import AppError
from gradio_client.utils import Status
from PIL import Image

import app
import nst
from nst.colour.color import fit_palette_map, palette_pixels
from nst.io.images import load_image, resize_long_side, to_array, to_tensor

from ..app_server import IMAGE, PNG, STATUS, first_image, serve, submit, wait_until
from ..factories import make_photo
from ..nst.test_hostile_inputs import CASES
from ..visitors import Visitor, upload

ROOT = Path(__file__).resolve().parents[2]
SMALL = {"size": 64, "steps": 10, "multiscale": False}
LONG = {"size": 96, "steps": 1000, "multiscale": False}
# A stopped run must hand its worker to the next job within this many seconds.
HANDOVER_SECONDS = 5.0
# This process's CPU use with nothing running: CPU-seconds per second.
IDLE_CPU_RATE = 0.3
PEAK_RSS_BYTES = 4 << 30
# Seconds a test's client waits for each HTTP answer (gradio_client's own default is 5).
CLIENT_TIMEOUT = 60


# Every test starts and ends with no run computing.
pytestmark = pytest.mark.usefixtures("no_run_left_behind")


@pytest.fixture
def loads(monkeypatch) -> list[str]:
    """The paths the app asks the image loader to open during a test."""
    opened: list[str] = []
    load_image = nst.load_image

    def spy(source, *args, **kwargs):
        opened.append(str(source))
        return load_image(source, *args, **kwargs)

    monkeypatch.setattr(nst, "load_image", spy)
    return opened


def rgb(path: str) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.float64)


def cpu_rate(seconds: float = 2.0) -> float:
    """CPU-seconds this whole process (server threads included) spends per second of wall time."""
    cpu, wall = time.process_time(), time.monotonic()
    time.sleep(seconds)
    return (time.process_time() - cpu) / (time.monotonic() - wall)


def assert_idle(label: str) -> None:
    time.sleep(0.5)  # let the last response go out and the compute threads park
    rate = cpu_rate()
    print(f"\n[robustness] {label}: idle CPU {rate:.3f} CPU-s/s")
    assert rate < IDLE_CPU_RATE, f"{label}: the process still burns {rate:.2f} CPU-s per second"


# --- Bad files through /stylize ---------------------------------------------

# One of each way the loader refuses a file (see `test_hostile_inputs.CASES`);
# the bomb is the one under Pillow's own limit, so it is our limit that holds.
BAD_FILES = ["empty.png", "noise.png", "paper.png", "cut.jpg", "drawing.svg", "bomb8k.png", "dot.png", "strip.png"]
HOSTILE = {param.values[0]: param.values[1:] for param in CASES}


def test_bad_files_get_a_clear_message_and_the_server_keeps_serving(client, tmp_path, photo_path, painting_path):
    wrong = {}
    for name in BAD_FILES:
        make, expected = HOSTILE[name]
        path = tmp_path / name
        path.write_bytes(make())
        # The SVG goes in as the style, so both inputs are shown to be checked.
        photo, painting = (photo_path, path) if name.endswith(".svg") else (path, painting_path)
        started = time.monotonic()
        try:
            submit(client, photo, painting, **SMALL).result(timeout=60)
        except AppError as error:
            message = str(error)
            if not (expected.problem in message and expected.action in message and name in message):
                wrong[name] = message
        else:
            wrong[name] = "accepted"
        assert time.monotonic() - started < 30, name
    assert not wrong, wrong
    final = submit(client, photo_path, painting_path, **SMALL).result(timeout=120)
    assert final[STATUS].startswith("Done") and Image.open(final[PNG]).size == (64, 48)


# --- A crowd -----------------------------------------------------------------


class PeakRSS:
    """The largest resident set size of this process seen while the block runs, sampled every 50 ms."""

    def __init__(self) -> None:
        self.start = self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    @staticmethod
    def now() -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) << 10
        raise AssertionError("no VmRSS in /proc/self/status")

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self.now())

    def __enter__(self) -> PeakRSS:
        self.start = self.peak = self.now()
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()


def waiting_or_refused(job: Job | None) -> bool:
    """Whether a job has been given its place in the queue, or been refused one."""
    return job is not None and (job.done() or job.status().code == Status.IN_QUEUE)


@pytest.mark.slow
def test_eight_clients_at_once_are_served_or_told_the_queue_is_full(photo_path, painting_path, monkeypatch):
    # One run computing and two places to wait: eight who arrive while it computes find two places,
    # however slowly a loaded machine lets them arrive; the run goes once all have their answer.
    monkeypatch.setenv("NST_QUEUE_SIZE", "2")
    with serve() as address:
        # gradio_client waits 5 s for an answer by default; a loaded server may take longer to accept an upload.
        everyone = [Client(address, verbose=False, httpx_kwargs={"timeout": CLIENT_TIMEOUT}) for _ in range(9)]
        computing, clients = submit(everyone[0], photo_path, painting_path, **LONG), everyone[1:]
        ready = threading.Barrier(len(clients))
        jobs: list[Job | None] = [None] * len(clients)
        outcomes: list[tuple | Exception | None] = [None] * len(clients)

        def visit(index: int) -> None:
            ready.wait(timeout=30)
            try:
                jobs[index] = submit(clients[index], photo_path, painting_path, **SMALL)
                outcomes[index] = jobs[index].result(timeout=150)
            except Exception as error:
                outcomes[index] = error

        try:
            first_image(computing)
            with PeakRSS() as rss:
                visitors = [threading.Thread(target=visit, args=(index,)) for index in range(len(clients))]
                for visitor in visitors:
                    visitor.start()
                assert wait_until(lambda: all(waiting_or_refused(job) for job in jobs), timeout=120)
                assert app.ACTIVE_RUNS.count == 1 and not computing.done(), "the run ended before all had arrived"
                computing.cancel()
                for visitor in visitors:
                    visitor.join(timeout=180)
            assert not any(visitor.is_alive() for visitor in visitors), "a client never got an answer"
            served = [outcome for outcome in outcomes if isinstance(outcome, tuple)]
            refused = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
            for outcome in served:
                assert outcome[STATUS].startswith("Done") and Image.open(outcome[PNG]).size == (64, 48)
            for error in refused:
                assert "Queue is full" in str(error), repr(error)
            assert len(served) == 2 and len(refused) == 6
            high_water = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss << 10
            print(f"\n[robustness] 8 clients: {len(served)} served, {len(refused)} refused; "
                  f"RSS {rss.start / 2**20:.0f} MiB before, peak {rss.peak / 2**20:.0f} MiB during; "
                  f"process high-water {high_water / 2**20:.0f} MiB")
            assert rss.peak < PEAK_RSS_BYTES

            after = submit(clients[0], photo_path, painting_path, **SMALL).result(timeout=120)
            assert after[STATUS].startswith("Done")
        finally:
            computing.cancel()
            for client in everyone:
                client.close()


# --- Stop and hang-up free the worker ------------------------------------------


def handover_seconds(hang_up, waiting) -> float:
    """Seconds from `hang_up()` to the first update of the `waiting` job queued behind it."""
    assert wait_until(lambda: waiting.status().code.name == "IN_QUEUE", timeout=20)
    assert waiting.outputs() == []
    started = time.monotonic()
    hang_up()
    assert wait_until(lambda: len(waiting.outputs()) > 0, timeout=30), "the queued job never started"
    return time.monotonic() - started


def assert_worker_freed(label: str, seconds: float, waiting) -> None:
    """The queued job started promptly and finished, nothing computes any more, and the CPU idles."""
    print(f"\n[robustness] {label}: the queued job started {seconds:.2f} s later")
    assert seconds < HANDOVER_SECONDS
    assert waiting.result(timeout=120)[STATUS].startswith("Done")
    assert wait_until(lambda: app.ACTIVE_RUNS.count == 0, timeout=20)
    assert_idle(f"after {label}")


def test_stop_frees_the_worker_for_the_next_job_and_the_cpu(client, photo_path, painting_path):
    running = submit(client, photo_path, painting_path, **LONG)
    first_image(running)
    assert app.ACTIVE_RUNS.count == 1
    busy = cpu_rate(1.0)  # the same measure sees a run computing, so "idle" below means something
    print(f"\n[robustness] while computing: CPU {busy:.2f} CPU-s/s")
    assert busy > IDLE_CPU_RATE
    waiting = submit(client, photo_path, painting_path, **SMALL)
    assert_worker_freed("Stop", handover_seconds(running.cancel, waiting), waiting)


def test_a_client_that_hangs_up_frees_the_worker_for_the_next_job_and_the_cpu(url, client, photo_path,
                                                                              painting_path):
    content, style = upload(url, photo_path, painting_path)
    with Visitor(url) as abandoned, contextlib.ExitStack() as connection:
        abandoned.join(content, style, **LONG)
        for message in connection.enter_context(abandoned.messages()):
            if message["msg"] == "process_generating" and message["output"]["data"][IMAGE]:
                break
        assert app.ACTIVE_RUNS.count == 1
        waiting = submit(client, photo_path, painting_path, **SMALL)
        seconds = handover_seconds(connection.close, waiting)
    assert_worker_freed("hang-up", seconds, waiting)


# --- Runaway settings ------------------------------------------------------------


@pytest.mark.parametrize("settings, diverges_at", [
    pytest.param({"style_layer_weights": "1e38, 1e38, 1e38, 1e38, 1e38"}, 1, id="style layer weights 1e38"),
    pytest.param({"style_strength": 1e38}, 1, id="style strength 1e38"),
    pytest.param({"optimizer": "lbfgs", "learning_rate": 1e30}, 3, id="L-BFGS learning rate 1e30"),
])
def test_a_diverging_run_keeps_the_last_good_image_and_says_why(client, photo_path, painting_path, settings,
                                                                diverges_at):
    final = submit(client, photo_path, painting_path, **{**SMALL, **settings}).result(timeout=120)
    assert final[STATUS].startswith("Stopped early"), final[STATUS]
    assert f"diverged at step {diverges_at}" in final[STATUS] and "Lower the learning rate" in final[STATUS]
    image = rgb(final[IMAGE])
    assert image.shape == (48, 64, 3)
    assert np.isfinite(image).all() and image.std() > 10, "a blank image, as NaN pixels would become"
    assert np.array_equal(rgb(final[PNG]), image), "the download is the image shown"
    if diverges_at == 1:  # nothing computed yet: the last good image is the start, the photo in the painting's colours
        photo = to_tensor(resize_long_side(load_image(photo_path), 64))
        painting = to_tensor(resize_long_side(load_image(painting_path), 64))
        start = to_array(fit_palette_map(photo, palette_pixels([painting], [1.0]))(photo)).astype(np.float64)
        assert np.abs(image - start).mean() < 8


# --- File routes ----------------------------------------------------------------


def secrets() -> dict[str, str]:
    """Files the server can read but must never serve, with a line of each to look for."""
    return {
        "/etc/passwd": "root:x:0:0",
        str(ROOT / "app.py"): (ROOT / "app.py").read_text().splitlines()[0],
        str(ROOT / "README.md"): (ROOT / "README.md").read_text().strip().splitlines()[0],
    }


def probes(output_folder: str) -> list[str]:
    """Ways of naming those files: plain, relative, absolute, climbing out of a served folder, encoded."""
    app_py = str(ROOT / "app.py")
    return [
        "/etc/passwd", "app.py", "README.md", app_py, "../../../../etc/passwd", "..%2f..%2f..%2f..%2fetc%2fpasswd",
        "%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd", "%2Fetc%2Fpasswd", "....//....//etc/passwd",
        f"{output_folder}/../../../../etc/passwd", f"{output_folder}/%2e%2e/%2e%2e/%2e%2e/%2e%2e{app_py}",
        f"{output_folder}/..%2f..%2f..%2f..%2fetc%2fpasswd",
    ]


ROUTES = ["gradio_api/file={}", "gradio_api/file/{}", "file={}", "static/{}", "assets/{}"]


def test_file_routes_serve_outputs_and_nothing_else(url, photo_path, painting_path):
    content, style = upload(url, photo_path, painting_path)
    with Visitor(url) as visitor, httpx.Client(base_url=url, timeout=30) as http:
        visitor.join(content, style, **SMALL)
        final = visitor.completed()
        assert final["success"], final
        png = final["output"]["data"][PNG]
        served = http.get(png["url"])
        assert served.status_code == 200 and served.content.startswith(b"\x89PNG"), "the result must be downloadable"

        leaks = []
        for route in ROUTES:
            for probe in probes(str(Path(png["path"]).parent)):
                response = http.get(route.format(probe))
                if response.status_code not in (400, 403, 404) or any(
                    line in response.text for line in secrets().values()
                ):
                    leaks.append((route.format(probe), response.status_code, response.text[:80]))
    assert not leaks, leaks


def test_a_job_cannot_be_pointed_at_server_files(url, painting_path, loads):
    (style,) = upload(url, painting_path)
    for path in [str(ROOT / "examples" / "content_astronaut.jpg"), "/etc/passwd", str(ROOT / "app.py")]:
        with Visitor(url) as visitor:
            visitor.join(path, style, **SMALL)
            final = visitor.completed()
        assert not final["success"], f"{path} was accepted as an upload"
    assert loads == []


# --- The upload size limit -------------------------------------------------------


def test_uploads_over_the_size_limit_are_refused(url, client, tmp_path, painting_path, loads):
    limit = _parse_file_size(app.launch_options()["max_file_size"])
    photo = io.BytesIO()
    make_photo().save(photo, "PNG")
    # A readable PNG with padding after its end, one byte over the limit.
    big = tmp_path / f"huge-{uuid.uuid4().hex}.png"
    big.write_bytes(photo.getvalue().ljust(limit + 1, b"\0"))
    small = tmp_path / "small.png"
    small.write_bytes(photo.getvalue())

    response = httpx.post(url + "gradio_api/upload", files=[("files", (big.name, big.read_bytes()))], timeout=60)
    assert response.status_code == 413 and "maximum allowed size" in response.text, response.text
    upload_folder = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")
    assert not list(upload_folder.glob(f"*/{big.name}")), "the refused upload was stored"
    assert upload(url, small), "a file under the limit is accepted"

    with pytest.raises(ValueError, match="exceeds the maximum file size"):
        submit(client, big, painting_path, **SMALL).result(timeout=60)
    assert loads == [] and app.ACTIVE_RUNS.count == 0
