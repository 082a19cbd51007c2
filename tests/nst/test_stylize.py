"""The optimisation generator end to end, on the real VGG-19 at small sizes."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.models import squeezenet1_1

from nst import RunFailedError, Settings, SettingsError, preset, stylize
from nst.colour.color import rgb_to_yiq
from nst.core.canvas import Snapshot
from nst.core.losses import gram_matrix
from nst.io.images import resize_long_side, to_tensor
from nst.networks.registry import build_extractor, get_extractor

from ..factories import make_painting, make_photo
from ..footprint import footprint

SMALL = dict(size=64, steps=12, yield_every=3)


def run_all(settings: Settings, content=None, styles=None, **kwargs):
    return list(stylize(content or make_photo(), styles or make_painting(), settings, **kwargs))


def test_streams_every_n_steps_and_ends_with_the_final_image():
    records = run_all(Settings(**SMALL))
    assert [r.step for r in records] == [1, 3, 6, 9, 12], "the first step, every third, the last"
    assert [r.done for r in records] == [False, False, False, False, True]
    final = records[-1]
    assert final.stop_reason == "finished"
    assert final.image.shape == (48, 64, 3) and final.image.dtype == np.uint8
    assert final.size == (64, 48)
    assert set(final.losses) >= {"content", "style", "tv", "total", "style/relu1_1", "style/relu4_1"}
    assert "style/relu5_1" not in final.losses, "relu5_1's default weight is 0: it is not computed"
    assert final.iterations_per_second > 0 and final.elapsed >= final.setup_seconds > 0


def test_reported_losses_add_up_for_adam_and_lbfgs():
    for optimizer in ("adam", "lbfgs"):
        for record in run_all(Settings(**SMALL, optimizer=optimizer)):
            losses = record.losses
            style_terms = [v for k, v in losses.items() if k.startswith("style/")]
            assert len(style_terms) == 4 and all(v > 0 for v in style_terms)
            assert losses["style"] == pytest.approx(sum(style_terms), rel=1e-6)
            assert losses["palette"] >= 0  # the palette hold, zero only where the picture is its start
            parts = losses["content"] + losses["style"] + losses["tv"] + losses["palette"]
            assert losses["total"] == pytest.approx(parts, rel=1e-4)


@pytest.mark.slow
def test_style_loss_falls_and_the_picture_moves_towards_the_style():
    # From the photo as it is (no repainting) and with nothing holding it back, the optimisation alone must do it.
    records = run_all(Settings(size=64, steps=40, yield_every=5, multiscale=False, palette=0.0, content_weight=0.0))
    first, last = records[0].losses, records[-1].losses
    assert last["style"] < 0.5 * first["style"]
    assert last["total"] < first["total"]
    photo = np.asarray(make_photo().resize((64, 48))).astype(float)
    assert np.abs(records[-1].image.astype(float) - photo).mean() > 5  # it changed visibly


def test_multiscale_works_coarse_to_fine():
    records = run_all(Settings(size=96, steps=9, yield_every=1, min_scale=48, multiscale=True))
    scales = [r.scale for r in records]
    assert scales == sorted(scales) and records[-1].scales == 3
    assert records[0].size[0] < records[-1].size[0] == 96


def detail(image: np.ndarray) -> float:
    """Mean absolute difference between neighbouring pixels: how much fine detail a picture has."""
    grey = image.astype(float).mean(axis=2)
    return float(np.abs(np.diff(grey, axis=0)).mean() + np.abs(np.diff(grey, axis=1)).mean())


def test_every_picture_is_at_the_output_size_and_coarse_ones_keep_the_photos_detail():
    settings = Settings(size=96, steps=9, yield_every=1, min_scale=48, multiscale=True)
    changed = run_all(settings)
    enlarged = run_all(settings.replace(rescale="picture"))
    assert changed[0].size == (48, 36), "the first scale works at 48 px"
    assert all(r.image.shape == (72, 96, 3) for r in changed + enlarged)
    photo = np.asarray(make_photo().resize((96, 72), Image.Resampling.LANCZOS))
    # A coarse picture enlarged loses the photo's fine detail; carrying the change keeps it.
    assert detail(changed[0].image) > 1.3 * detail(enlarged[0].image)
    assert detail(changed[0].image) > 0.6 * detail(photo)
    # The final pictures differ: how a scale starts decides where it goes.
    assert np.abs(changed[-1].image.astype(float) - enlarged[-1].image.astype(float)).mean() > 1


def test_a_record_pickles_with_its_picture_made():
    import pickle

    records = run_all(Settings(size=96, steps=6, yield_every=1, min_scale=48, multiscale=True))
    copy = pickle.loads(pickle.dumps(records[0]))
    assert np.array_equal(copy.image, records[0].image) and copy.step == records[0].step


# --- Records let go of the run -------------------------------------------------
# A 512 px photo and coarse scales (181 and 256 px at 4 steps), whose pictures are made lazily while the run goes.
RELEASE = dict(size=512, steps=4, yield_every=1, multiscale=True)


def big_photo() -> Image.Image:
    return make_photo(512, 384)


def assert_let_go(runs: list[weakref.ref], records: list, tensors: list[weakref.ref]) -> None:
    """With `records` still held, the run and `tensors` are gone, and each record has its picture as an array."""
    gc.collect()
    assert len(runs) == 1 and runs[0]() is None, "a record kept the run alive"
    assert all(tensor() is None for tensor in tensors), "a record kept tensors of the run alive"
    for record in records:
        assert isinstance(record.picture, np.ndarray) and record.image.shape == (384, 512, 3)
        assert footprint(record).tensors == []


def lazy_tensors(record) -> list[weakref.ref]:
    """Weak references to what a record's lazily made picture holds: its image and the run's repainted photo."""
    snapshot = record.picture
    assert isinstance(snapshot, Snapshot), "while the run goes on, a coarse picture is made only when read"
    return [weakref.ref(tensor) for tensor in (snapshot.image, snapshot.output_start, snapshot.scale_start)]


@pytest.mark.slow
def test_records_kept_after_a_run_hold_their_pictures_and_nothing_of_the_run(runs):
    run = stylize(big_photo(), make_painting(), Settings(**RELEASE))
    records = [next(run)]
    tensors = lazy_tensors(records[0])
    records += list(run)
    assert [r.size[0] for r in records] == [181, 256, 512, 512] and records[-1].stop_reason == "finished"
    assert_let_go(runs, records, tensors)


def test_a_run_its_deadline_ends_lets_go_of_its_records(runs):
    settings = Settings(**{**RELEASE, "steps": 1000, "deadline": 3.0})
    records = list(stylize(big_photo(), make_painting(), settings))
    assert records[-1].stop_reason == "deadline" and records[-1].step < 1000
    assert_let_go(runs, records, [])


def test_a_closed_run_lets_go_of_its_records(runs):
    run = stylize(big_photo(), make_painting(), Settings(**{**RELEASE, "steps": 50}))
    records = [next(run), next(run)]
    tensors = lazy_tensors(records[0])
    run.close()
    assert_let_go(runs, records, tensors)


@pytest.mark.slow
def test_a_diverged_run_lets_go_of_its_records(runs):
    records, last_good = [], None
    try:
        for progress in stylize(big_photo(), make_painting(), Settings(**{**RELEASE, "steps": 20}, optimizer="lbfgs",
                                                                         learning_rate=1e30)):
            records.append(progress)
    except RunFailedError as error:  # leaving this block drops its traceback, which holds the run's frame
        last_good = error.last_image
    assert last_good is not None and last_good.shape == (384, 512, 3)
    assert records and not records[-1].done
    assert_let_go(runs, records, [])


@pytest.mark.slow
def test_seed_makes_runs_repeatable():
    settings = Settings(**SMALL, init="noise", seed=7)
    a, b = run_all(settings)[-1].image, run_all(settings)[-1].image
    assert np.array_equal(a, b)
    c = run_all(settings.replace(seed=8))[-1].image
    assert not np.array_equal(a, c)


def test_closing_the_generator_stops_work_at_once():
    calls = []
    model = get_extractor("vgg19")
    hook = model.body[0].register_forward_hook(lambda *_: calls.append(1))
    try:
        run = stylize(make_photo(), make_painting(), Settings(size=64, steps=500, yield_every=2))
        next(run)
        run.close()
        after_close = len(calls)
        with pytest.raises(StopIteration):
            next(run)
    finally:
        hook.remove()
    assert after_close == len(calls) and after_close < 20


def test_deadline_returns_the_image_reached():
    records = run_all(Settings(size=64, steps=5000, yield_every=10, deadline=1.0))
    final = records[-1]
    assert final.done and final.stop_reason == "deadline"
    assert final.step < 5000 and final.image.shape == (48, 64, 3)


def test_non_finite_loss_stops_with_the_last_good_image():
    settings = Settings(size=64, steps=30, learning_rate=1e15, clamp=False, multiscale=False)
    with pytest.raises(RunFailedError, match="diverged") as caught:
        run_all(settings)
    image = caught.value.last_image
    assert image is not None and image.shape == (48, 64, 3) and image.dtype == np.uint8


def test_overflowing_weights_fail_clearly_with_the_start_image():
    with pytest.raises(RunFailedError, match="Lower the learning rate") as caught:
        run_all(Settings(**SMALL, style_strength=1e38))
    assert caught.value.last_image is not None


def test_lbfgs_lowers_the_loss():
    records = run_all(Settings(size=64, steps=10, yield_every=2, optimizer="lbfgs", multiscale=False))
    assert records[-1].losses["total"] < records[0].losses["total"]


def test_several_styles_with_blend_weights():
    other = make_painting(seed=5).transpose(0)
    records = run_all(Settings(**SMALL, style_blend=(2.0, 1.0)), styles=[make_painting(), other])
    assert records[-1].done
    with pytest.raises(SettingsError, match="blend"):
        run_all(Settings(**SMALL, style_blend=(1.0,)), styles=[make_painting(), other])


def test_luminance_mode_keeps_the_photos_colours():
    photo = make_photo()
    final = run_all(Settings(**SMALL, preserve_color="luminance"), content=photo)[-1]
    result = rgb_to_yiq(to_tensor(final.to_pil()))
    original = rgb_to_yiq(to_tensor(photo.resize((64, 48))))
    chroma_error = (result[:, 1:] - original[:, 1:]).abs().mean().item()
    luma_change = (result[:, :1] - original[:, :1]).abs().mean().item()
    assert chroma_error < 0.02 < luma_change


def test_histogram_mode_runs():
    assert run_all(Settings(**SMALL, preserve_color="histogram"))[-1].done


def test_start_from_a_given_image():
    start = make_painting(seed=9)
    records = run_all(Settings(size=64, steps=1, init="image"), init_image=start)
    assert records[-1].done


def test_squeezenet_preset_runs_with_saved_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    checkpoints = tmp_path / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    torch.save(squeezenet1_1(weights=None).state_dict(), checkpoints / "squeezenet1_1-b8a52dc0.pth")
    build_extractor.cache_clear()
    try:
        records = run_all(preset("starry-night", size=64, steps=10, yield_every=5))
    finally:
        build_extractor.cache_clear()
    assert records[-1].done and records[-1].image.shape == (48, 64, 3)


def test_relative_weighting_makes_each_style_term_a_weighted_relative_error():
    """At the first step the loss is measured at the start image, here the photo itself."""
    photo, painting = make_photo(), make_painting()
    settings = Settings(size=64, steps=1, yield_every=1, multiscale=False, palette=0.0, precision="fp32",
                        channels_last=False)
    reported = run_all(settings, content=photo, styles=painting)[0].losses
    model = get_extractor("vgg19")
    with torch.no_grad():
        ours = model(to_tensor(photo.resize((64, 48), Image.Resampling.LANCZOS, reducing_gap=3.0)), ["relu1_1"])
        theirs = model(to_tensor(resize_long_side(painting, 64)), ["relu1_1"])
    target = gram_matrix(theirs["relu1_1"])
    relative = float((gram_matrix(ours["relu1_1"]) - target).pow(2).sum() / target.pow(2).sum())
    assert reported["style/relu1_1"] == pytest.approx(settings.style_layer_weights[0] * relative, rel=1e-3)
    assert reported["content"] == pytest.approx(0.0, abs=1e-6)  # the photo is its own content target


@pytest.mark.slow
def test_strength_moves_the_picture_towards_the_paintings_colours():
    photo, painting = make_photo(), make_painting()
    target = to_tensor(painting)
    distances = []
    for strength in (0.25, 1.0, 4.0):
        final = run_all(Settings(size=64, steps=20, yield_every=20, style_strength=strength), photo, painting)[-1]
        flat, reference = to_tensor(final.to_pil())[0].reshape(3, -1), target[0].reshape(3, -1)
        levels = torch.linspace(0, 1, 128)
        gap = torch.quantile(flat, levels, dim=1) - torch.quantile(reference, levels, dim=1)
        distances.append(float(gap.abs().mean()))
    # The palette moves with strength up to 1, where the start carries the whole of it; above 1
    # the palette hold grows faster than the texture, so the colours keep coming nearer.
    assert distances[0] > 1.5 * distances[1] > 1.5 * distances[2]


@pytest.mark.slow
def test_the_palette_hold_keeps_strong_style_near_the_paintings_colours():
    photo, painting = make_photo(), make_painting()
    target = to_tensor(painting)[0].reshape(3, -1)

    def colour_gap(settings: Settings) -> float:
        final = run_all(settings, photo, painting)[-1]
        flat = to_tensor(final.to_pil())[0].reshape(3, -1)
        levels = torch.linspace(0, 1, 128)
        return float((torch.quantile(flat, levels, dim=1) - torch.quantile(target, levels, dim=1)).abs().mean())

    strong = Settings(size=64, steps=20, yield_every=20, style_strength=4.0)
    assert colour_gap(strong) < 0.8 * colour_gap(strong.replace(palette_hold=0.0))


def test_the_output_size_counts_texture_layers_then_shape_layers_and_stops_the_network_there():
    """Coarse scales count every weighted layer; at the output size, texture then shape layers, never relu5_1."""
    settings = Settings(
        size=128, steps=13, yield_every=1, min_scale=32, multiscale=True, precision="fp32",
        style_layer_weights=(1000.0,) * 5,  # relu5_1 weighted, so that the coarse scales run to it
    )
    model = get_extractor("vgg19", "cpu", True)
    reached: list[int] = []
    hooks = [module.register_forward_hook(lambda *_, i=i: reached.append(i)) for i, module in enumerate(model.body)]
    records, deepest = [], []
    try:
        for record in stylize(make_photo(128, 96), make_painting(), settings):
            records.append(record)
            deepest.append(model.layer_names[max(reached)])  # the deepest layer run for this step
            reached.clear()
    finally:
        for hook in hooks:
            hook.remove()
    layers = [{key.split("/")[1] for key in r.losses if "/" in key} for r in records]
    every = {"relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1", "relu4_2", "relu2_2"}
    texture = {"relu1_1", "relu2_1", "relu3_1", "relu2_2"}
    assert [r.size[0] for r in records] == [32] * 4 + [45] * 3 + [64] * 2 + [128] * 4
    assert layers == [every] * 9 + [texture] * 2 + [texture | {"relu4_1"}] * 2
    assert deepest[:9] == ["relu5_1"] * 9
    # The texture stage's first step also prepares the output size for both stages (targets to relu4_1).
    assert deepest[9:] == ["relu4_1", "relu3_1", "relu4_1", "relu4_1"]


def test_a_layer_weighted_zero_is_not_computed():
    """The default weighs relu5_1 at 0: no scale counts it, and the network stops at relu4_2 (content)."""
    settings = Settings(size=128, steps=13, yield_every=1, min_scale=32, multiscale=True, precision="fp32")
    assert dict(zip(settings.style_layers, settings.style_layer_weights, strict=True))["relu5_1"] == 0
    model = get_extractor("vgg19", "cpu", True)
    reached: list[int] = []
    hooks = [module.register_forward_hook(lambda *_, i=i: reached.append(i)) for i, module in enumerate(model.body)]
    try:
        records = list(stylize(make_photo(128, 96), make_painting(), settings))
    finally:
        for hook in hooks:
            hook.remove()
    assert all("style/relu5_1" not in r.losses for r in records)
    assert all("style/relu4_1" in r.losses for r in records[:9]), "the coarse scales count relu4_1"
    assert model.layer_names[max(reached)] == "relu4_2"


@pytest.mark.slow
def test_strength_reach_lets_a_strong_style_go_further_from_the_photo():
    """At strength 4 the reach lets the picture move further from its start (the photo, with no palette transfer)."""
    photo = make_photo(128, 96)
    start = np.asarray(photo.resize((128, 96)), dtype=np.float32)

    def moved(reach: float) -> float:
        settings = Settings(size=128, steps=12, style_strength=4.0, strength_reach=reach, precision="fp32", palette=0.0)
        *_, last = stylize(photo, make_painting(), settings)
        return float(np.abs(last.image.astype(np.float32) - start).mean())

    assert moved(1.0) > 1.5 * moved(0.0)


def test_a_run_counts_a_deep_content_layer_alone_at_every_stage():
    """Content at relu4_2 only (each stage keeps it: see test_layers): a coarse-to-fine run still reports content."""
    settings = Settings(size=128, content_layers=("relu4_2",), content_layer_weights=(1.0,), precision="fp32")
    coarse_to_fine = settings.replace(multiscale=True, min_scale=32, steps=8)
    records = list(stylize(make_photo(128, 96), make_painting(), coarse_to_fine))
    assert records[-1].done and "content" in records[-1].losses
