"""ZeroGPU: the GPU time a run asks for, the deadline inside it, and what crosses the worker's process boundary.

ZeroGPU itself only exists on Hugging Face; here the same code runs on the
CPU, where `gpu` leaves the run function as it is. What can be proven here is
what the decorator would be given: the duration worked out from the very
arguments the handler passes, and updates that survive the pickling which
carries them out of ZeroGPU's worker process.
"""

from __future__ import annotations

import dataclasses
import inspect
import pickle
import re
from fractions import Fraction
from pathlib import Path

import pytest
from PIL import Image

import nst
import web.run.clip
import web.run.picture
import web.run.zerogpu
from nst.io.clip_reader import Clip
from nst.networks.registry import build_extractor
from web.costs.gpu_time import (
    FINISH_SECONDS,
    FLOOR_SECONDS,
    MARGIN,
    MOST_SECONDS,
    SECONDS_PER_STYLE,
    START_SECONDS,
    check_clip_fits,
    check_fits,
    clip_gpu_seconds,
    deadline_within,
    expected_clip_seconds,
    expected_seconds,
    gpu_seconds,
)
from web.run.record import RunRecord
from web.run.zerogpu import build_networks, fit_to_gpu, gpu, run_gpu_seconds

from ..factories import make_painting, make_photo

DEFAULT = nst.preset("vgg19")


def test_the_default_run_asks_for_well_under_a_visitors_daily_quota():
    seconds = gpu_seconds(DEFAULT)
    # The default run: about 1.8 megapixel-steps of VGG-19 and 26 steps, worker start, downloads:
    # with its margin, under the floor.
    assert seconds == FLOOR_SECONDS
    assert seconds <= 30, "an unauthenticated visitor has 120 s a day: a default run must leave room for several"


def test_the_request_grows_with_the_work_and_never_drops_below_the_floor():
    assert gpu_seconds(nst.preset("vgg19", size=64, steps=10)) == FLOOR_SECONDS
    by_size = [gpu_seconds(nst.preset("vgg19", size=size)) for size in (256, 512, 768, 1024)]
    by_steps = [gpu_seconds(nst.preset("vgg19", size=1024, steps=steps)) for steps in (100, 300, 1000)]
    assert by_size == sorted(by_size) and by_size[0] < by_size[-1]
    assert by_steps == sorted(by_steps) and by_steps[0] < by_steps[-1]
    single_scale = nst.preset("vgg19", size=1024, steps=1000, multiscale=False)
    assert gpu_seconds(single_scale) > gpu_seconds(nst.preset("vgg19", size=1024, steps=1000))


def test_the_largest_run_the_page_allows_fits_one_request():
    largest = nst.preset("vgg19", size=1024, steps=1000, multiscale=False)
    assert gpu_seconds(largest, styles=3, masked=True) <= 120


def test_paintings_a_mask_and_the_network_change_the_request():
    large = nst.preset("vgg19", size=1024, steps=300)  # well above the floor, where the request shows what it counts
    assert gpu_seconds(large, styles=3) > gpu_seconds(large)
    assert gpu_seconds(large, masked=True) > gpu_seconds(large)
    squeezenet = nst.preset("composition-vii", size=DEFAULT.size, steps=DEFAULT.steps, multiscale=True)
    assert expected_seconds(squeezenet) < expected_seconds(DEFAULT)


def test_the_request_is_the_expected_time_with_its_margin():
    big = nst.preset("vgg19", size=1024, steps=600)
    assert gpu_seconds(big) == pytest.approx(MARGIN * expected_seconds(big), abs=1)


def test_the_deadline_leaves_the_worker_start_and_the_downloads_inside_the_grant():
    granted = gpu_seconds(DEFAULT)
    inside = deadline_within(DEFAULT, granted)
    assert 0 < inside < granted - START_SECONDS
    assert inside > expected_seconds(DEFAULT) - START_SECONDS - 3, "the deadline must not cut an ordinary run short"


