"""Page updates by name: each event's outputs in its own order, what an update leaves skipped, wiring mistakes
refused, and a handler that still looks like itself to Gradio."""

from __future__ import annotations

import inspect
import pickle

import gradio as gr
import pytest

from web.page_update import UNCHANGED, PageOutputs, PageUpdate, as_values


def test_an_update_fills_each_events_outputs_in_that_events_order():
    update = PageUpdate(status="Done", result="result.png")
    assert update.values(("result", "status", "png")) == ("result.png", "Done", gr.skip())
    assert update.values(("png", "status", "result")) == (gr.skip(), "Done", "result.png")
    restored = PageUpdate(status="Restored", form={"size": 256})
    assert restored.values(("status", "size", "steps", "result")) == ("Restored", 256, gr.skip(), gr.skip())
    assert PageUpdate(result=None).values(("result",)) == (None,), "None empties a widget; it is not left as it is"


def test_an_update_of_something_its_event_does_not_show_is_refused():
    with pytest.raises(ValueError, match="changes video, steps, which its event does not show"):
        PageUpdate(status="Done", video=None, form={"steps": 10}).values(("status", "result"))


def test_the_page_names_only_fields_an_update_has():
    with gr.Blocks():
        status, size = gr.Markdown(), gr.Slider()
        page = PageOutputs(form={"size": size}, status=status)
        assert page.event(lambda: PageUpdate(), "size", "status")["outputs"] == [size, status]
        with pytest.raises(TypeError, match="no field stauts"):
            PageOutputs(form={}, stauts=status)


def test_what_an_update_leaves_stays_left_after_the_trip_out_of_a_gpu_worker():
    update = pickle.loads(pickle.dumps(PageUpdate(status="Step 1", record=None)))
    assert update.result is UNCHANGED and update.changed() == ["status", "record"]


def test_a_handler_keeps_its_signature_name_and_streaming():
    def stylize(content: str, size: float = 512, request: gr.Request | None = None):
        """Docs."""
        yield PageUpdate(status=f"Step 1 at {size}")
        yield PageUpdate(status="Done", result=content)

    streamed = as_values(stylize, ("result", "status"))
    assert inspect.isgeneratorfunction(streamed) and streamed.__name__ == "stylize" and streamed.__doc__ == "Docs."
    assert inspect.signature(streamed) == inspect.signature(stylize)
    assert list(streamed("photo.png", 64)) == [(gr.skip(), "Step 1 at 64"), ("photo.png", "Done")]

    def stop() -> PageUpdate:
        return PageUpdate(status="Stopped")

    assert as_values(stop, ("status", "result"))() == ("Stopped", gr.skip())
    assert as_values(stop, ("status",))() == "Stopped", "one output's value is the value, not a tuple of one"


def test_closing_the_stream_closes_the_handlers_run():
    closed = []

    def run():
        try:
            while True:
                yield PageUpdate(status="Step")
        finally:
            closed.append(True)

    stream = as_values(run, ("status",))()
    assert next(stream) == "Step"
    stream.close()
    assert closed == [True]
