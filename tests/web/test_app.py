"""The web app end to end: a real server on loopback, driven by gradio_client.

The server runs in this process, so a test can watch `app.ACTIVE_RUNS` and
see a cancelled run really end, not just the client stop listening.
"""

from __future__ import annotations

import logging
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
import web.limits
import web.run.buttons
import web.run.stream
from nst.networks.registry import build_extractor
from nst.recipe import image_digest
from web.costs import estimate, pace
from web.form.fields import DEFAULT, format_weights
from web.form.fit import size_offer
from web.form.history import History
from web.limits import STROKE_RANGE
from web.page_update import UNCHANGED, PageUpdate
from web.run.record import RunRecord

from ..app_server import (
    ANIMATION,
    COMPARISON,
    HISTORY,
    IMAGE,
    LOSSES,
    PNG,
    STATUS,
    first_image,
    serve,
    submit,
    wait_until,
)
from ..factories import make_half_mask, make_painting, make_photo
from ..visitors import Visitor, upload

ROOT = Path(__file__).resolve().parents[2]


# Every test starts and ends with no run computing.
pytestmark = pytest.mark.usefixtures("no_run_left_behind")


def test_streams_images_then_the_final_one_at_the_requested_size(client, photo_path, painting_path, monkeypatch):
    monkeypatch.setattr(web.run.stream, "UPDATE_SECONDS", 0.0)  # every step shown: the same count on any machine
    job = submit(client, photo_path, painting_path, size=80, steps=12)
    outputs = list(job)
    images = [output[IMAGE] for output in outputs if output[IMAGE]]
    final = outputs[-1]
    assert len(images) >= 4, [output[STATUS] for output in outputs]
    assert outputs[0][STATUS].startswith("Preparing")
    assert "Step 1 / 12" in outputs[1][STATUS] and "it/s" in outputs[1][STATUS]
    assert final[STATUS].startswith("Done") and "12 steps" in final[STATUS]
    assert Image.open(final[IMAGE]).size == (80, 60)
    with Image.open(final[PNG]) as png:
        assert png.format == "PNG" and png.size == (80, 60)
        assert np.array_equal(np.asarray(png), np.asarray(Image.open(final[IMAGE]).convert("RGB")))
    with Image.open(final[ANIMATION]) as animation:
        # One frame per image shown (the WebP encoder merges frames that look alike).
        assert 2 <= animation.n_frames <= len(images) and animation.size == (80, 60)
    before, after = final[COMPARISON]
    assert Image.open(before).size == Image.open(after).size == (80, 60)
    assert {row[1] for row in final[LOSSES]["data"]} == {"total", "content", "style", "palette", "tv"}


def test_programs_read_the_status_in_plain_text_and_the_page_shows_it_in_bold(url, client, photo_path,
                                                                              painting_path):
    outputs = list(submit(client, photo_path, painting_path, size=64, steps=10))
    assert outputs[-1][STATUS].startswith("Done · 10 steps")
    assert not any("**" in output[STATUS] for output in outputs), "Markdown in what /stylize answers"
    with Visitor(url) as visitor:  # the page's own Stylize
        visitor.join(*upload(url, photo_path, painting_path), size=64, steps=10)
        assert visitor.completed()["output"]["data"][STATUS].startswith("**Done** · 10 steps")


def test_a_picture_larger_than_the_page_shows_streams_at_display_size_and_downloads_full_size(
    client, photo_path, painting_path, monkeypatch
):
    """The display side lowered to 64 px: a 128 px run streams and shows 64 px pictures, the PNG download is 128 px,
    and the session keeps only the display-size picture in memory (the full one is on disk)."""
    monkeypatch.setattr(web.run.stream, "UPDATE_SECONDS", 0.0)
    monkeypatch.setattr(web.limits, "DISPLAY_SIDE", 64)
    outputs = list(submit(client, photo_path, painting_path, size=128, steps=10))
    streamed = [Image.open(output[IMAGE]).size for output in outputs if output[IMAGE]]
    final = outputs[-1]
    assert final[STATUS].startswith("Done") and len(streamed) >= 3
    assert all(size == (64, 48) for size in streamed), streamed
    with Image.open(final[PNG]) as png:
        assert png.size == (128, 96) and "nst-recipe" in png.info
    before, after = final[COMPARISON]
    assert Image.open(before).size == Image.open(after).size == (64, 48)
    with Image.open(final[ANIMATION]) as animation:
        assert animation.size == (64, 48)
    assert wait_until(lambda: app.ACTIVE_RUNS.count == 0, timeout=30)


