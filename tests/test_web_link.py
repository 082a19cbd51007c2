"""Links to the page's settings, and forms kept by the browser: round trip, defaults, and nothing unsafe."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import parse_qs

from web.examples import EXAMPLES
from web.form import DEFAULT_FORM, FORM_FIELDS, checked_form
from web.link import link_query, read_link


def upload(path: Path, folder: Path) -> dict:
    """What Gradio hands a handler for an image it copied into its cache."""
    copy = folder / path.name
    shutil.copyfile(path, copy)
    return {"path": str(copy), "orig_name": path.name}


def test_a_link_carries_changed_settings_and_example_pictures_only(tmp_path: Path):
    form = {**DEFAULT_FORM, "size": 320, "preserve_color": "luminance", "style_2_weight": 0.5}
    own_photo = tmp_path / "own.png"
    own_photo.write_bytes(b"not an example")
    starry, wave = (upload(EXAMPLES / name, tmp_path) for name in ("style_starry_night.jpg", "style_great_wave.jpg"))
    query = link_query(*(form[name] for name in FORM_FIELDS), {"path": str(own_photo)}, starry, None, wave)
    assert query == ("?style_2_weight=0.5&size=320&preserve_color=luminance"
                     "&paintings=style_starry_night.jpg,,style_great_wave.jpg")

    linked_form, photo, paintings = read_link({name: values[0] for name, values in parse_qs(query[1:]).items()})
    assert linked_form == form
    assert photo is None and paintings == [EXAMPLES / "style_starry_night.jpg", None, EXAMPLES / "style_great_wave.jpg"]


def test_links_name_only_example_files_and_bad_settings_are_dropped():
    _, photo, paintings = read_link({"photo": "../app.py", "paintings": "/etc/passwd,README.md"})
    assert photo is None and paintings == [None, None, None]
    assert read_link({"size": "100000"}) is None
    assert read_link({"preset": "no-such-preset"}) is None
    assert read_link({"size": "big"}) is None
    assert read_link({"__theme": "dark"}) is None, "a page address without our settings is no link"


def test_a_stored_form_is_completed_with_defaults_and_refused_when_invalid():
    assert checked_form({"steps": 40, "an old field": 1}) == {**DEFAULT_FORM, "steps": 40}
    assert checked_form({"style_layer_weights": "a lot"}) is None
    assert checked_form({"style_weight": -1}) is None
    assert checked_form("not a form") is None
