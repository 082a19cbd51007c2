"""bench/clips.py: the made clips' true motion is right, and the temporal error measures what it should."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from clips import MovingObject, Pan, Zoom, temporal_error  # noqa: E402

from ..factories import make_photo  # noqa: E402

SIZE = (96, 64)


@pytest.fixture
def photo() -> np.ndarray:
    return np.asarray(make_photo(160, 120))


def test_source_clips_agree_with_their_true_motion(photo: np.ndarray) -> None:
    pan = Pan(photo, SIZE, count=6, step=(3, 1))
    assert temporal_error(pan.frames(), pan) == 0
    shapes = MovingObject(photo, SIZE, count=6, step=4)
    assert temporal_error(shapes.frames(), shapes) == 0
    # A zoom resamples the photo for each frame, so it agrees up to interpolation.
    zoom = Zoom(photo, SIZE, count=6)
    assert temporal_error(zoom.frames(), zoom) < 2


def test_temporal_error_sees_flicker_and_wrong_motion(photo: np.ndarray) -> None:
    pan = Pan(photo, SIZE, count=6, step=(3, 0))
    rng = np.random.default_rng(0)
    # Independent noise of +-10 levels on each frame: about 6.7 levels between frames (mean |a - b| of two uniforms).
    flicker = (np.clip(frame + rng.uniform(-10, 10, frame.shape), 0, 255) for frame in pan.frames())
    assert temporal_error(flicker, pan) == pytest.approx(6.7, abs=0.7)
    # The same frames judged against a motion they do not have.
    still = Pan(photo, SIZE, count=6, step=(0, 0))
    assert temporal_error(pan.frames(), still) > 1


def test_moving_object_marks_what_it_uncovers_as_not_comparable(photo: np.ndarray) -> None:
    clip = MovingObject(photo, SIZE, count=6, step=4)
    motion = clip.motion(3)
    uncovered = clip.disc(2) & ~clip.disc(3)
    assert uncovered.any() and not motion.valid[uncovered].any()
    assert motion.valid[~uncovered].all()
    assert np.all(motion.flow[clip.disc(3)] == (-4, 0))
