"""What an event changes on the page, by name: one `PageUpdate`, turned into each event's outputs in one place.

A handler fills the fields it changes (`PageUpdate(status=..., result=...)`);
every other widget is left as it is. `app.py` names each event's outputs
(`PageOutputs.event`), and `values` puts an update's fields in that order,
with `gr.skip()` for those it leaves, so no handler counts positions or
placeholders. An update that changes something its event does not show is a
wiring mistake, and is refused rather than dropped.

Updates are plain, picklable data: on ZeroGPU a run's updates cross out of
the GPU worker process.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import gradio as gr


class Unchanged(enum.Enum):
    """A field an update leaves as it is. An enum member, so that it is still itself after pickling."""

    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED
PAINTING_SLOTS = ("painting", "painting_2", "painting_3")
"""The painting slots' fields, in the order of `stylize`'s paintings."""


@dataclasses.dataclass(frozen=True)
class PageUpdate:
    """New values for the page's widgets and the session's state, by name; UNCHANGED leaves one as it is."""

    # The result panel.
    result: Any = UNCHANGED
    status: Any = UNCHANGED
    losses: Any = UNCHANGED
    comparison: Any = UNCHANGED
    png: Any = UNCHANGED
    animation: Any = UNCHANGED
    gallery: Any = UNCHANGED
    video: Any = UNCHANGED
    # The session's state: the run's record and the history behind the gallery.
    record: Any = UNCHANGED
    history: Any = UNCHANGED
    # The pictures and the clip given, and the brush.
    photo: Any = UNCHANGED
    painting: Any = UNCHANGED
    painting_2: Any = UNCHANGED
    painting_3: Any = UNCHANGED
    mask_painting: Any = UNCHANGED
    clip: Any = UNCHANGED
    editor: Any = UNCHANGED
    mask: Any = UNCHANGED
    # Reusing a result's settings and sharing a link.
    recipe: Any = UNCHANGED
    link: Any = UNCHANGED
    link_note: Any = UNCHANGED
    # What a run costs here, and the buttons that take what fits (web/form/fit.py).
    estimate: Any = UNCHANGED
    fit_size: Any = UNCHANGED
    clip_caps: Any = UNCHANGED
    fit_clip_length: Any = UNCHANGED
    fit_clip_size: Any = UNCHANGED
    # The settings widgets, by their names (`web.form.fields.FORM_FIELDS`); those not named are left as they are.
    form: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def replace(self, **changes: Any) -> PageUpdate:
        """This update with `changes` too."""
        return dataclasses.replace(self, **changes)

    def changed(self) -> list[str]:
        """The names of what this update changes: its fields and its settings widgets."""
        fields = [field.name for field in dataclasses.fields(self) if field.name != "form"]
        return [name for name in fields if getattr(self, name) is not UNCHANGED] + list(self.form)

    def values(self, names: tuple[str, ...]) -> tuple[Any, ...]:
        """The update as the values of an event's outputs `names`, in that order, `gr.skip()` for each one it
        leaves as it is. A name is a field's, or else a settings widget's."""
        unshown = [name for name in self.changed() if name not in names]
        if unshown:
            raise ValueError(f"This update changes {', '.join(unshown)}, which its event does not show.")
        return tuple(gr.skip() if value is UNCHANGED else value for value in map(self.value, names))

    def value(self, name: str) -> Any:
        """The new value of output `name`, or UNCHANGED."""
        if name in FIELDS:
            return getattr(self, name)
        return self.form.get(name, UNCHANGED)


FIELDS = frozenset(field.name for field in dataclasses.fields(PageUpdate)) - {"form"}


class PageOutputs:
    """The page's output components by the names `PageUpdate` gives them; each event's outputs are named here."""

    def __init__(self, form: Mapping[str, gr.components.Component], **components: gr.components.Component) -> None:
        """`form`: the settings widgets by name; `components`: the others, by their `PageUpdate` field."""
        unknown = sorted(set(components) - FIELDS)
        if unknown:
            raise TypeError(f"PageUpdate has no field {', '.join(unknown)}.")
        self.components = {**form, **components}

    def event(self, handler: Callable[..., Any], *names: str) -> dict[str, Any]:
        """An event's `fn` and `outputs` for a `handler` that returns or yields PageUpdates: the outputs `names`,
        and `handler` giving their values in that order."""
        return {"fn": as_values(handler, names), "outputs": [self.components[name] for name in names]}


def as_values(handler: Callable[..., Any], names: tuple[str, ...]) -> Callable[..., Any]:
    """`handler` giving the values of the outputs `names` instead of PageUpdates.

    It keeps the handler's signature, name and docstring, which Gradio reads
    for the event's inputs and its API description, and streams if the
    handler does (closing it closes the handler's run). An event with one
    output gets that output's value itself: Gradio would take a tuple of one
    for the value.
    """

    def values(update: PageUpdate) -> Any:
        shown = update.values(names)
        return shown[0] if len(names) == 1 else shown

    if inspect.isgeneratorfunction(handler):

        @functools.wraps(handler)
        def streamed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            updates = handler(*args, **kwargs)
            try:
                for update in updates:
                    yield values(update)
            finally:
                updates.close()

        return streamed

    @functools.wraps(handler)
    def answered(*args: Any, **kwargs: Any) -> Any:
        return values(handler(*args, **kwargs))

    return answered
