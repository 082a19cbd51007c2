"""The time a run will take and the time left: from this server's own runs, and steady."""

from __future__ import annotations

import pytest

import nst
from web.costs import estimate
from web.costs.pace import Pace
from web.costs.time_left import TimeLeft
from web.form.fit import size_offer


@pytest.fixture
def fresh_server(monkeypatch) -> Pace:
    """A server that has finished no run yet."""
    pace = Pace()
    monkeypatch.setattr(estimate, "PACE", pace)
    return pace


def test_before_its_first_run_the_server_says_its_estimate_comes_from_elsewhere(fresh_server):
    text = size_offer("vgg19", 512, 26, True).estimate
    assert text.startswith("About ") and "measured on a 2-core CPU" in text


def test_the_estimate_follows_the_runs_this_server_finishes(fresh_server):
    settings = nst.preset("vgg19", size=512, steps=26)
    photo = (512, 384)
    units = estimate.megapixel_steps(settings, photo)
    assert units < estimate.megapixel_steps(settings), "a 4:3 photo is less work than a square one"
    estimate.learn_from_run(settings, photo, estimate.SETUP_SECONDS + 10 * units)  # 10 s a unit
    assert fresh_server.seconds_per_unit("vgg19") == pytest.approx(10)
    assert "judging by this server's last run" in size_offer("vgg19", 512, 26, True).estimate
    estimate.learn_from_run(settings, photo, estimate.SETUP_SECONDS + 20 * units)  # the machine got busy
    assert fresh_server.seconds_per_unit("vgg19") == pytest.approx(15), "half way to the newest run"
    assert fresh_server.seconds_per_unit("squeezenet") is None, "each network has a pace of its own"
    assert fresh_server.seconds_per_unit("vgg19", "clip") is None, "and a clip's is its own"
    square = estimate.megapixel_steps(settings)
    assert estimate.estimate_seconds(settings) == pytest.approx(estimate.SETUP_SECONDS + 15 * square)


def test_the_time_left_falls_freely_but_rises_only_a_little():
    left = TimeLeft()
    shown = [left(guess, elapsed) for guess, elapsed in [(12, 1), (120, 2), (73, 3), (33, 4), (5, 5), (20, 9)]]
    assert shown[0] == 12
    assert shown[1] == pytest.approx(11 * 1.1 + 1)  # 12 s counted down by a second, then a tenth and a second more
    assert all(later <= earlier * 1.1 + 1 for earlier, later in zip(shown, shown[1:], strict=False))
    assert shown[4] == 5, "a falling estimate is shown as it is"
    assert shown[5] == pytest.approx(1 * 1.1 + 1), "four seconds later only about a second is left to rise from"
