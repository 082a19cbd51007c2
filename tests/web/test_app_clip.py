"""Clips on the page end to end: a real server on loopback, driven by gradio_client as an API caller would."""

from __future__ import annotations

import json
import logging
import pickle
import re
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

import app
import nst
import web.costs.estimate
import web.run.buttons
import web.run.clip
import web.run.stream
from nst.io.clip_reader import open_clip, read_recipe_tag
from web.costs.offers import caps_text
from web.costs.pace import Pace
from web.form.history import History
from web.page_update import UNCHANGED
from web.run.record import LOSS_COLORS, RunRecord
from web.run.stops import PRESSES
from web.run_files import session_folder

from ..app_server import HISTORY, IMAGE, LOSSES, STATUS, VIDEO, submit, wait_until
from ..factories import make_clip, make_painting, make_pan, make_photo
from ..visitors import file_data, fn_index, upload

# Every test starts and ends with no run computing.
pytestmark = pytest.mark.usefixtures("no_run_left_behind")


@pytest.fixture
def clip_path(tmp_path: Path) -> Path:
    """96x64, 5 frames at 10 fps, with an AAC tone."""
    return make_clip(tmp_path / "walk.mp4", 5, fps=10, size=(96, 64), audio="aac")


def submit_clip(client: Client, clip: Path, painting: Path, **settings):
    return client.submit(clip=handle_file(str(clip)), style=handle_file(str(painting)), api_name="/stylize",
                         **settings)


def test_a_clip_comes_back_as_an_mp4_with_every_frame_its_rate_and_its_sound(
    client, clip_path, painting_path, monkeypatch
):
    monkeypatch.setattr(web.run.stream, "UPDATE_SECONDS", 0.0)
    outputs = list(submit_clip(client, clip_path, painting_path, size=64, steps=10))
    final = outputs[-1]
    assert final[STATUS].startswith("Done · 5 frames"), final[STATUS]
    streamed = [output for output in outputs[:-1] if output[IMAGE]]
    assert any("Frame 1 of 5" in output[STATUS] for output in streamed)
    assert any("Frame 5 of 5" in output[STATUS] and "left" in output[STATUS] for output in streamed)
    assert all(Image.open(output[IMAGE]).size == (64, 43) for output in streamed)
    assert not any(isinstance(output[VIDEO], str) for output in outputs[:-1]), "the clip comes at the end"
    video = final[VIDEO]
    result = open_clip(video)
    assert (result.width, result.height, result.fps, result.frame_count) == (64, 42, 10, 5)
    assert result.audio_codec == "aac"
    assert read_recipe_tag(video) is not None
    assert len(list(result.frames())) == 5


def test_the_clip_is_restyled_at_most_the_pages_clip_size(client, clip_path, painting_path, monkeypatch):
    monkeypatch.setenv("NST_CLIP_SIDE", "48")
    final = submit_clip(client, clip_path, painting_path, size=512, steps=10).result()
    assert final[STATUS].startswith("Done"), final[STATUS]
    assert (open_clip(final[VIDEO]).width, open_clip(final[VIDEO]).height) == (48, 32)


def test_a_clip_the_page_cannot_use_is_refused_with_its_reason_and_the_next_run_works(
    client, clip_path, painting_path, tmp_path, monkeypatch, caplog
):
    junk = tmp_path / "holiday.mp4"
    junk.write_bytes(np.random.default_rng(0).bytes(4096))
    mistakes = [(junk, "holiday.mp4"), (clip_path, "too long")]
    with caplog.at_level(logging.WARNING, logger="nst.web"):
        for index, (clip, reason) in enumerate(mistakes):
            if index == 1:
                monkeypatch.setenv("NST_CLIP_SECONDS", "0.2")
            job = submit_clip(client, clip, painting_path, size=64, steps=10)
            with pytest.raises(AppError, match=reason):
                job.result()
            (update,) = job.outputs()
            assert re.match(rf"Cannot start: .*{reason}", update[STATUS]) and update[VIDEO] is None
    logged = [record.getMessage() for record in caplog.records if record.name == "nst.web"]
    assert len(logged) == len(mistakes) and all("\n" not in line for line in logged), logged
    monkeypatch.delenv("NST_CLIP_SECONDS")
    final = submit_clip(client, clip_path, painting_path, size=64, steps=10).result()
    assert final[STATUS].startswith("Done · 5 frames"), final[STATUS]


