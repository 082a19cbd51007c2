"""`python -m nst` end to end in a subprocess: results, frames, animation, clear errors."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst import Settings, read_recipe, settings_from_recipe
from nst.interrupt import ctrl_c_requests_stop
from nst.recipe import image_digest

from ..factories import make_half_mask, make_painting, make_photo, save_random_squeezenet

ROOT = Path(__file__).resolve().parents[2]


def nst(*args: str, timeout: float = 300, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nst", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env
    )


@pytest.mark.slow
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
    recipes = [read_recipe(path) for path in [out, *sorted(frames.iterdir())]]
    assert all(recipe == recipes[0] for recipe in recipes)
    assert settings_from_recipe(recipes[0]).replace(yield_every=Settings().yield_every) == Settings(
        size=64, steps=12, seed=3
    )


@pytest.mark.slow
def test_two_styles_luminance_and_squeezenet_flags_parse(tmp_path, photo_path, painting_path):
    out = tmp_path / "out.png"
    done = nst(str(photo_path), str(painting_path), str(painting_path), "--blend", "2,1", "-o", str(out),
               "--size", "48", "--steps", "4", "--preserve-color", "luminance", "--optimizer", "lbfgs", "-q")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert Image.open(out).size == (48, 36)


@pytest.mark.slow
def test_free_large_sizes_is_kept_in_the_recipe(tmp_path, photo_path, painting_path):
    out = tmp_path / "out.png"
    done = nst(str(photo_path), str(painting_path), "-o", str(out), "--size", "48", "--steps", "2",
               "--free-large-sizes", "-q")
    assert done.returncode == 0, done.stderr
    assert settings_from_recipe(read_recipe(out)).keep_viewing is False
    assert Settings().keep_viewing is True


def test_bad_input_is_a_message_not_a_traceback(tmp_path, painting_path):
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"not an image")
    done = nst(str(fake), str(painting_path), "-o", str(tmp_path / "o.png"))
    assert done.returncode == 1
    assert "not an image" in done.stderr and "Traceback" not in done.stderr


def test_bad_setting_is_a_message(tmp_path, photo_path, painting_path):
    done = nst(str(photo_path), str(painting_path), "-o", str(tmp_path / "o.png"), "--size", "5")
    assert done.returncode == 1 and "size must be between" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_missing_squeezenet_weights_explain_themselves(tmp_path, photo_path, painting_path):
    done = subprocess.run(
        [sys.executable, "-m", "nst", str(photo_path), str(painting_path), "-o", str(tmp_path / "o.png"),
         "--backbone", "squeezenet", "--size", "48", "--steps", "2"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "TORCH_HOME": str(tmp_path), "https_proxy": "http://127.0.0.1:9"},
    )
    assert done.returncode == 1
    assert "TORCH_HOME" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_divergence_saves_the_last_good_image(tmp_path, photo_path, painting_path):
    out = tmp_path / "out.png"
    done = nst(str(photo_path), str(painting_path), "-o", str(out), "--size", "48", "--steps", "5",
               "--strength", "1e38", "-q")
    assert done.returncode == 3
    assert "diverged" in done.stderr and out.exists()
    assert settings_from_recipe(read_recipe(out)).style_strength == 1e38


def test_ctrl_c_saves_the_image_reached_with_its_recipe(tmp_path, photo_path, painting_path):
    out, frames = tmp_path / "out.png", tmp_path / "frames"
    run = subprocess.Popen(
        [sys.executable, "-m", "nst", str(photo_path), str(painting_path), "-o", str(out), "--size", "64",
         "--steps", "5000", "--save-every", "1", str(frames), "-q"],
        cwd=ROOT, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not (frames.exists() and any(frames.iterdir())) and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        run.send_signal(signal.SIGINT)
        try:
            code = run.wait(timeout=60)
        except subprocess.TimeoutExpired:
            run.kill()
            pytest.fail(f"Ctrl-C did not end the run within 60 s; its stderr:\n{run.stderr.read()}")
    finally:
        run.kill()
    stderr = run.stderr.read()
    assert code == 130, stderr
    assert "Interrupted" in stderr
    assert settings_from_recipe(read_recipe(out)).steps == 5000


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> dict[str, Path]:
    """A run with settings far from the defaults, so a recipe that lost any of them shows."""
    folder = tmp_path_factory.mktemp("first")
    paths = {"photo": folder / "photo.png", "painting": folder / "painting.png", "result": folder / "result.png"}
    make_photo().save(paths["photo"])
    make_painting().save(paths["painting"])
    done = nst(str(paths["photo"]), str(paths["painting"]), "-o", str(paths["result"]), "--size", "64",
               "--steps", "8", "--strength", "4", "--init", "noise", "--seed", "11", "--tv-weight", "0.01", "-q")
    assert done.returncode == 0, done.stderr
    return paths


def pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


@pytest.mark.slow
def test_a_recipe_remakes_the_picture_bit_for_bit(tmp_path, first_run):
    again = tmp_path / "again.png"
    done = nst(str(first_run["photo"]), str(first_run["painting"]), "--recipe", str(first_run["result"]),
               "-o", str(again), "-q")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert np.array_equal(pixels(again), pixels(first_run["result"]))
    assert read_recipe(again) == read_recipe(first_run["result"])


@pytest.mark.slow
def test_options_typed_after_the_recipe_override_only_themselves(tmp_path, first_run):
    json_recipe, varied = tmp_path / "recipe.json", tmp_path / "varied.png"
    json_recipe.write_text(Image.open(first_run["result"]).info["nst-recipe"])
    done = nst(str(first_run["photo"]), str(first_run["painting"]), "--recipe", str(json_recipe),
               "--steps", "4", "-o", str(varied), "-q")
    assert done.returncode == 0, done.stderr
    original = settings_from_recipe(read_recipe(first_run["result"]))
    assert settings_from_recipe(read_recipe(varied)) == original.replace(steps=4)
    assert not np.array_equal(pixels(varied), pixels(first_run["result"]))


@pytest.mark.slow
def test_another_photo_is_allowed_with_a_one_line_note(tmp_path, first_run):
    other, out = tmp_path / "other.png", tmp_path / "out.png"
    make_photo(seed=9).save(other)
    done = nst(str(other), str(first_run["painting"]), "--recipe", str(first_run["result"]), "--steps", "2",
               "-o", str(out), "-q")
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "note: Not the recipe's photo (compared by pixels): its settings are used with these inputs."
    ]
    assert read_recipe(out)["inputs"]["photo"] == image_digest(other)


def test_a_png_without_a_recipe_is_a_clear_error(tmp_path, photo_path, painting_path):
    out = tmp_path / "out.png"
    done = nst(str(photo_path), str(painting_path), "--recipe", str(photo_path), "-o", str(out))
    assert done.returncode == 1
    assert done.stderr.startswith("error: photo.png carries no recipe") and "Traceback" not in done.stderr
    assert not out.exists()


def test_a_recipe_and_a_preset_are_one_choice_too_many(tmp_path, first_run):
    done = nst(str(first_run["photo"]), str(first_run["painting"]), "--recipe", str(first_run["result"]),
               "--preset", "the-scream", "-o", str(tmp_path / "out.png"))
    assert done.returncode == 1 and "give one of them" in done.stderr


@pytest.mark.slow
def test_a_paintings_preset_brings_its_painting(tmp_path, photo_path):
    home = tmp_path / "torch"
    save_random_squeezenet(home)

    def result(*paintings: str) -> np.ndarray:
        out = tmp_path / f"{len(list(tmp_path.iterdir()))}.png"
        done = nst(str(photo_path), *paintings, "-o", str(out), "--preset", "starry-night", "--size", "48",
                   "--steps", "3", "--seed", "5", "-q", env={"PATH": "/usr/bin:/bin", "TORCH_HOME": str(home)})
        assert done.returncode == 0, done.stderr
        return np.asarray(Image.open(out))

    by_default = result()
    assert np.array_equal(by_default, result(str(ROOT / "examples" / "style_starry_night.jpg")))
    assert not np.array_equal(by_default, result(str(ROOT / "examples" / "style_the_scream.jpg")))


def test_without_a_painting_the_default_preset_asks_for_one(tmp_path, photo_path):
    done = nst(str(photo_path), "-o", str(tmp_path / "o.png"))
    assert done.returncode == 1
    assert "Give a style image" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_mask_keeps_the_black_half_and_a_second_painting_takes_it(tmp_path, photo_path, painting_path):
    mask, second = tmp_path / "mask.png", tmp_path / "second.png"
    make_half_mask().save(mask)
    make_painting(seed=4).transpose(Image.Transpose.ROTATE_90).convert("RGB").save(second)
    photo = np.asarray(make_photo().resize((64, 48), Image.Resampling.LANCZOS, reducing_gap=3.0)).astype(float)
    common = ["--size", "64", "--steps", "40", "--no-multiscale", "-q", "--mask", str(mask)]

    def change(out: Path) -> tuple[float, float]:
        difference = np.abs(np.asarray(Image.open(out)).astype(float) - photo).mean(axis=2)
        return difference[:, :32].mean(), difference[:, 32:].mean()

    kept, both = tmp_path / "kept.png", tmp_path / "both.png"
    done = nst(str(photo_path), str(painting_path), "-o", str(kept), *common)
    assert done.returncode == 0, done.stderr
    left, right = change(kept)
    assert right < 4 < 15 < left, (left, right)
    done = nst(str(photo_path), str(painting_path), "-o", str(both), *common, "--mask-style", str(second))
    assert done.returncode == 0, done.stderr
    assert min(change(both)) > 15
    inputs = read_recipe(both)["inputs"]
    assert inputs["mask"] == image_digest(mask) and inputs["mask_paintings"] == [image_digest(second)]


@pytest.mark.slow
def test_bad_masks_are_messages(tmp_path, photo_path, painting_path):
    square, black, text = tmp_path / "square.png", tmp_path / "black.png", tmp_path / "mask.png"
    make_half_mask(72, 72).save(square)
    Image.new("L", (96, 72), 0).save(black)
    text.write_text("white on the left")
    for mask, message in ((square, "proportions"), (black, "all black"), (text, "not an image")):
        done = nst(str(photo_path), str(painting_path), "-o", str(tmp_path / "o.png"), "--mask", str(mask))
        assert done.returncode == 1 and message in done.stderr and "Traceback" not in done.stderr, done.stderr
    done = nst(str(photo_path), str(painting_path), "-o", str(tmp_path / "o.png"), "--mask-style", str(painting_path))
    assert done.returncode == 1 and "needs a mask" in done.stderr


def test_the_first_ctrl_c_is_a_request_and_the_second_interrupts():
    """The first press only sets a flag the loop reads (it cannot be lost in a finaliser); the second raises."""
    before = signal.getsignal(signal.SIGINT)
    with ctrl_c_requests_stop() as ctrl_c:
        assert not ctrl_c.requested
        signal.raise_signal(signal.SIGINT)
        assert ctrl_c.requested
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is before


def test_the_help_states_the_librarys_own_defaults():
    """The help once said --later-rate defaults to 0.5 (the code used 0.25) and coarse to fine above 256 px (384)."""
    from nst.cli import build_parser
    from nst.settings import MULTISCALE_FROM

    defaults = Settings()
    text = " ".join(build_parser().format_help().split())
    assert f"the first's (default {defaults.later_rate:g})" in text
    assert f"coarse to fine (default from {MULTISCALE_FROM * defaults.min_scale} px)" in text
    assert f"(default {defaults.later_steps})" in text and f"(default {defaults.later_hold:g})" in text