def test_keyword_call_with_every_other_parameter_at_its_default(client, photo_path, painting_path):
    job = client.submit(content=handle_file(str(photo_path)), style=handle_file(str(painting_path)),
                        api_name="/stylize")
    try:
        update = first_image(job)
        # The product default runs coarse to fine; the first image comes from the coarsest
        # scale but is shown at the output size (the repainted photo plus the change so far).
        assert f"/ {DEFAULT.steps} ·" in update[STATUS] and "scale 1 of" in update[STATUS]
        assert f"{DEFAULT.min_scale}×" in update[STATUS] or f"×{DEFAULT.min_scale}" in update[STATUS]
        assert max(Image.open(update[IMAGE]).size) == DEFAULT.size
    finally:
        job.cancel()


def test_cancel_ends_the_run_and_the_next_one_starts_at_once(client, photo_path, painting_path):
    job = submit(client, photo_path, painting_path, size=128, steps=1000)
    first_image(job)
    assert app.ACTIVE_RUNS.count == 1
    job.cancel()
    assert wait_until(lambda: app.ACTIVE_RUNS.count == 0, timeout=20), "the cancelled run kept computing"

    started = time.monotonic()
    follow_up = submit(client, photo_path, painting_path, size=64, steps=10)
    outputs = iter(follow_up)
    assert next(outputs)[STATUS].startswith("Preparing")
    assert time.monotonic() - started < 10
    assert list(outputs)[-1][STATUS].startswith("Done")


def test_up_to_three_paintings_blend_by_their_weights(client, photo_path, painting_path, tmp_path):
    second, third = tmp_path / "second.png", tmp_path / "third.png"
    make_painting(seed=2).transpose(Image.Transpose.ROTATE_90).save(second)
    Image.open(ROOT / "examples" / "style_the_scream.jpg").save(third)

    def result(**paintings) -> np.ndarray:
        files = {name: handle_file(str(path)) for name, path in paintings.items() if isinstance(path, Path)}
        weights = {name: value for name, value in paintings.items() if not isinstance(value, Path)}
        job = client.submit(content=handle_file(str(photo_path)), **files, **weights, size=64, steps=10,
                            api_name="/stylize")
        final = job.result()
        assert final[STATUS].startswith("Done"), final[STATUS]
        return np.asarray(Image.open(final[PNG]))

    alone = result(style=painting_path)
    # Weight 0 leaves a painting out exactly; any other weight brings its style in.
    assert np.array_equal(alone, result(style=painting_path, style_2=second, style_3=third, style_2_weight=0,
                                        style_3_weight=0))
    blended = result(style=painting_path, style_2=second, style_3=third, style_weight=2)
    assert np.abs(blended.astype(float) - alone).mean() > 1
    # An empty first slot is fine: the paintings given are the ones used.
    assert np.array_equal(result(style_2=painting_path), alone)
    with pytest.raises(AppError, match="Add a painting first"):
        client.submit(content=handle_file(str(photo_path)), style=None, api_name="/stylize").result()


def test_every_picture_carries_its_recipe_and_the_session_keeps_a_history(client, photo_path, painting_path):
    first = submit(client, photo_path, painting_path, size=64, steps=10, seed=3).result()
    second = submit(client, photo_path, painting_path, size=80, steps=10, randomize_seed=True).result()
    recipe = nst.read_recipe(second[PNG])
    settings = nst.settings_from_recipe(recipe)
    assert (settings.size, settings.steps) == (80, 10) and settings.seed != 3
    assert f"seed {settings.seed}" in second[STATUS], "the recipe records the seed the run drew"
    assert recipe["inputs"] == {"photo": image_digest(photo_path), "paintings": [image_digest(painting_path)]}
    assert nst.read_recipe(second[IMAGE]) == recipe, "the result's own download button hands out the same PNG"

    history = second[HISTORY]
    assert [entry["caption"] for entry in history] == [
        f"painting · 80 px · strength 1 · 10 steps · seed {settings.seed}",
        "painting · 64 px · strength 1 · 10 steps · seed 3",
    ]
    assert nst.read_recipe(history[0]["image"]) == recipe
    assert nst.read_recipe(history[1]["image"]) == nst.read_recipe(first[PNG])
    assert np.array_equal(np.asarray(Image.open(history[1]["image"])), np.asarray(Image.open(first[PNG])))

    other_visitor = Client(client.src, verbose=False)
    alone = submit(other_visitor, photo_path, painting_path, size=64, steps=10).result()
    assert len(alone[HISTORY]) == 1, "each visitor has a history of their own"


