"""`python -m nst` end to end in a subprocess: results, frames, animation, clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def nst(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nst", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def test_writes_result_frames_and_animation(tmp_path, photo_path, painting_path):
    out, frames, gif = tmp_path / "out.png", tmp_path / "frames", tmp_path / "progress.gif"
    done = nst(str(photo_path), str(painting_path), "-o", str(out), "--size", "64", "--steps", "12",
               "--save-every", "4", str(frames), "--animation", str(gif), "--seed", "3")
    assert done.returncode == 0, done.stderr
    assert Image.open(out).size == (64, 48)
    assert sorted(p.name for p in frames.iterdir()) == ["step_00004.png", "step_00008.png", "step_00012.png"]
    with Image.open(gif) as animation:
        assert animation.n_frames >= 2 and animation.size == (64, 48)
    assert "Saved" in done.stderr and "it/s" in done.stderr


def test_two_styles_luminance_and_squeezenet_flags_parse(tmp_path, photo_path, painting_path):
    out = tmp_path / "out.png"
    done = nst(str(photo_path), str(painting_path), str(painting_path), "--blend", "2,1", "-o", str(out),
               "--size", "48", "--steps", "4", "--preserve-color", "luminance", "--optimizer", "lbfgs", "-q")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert Image.open(out).size == (48, 36)


def test_bad_input_is_a_message_not_a_traceback(tmp_path, painting_path):
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"not an image")
    done = nst(str(fake), str(painting_path), "-o", str(tmp_path / "o.png"))
    assert done.returncode == 1
    assert "not an image" in done.stderr and "Traceback" not in done.stderr


def test_bad_setting_is_a_message(tmp_path, photo_path, painting_path):
    done = nst(str(photo_path), str(painting_path), "-o", str(tmp_path / "o.png"), "--size", "5")
    assert done.returncode == 1 and "size must be between" in done.stderr and "Traceback" not in done.stderr


def test_missing_squeezenet_weights_explain_themselves(tmp_path, photo_path, painting_path):
    done = subprocess.run(
        [sys.executable, "-m", "nst", str(photo_path), str(painting_path), "-o", str(tmp_path / "o.png"),
         "--backbone", "squeezenet", "--size", "48", "--steps", "2"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "TORCH_HOME": str(tmp_path), "https_proxy": "http://127.0.0.1:9"},
    )
    assert done.returncode == 1
    assert "TORCH_HOME" in done.stderr and "Traceback" not in done.stderr


def test_divergence_saves_the_last_good_image(tmp_path, photo_path, painting_path):
    out = tmp_path / "out.png"
    done = nst(str(photo_path), str(painting_path), "-o", str(out), "--size", "48", "--steps", "5",
               "--strength", "1e38", "-q")
    assert done.returncode == 3
    assert "diverged" in done.stderr and out.exists()
