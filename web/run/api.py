"""/stylize for programs: the page's run, with its status in plain text.

The page shows a run's status as Markdown, its first words in bold; a program
calling /stylize (gradio_client, the HTTP API) gets the same words without the
markup, and the loss chart's rows without the chart's label. The page's own
Stylize button runs `stylize` itself, on an event of its own (`app.build_demo`);
both events take the same inputs, so the API's parameters are the page's.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from ..page_update import PageUpdate
from ..status import plain
from .buttons import stylize


def for_api(update: PageUpdate) -> PageUpdate:
    """A page update as a program gets it: the status in plain text, the loss chart's rows without its label."""
    changes: dict[str, Any] = {}
    if isinstance(update.status, str):
        changes["status"] = plain(update.status)
    if isinstance(update.losses, dict):  # a chart's update (`RunRecord.chart`): its rows
        changes["losses"] = update.losses.get("value")
    return update.replace(**changes)


@functools.wraps(stylize)
def stylize_api(*args: Any, **kwargs: Any) -> Iterator[PageUpdate]:
    updates = stylize(*args, **kwargs)
    try:
        for update in updates:
            yield for_api(update)
    finally:
        updates.close()