def test_the_brush_size_changes_the_picture_and_its_recipe_says_which(client, photo_path, painting_path):
    def run(style_scale: float) -> tuple:
        final = submit(client, photo_path, painting_path, size=64, steps=10, style_scale=style_scale).result()
        assert final[STATUS].startswith("Done"), final[STATUS]
        assert nst.settings_from_recipe(nst.read_recipe(final[PNG])).style_scale == style_scale
        return final

    fine, bold = run(0.5), run(2.0)
    change = np.abs(np.asarray(Image.open(fine[PNG]), dtype=float) - np.asarray(Image.open(bold[PNG]), dtype=float))
    assert change.mean() > 5, change.mean()
    assert [entry["caption"] for entry in bold[HISTORY]][:2] == [
        "painting · 64 px · strength 1 · brush size 2 · 10 steps · seed 0",
        "painting · 64 px · strength 1 · brush size 0.5 · 10 steps · seed 0",
    ]
    low, high = STROKE_RANGE
    for wrong in (high + 0.5, low - 0.1):
        with pytest.raises(AppError, match=rf"Brush size \(style_scale\) goes from {low:g} to {high:g} on this page"):
            submit(client, photo_path, painting_path, size=64, steps=10, style_scale=wrong).result()


def test_the_share_button_is_on_the_result_and_the_history_on_spaces_only(monkeypatch):
    def buttons(address: str) -> dict[str, list[str]]:
        components = httpx.get(address + "config", timeout=30).json()["components"]
        return {c["props"]["elem_id"]: c["props"]["buttons"] for c in components
                if c["props"].get("elem_id") in ("result", "history")}

    with serve() as address:
        assert buttons(address) == {"result": ["download", "fullscreen"],
                                    "history": ["download", "download_all", "fullscreen"]}
    # What a Space sets; Gradio's share button posts to that Space's discussions.
    monkeypatch.setenv("SYSTEM", "spaces")
    monkeypatch.setenv("SPACE_ID", "someone/neural-style-transfer")
    with serve() as address:
        assert buttons(address) == {"result": ["share", "download", "fullscreen"],
                                    "history": ["share", "download", "download_all", "fullscreen"]}


def test_an_upload_that_is_not_an_image_gets_a_clear_message(client, tmp_path, painting_path):
    junk = tmp_path / "holiday.png"
    junk.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(AppError, match=r"holiday\.png is not an image we can read"):
        submit(client, junk, painting_path, size=64, steps=10).result()


def test_a_visitors_mistake_is_one_log_line_and_its_reason_the_status(
    client, photo_path, painting_path, tmp_path, capfd, caplog
):
    junk, tiny = tmp_path / "holiday.png", tmp_path / "dot.png"
    junk.write_bytes(b"a letter, not a picture")
    Image.new("RGB", (10, 10), "red").save(tiny)
    mistakes = [
        ({"content": junk}, "holiday.png is not an image we can read"),
        ({"content": tiny}, r"dot.png is too small \(10x10 pixels\)"),
        ({"content": None}, "Add a photo to repaint first"),
        ({"content": photo_path, "style_layer_weights": "a lot"}, "Style layer weights must be numbers"),
    ]
    capfd.readouterr()
    with caplog.at_level(logging.WARNING, logger="nst.web"):
        for given, reason in mistakes:
            photo = given.pop("content")
            job = client.submit(content=photo and handle_file(str(photo)), style=handle_file(str(painting_path)),
                                size=64, steps=10, api_name="/stylize", **given)
            with pytest.raises(AppError, match=reason):
                job.result()
            (update,) = job.outputs()  # what the page shows: the reason, and no earlier result beside it
            assert re.match(rf"Cannot start: .*{reason}", update[STATUS]) and update[IMAGE] is None
    logged = [record.getMessage() for record in caplog.records if record.name == "nst.web"]
    assert len(logged) == len(mistakes) and all("\n" not in line for line in logged), logged
    assert "Traceback" not in capfd.readouterr().err


