"""A link that reopens the page with the same settings (and the same example pictures).

The link names each setting that differs from the defaults (the style scale:
from its preset's, see `web.form.fields.form_defaults`) as a query parameter of its
own (`?size=320&preserve_color=luminance`), so it stays short and readable,
and names example pictures by file name
(`photo=content_chelsea.jpg&paintings=style_starry_night.jpg,,style_great_wave.jpg`);
a visitor's own uploads and brush strokes never travel, and the page says so
under the link. It is made from the page's address as
the browser sees it, so on a Space or behind `--share` it is public, and on a
laptop it is a bookmark. Unlike Gradio's DeepLinkButton it needs nothing
stored on the server, so it outlives restarts and the cache clean-up.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import gradio as gr

from ..page_update import PageUpdate
from .examples import example_named, example_of_file
from .fields import DEFAULT_FORM, FORM_FIELDS, checked_form, form_defaults
from .uploads import upload_path

SLOTS = 3

# Runs in the browser after `link_query`: the page's own address with the query, also put on the clipboard.
LINK_JS = """
(query) => {
  const url = new URL(window.location.href);
  url.search = query;
  url.hash = "";
  navigator.clipboard?.writeText(url.href).catch(() => {});
  return url.href;
}
"""


def link_query(*values: Any) -> PageUpdate:
    """The link's query string for the widgets' values (FORM_FIELDS order), then the photo, three painting
    uploads and the brush's mask; and the note under the link, which names what it leaves out.

    Painting slots keep their places (`style_starry_night.jpg,,style_great_wave.jpg`
    is the first and third), with no empty ones after the last painting.
    """
    form = dict(zip(FORM_FIELDS, values[: len(FORM_FIELDS)], strict=True))
    content, *paintings, mask = values[len(FORM_FIELDS):]
    defaults = form_defaults(form["preset"])
    carried = {name: as_text(value) for name, value in form.items() if value != defaults[name]}
    left_out = []
    photo = example_of_file(upload_path(content))
    if photo is not None:
        carried["photo"] = photo.name
    elif upload_path(content) is not None:
        left_out.append("your photo")
    uploads = [upload_path(painting) for painting in paintings]
    examples = [example_of_file(path) for path in uploads]
    names = ["" if example is None else example.name for example in examples]
    while names and not names[-1]:
        names.pop()
    if names:
        carried["paintings"] = ",".join(names)
    own = sum(path is not None and example is None for path, example in zip(uploads, examples, strict=True))
    if own:
        left_out.append("your painting" if own == 1 else "your paintings")
    if upload_path(mask) is not None:
        left_out.append("your brush strokes")
    return PageUpdate(link="?" + urlencode(carried, safe=",", quote_via=quote), link_note=link_note(left_out))


def link_note(left_out: list[str]) -> Any:
    """The note under the link: hidden when the link carries everything, else what whoever opens it must add."""
    if not left_out:
        return gr.Markdown(value="", visible=False)
    things = " and ".join([", ".join(left_out[:-1]), left_out[-1]] if len(left_out) > 1 else left_out)
    return gr.Markdown(
        value=f"Not in the link: {things}. A link carries the settings and the example pictures; "
        "whoever opens it adds their own pictures and brushes again.",
        visible=True,
    )


def as_text(value: Any) -> str:
    """A setting as a query parameter: text as it is, numbers, true/false and null as JSON writes them."""
    return value if isinstance(value, str) else json.dumps(value)


def read_link(query: Mapping[str, str]) -> tuple[dict[str, Any], Path | None, list[Path | None]] | None:
    """The form, photo and paintings a link's query names; None if it names no setting or is not usable."""
    if not any(name in query for name in (*FORM_FIELDS, "photo", "paintings")):
        return None
    try:
        carried = {
            name: query[name] if isinstance(DEFAULT_FORM[name], str) else json.loads(query[name])
            for name in FORM_FIELDS
            if name in query
        }
    except json.JSONDecodeError:
        return None
    form = checked_form(carried)
    if form is None:
        return None
    paintings = [example_named(name) for name in query.get("paintings", "").split(",")[:SLOTS]]
    return form, example_named(query.get("photo")), paintings + [None] * (SLOTS - len(paintings))