def test_stop_mid_clip_leaves_a_playable_clip_of_the_frames_made(client, clip_path, painting_path, monkeypatch):
    monkeypatch.setattr(web.run.stream, "UPDATE_SECONDS", 0.0)
    job = submit_clip(client, clip_path, painting_path, size=64, steps=10)
    for output in job:
        if "Frame 3 of 5" in output[STATUS]:
            break
    PRESSES.stop(client.session_hash, wait=30)  # what the Stop button does; the run ends at its next update
    assert wait_until(lambda: app.ACTIVE_RUNS.count == 0, timeout=30)
    (video,) = session_folder(client.session_hash).glob("run-*/stylized.mp4")
    kept = open_clip(video)
    assert 2 <= kept.frame_count < 5 and len(list(kept.frames())) == kept.frame_count
    assert kept.audio_codec == "aac" and read_recipe_tag(video) is not None


def test_stop_hands_over_a_clips_frames_as_its_video(tmp_path):
    photo = make_photo()
    record = RunRecord.start(tmp_path, photo, seed=0, recipe=nst.make_recipe(nst.Settings(), photo, make_painting()))
    record.video, record.clip_frames = tmp_path / "stylized.mp4", 5
    history = History(tmp_path / "history")
    stopped = web.run.buttons.stop(record, history)
    assert stopped.status == "**Stopped** before the first frame was finished." and stopped.video is None
    make_pan(record.video, count=2)
    record.frames_written = 2
    stopped = web.run.buttons.stop(record, history)
    assert stopped.status.startswith("**Stopped** after 2 of 5 frames") and stopped.video == str(record.video)
    assert (stopped.comparison, stopped.png, stopped.animation) == (None, None, None)
    assert stopped.gallery is UNCHANGED


def test_a_clips_arguments_and_updates_survive_the_trip_out_of_the_gpu_worker(tmp_path, clip_path):
    """On ZeroGPU `compute_clip` runs in another process: what goes in and what comes out is pickled."""
    clip = open_clip(clip_path)
    settings = nst.Settings(size=64, steps=10)
    record = RunRecord.start(tmp_path, make_photo(), 0, recipe=nst.make_recipe(settings, make_photo(), make_painting()))
    record.video = tmp_path / "stylized.mp4"
    sent = pickle.loads(pickle.dumps((clip, [make_painting()], settings, record)))
    updates = [pickle.loads(pickle.dumps(update)) for update in web.run.clip.compute_clip(*sent)]
    final = updates[-1]
    assert final.status.startswith("**Done** · 5 frames") and final.record.finished
    # The loss chart shows the last frame's losses, each step it reported once, and says so.
    chart = final.losses
    assert chart["label"] == "Losses of frame 5 (log scale)"
    steps = list(chart["value"]["step"].drop_duplicates())
    assert steps == sorted(steps) and steps[-1] == final.record.last.total_steps
    assert len(chart["value"]) == len(steps) * len(LOSS_COLORS)
    assert final.video == str(record.video) and open_clip(final.video).frame_count == 5
    assert len(pickle.dumps(final.record)) < 200_000


def clip_offer_shown(url: str, clip: Path | None, size: int, steps: int = 200) -> list:
    """What the page shows under the clip input (the caps and, once `clip` is in, its estimate) and its two offer
    buttons: the event the page fires, over HTTP."""
    payload = file_data(upload(url, clip)[0]) if clip is not None else None
    body = {"data": [payload, "vgg19", size, steps, True], "fn_index": fn_index(url, "show_clip_offer")}
    response = httpx.post(url + "gradio_api/run/predict", json=body, timeout=60)
    response.raise_for_status()
    return response.json()["data"]


def clip_caps_shown(url: str, clip: Path | None, size: int, steps: int = 200) -> str:
    """The text under the clip input once `clip` is in."""
    return clip_offer_shown(url, clip, size, steps)[0]