def test_off_zerogpu_nothing_changes():
    assert not web.run.zerogpu.ON_ZEROGPU
    assert gpu(web.run.picture.compute) is web.run.picture.compute
    settings = nst.preset("vgg19", deadline=180.0)
    assert fit_to_gpu(settings) is settings


def test_on_zerogpu_the_run_ends_inside_its_grant(monkeypatch):
    monkeypatch.setattr(web.run.zerogpu, "ON_ZEROGPU", True)
    fitted = fit_to_gpu(nst.preset("vgg19", deadline=180.0))
    assert fitted.deadline == pytest.approx(deadline_within(DEFAULT, gpu_seconds(DEFAULT)))
    assert fit_to_gpu(nst.preset("vgg19", deadline=2.0)).deadline == 2.0, "a shorter NST_DEADLINE still holds"


def run_arguments(tmp_path) -> tuple[tuple, nst.Settings]:
    """What `stylize` hands to `compute` for a small run: images, settings, a started record."""
    settings = nst.preset("vgg19", size=64, steps=6, yield_every=1)
    recipe = nst.make_recipe(settings, make_photo(), make_painting())
    record = RunRecord.start(tmp_path, make_photo().resize((64, 48)), settings.seed, recipe=recipe)
    return (make_photo(), [make_painting()], settings, record), settings


def test_the_duration_is_worked_out_from_the_arguments_the_run_function_receives(tmp_path):
    arguments, settings = run_arguments(tmp_path)
    bound = inspect.signature(web.run.picture.compute).bind(*arguments)
    assert run_gpu_seconds(bound) == gpu_seconds(settings)
    blended = inspect.signature(web.run.picture.compute).bind(*arguments[:1], [make_painting()] * 3, *arguments[2:])
    assert run_gpu_seconds(blended) == gpu_seconds(settings, styles=3)


def test_arguments_and_every_update_survive_the_trip_out_of_the_gpu_worker(tmp_path):
    arguments, _ = run_arguments(tmp_path)
    sent = pickle.loads(pickle.dumps(arguments))
    updates = list(web.run.picture.compute(*sent))
    assert updates, "the run yielded nothing"
    for update in updates:
        received = pickle.loads(pickle.dumps(update))
        record = received.record
        assert isinstance(record, RunRecord) and record.frames == update.record.frames
        assert isinstance(received.result, str), "the shown image travels as a file path"
        assert received.changed() == update.changed(), "what an update leaves as it is stays left after the trip"
    final = pickle.loads(pickle.dumps(updates[-1]))
    assert final.status.startswith("**Done**")
    assert Image.open(final.png).size == (64, 48), "the PNG download is where the update says"
    state = pickle.dumps(final.record)
    assert len(state) < 200_000, f"the record must stay small to cross once a second: {len(state)} bytes"


def test_networks_built_ahead_are_the_ones_a_run_uses(tmp_path):
    """What ZeroGPU's start-up builds must land in the cache under the key `nst.stylize` looks up."""
    build_networks(("vgg19",))
    before = build_extractor.cache_info()
    arguments, _ = run_arguments(tmp_path)
    list(web.run.picture.compute(*arguments))
    after = build_extractor.cache_info()
    assert after.misses == before.misses and after.hits > before.hits


def test_a_run_one_gpu_request_cannot_hold_is_refused_naming_a_size_that_fits():
    check_fits(nst.preset("vgg19", size=4096))  # the default plan at the largest GPU size fits
    too_long = nst.preset("vgg19", size=4096, steps=5000, multiscale=False)
    with pytest.raises(nst.SettingsError, match=r"Choose (\d+) px or less") as refused:
        check_fits(too_long)
    size = int(refused.value.args[0].split("Choose ")[1].split(" px")[0])
    assert size < 4096 and gpu_seconds(too_long.replace(size=size)) <= MOST_SECONDS


def phone_clip(seconds: float, fps: int = 30) -> Clip:
    """A Full HD clip as `nst.io.clip_reader.open_clip` describes one, without a file: only its shape is priced."""
    return Clip(Path("walk.mp4"), 1920, 1080, Fraction(fps), round(seconds * fps), seconds, 0, False, None, 60.0)


