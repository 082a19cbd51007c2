"""What the page offers: what finishes within the deadline at this server's pace, said before the run, with the
smaller size or the shorter clip that fits a click away. The real server on loopback, its events over HTTP."""

from __future__ import annotations

import dataclasses
import re

import httpx
import pytest

import nst
import web.limits
from nst.io.clip_reader import open_clip
from web.costs import estimate, offers
from web.costs.pace import Pace
from web.form.fit import first_seconds

from ..factories import make_clip
from ..visitors import file_data, fn_index, upload

# Every test starts and ends with no run computing.
pytestmark = pytest.mark.usefixtures("no_run_left_behind")

# A server three times slower than the prior on a 2-core CPU without bf16 (10 s a unit): 30 s a unit.
SLOW = 30.0


@pytest.fixture
def slow_server(monkeypatch) -> Pace:
    """A server whose last run taught it a slow pace, for pictures (and so, until a clip has run, for clips)."""
    pace = Pace()
    pace.learn("vgg19", 1.0, estimate.SETUP_SECONDS + SLOW, estimate.SETUP_SECONDS)
    monkeypatch.setattr(estimate, "PACE", pace)
    return pace


def event(url: str, name: str, *data) -> list:
    """The outputs of the page's event `name` for inputs `data`, as the page fires it."""
    response = httpx.post(url + "gradio_api/run/predict", json={"data": list(data), "fn_index": fn_index(url, name)},
                          timeout=60)
    response.raise_for_status()
    return response.json()["data"]


def seconds(size: int, steps: int = 26) -> float:
    return estimate.estimate_seconds(nst.Settings(size=size, steps=steps))


def test_the_size_on_offer_is_the_largest_that_finishes_in_time_here_and_the_page_says_why(url, slow_server):
    shown, slider, button = event(url, "show_offer", "vgg19", 2048, 26, True)
    largest = int(re.search(r"Up to (\d+) px here at 26 steps", slider["info"]).group(1))
    # Within 80% of the 3 min deadline at this pace, and the next size on the slider is not.
    assert seconds(largest) <= 0.8 * 180 < seconds(largest + 32)
    assert largest < web.limits.MAX_SIZE, "the pace, not the page's cap, sets it"
    assert slider["info"].endswith("a larger picture would not finish within the 3 min a run may take on this server.")
    assert slider["maximum"] == 2048, "the size chosen still shows on the slider"
    assert "Runs stop after 3 min here, keeping the image reached" in shown and f"**{largest} px** finishes" in shown
    assert button == {"value": f"Use {largest} px", "visible": True, "__type__": "update"}

    (taken,) = event(url, "use_size_offer", "vgg19", 2048, 26, True)
    assert taken == largest
    shown, slider, button = event(url, "show_offer", "vgg19", largest, 26, True)
    assert slider["maximum"] == largest and button["visible"] is False
    assert re.fullmatch(r"About [\d.]+ (s|min) for a square photo, judging by this server's last run\.", shown)

    # More steps, less size; a longer deadline, more.
    _, fewer, _ = event(url, "show_offer", "vgg19", largest, 100, True)
    assert int(re.search(r"Up to (\d+) px", fewer["info"]).group(1)) < largest


def offered_size(url: str, size: int = 512, steps: int = 26) -> int:
    """The largest size the page offers now, as the size slider's hint says."""
    _, slider, _ = event(url, "show_offer", "vgg19", size, steps, True)
    return int(re.search(r"Up to (\d+) px", slider["info"]).group(1))


def test_the_deadline_and_the_pages_cap_bound_the_offer(url, slow_server, monkeypatch):
    within_3_min = offered_size(url)
    monkeypatch.setenv("NST_DEADLINE", "600")
    assert offered_size(url) > within_3_min
    monkeypatch.setattr(web.limits, "MAX_SIZE", 640)  # as NST_MAX_SIZE sets it: an upper bound still
    _, slider, _ = event(url, "show_offer", "vgg19", 512, 26, True)
    assert slider == {"maximum": 640, "info": "Up to 640 px, this page's largest.", "__type__": "update"}


