"""The recipe: every setting and input digest written into the PNG, read back to the same Settings."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

import nst
from nst import PRESETS, RecipeError, Settings, SettingsError, preset, stylize
from nst.recipe import (
    differences,
    image_digest,
    make_recipe,
    read_recipe,
    save_png,
    save_result,
    settings_from_recipe,
)

from ..factories import make_painting, make_photo

ROOT = Path(__file__).resolve().parents[2]

UNUSUAL = Settings(
    backbone="squeezenet", size=300, steps=77, optimizer="lbfgs", learning_rate=0.5, final_learning_rate=0.01,
    lr_drop_at=0.5, init="noise", seed=None, content_layers=("3",), content_layer_weights=(1.0,), content_weight=0.25,
    weighting="absolute", palette=0.5, palette_transfer="moments", content_target="photo", style_layers=("1", "4"),
    style_layer_weights=(3.0, 1e-7), style_strength=2.5, tv_weight=0.0, normalize_gram=False, reference_size=192,
    style_scale=1.5, style_blend=(2.0, 1.0), preserve_color="luminance", multiscale=False, min_scale=64,
    coarse_bias=2.0, finish_share=0.5, texture_share=0.25, texture_layers=1, finish_layers=2, finish_deep_weight=0.3,
    strength_reach=0.5,
    carry_adam=True, average=True, clamp=False, yield_every=3, deadline=12.5, device="cpu",
    later_steps=7, later_rate=0.3, temporal_weight=5.0e4, large_size_steps=2, max_memory=3.0 * 2**30, tile=96,
    rescale="picture", palette_hold=3.0, tile_grams="previous", later_hold=3.0, keep_viewing=False,
    precision="fp32", channels_last=True,
)


@pytest.mark.parametrize(
    "settings", [Settings(), UNUSUAL, *(preset(name) for name in PRESETS)], ids=["default", "unusual", *PRESETS]
)
def test_every_setting_survives_the_png(tmp_path, settings):
    recipe = make_recipe(settings, make_photo(), [make_painting(), make_painting(seed=5)])
    assert set(recipe["settings"]) == {field.name for field in dataclasses.fields(Settings)}
    path = tmp_path / "result.png"
    save_png(make_photo(), path, recipe)
    again = read_recipe(path)
    assert again == recipe
    assert settings_from_recipe(again) == settings
    assert np.array_equal(np.asarray(Image.open(path)), np.asarray(make_photo()))


def test_the_unusual_settings_differ_from_the_defaults_in_every_field():
    same = [f.name for f in dataclasses.fields(Settings) if getattr(UNUSUAL, f.name) == getattr(Settings(), f.name)]
    assert same == []


def test_a_recipe_records_versions_and_a_digest_per_input_role(tmp_path):
    photo, first, second, mask = make_photo(), make_painting(), make_painting(seed=7), Image.new("L", (96, 72), 255)
    recipe = make_recipe(Settings(seed=42), photo, [first, second], mask=mask, mask_paintings=[second], init_image=None)
    assert recipe["nst_version"] == nst.__version__
    assert recipe["settings"]["seed"] == 42
    inputs = recipe["inputs"]
    assert list(inputs) == ["photo", "paintings", "mask", "mask_paintings"]
    assert inputs["paintings"] == [image_digest(first), image_digest(second)]
    assert inputs["mask_paintings"] == [image_digest(second)]
    assert all(d.startswith("sha256:") for d in [inputs["photo"], inputs["mask"], *inputs["paintings"]])
    assert len(set([inputs["photo"], inputs["mask"], *inputs["paintings"]])) == 4
    assert make_recipe(Settings(), photo, first)["inputs"]["paintings"] == [image_digest(first)]


def test_digests_follow_pixels_not_file_bytes(tmp_path):
    photo = make_photo()
    plain, tagged, bitmap = tmp_path / "plain.png", tmp_path / "tagged.png", tmp_path / "photo.bmp"
    photo.save(plain)
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "saved again by another program")
    photo.save(tagged, pnginfo=info, compress_level=1)
    photo.save(bitmap)
    assert plain.read_bytes() != tagged.read_bytes()
    assert image_digest(plain) == image_digest(tagged) == image_digest(bitmap) == image_digest(photo)
    touched = np.array(photo)
    touched[0, 0, 0] ^= 1
    assert image_digest(Image.fromarray(touched)) != image_digest(photo)
    # Same pixel bytes, other shape: a different image.
    reshaped = Image.frombytes("RGB", (photo.height, photo.width), photo.tobytes())
    assert image_digest(reshaped) != image_digest(photo)


def test_a_real_result_saved_with_its_recipe(tmp_path, photo_path, painting_path):
    settings = Settings(size=48, steps=3, seed=5)
    *_, last = stylize(photo_path, painting_path, settings)
    path = tmp_path / "result.png"
    save_result(last, path, settings, photo_path, [painting_path])
    recipe = read_recipe(path)
    assert settings_from_recipe(recipe) == settings
    assert recipe["inputs"] == {"photo": image_digest(photo_path), "paintings": [image_digest(painting_path)]}
    assert np.array_equal(np.asarray(Image.open(path).convert("RGB")), last.image)


def test_a_json_file_is_a_recipe_too(tmp_path):
    recipe = make_recipe(UNUSUAL, make_photo(), make_painting())
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(recipe, indent=2))
    assert settings_from_recipe(read_recipe(path)) == UNUSUAL


def test_a_hand_written_recipe_may_name_only_some_settings(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text('{"settings": {"size": 256, "style_layers": ["relu1_1"], "style_layer_weights": [1]}}')
    settings = settings_from_recipe(read_recipe(path))
    assert settings == Settings(size=256, style_layers=("relu1_1",), style_layer_weights=(1.0,))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "carries no recipe"),
        (b"GIF89a not a recipe at all \xff\xfe", "neither a PNG made by nst nor a JSON recipe"),
        (b'{"size": 512', "does not hold a readable recipe"),
        (b'{"size": 512}', 'no "settings" object'),
        (b"[1, 2]", 'no "settings" object'),
        (b"\x89PNG\r\n\x1a\n truncated", "looks like a PNG but cannot be read"),
    ],
    ids=["png-without-recipe", "binary", "broken-json", "json-without-settings", "json-list", "broken-png"],
)
def test_files_without_a_recipe_say_what_is_wrong(tmp_path, content, message):
    path = tmp_path / "file"
    if content is None:
        make_photo().save(path, format="PNG")
    else:
        path.write_bytes(content)
    with pytest.raises(RecipeError, match=message):
        read_recipe(path)


def test_a_missing_file_or_an_oversized_one_is_a_recipe_error(tmp_path):
    with pytest.raises(RecipeError, match="Cannot read the recipe"):
        read_recipe(tmp_path / "absent.png")
    huge = tmp_path / "huge.json"
    huge.write_text('{"settings": {}, "padding": "' + "x" * 1_000_000 + '"}')
    with pytest.raises(RecipeError, match="few kilobytes"):
        read_recipe(huge)


def test_a_setting_from_a_newer_version_is_refused_by_name():
    recipe = make_recipe(Settings(), make_photo(), make_painting())
    recipe["settings"]["brush_size"] = 3
    recipe["nst_version"] = "9.0.0"
    with pytest.raises(RecipeError, match=r"nst 9\.0\.0 .* does not know: brush_size"):
        settings_from_recipe(recipe)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("size", 512.5, "size should be int"),
        ("normalize_gram", 1, "normalize_gram should be bool"),
        ("style_layers", "relu1_1", "style_layers should be a list"),
        ("style_layer_weights", [1, "a", 1, 1, 1], "style_layer_weights should be float"),
        ("seed", "7", "seed should be int"),
    ],
)
def test_a_setting_of_the_wrong_type_is_named(name, value, message):
    with pytest.raises(RecipeError, match=message):
        settings_from_recipe({"settings": {name: value}})


def test_a_recipe_older_than_a_setting_is_replayed_as_that_nst_made_it():
    recorded = dataclasses.asdict(Settings(size=2048))
    for name in ("large_size_steps", "later_hold", "keep_viewing", "tv_weight"):
        del recorded[name]
    replayed = settings_from_recipe({"nst_version": "0.9.0", "settings": json.loads(json.dumps(recorded))})
    # Made before each existed: steps shared over every size, later frames' palette held as the
    # first's, the sizes above 1024 px free; a setting whose default did not change: today's.
    assert (replayed.large_size_steps, replayed.later_hold, replayed.keep_viewing) == (0, 1.0, False)
    assert replayed.tv_weight == Settings().tv_weight
    assert replayed.replace(large_size_steps=4, later_hold=30.0, keep_viewing=True) == Settings(size=2048)
    # Written by hand (no nst version): every missing setting is today's default.
    assert settings_from_recipe({"settings": {"size": 2048}}) == Settings(size=2048)


def test_a_recipe_records_the_network_it_was_made_with():
    """A run on the distilled network replays on it, whatever the default network is."""
    recorded = json.loads(json.dumps(make_recipe(nst.preset("vgg19-lite"), make_photo(), make_painting())))
    assert recorded["settings"]["backbone"] == "vgg19-lite"
    assert settings_from_recipe(recorded) == nst.preset("vgg19-lite")


def test_a_setting_out_of_range_is_the_usual_settings_error():
    with pytest.raises(SettingsError, match="size must be between"):
        settings_from_recipe({"settings": {"size": 5}})


def test_differences_name_versions_and_inputs_but_not_settings():
    photo, painting = make_photo(), make_painting()
    wanted = make_recipe(Settings(), photo, painting)
    assert differences(wanted, make_recipe(Settings(size=64), photo, painting)) == []
    older = {**wanted, "nst_version": "0.0.1"}
    assert differences(older, make_recipe(Settings(), photo, painting)) == [
        f"The recipe was made with nst 0.0.1, this is {nst.__version__}: the picture may differ."
    ]
    other = make_recipe(Settings(), make_photo(seed=9), painting, mask=Image.new("L", (96, 72)))
    (note,) = differences(wanted, other)
    assert note.startswith("Not the recipe's photo, mask (compared by pixels)")
    assert differences({"settings": {}}, other) == []


def test_the_version_is_written_once_and_packaging_reads_it():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject and 'version = {attr = "nst.version.__version__"}' in pyproject
    assert not re.search(r'^version\s*=\s*"', pyproject, re.MULTILINE)
    assert nst.__version__.count(".") == 2


def test_a_restyled_clip_carries_its_recipe(tmp_path):
    from nst.io.clip_writer import write_clip

    from ..factories import make_clip, numbered_frame

    recipe = make_recipe(UNUSUAL, make_photo(), make_painting())
    frames = (numbered_frame(index) for index in range(3))
    path = write_clip(frames, tmp_path / "clip.mp4", 12, recipe=json.dumps(recipe))
    assert read_recipe(path) == recipe
    assert settings_from_recipe(read_recipe(path)) == UNUSUAL
    with pytest.raises(RecipeError, match="plain.mp4 carries no recipe"):
        read_recipe(make_clip(tmp_path / "plain.mp4", 2))
    broken = tmp_path / "broken.mp4"
    # An MP4's first eight bytes, then noise.
    broken.write_bytes(path.read_bytes()[:8] + np.random.default_rng(0).bytes(500))
    with pytest.raises(RecipeError, match="broken.mp4 looks like an MP4 but cannot be read"):
        read_recipe(broken)
