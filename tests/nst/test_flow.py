"""nst.clips.flow: DIS flow, warping and Ruder et al.'s reliability on pictures with known motion."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from nst.clips.flow import carry, optical_flow, reliability, warp

from ..factories import make_photo


def texture(width: int = 160, height: int = 120, seed: int = 0) -> np.ndarray:
    """A smooth random texture (blurred noise), which optical flow can follow everywhere."""
    rng = np.random.default_rng(seed)
    noise = rng.uniform(0, 255, (height, width, 3)).astype(np.float32)
    return np.clip(cv2.GaussianBlur(noise, (0, 0), 2.0) * 3 - 255, 0, 255).astype(np.uint8)


def shifted(image: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """`image` moved by (dx, dy) pixels: what a camera sees when the scene slides that way."""
    return np.roll(image, (dy, dx), axis=(0, 1))


def test_flow_recovers_a_known_shift_within_a_pixel() -> None:
    first = texture()
    second = shifted(first, 3, -2)
    flow = optical_flow(first, second)
    assert flow.shape == (120, 160, 2) and flow.dtype == np.float32
    inner = flow[10:-10, 10:-10].reshape(-1, 2)
    assert np.abs(np.median(inner, axis=0) - (3, -2)).max() < 0.25
    # Nearly every pixel, not just the median, within a pixel.
    assert np.mean(np.linalg.norm(inner - (3, -2), axis=1) < 1) > 0.95
    # Backward is the opposite.
    assert np.abs(np.median(optical_flow(second, first)[10:-10, 10:-10].reshape(-1, 2), axis=0) - (-3, 2)).max() < 0.25


def test_flow_takes_float_pictures_and_refuses_mismatched_sizes() -> None:
    first = texture()
    flow = optical_flow(first.astype(np.float32) / 255, shifted(first, 2, 0).astype(np.float32) / 255)
    assert np.median(flow[10:-10, 10:-10, 0]) == pytest.approx(2, abs=0.25)
    with pytest.raises(ValueError, match="different sizes"):
        optical_flow(first, first[:, :100])


def test_warp_carries_a_picture_along_the_flow() -> None:
    first = texture()
    second = shifted(first, 4, 3)
    # Backward flow of the second frame: each pixel came from 4 left and 3 up in the first.
    backward = np.broadcast_to(np.array([-4, -3], np.float32), (120, 160, 2)).copy()
    carried = warp(first, backward)
    assert carried.dtype == np.uint8
    np.testing.assert_array_equal(carried[3:, 4:], second[3:, 4:])
    # With the flow DIS finds, the carried picture matches the frame inside (within a level or two).
    estimated = warp(first.astype(np.float32), optical_flow(second, first))
    assert np.abs(estimated - second)[10:-10, 10:-10].mean() < 2


def test_warp_samples_bilinearly_between_pixels() -> None:
    ramp = np.tile(np.arange(10, dtype=np.float32) * 10, (4, 1))
    half = np.zeros((4, 10, 2), np.float32)
    half[..., 0] = 0.5
    np.testing.assert_allclose(warp(ramp, half)[:, :9], ramp[:, :9] + 5, atol=0.5)


def test_reliability_marks_the_strip_a_pan_uncovers() -> None:
    photo = texture(200, 120)
    previous, current = photo[:, 20:180], photo[:, 28:188]  # the window moves 8 px right
    forward, backward = optical_flow(previous, current), optical_flow(current, previous)
    weights = reliability(forward, backward)
    assert weights.shape == (120, 160) and set(np.unique(weights)) <= {0.0, 1.0}
    # The last 8 columns were outside the previous frame: nothing to carry there.
    assert weights[:, -8:].mean() < 0.05
    assert weights[10:-10, 10:-20].mean() > 0.95


def test_reliability_marks_disocclusions_and_motion_boundaries_of_a_moving_object() -> None:
    background = texture(160, 120, seed=1)
    square = texture(40, 40, seed=2)
    previous, current = background.copy(), background.copy()
    previous[40:80, 40:80] = square
    current[40:80, 46:86] = square  # the square moves 6 px right
    forward, backward = optical_flow(previous, current), optical_flow(current, previous)
    weights = reliability(forward, backward)
    # Background the square covered a frame ago (columns 40-45) is new, and its edges are motion
    # boundaries: not reliable.
    assert weights[45:75, 40:46].mean() < 0.1
    assert weights[45:75, 84:88].mean() < 0.1
    # Far from the square, background is reliable; so is the square's middle, which moved by 6 px.
    assert weights[5:30, 5:150].mean() > 0.95
    assert weights[50:70, 56:76].mean() > 0.95
    assert np.abs(np.median(backward[50:70, 56:76].reshape(-1, 2), axis=0) - (-6, 0)).max() < 0.25


def test_reliability_follows_the_papers_thresholds() -> None:
    still = np.zeros((20, 20, 2), np.float32)
    assert reliability(still, still).min() == 1
    # Forward and backward disagreeing by 0.8 px (|sum|^2 = 0.64 > 0.5): every pixel is a disocclusion.
    assert reliability(still + (0.8, 0), still).max() == 0
    # By 0.6 px (0.36 < 0.5) it is within tolerance.
    assert reliability(still + (0.6, 0), still)[2:-2, 2:-2].min() == 1
    # A sharp jump in the backward flow is a motion boundary, even where the flows agree.
    jump = still.copy()
    jump[:, 10:, 0] = 2.0
    weights = reliability(-jump, jump)
    assert weights[5:15, 9:11].max() == 0
    assert weights[5:15, 2:7].min() == 1


def test_carry_starts_the_next_frame_from_the_previous_result() -> None:
    photo = np.asarray(make_photo(200, 120))
    previous, current = photo[:, 20:180], photo[:, 24:184]
    result = texture(160, 120, seed=3)  # stands for the previous frame's painting
    warped, weights = carry(previous, current, result)
    assert warped.shape == result.shape and weights.shape == (120, 160)
    # The painting moved with the picture where the motion is reliable.
    expected = np.roll(result, -4, axis=1)
    reliable = weights.astype(bool)
    reliable[:, -4:] = False
    assert np.abs(warped.astype(np.float32) - expected)[reliable].mean() < 3
