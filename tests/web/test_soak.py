"""A short soak through the real server: every kind of visitor, both concurrencies, nothing left behind.

`bench/soak.py` runs the long version (hundreds of visitors, memory plotted);
this one keeps CI honest about the same promises: no visitor meets an error,
nothing computes once they are gone, a newcomer is served at once, and once
every tab has closed no run's file is left on disk; and visitors who keep
their tab open are kept as sessions no further than NST_SESSIONS.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from soak import Tally, open_tabs_phase, soak_phase  # noqa: E402


@pytest.mark.slow
@pytest.mark.parametrize("concurrency", [1, 2])
def test_visitors_of_every_kind_leave_nothing_behind(concurrency, tmp_path, monkeypatch):
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    monkeypatch.setenv("NST_CONCURRENCY", str(concurrency))
    tally = Tally()
    phase = soak_phase(concurrency, visitors=8, default_runs=0, rng=random.Random(concurrency), tally=tally,
                       record=lambda _: None)
    assert tally.problems == []
    # The visitors' choices are drawn from a seeded generator: these seeds bring every kind.
    assert set(tally.outcomes) == {"finished", "stopped", "left running", "left queued"}, tally.outcomes
    assert phase.idle, "a run was still computing after every visitor had gone"
    assert phase.newcomer_wait < 5, f"a newcomer waited {phase.newcomer_wait:.1f} s for a free worker"
    assert phase.run_files_after_close == 0, "run files outlived their sessions"


def test_open_tabs_are_kept_up_to_the_cap(tmp_path, monkeypatch):
    # Set here so that what the phase sets is undone afterwards.
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    monkeypatch.setenv("NST_CONCURRENCY", "1")
    monkeypatch.setenv("NST_SESSIONS", "2")
    tally, samples = Tally(), []
    open_tabs_phase(4, 2, random.Random(0), tally, samples.append, settings={"size": 64, "steps": 10})
    assert tally.problems == [] and tally.outcomes == {"finished, tab kept open": 4}
    assert [sample.sessions for sample in samples] == [1, 2, 2, 2]
    assert 0 < samples[-1].kept_mb < 2 * 5, "two sessions after small runs hold more than 5 MB each"