def test_bad_settings_get_a_clear_message(client, photo_path, painting_path):
    with pytest.raises(AppError, match="Style layer weights must be numbers"):
        submit(client, photo_path, painting_path, size=64, steps=10, style_layer_weights="a lot").result()
    with pytest.raises(AppError, match="5 style layers but 2 style layer weights"):
        submit(client, photo_path, painting_path, size=64, steps=10, style_layer_weights="1, 2").result()


def test_missing_squeezenet_weights_are_explained(client, photo_path, painting_path, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # no cached weights...
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")  # ...and no way to download them
    build_extractor.cache_clear()
    try:
        squeezenet = nst.preset("starry-night")
        job = submit(client, photo_path, painting_path, preset="starry-night", backbone="squeezenet", size=64,
                     steps=10, style_layer_weights=format_weights(squeezenet.style_layer_weights))
        with pytest.raises(AppError, match="SqueezeNet 1.1 weights could not be loaded.*VGG-19"):
            job.result()
    finally:
        build_extractor.cache_clear()


def test_the_deadline_keeps_the_image_reached(client, photo_path, painting_path, monkeypatch):
    monkeypatch.setenv("NST_DEADLINE", "2")
    outputs = list(submit(client, photo_path, painting_path, size=64, steps=1000))
    final = outputs[-1]
    assert final[STATUS].startswith("Time limit reached")
    assert Image.open(final[PNG]).size == (64, 48)


def test_a_full_queue_says_so(photo_path, painting_path, monkeypatch):
    monkeypatch.setenv("NST_QUEUE_SIZE", "1")
    with serve() as address:
        client = Client(address, verbose=False)
        running = submit(client, photo_path, painting_path, size=64, steps=1000)
        first_image(running)
        waiting = submit(client, photo_path, painting_path, size=64, steps=10)
        assert wait_until(lambda: waiting.status().code.name == "IN_QUEUE", timeout=10)
        try:
            with pytest.raises(Exception, match="Queue is full"):
                submit(client, photo_path, painting_path, size=64, steps=10).result()
        finally:
            waiting.cancel()
            running.cancel()
        assert wait_until(lambda: app.ACTIVE_RUNS.count == 0, timeout=20)


def progress(step: int, shade: int) -> nst.Progress:
    return nst.Progress(
        step=step, total_steps=100, scale=1, scales=1, size=(40, 30), picture=np.full((30, 40, 3), shade, np.uint8),
        losses={"content": 1.0, "style": 10.0, "tv": 0.1, "total": 11.1}, elapsed=1.0, setup_seconds=0.5,
        iterations_per_second=2.0, seconds_left=40.0, device="cpu", precision="fp32",
    )


def test_stop_hands_over_the_image_reached_with_its_recipe_and_keeps_it_in_the_history(tmp_path):
    photo, painting = make_photo(), make_painting()
    recipe = nst.make_recipe(nst.Settings(size=64, steps=100), photo, painting)
    (tmp_path / "run").mkdir()
    record = RunRecord.start(tmp_path / "run", photo, seed=0, recipe=recipe, form={"size": 64},
                             caption="painting · 64 px")
    history = History(tmp_path / "history")
    assert web.run.buttons.stop(record, history) == PageUpdate(status="**Stopped** before the first image.")
    for step, shade in ((5, 50), (10, 150)):
        record.add(progress(step, shade))
        record.add_frame(record.last)
    stopped = web.run.buttons.stop(record, history)
    status, result, (before, after), png, animation, gallery = (
        stopped.status, stopped.result, stopped.comparison, stopped.png, stopped.animation, stopped.gallery
    )
    assert status.startswith("**Stopped** at step 10 / 100")
    assert result == after == png and Image.open(before).size == (40, 30) and stopped.video is UNCHANGED
    assert set(stopped.changed()) == {"status", "result", "comparison", "png", "animation", "gallery"}
    assert np.asarray(Image.open(png)).mean() == pytest.approx(150)
    assert nst.read_recipe(png) == recipe
    with Image.open(animation) as frames:
        assert frames.n_frames == 2 and frames.size == (40, 30)
    assert [caption for _, caption in gallery] == ["painting · 64 px"] and history.entry(0).form == {"size": 64}
    record.finished = True
    assert web.run.buttons.stop(record, history) == PageUpdate(), "Stop after the end must not relabel a finished run"
    record.discard()
    assert not Path(png).exists()
    assert nst.read_recipe(gallery[0][0]) == recipe, "the history keeps its own copy"
    history.discard()
    assert not Path(gallery[0][0]).exists()


def test_the_time_estimate_grows_with_the_work(monkeypatch):
    monkeypatch.setattr(estimate, "PACE", pace.Pace())  # the prior, whatever runs earlier tests made
    def seconds(size: int, steps: int) -> float:
        return estimate.estimate_seconds(nst.Settings(size=size, steps=steps))

    assert seconds(256, 100) < seconds(512, 100) < seconds(512, 400)
    assert "Runs stop after" in size_offer("vgg19", 1024, 1000, True).estimate


def test_the_estimate_learns_this_servers_pace_and_the_time_left_stays_steady(
    client, photo_path, painting_path, monkeypatch
):
    monkeypatch.setattr(estimate, "PACE", pace.Pace())  # a server that has finished no run yet
    monkeypatch.setattr(web.run.stream, "UPDATE_SECONDS", 0.0)  # every step's status
    assert "measured on a 2-core CPU" in size_offer("vgg19", 192, 30, True).estimate
    started = time.monotonic()
    outputs = list(submit(client, photo_path, painting_path, size=192, steps=30))
    waited = time.monotonic() - started
    assert outputs[-1][STATUS].startswith("Done")
    assert "judging by this server's last run" in size_offer("vgg19", 192, 30, True).estimate
    # For a square photo, a third more pixels than this 4:3 one: about what the visitor waited, or a bit more.
    assert 0.8 * waited < estimate.estimate_seconds(nst.Settings(size=192, steps=30)) < 2 * waited

    shown = [float(left) for left in re.findall(r"about (\d+) s left", " ".join(o[STATUS] for o in outputs))]
    assert len(shown) > 10
    assert all(later <= earlier * 1.1 + 2 for earlier, later in zip(shown, shown[1:], strict=False)), shown


def test_a_mask_keeps_the_black_half_and_a_second_painting_paints_it(client, photo_path, painting_path, tmp_path):
    mask, second = tmp_path / "mask.png", tmp_path / "second.png"
    make_half_mask().save(mask)
    make_painting(seed=4).transpose(Image.Transpose.ROTATE_90).save(second)
    photo = np.asarray(make_photo().resize((64, 48), Image.Resampling.LANCZOS, reducing_gap=3.0), dtype=float)

    def change_by_half(**regions: Path) -> tuple[float, float]:
        files = {name: handle_file(str(path)) for name, path in regions.items()}
        job = client.submit(content=handle_file(str(photo_path)), style=handle_file(str(painting_path)), size=64,
                            steps=40, multiscale=False, api_name="/stylize", **files)
        final = job.result()
        assert final[STATUS].startswith("Done"), final[STATUS]
        # The chart leaves out what is rounding beside the total (a masked run's first palette loss is about
        # 1e-10), which would stretch its log axis by ten decades.
        rows = final[LOSSES]["data"]
        totals = {step: loss for step, term, loss in rows if term == "total"}
        assert all(loss is None or loss > totals[step] - 6 for step, _, loss in rows), rows[:10]
        change = np.abs(np.asarray(Image.open(final[PNG]).convert("RGB"), dtype=float) - photo).mean(axis=2)
        return change[:, :32].mean(), change[:, 32:].mean()

    left, right = change_by_half(mask=mask)
    assert right < 4 < 15 < left, (left, right)
    assert min(change_by_half(mask=mask, mask_style=second)) > 15
    with pytest.raises(AppError, match="brush where the first painting goes"):
        change_by_half(mask_style=second)
