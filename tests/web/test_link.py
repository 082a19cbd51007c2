"""Links to the page's settings, and forms kept by the browser: round trip, defaults, and nothing unsafe."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import parse_qs

import nst
from web.form.examples import EXAMPLES
from web.form.fields import DEFAULT_FORM, FORM_FIELDS, checked_form, form_values
from web.form.link import as_text, link_query, read_link


def upload(path: Path, folder: Path) -> dict:
    """What Gradio hands a handler for an image it copied into its cache."""
    copy = folder / path.name
    shutil.copyfile(path, copy)
    return {"path": str(copy), "orig_name": path.name}


def test_a_link_carries_changed_settings_and_example_pictures_only(tmp_path: Path):
    form = {**DEFAULT_FORM, "size": 320, "style_scale": 1.5, "preserve_color": "luminance", "style_2_weight": 0.5}
    own_photo = tmp_path / "own.png"
    own_photo.write_bytes(b"not an example")
    starry, wave = (upload(EXAMPLES / name, tmp_path) for name in ("style_starry_night.jpg", "style_great_wave.jpg"))
    made = link_query(*(form[name] for name in FORM_FIELDS), {"path": str(own_photo)}, starry, None, wave, None)
    query, note = made.link, made.link_note
    assert query == ("?style_2_weight=0.5&size=320&style_scale=1.5&preserve_color=luminance"
                     "&paintings=style_starry_night.jpg,,style_great_wave.jpg")
    assert note.visible and note.value.startswith("Not in the link: your photo.")

    linked_form, photo, paintings = read_link({name: values[0] for name, values in parse_qs(query[1:]).items()})
    assert linked_form == form
    assert photo is None and paintings == [EXAMPLES / "style_starry_night.jpg", None, EXAMPLES / "style_great_wave.jpg"]


def test_a_link_has_no_empty_painting_slots_after_the_last_and_says_what_it_leaves_out(tmp_path: Path):
    own_photo, own_painting, mask = tmp_path / "own.png", tmp_path / "mine.png", tmp_path / "mask.png"
    for path in (own_photo, own_painting, mask):
        path.write_bytes(b"not an example")
    mosaic = upload(EXAMPLES / "style_mosaic.jpg", tmp_path)
    form = [DEFAULT_FORM[name] for name in FORM_FIELDS]
    made = link_query(*form, {"path": str(own_photo)}, mosaic, None, None, None)
    assert made.link == "?paintings=style_mosaic.jpg" and "your photo" in made.link_note.value
    made = link_query(*form, None, {"path": str(own_painting)}, mosaic, None, {"path": str(mask)})
    assert made.link == "?paintings=,style_mosaic.jpg"
    assert made.link_note.value.startswith("Not in the link: your painting and your brush strokes.")
    made = link_query(*form, None, mosaic, None, None, None)
    assert not made.link_note.visible, "a link that carries everything needs no note"


def test_links_name_only_example_files_and_bad_settings_are_dropped():
    _, photo, paintings = read_link({"photo": "../app.py", "paintings": "/etc/passwd,README.md"})
    assert photo is None and paintings == [None, None, None]
    assert read_link({"size": "100000"}) is None
    assert read_link({"preset": "no-such-preset"}) is None
    assert read_link({"size": "big"}) is None
    assert read_link({"__theme": "dark"}) is None, "a page address without our settings is no link"


def test_a_link_without_a_brush_size_means_1_or_the_presets_own():
    assert read_link({"size": "320"})[0]["style_scale"] == 1.0
    # Before the page showed it, the preset chose the brush size: such a link meant the preset's.
    scream = form_values(nst.preset("the-scream"), "the-scream")
    old_link = {
        name: as_text(value) for name, value in scream.items() if value != DEFAULT_FORM[name] and name != "style_scale"
    }
    assert read_link(old_link)[0] == scream and scream["style_scale"] == 224 / 192

    # So a link leaves the preset's own out, and carries any other.
    def query(form: dict) -> dict[str, str]:
        made = link_query(*(form[name] for name in FORM_FIELDS), None, None, None, None, None).link
        return {name: values[0] for name, values in parse_qs(made[1:]).items()}

    assert query(scream) == old_link
    assert query({**scream, "style_scale": 1.0})["style_scale"] == "1.0"
    assert read_link(query({**scream, "style_scale": 1.0}))[0] == {**scream, "style_scale": 1.0}
    assert read_link({"style_scale": "9"}) is None
    assert read_link({"style_scale": "NaN"}) is None


def test_a_stored_form_is_completed_with_defaults_and_refused_when_invalid():
    assert checked_form({"steps": 40, "an old field": 1}) == {**DEFAULT_FORM, "steps": 40}
    assert checked_form({"steps": 40})["style_scale"] == 1.0, "a form stored before the brush size"
    assert checked_form({"style_layer_weights": "a lot"}) is None
    assert checked_form({"style_weight": -1}) is None
    assert checked_form("not a form") is None
