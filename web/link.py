"""A link that reopens the page with the same settings (and the same example pictures).

The link carries the settings that differ from the defaults as JSON in one
query parameter, and names example pictures by file name; a visitor's own
uploads never travel. It is made from the page's address as the browser sees
it, so on a Space or behind `--share` it is public, and on a laptop it is a
bookmark. Unlike Gradio's DeepLinkButton it needs nothing stored on the
server, so it outlives restarts and the cache clean-up.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from .examples import example_named, example_of_file
from .form import DEFAULT_FORM, FORM_FIELDS, checked_form
from .uploads import upload_path

PARAMETER = "settings"

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


def link_query(*values: Any) -> str:
    """The query string for the widgets' values (FORM_FIELDS order), then the photo and three painting uploads."""
    form = dict(zip(FORM_FIELDS, values[: len(FORM_FIELDS)], strict=True))
    content, *paintings = values[len(FORM_FIELDS):]
    carried: dict[str, Any] = {name: value for name, value in form.items() if value != DEFAULT_FORM[name]}
    photo = example_of_file(upload_path(content))
    if photo is not None:
        carried["photo"] = photo.name
    painting_files = [example_of_file(upload_path(painting)) for painting in paintings]
    if any(painting_files):
        carried["paintings"] = [None if path is None else path.name for path in painting_files]
    return "?" + urlencode({PARAMETER: json.dumps(carried, separators=(",", ":"))})


def read_link(text: str | None) -> tuple[dict[str, Any], Path | None, list[Path | None]] | None:
    """The form, photo and paintings a link's parameter names; None if there is none or it is not usable."""
    if not text:
        return None
    try:
        carried = json.loads(text)
    except json.JSONDecodeError:
        return None
    form = checked_form(carried)
    if form is None:
        return None
    named: Sequence[object] = carried.get("paintings") or []
    paintings = [example_named(name) for name in named[:3]] if isinstance(named, list) else []
    return form, example_named(carried.get("photo")), paintings + [None] * (3 - len(paintings))