def test_a_clip_that_would_not_finish_is_offered_its_start_or_a_smaller_size(url, slow_server, tmp_path):
    path = make_clip(tmp_path / "walk.mp4", 30, fps=10, size=(96, 64))  # 3 s, within the page's 4 s
    empty, *_ = event(url, "show_clip_offer", None, "vgg19", 480, 26, True)
    longest = float(re.search(r"Clips up to \*\*([\d.]+) s\*\* here", empty).group(1))
    assert 0 < longest < web.limits.clip_seconds()
    assert "a longer one would not finish within the 3 min a run may take on this server" in empty

    payload = file_data(upload(url, path)[0])
    shown, length, smaller = event(url, "show_clip_offer", payload, "vgg19", 480, 26, True)
    assert "(30 frames at 480 px)" in shown and "It would not finish within the 3 min a run may take here" in shown
    first = float(re.search(r"Use the first ([\d.]+) s", length["value"]).group(1))
    size = int(re.search(r"Use (\d+) px", smaller["value"]).group(1))
    assert length["visible"] and smaller["visible"] and 0 < first < 3 and size < 480
    assert f"**its first {first:g} s** or **the whole clip at {size} px** would." in shown
    # What is offered finishes within 80% of the deadline at this pace; the whole clip at 480 px does not.
    settings, clip = nst.Settings(size=480, steps=26), open_clip(path)
    start = dataclasses.replace(clip, frame_count=round(first * 10))
    budget = 0.8 * 180
    assert estimate.estimate_clip_seconds(settings, start) <= budget < estimate.estimate_clip_seconds(settings, clip)
    assert estimate.estimate_clip_seconds(settings.replace(size=size), clip) <= budget

    (taken,) = event(url, "use_clip_size_offer", payload, "vgg19", 480, 26, True)
    assert taken == size
    shown, length, smaller = event(url, "show_clip_offer", payload, "vgg19", size, 26, True)
    assert "It would not finish" not in shown and not length["visible"] and not smaller["visible"]


def test_a_clip_cut_to_the_start_that_fits_keeps_its_rate_and_sound(tmp_path):
    path = make_clip(tmp_path / "walk.mp4", 30, fps=10, size=(96, 64), audio="aac")
    kept = open_clip(first_seconds(open_clip(path), 12, tmp_path / "walk-first-1.2s.mp4"))
    assert (kept.frame_count, kept.fps, kept.audio_codec, kept.width) == (12, 10, "aac", 96)
    assert abs(kept.duration - 1.2) < 0.15


def test_a_slider_with_nothing_to_offer_still_reaches_a_step(url, slow_server):
    # At 1000 steps not even 64 px finishes in 3 min at ten times this pace; Gradio refuses a slider that ends
    # where it starts.
    slow_server.learn("vgg19", 1.0, estimate.SETUP_SECONDS + 19 * SLOW, estimate.SETUP_SECONDS)  # half way: 10x
    shown, slider, button = event(url, "show_offer", "vgg19", 64, 1000, True)
    assert slider["maximum"] == 96 and slider["info"].startswith("Even 64 px at 1000 steps would not finish")
    assert "choose fewer steps" in shown and button["visible"] is False


def test_a_gpu_server_offers_what_it_finishes_there(monkeypatch):
    """Before its first run a GPU server starts from the H200's measured pace, not the CPU's: it offers the GPU's
    4096 px (the CPU's prior would have offered less than a CPU's 2048)."""
    monkeypatch.setattr(estimate, "PACE", Pace())
    monkeypatch.setattr(estimate, "ON_GPU", True)
    monkeypatch.setattr(web.limits, "MAX_SIZE", web.limits.GPU_MAX_SIZE)
    assert offers.largest_size(nst.Settings(size=512, steps=26)) == web.limits.GPU_MAX_SIZE
    assert estimate.pace_basis("vgg19").startswith("as measured on an H200 GPU")
    clip = offers.nominal_clip(web.limits.GPU_CLIP_SECONDS, web.limits.GPU_CLIP_SIDE)
    assert offers.clip_fit(nst.Settings(size=web.limits.GPU_CLIP_SIDE, steps=26), clip).fits