def test_a_clip_asks_for_its_first_frame_and_every_later_one():
    settings = nst.preset("vgg19", size=1024)
    one, two = (expected_clip_seconds(settings, phone_clip(frames / 30)) for frames in (1, 2))
    first_frame = one - START_SECONDS - SECONDS_PER_STYLE - FINISH_SECONDS
    assert 0 < two - one < first_frame, "a later frame costs less than the first, a whole run"
    by_length = [clip_gpu_seconds(settings, phone_clip(seconds)) for seconds in (1, 4, 10)]
    assert by_length == sorted(by_length) and by_length[0] < by_length[-1]
    # Each later frame adds the same: its short plan, its flows, its encoding.
    four, ten = (expected_clip_seconds(settings, phone_clip(seconds)) for seconds in (4, 10))
    five = expected_clip_seconds(settings, phone_clip(5))
    assert ten - four == pytest.approx(6 * (five - four))
    assert clip_gpu_seconds(nst.preset("vgg19", size=480), phone_clip(10)) < clip_gpu_seconds(settings, phone_clip(10))
    assert clip_gpu_seconds(settings, phone_clip(4), styles=3, masked=True) > clip_gpu_seconds(settings, phone_clip(4))


def test_the_longest_clip_the_page_takes_on_a_gpu_fits_one_request():
    check_clip_fits(nst.preset("vgg19", size=1024), phone_clip(10))


def test_a_clip_one_gpu_request_cannot_hold_is_refused_naming_a_length_and_a_size_that_fit():
    settings = nst.preset("vgg19", size=1024)
    too_long = phone_clip(20, fps=60)
    assert clip_gpu_seconds(settings, too_long) > MOST_SECONDS
    with pytest.raises(nst.SettingsError, match=r"A 20.0 s clip at 1024 px .* \(300 s\)") as refused:
        check_clip_fits(settings, too_long)
    seconds, size = re.search(r"Choose a clip of ([\d.]+) s or less, or (\d+) px or less", str(refused.value)).groups()
    shorter = phone_clip(float(seconds), fps=60)
    assert clip_gpu_seconds(settings, shorter) <= MOST_SECONDS
    assert clip_gpu_seconds(settings, dataclasses.replace(shorter, frame_count=shorter.frame_count + 7)) > MOST_SECONDS
    assert clip_gpu_seconds(settings.replace(size=int(size)), too_long) <= MOST_SECONDS
    assert clip_gpu_seconds(settings.replace(size=int(size) + 64), too_long) > MOST_SECONDS


def test_a_clip_runs_duration_is_worked_out_from_the_clip_it_receives(tmp_path):
    settings = nst.preset("vgg19", size=480)
    record = RunRecord.start(tmp_path, make_photo(), 0, recipe=nst.make_recipe(settings, make_photo(), make_painting()))
    signature = inspect.signature(web.run.clip.compute_clip)
    short, long = (signature.bind(phone_clip(s), [make_painting()], settings, record) for s in (2, 8))
    assert run_gpu_seconds(short) == clip_gpu_seconds(settings, phone_clip(2))
    assert run_gpu_seconds(long) > run_gpu_seconds(short) > gpu_seconds(settings)


def test_on_zerogpu_a_clip_too_long_for_a_request_is_refused_before_it_runs(monkeypatch):
    monkeypatch.setattr(web.run.zerogpu, "ON_ZEROGPU", True)
    settings = nst.preset("vgg19", size=1024, deadline=180.0)
    fitted = fit_to_gpu(settings, clip=phone_clip(4))
    assert fitted.deadline == pytest.approx(deadline_within(settings, clip_gpu_seconds(settings, phone_clip(4))))
    with pytest.raises(nst.SettingsError, match="Choose a clip of"):
        fit_to_gpu(settings, clip=phone_clip(20, fps=60))
