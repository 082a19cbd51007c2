"""Settings that outlive a page load: the browser's own copy, and a shared link when the page opens from one.

The browser keeps the form (plain settings, never pictures) in localStorage
through gr.BrowserState; a link's settings win over it when both are there.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from ..page_update import PAINTING_SLOTS, UNCHANGED, PageUpdate
from .examples import OPENING_PAINTING, OPENING_PHOTO
from .fields import FORM_FIELDS, checked_form, widget_values
from .link import read_link

STORAGE_KEY = "nst-settings"
# BrowserState encrypts what it stores. Settings are not secret, and a fixed key lets them
# survive a restart of the server (a random one would make every stored copy unreadable).
SECRET = "nst-settings-are-not-secret"


def remember_form(*values: Any) -> dict[str, Any]:
    """The widgets' values (FORM_FIELDS order) as the form the browser keeps."""
    return dict(zip(FORM_FIELDS, values, strict=True))


def restore_on_load(saved: object, request: gr.Request) -> PageUpdate:
    """Fill the page as it opens: from a shared link if it came from one, else from the browser's copy.

    The widgets, and from a link the photo and the paintings it names; what
    there is nothing for is left as it is. A page whose link names no picture
    opens with an example photo and painting in place.
    """
    opening = PageUpdate(photo=str(OPENING_PHOTO), painting=str(OPENING_PAINTING))
    linked = read_link(request.query_params)
    if linked is not None:
        form, photo, paintings = linked
        if photo is None and not any(paintings):
            return opening.replace(form=widget_values(form))
        slots = [UNCHANGED if path is None else str(path) for path in (photo, *paintings)]
        pictures = dict(zip(("photo", *PAINTING_SLOTS), slots, strict=True))
        return PageUpdate(form=widget_values(form), **pictures)
    form = checked_form(saved)
    if form is None:
        return opening
    return opening.replace(form=widget_values(form))
