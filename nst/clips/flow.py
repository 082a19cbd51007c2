"""Optical flow between video frames, warping along it, and where it can be trusted (Ruder et al., GCPR 2016).

A clip is restyled steadily by starting each frame from the previous result
carried along the motion, and holding it there where the motion is known.
This module supplies the three pieces that needs, on plain numpy arrays:

- `optical_flow`: OpenCV's DIS flow (Kroeger et al., ECCV 2016). It ships
  in the opencv-python-headless wheel, runs on the CPU with no weights to
  download, and takes milliseconds where a frame's optimisation takes
  seconds. The flows are computed on the source frames, not the results:
  the source's motion is what the painting should follow.
- `warp`: backward warping with bilinear sampling, by `cv2.remap`. Warping
  only makes a target and a starting picture, nothing differentiates
  through it, so torch's `grid_sample` (whose point is its gradient) would
  only add conversions to and from tensors around the same sampling.
- `reliability`: the per-pixel weight c of the paper's temporal loss: 0
  where the forward and backward flows disagree (disocclusions), at motion
  boundaries, and where the motion points outside the previous frame; 1
  elsewhere.

Flow convention (OpenCV's): `flow = optical_flow(a, b)` means
`a[y, x] ~ b[y + flow[y, x, 1], x + flow[y, x, 0]]`, so `warp(b, flow)`
looks like `a`. To carry frame i-1's result to frame i, use the backward
flow `optical_flow(frame_i, frame_i-1)`; `carry` does all of it.
"""

from __future__ import annotations

import cv2
import numpy as np

# DIS's presets trade accuracy for speed. MEDIUM takes about 22 ms for a 480x320 pair's two flows on a 2-core
# CPU, 1-2% of a frame's optimisation (1-2 s), and errs by 0.1 px on a zoom where FAST errs by 0.2 (bench/clips.py).
DEFAULT_PRESET = cv2.DISOPTICAL_FLOW_PRESET_MEDIUM

# Ruder et al., section 3.2: the thresholds of the consistency and motion-boundary tests, in pixels squared.
CONSISTENCY_SCALE, CONSISTENCY_OFFSET = 0.01, 0.5
BOUNDARY_SCALE, BOUNDARY_OFFSET = 0.01, 0.002


def grey(image: np.ndarray) -> np.ndarray:
    """The 8-bit luminance DIS works on, from (H, W, 3) RGB (uint8, or float in [0, 1]) or (H, W) grey."""
    if image.dtype != np.uint8:
        image = (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image


def optical_flow(first: np.ndarray, second: np.ndarray, preset: int = DEFAULT_PRESET) -> np.ndarray:
    """(H, W, 2) float32 displacements (x, y) in pixels from each pixel of `first` to where it is in `second`."""
    if first.shape[:2] != second.shape[:2]:
        raise ValueError(f"Frames of different sizes: {first.shape[:2]} and {second.shape[:2]}.")
    dis = cv2.DISOpticalFlow_create(preset)
    return dis.calc(grey(first), grey(second), None)


def sampling_map(flow: np.ndarray) -> np.ndarray:
    """Absolute (x, y) sampling positions: each pixel's own position plus its flow."""
    height, width = flow.shape[:2]
    grid = np.stack(np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)), axis=-1)
    return grid + flow


def warp(image: np.ndarray, flow: np.ndarray, interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
    """`image` sampled at each pixel's position plus `flow` (bilinear unless told), in `image`'s dtype.

    Positions outside the picture take the nearest edge pixel, a neutral
    start; `reliability` marks them 0 so the temporal loss ignores them.
    """
    return cv2.remap(image, sampling_map(flow), None, interpolation, borderMode=cv2.BORDER_REPLICATE)


def reliability(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """Ruder et al.'s weights c, (H, W) float32 in {0, 1}, over the second frame of a pair.

    `forward` is the flow from the previous frame to the current one,
    `backward` from the current to the previous (the one `warp` uses). A
    pixel gets 0 where:
    - the forward flow, fetched along the backward flow, does not cancel the
      backward flow: `|w~ + w^|^2 > 0.01 (|w~|^2 + |w^|^2) + 0.5`, what a
      pixel hidden in the previous frame (disoccluded) does;
    - the backward flow changes fast: `|grad u^|^2 + |grad v^|^2 > 0.01 |w^|^2 + 0.002`,
      a motion boundary, where flow is least accurate;
    - the backward flow leads outside the previous frame (the strip a pan
      uncovers), which has nothing there to carry; the paper's test misses it
      where the flow is smooth up to the edge.
    """
    fetched = warp(forward, backward)
    disagreement = np.sum((fetched + backward) ** 2, axis=-1)
    size = np.sum(fetched**2, axis=-1) + np.sum(backward**2, axis=-1)
    disoccluded = disagreement > CONSISTENCY_SCALE * size + CONSISTENCY_OFFSET

    # Central differences, as the paper's gradients; np.gradient keeps the size (one-sided at the edges).
    du_dy, du_dx = np.gradient(backward[..., 0])
    dv_dy, dv_dx = np.gradient(backward[..., 1])
    gradient = du_dx**2 + du_dy**2 + dv_dx**2 + dv_dy**2
    boundary = gradient > BOUNDARY_SCALE * np.sum(backward**2, axis=-1) + BOUNDARY_OFFSET

    height, width = backward.shape[:2]
    positions = sampling_map(backward)
    to_x, to_y = positions[..., 0], positions[..., 1]
    outside = (to_x < 0) | (to_x > width - 1) | (to_y < 0) | (to_y > height - 1)
    return (~(disoccluded | boundary | outside)).astype(np.float32)


def carry(
    previous_frame: np.ndarray,
    frame: np.ndarray,
    previous_result: np.ndarray,
    preset: int = DEFAULT_PRESET,
) -> tuple[np.ndarray, np.ndarray]:
    """The previous result carried to `frame` along the source's motion, and where that carry can be trusted.

    Returns `(warped, weights)`: the start and temporal target for the new
    frame, and the (H, W) weights c of the temporal loss. All three inputs
    have the same height and width (the size the frame is optimised at).
    """
    forward = optical_flow(previous_frame, frame, preset)
    backward = optical_flow(frame, previous_frame, preset)
    # Bicubic, not bilinear: the result is carried frame after frame, and bilinear sampling blurs it
    # a little every time. On a zoom of 2% a frame (240x160, 10 frames) the Gram distance grew from
    # 0.290 to 0.364 with bilinear, to 0.322 with bicubic (Lanczos: 0.316, at twice the time); on a
    # pan, whole-pixel shifts, the three are the same. Bicubic overshoots a little at sharp edges:
    # a float picture (in [0, 1]) is clipped back; OpenCV saturates an 8-bit one itself.
    carried = warp(previous_result, backward, cv2.INTER_CUBIC)
    if carried.dtype.kind == "f":
        carried = np.clip(carried, 0, 1)
    return carried, reliability(forward, backward)