def seconds_in(text: str) -> float:
    """The estimate's time, as `web.status.duration` writes it (with tenths)."""
    number, unit = re.search(r"About ([\d.]+) (s|min) for this clip", text).groups()
    return float(number) * (60 if unit == "min" else 1)


def test_a_loaded_clip_shows_about_how_long_it_takes_here_growing_with_its_length(url, tmp_path):
    short = make_clip(tmp_path / "short.mp4", 10, fps=10, size=(96, 64))
    long = make_clip(tmp_path / "long.mp4", 40, fps=10, size=(96, 64))
    empty = clip_caps_shown(url, None, 480)
    assert empty == caps_text(nst.Settings(size=480, steps=200)) and "About" not in empty
    shown = {clip: clip_caps_shown(url, clip, 480) for clip in (short, long)}
    assert shown[short].startswith(empty)
    assert re.search(r"About [\d.]+ (s|min) for this clip \(10 frames at 480 px\), (judging by|as measured)",
                     shown[short])
    assert "(40 frames at 480 px)" in shown[long]
    assert seconds_in(shown[long]) > seconds_in(shown[short])
    assert seconds_in(clip_caps_shown(url, long, 128)) < seconds_in(shown[long]), "smaller frames take less"


def test_given_a_photo_and_a_clip_the_run_restyles_the_clip_and_says_so(
    client, clip_path, photo_path, painting_path, monkeypatch
):
    monkeypatch.setattr(web.run.stream, "UPDATE_SECONDS", 0.0)
    job = client.submit(
        content=handle_file(str(photo_path)), clip=handle_file(str(clip_path)), style=handle_file(str(painting_path)),
        size=64, steps=10, api_name="/stylize",
    )
    outputs = list(job)
    assert outputs[-1][STATUS].startswith("Done · 5 frames") and open_clip(outputs[-1][VIDEO]).frame_count == 5
    statuses = [output[STATUS] for output in outputs]
    assert statuses[0].startswith("Preparing") and any("Frame 1 of 5 ·" in status for status in statuses)
    assert all(status.endswith("Restyling the clip; the photo is not used.") for status in statuses), statuses


def test_a_finished_clip_goes_in_the_history_as_its_first_frame_captioned_as_a_clip(
    client, clip_path, photo_path, painting_path
):
    clip_run = submit_clip(client, clip_path, painting_path, size=64, steps=10, seed=3).result()
    assert clip_run[STATUS].startswith("Done · 5 frames") and "photo is not used" not in clip_run[STATUS]
    (entry,) = clip_run[HISTORY]
    assert entry["caption"] == "Clip of 5 frames · painting · 64 px · strength 1 · 10 steps · seed 3"
    first_frame = next(open_clip(clip_run[VIDEO]).frames())
    assert np.array_equal(np.asarray(Image.open(entry["image"]).convert("RGB")), first_frame)
    assert nst.read_recipe(entry["image"]) == json.loads(read_recipe_tag(clip_run[VIDEO]))
    picture_run = submit(client, photo_path, painting_path, size=64, steps=10, seed=4).result()
    captions = [entry["caption"] for entry in picture_run[HISTORY]]
    assert captions == ["painting · 64 px · strength 1 · 10 steps · seed 4", entry["caption"]]


def test_a_finished_clip_teaches_the_clip_estimate_this_servers_pace(
    url, client, clip_path, painting_path, monkeypatch
):
    monkeypatch.setattr(web.costs.estimate, "PACE", Pace())  # a server that has finished no run yet
    assert "as measured on" in clip_caps_shown(url, clip_path, 64, steps=10)
    started = time.monotonic()
    outputs = list(submit_clip(client, clip_path, painting_path, size=64, steps=10))
    waited = time.monotonic() - started
    assert outputs[-1][STATUS].startswith("Done · 5 frames"), outputs[-1][STATUS]
    assert any(output[LOSSES].get("data") for output in outputs), "the chart showed the frames' losses"
    after = clip_caps_shown(url, clip_path, 64, steps=10)
    assert "judging by this server's last clip" in after
    assert 0.5 * waited < seconds_in(after) < 2 * waited, (after, waited)
