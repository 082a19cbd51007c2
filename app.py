"""Web demo: upload a photo and a painting, press one button, watch the photo repaint itself.

This file is the page: its layout and the wiring of its events. What the
events do lives in the `web` package beside it (a folder each for the run,
the form, the costs and the look), and the method in `nst/`. Run
`python app.py` and open http://127.0.0.1:7860, or `python app.py --share`
for a temporary public link. The host and port come
from GRADIO_SERVER_NAME and GRADIO_SERVER_PORT; NST_QUEUE_SIZE,
NST_CONCURRENCY and NST_DEADLINE size the queue and limit each run.
`python app.py --mcp` (or NST_MCP=1) also serves one tool to AI agents over MCP.
"""

from __future__ import annotations

# First: on a ZeroGPU Space this imports `spaces`, which must patch torch before anything asks about CUDA.
import web.run.zerogpu  # noqa: F401

# isort: split
import argparse
import dataclasses
import functools
from pathlib import Path
from typing import Any

import gradio as gr
import gradio.utils

from nst.presets import DEFAULT_PRESET, EXAMPLES, PRESET_TITLES
from nst.settings import MULTISCALE_FROM, STRENGTH_RANGE
from web.form.brush import BRUSH_OPACITY, brush_css_color, invert, mask_from_editor, show_photo
from web.form.examples import NAMES_JS, PAINTINGS, PHOTOS
from web.form.fields import (
    ADAM_RATE,
    BACKBONE_CHOICES,
    COLOR_CHOICES,
    DEFAULT,
    FORM_FIELDS,
    INIT_CHOICES,
    LBFGS_RATE,
    OPTIMIZER_CHOICES,
    PRESET_FIELDS,
    format_weights,
)
from web.form.fit import (
    SLIDER_JS,
    clip_offer,
    show_clip_offer,
    show_offer,
    size_offer,
    use_clip_length_offer,
    use_clip_size_offer,
    use_size_offer,
)
from web.form.history import discard_history, restore_from_history
from web.form.link import LINK_JS, link_query
from web.form.persist import SECRET, STORAGE_KEY, remember_form, restore_on_load
from web.form.preset_menu import check_weights, choose_preset, follow_backbone
from web.form.reuse import reuse_settings
from web.form.uploads import check_clip_upload, check_upload
from web.limits import (
    MAX_SIZE,
    MAX_STEPS,
    MIN_SIZE,
    MIN_STEPS,
    SIZE_STEP,
    STROKE_RANGE,
    STROKE_STEP,
    concurrency,
    queue_size,
    sessions,
)
from web.look.theme import CSS, HEADER, THEME, loss_legend
from web.look.viewport import SHOW_RESULT_JS, SHOW_STATUS_JS
from web.page_update import PAINTING_SLOTS, PageOutputs
from web.run.active import ACTIVE_RUNS
from web.run.agent_tool import AGENT_ENDPOINT, agent_tool_only, mcp_requested, stylize_image
from web.run.api import stylize_api
from web.run.buttons import GIVEN_SLOTS, stop, stylize
from web.run.record import LOSS_COLORS, LOSS_LABEL, discard_record
from web.run.stops import forget_presses, note_stylize
from web.run_files import forget_session
from web.status import OPENING

# What tests, benchmarks and hosting use from this module.
__all__ = ["ACTIVE_RUNS", "build_demo", "launch_options", "main"]


def image_input(label: str, elem_id: str, examples_label: str, examples: list[Path], height: int = 260) -> gr.Image:
    """An upload/paste/webcam image input with its example thumbnails under it."""
    image = gr.Image(
        label=label, type="filepath", image_mode=None, sources=["upload", "clipboard", "webcam"], height=height,
        elem_id=elem_id,
    )
    gr.Examples(
        examples=[[str(path)] for path in examples], inputs=[image], label=examples_label,
        cache_examples=False, api_visibility="private", elem_id=f"{elem_id}-examples", examples_per_page=len(examples),
    )
    return image


def weight_slider(label: str, elem_id: str) -> gr.Slider:
    """How much one painting counts in a blend; only the ratios between paintings matter."""
    return gr.Slider(0, 4, value=1, step=0.1, label=label, elem_id=elem_id, min_width=140)


@dataclasses.dataclass
class Paintings:
    """The painting slots: the main one beside the photo, two more to blend in, and their weights."""

    first: gr.Image
    second: gr.Image
    third: gr.Image
    first_weight: gr.Slider
    second_weight: gr.Slider
    third_weight: gr.Slider

    @property
    def images(self) -> list[gr.Image]:
        """The three slots, in the order of `stylize`'s parameters after the photo."""
        return [self.first, self.second, self.third]

    @property
    def weights(self) -> list[gr.Slider]:
        """Their weights, in the order of `stylize`'s parameters after the slots."""
        return [self.first_weight, self.second_weight, self.third_weight]


@dataclasses.dataclass
class ClipPanel:
    """A short video to restyle instead of the photo, what this server takes of one, and the buttons that take
    what fits of a clip that would not finish."""

    clip: gr.Video
    caps: gr.Markdown
    use_length: gr.Button
    use_size: gr.Button


def clip_panel() -> ClipPanel:
    """The clip input with the caps under it (and, once a clip is in, its estimate and offers).

    Folded away like the blend and the mask: open, it would push Stylize off a phone's first screen.
    """
    offer = clip_offer(None, DEFAULT.backbone, DEFAULT.size, DEFAULT.steps, DEFAULT.multiscale is not False)
    with gr.Accordion("Restyle a short clip instead of the photo", open=False, elem_id="clip-panel"):
        clip = gr.Video(
            label="Clip (optional): restyle a short video instead of the photo", sources=["upload"], height=200,
            elem_id="clip",
        )
        caps = gr.Markdown(offer.text, padding=True, elem_id="clip-caps")
        with gr.Row(elem_id="clip-offers"):
            use_length = gr.Button(size="sm", visible=False, elem_id="use-clip-length")
            use_size = gr.Button(size="sm", visible=False, elem_id="use-clip-size")
    return ClipPanel(clip, caps, use_length, use_size)


def blend_panel(first: gr.Image) -> Paintings:
    """Two more painting slots and a weight for each painting, folded away until wanted."""
    with gr.Accordion("Blend up to three paintings", open=False, elem_id="blend"):
        first_weight = weight_slider("Weight of the first painting", "style-weight")
        with gr.Row():
            with gr.Column(min_width=140):
                second = image_input("Second painting", "style-2", "Examples", PAINTINGS, height=180)
                second_weight = weight_slider("Its weight", "style-2-weight")
            with gr.Column(min_width=140):
                third = image_input("Third painting", "style-3", "Examples", PAINTINGS, height=180)
                third_weight = weight_slider("Its weight", "style-3-weight")
    return Paintings(first, second, third, first_weight, second_weight, third_weight)


@dataclasses.dataclass
class Regions:
    """The brush over the photo, the mask it makes (hidden; /stylize reads it) and the painting for the rest."""

    editor: gr.ImageEditor
    clear: gr.Button
    invert: gr.Button
    mask: gr.Image
    second: gr.Image


def regions_panel() -> Regions:
    """Brush where the painting goes; optionally another painting for the rest. Folded away until wanted."""
    with gr.Accordion("Paint only where you brush", open=False, elem_id="regions"):
        gr.Markdown(
            "Brush over the photo where the painting should go. The rest stays the photo, "
            "or takes the painting below if you choose one."
        )
        editor = gr.ImageEditor(
            type="pil", label="Where the painting goes", sources=[], transforms=(),
            layers=False, brush=gr.Brush(colors=[(brush_css_color(), BRUSH_OPACITY)], color_mode="fixed",
                                         default_size=32),
            eraser=gr.Eraser(default_size=32), buttons=[], height=320, elem_id="brush",
        )
        with gr.Row():
            clear = gr.Button("Clear", size="sm", elem_id="brush-clear")
            invert = gr.Button("Invert", size="sm", elem_id="brush-invert")
        second = image_input(
            "Painting for the rest (optional)", "mask-style", "Examples", PAINTINGS, height=180
        )
        mask = gr.Image(type="filepath", image_mode="L", format="png", visible=False, label="Mask", elem_id="mask")
    return Regions(editor, clear, invert, mask, second)


def wire_regions(regions: Regions, photo: gr.Image, page: PageOutputs) -> None:
    """A new photo goes into the editor with no strokes; every stroke, Clear and Invert update the mask."""
    quick = dict(queue=False, show_progress="hidden", api_visibility="private")
    photo.change(**page.event(show_photo, "editor", "mask"), inputs=photo, preprocess=False, **quick)
    regions.clear.click(**page.event(show_photo, "editor", "mask"), inputs=photo, preprocess=False, **quick)
    regions.invert.click(
        **page.event(invert, "editor", "mask"), inputs=[regions.mask, photo], preprocess=False, **quick
    )
    regions.editor.change(mask_from_editor, inputs=regions.editor, outputs=regions.mask, **quick)


@dataclasses.dataclass
class Controls:
    """The settings widgets."""

    preset: gr.Dropdown
    backbone: gr.Dropdown
    size: gr.Slider
    steps: gr.Slider
    style_strength: gr.Slider
    style_scale: gr.Slider
    preserve_color: gr.Radio
    optimizer: gr.Radio
    learning_rate: gr.Number
    style_layer_weights: gr.Textbox
    content_weight: gr.Number
    tv_weight: gr.Number
    init: gr.Radio
    multiscale: gr.Checkbox
    seed: gr.Number
    randomize_seed: gr.Checkbox
    estimate: gr.Markdown
    use_size: gr.Button

    @property
    def for_estimate(self) -> list[gr.components.Component]:
        """The widgets the time estimate and the offers depend on, in the order of `show_offer`'s parameters."""
        return [self.backbone, self.size, self.steps, self.multiscale]

    @property
    def from_preset(self) -> list[gr.components.Component]:
        """The widgets a preset fills, in the order of `preset_values` and of `stylize`'s parameters."""
        return [
            self.backbone, self.size, self.steps, self.style_strength, self.style_scale, self.preserve_color,
            self.optimizer, self.learning_rate, self.style_layer_weights, self.content_weight, self.tv_weight,
            self.init, self.multiscale, self.seed,
        ]


def controls_panel() -> Controls:
    """Preset, network and the everyday settings, then the expert ones in an accordion."""
    with gr.Group():
        with gr.Row():
            preset = gr.Dropdown(
                [(title, name) for name, title in PRESET_TITLES.items()], value=DEFAULT_PRESET, label="Preset",
                min_width=200, elem_id="preset",
            )
            backbone = gr.Dropdown(
                BACKBONE_CHOICES, value=DEFAULT.backbone, label="Feature extractor", min_width=200, elem_id="backbone"
            )
        with gr.Row():
            style_strength = gr.Slider(
                *STRENGTH_RANGE, value=DEFAULT.style_strength, step=0.05, label="Style strength",
                info="¼: the photo with painted texture · 1: the painting's palette · 4: its texture throughout",
                min_width=200, elem_id="strength",
            )
            style_scale = stroke_slider()
        # Built reaching the page's largest (what /stylize takes); as the page opens, and after every run, it
        # reaches as far as this server finishes in time (web/form/fit.py).
        offer = size_offer(DEFAULT.backbone, DEFAULT.size, DEFAULT.steps, DEFAULT.multiscale is not False)
        size = gr.Slider(
            MIN_SIZE, MAX_SIZE, value=DEFAULT.size, step=SIZE_STEP, label="Output size (long side, px)",
            info=offer.info, elem_id="size",
        )
        steps = gr.Slider(MIN_STEPS, MAX_STEPS, value=DEFAULT.steps, step=10, label="Steps", elem_id="steps")
        estimate = gr.Markdown(offer.estimate, padding=True, elem_id="estimate")
        use_size = gr.Button(size="sm", visible=False, elem_id="use-size")
        preserve_color = gr.Radio(COLOR_CHOICES, value=DEFAULT.preserve_color, label="Colour", elem_id="color")
    with gr.Accordion("Advanced", open=False, elem_id="advanced"):
        with gr.Row():
            optimizer = gr.Radio(OPTIMIZER_CHOICES, value=DEFAULT.optimizer, label="Optimiser")
            learning_rate = gr.Number(
                value=DEFAULT.learning_rate or 0, label="Learning rate", minimum=0,
                info=f"0: the optimiser's default (Adam {ADAM_RATE:g}, L-BFGS {LBFGS_RATE:g})",
            )
        style_layer_weights = gr.Textbox(
            value=format_weights(DEFAULT.style_layer_weights), label="Style layer weights",
            info=f"One weight per style layer: {', '.join(DEFAULT.style_layers)}",
        )
        with gr.Row():
            content_weight = gr.Number(value=DEFAULT.content_weight, label="Content weight", minimum=0)
            tv_weight = gr.Number(value=DEFAULT.tv_weight, label="Smoothness (TV) weight", minimum=0)
        with gr.Row():
            init = gr.Radio(INIT_CHOICES, value=DEFAULT.init, label="Start from")
            multiscale = gr.Checkbox(
                value=DEFAULT.multiscale is not False, label="Coarse to fine (multi-scale)",
                info=f"Paint large shapes small first, from {MULTISCALE_FROM * DEFAULT.min_scale} px up; "
                "smaller pictures work at one scale",
            )
        with gr.Row():
            seed = gr.Number(value=DEFAULT.seed, label="Seed", precision=0, minimum=0)
            randomize_seed = gr.Checkbox(value=False, label="Randomise seed")
    return Controls(
        preset, backbone, size, steps, style_strength, style_scale, preserve_color, optimizer, learning_rate,
        style_layer_weights, content_weight, tv_weight, init, multiscale, seed, randomize_seed, estimate, use_size,
    )


def stroke_slider() -> gr.Slider:
    """The brush size: how large the painting's strokes come out (the library's style scale)."""
    low, high = STROKE_RANGE
    return gr.Slider(
        low, high, value=DEFAULT.style_scale, step=STROKE_STEP, label="Brush size",
        info=f"{low:g}: fine strokes · 1: as large as in the painting · {high:g}: broad, soft strokes",
        min_width=200, elem_id="style-scale",
    )


@dataclasses.dataclass
class Outputs:
    """The result panel: what a run updates, named as `PageUpdate` names them."""

    result: gr.Image
    status: gr.Markdown
    losses: gr.LinePlot
    comparison: gr.ImageSlider
    png: gr.File
    animation: gr.File
    gallery: gr.Gallery
    video: gr.Video


def outputs_panel() -> Outputs:
    """The live result with its numbers, the downloads, the before/after comparison, then this visit's results."""
    result = gr.Image(
        label="Result", format="png", interactive=False, buttons=share_buttons("download", "fullscreen"),
        elem_id="result",
    )
    status = gr.Markdown(OPENING, label="Status", elem_id="status")
    losses = gr.LinePlot(
        x="step", y="loss", color="term", color_map=LOSS_COLORS, colors_in_legend=[],
        label=LOSS_LABEL, y_title="log₁₀ loss", elem_id="losses",
    )
    gr.HTML(loss_legend(LOSS_COLORS), padding=False)
    with gr.Row():
        png = gr.File(label="Full-quality PNG", interactive=False, elem_id="download-png", elem_classes="download")
        animation = gr.File(
            label="Progress animation (WebP)", interactive=False, elem_id="download-animation", elem_classes="download"
        )
    video = gr.Video(
        label="Restyled clip (MP4, with its sound)", interactive=False, buttons=["download"], height=320,
        elem_id="clip-result",
    )
    comparison = gr.ImageSlider(
        label="Before / after", format="png", interactive=False, max_height=380, elem_id="comparison"
    )
    history = gr.Gallery(
        label="History: click to view and reuse",
        format="png", columns=4, fit_columns=False, height="auto", object_fit="cover", interactive=False,
        # A click shows the picture in the Result area (see restore_from_history), not in a small preview here.
        allow_preview=False,
        buttons=share_buttons("download", "download_all", "fullscreen"), elem_id="history",
    )
    return Outputs(result, status, losses, comparison, png, animation, history, video)


def share_buttons(*buttons: str) -> list[str]:
    """An output's corner buttons, with Gradio's share button (it posts to the Space's discussions) on Spaces.

    Elsewhere that button can only fail ("Must be on Spaces to share"), so it is left out.
    """
    return ["share", *buttons] if gradio.utils.get_space() else list(buttons)


@dataclasses.dataclass
class ReuseAndShare:
    """The drop target for a result's settings, and the link to the current settings."""

    recipe: gr.File
    link_button: gr.Button
    link: gr.Textbox
    link_note: gr.Markdown


def reuse_and_share_panel() -> ReuseAndShare:
    """Drop a result PNG to reuse its settings; make a link that reopens the page with these settings."""
    with gr.Group(elem_id="reuse-share"):
        recipe = gr.File(
            label="Reuse settings from a result PNG", file_types=[".png", ".json"], height=140,
            elem_id="reuse",
        )
        with gr.Row(equal_height=True):
            link = gr.Textbox(
                label="Link to these settings", placeholder="Press the button to make one", interactive=False,
                lines=1, max_lines=1,
                buttons=["copy"], scale=4, min_width=180, elem_id="link",
            )
            link_button = gr.Button("Make link", size="md", scale=1, min_width=100, elem_id="link-button")
        link_note = gr.Markdown(visible=False, padding=True, elem_id="link-note")
    return ReuseAndShare(recipe, link_button, link, link_note)


def build_demo() -> gr.Blocks:
    """The whole page, with its queue configured from NST_QUEUE_SIZE and NST_CONCURRENCY."""
    with gr.Blocks(title="Neural Style Transfer", delete_cache=(3600, 3600)) as demo:
        gr.HTML(HEADER)
        with gr.Row(equal_height=False):
            with gr.Column(scale=5, min_width=340):
                with gr.Row():
                    with gr.Column(min_width=140):
                        content = image_input("Photo", "content", "Example photos", PHOTOS)
                    with gr.Column(min_width=140):
                        style = image_input("Painting", "style", "Example paintings", PAINTINGS)
                clips = clip_panel()
                paintings = blend_panel(style)
                regions = regions_panel()
                with gr.Row():
                    run_button = gr.Button("Stylize", variant="primary", scale=3, min_width=120, elem_id="stylize")
                    stop_button = gr.Button("Stop", variant="stop", scale=1, min_width=80, elem_id="stop")
                controls = controls_panel()
            with gr.Column(scale=6, min_width=340):
                out = outputs_panel()
                reuse = reuse_and_share_panel()
        record = gr.State(time_to_live=3600, delete_callback=discard_record)
        history = gr.State(time_to_live=3600, delete_callback=discard_history)
        saved_form = gr.BrowserState(storage_key=STORAGE_KEY, secret=SECRET)
        # Every settings widget, in the order of FORM_FIELDS and of `stylize`'s parameters.
        form = [*paintings.weights, controls.preset, *controls.from_preset, controls.randomize_seed]
        # What the events update, by the names their handlers' PageUpdates give them.
        page = PageOutputs(
            form=dict(zip(FORM_FIELDS, form, strict=True)), **vars(out), record=record,
            history=history, photo=content, painting=paintings.first, painting_2=paintings.second,
            painting_3=paintings.third, mask_painting=regions.second, clip=clips.clip, editor=regions.editor,
            mask=regions.mask, recipe=reuse.recipe, link=reuse.link, link_note=reuse.link_note,
            estimate=controls.estimate, fit_size=controls.use_size, clip_caps=clips.caps,
            fit_clip_length=clips.use_length, fit_clip_size=clips.use_size,
        )
        # `stylize`'s inputs: the pictures, every setting, the brushed mask, the clip, the session's record.
        run_inputs = [content, *paintings.images, *form, regions.mask, regions.second, clips.clip, record, history]
        # First of all the press is noted, so that a Stop after it ends this run and not the next (web/run/stops.py).
        run_button.click(note_stylize, queue=False, show_progress="hidden", api_visibility="private")
        # Every stroke sends the editor to the server to make the mask, but that round trip can still
        # be on its way when Stylize is pressed right after a stroke (the run then had no mask): the
        # click first makes the mask from the editor as the visitor sees it, then runs.
        run_event = run_button.click(
            mask_from_editor, inputs=regions.editor, outputs=regions.mask,
            queue=False, show_progress="hidden", api_visibility="private",
        ).then(
            **page.event(stylize, *RUN_OUTPUTS),
            inputs=run_inputs,
            api_name="stylize_page",
            # The page's own: programs call /stylize (`api_endpoint`), which answers in plain text.
            api_visibility="private",
            concurrency_id="stylize",
            # gr.Image opens every upload with PIL before the handler runs: a file that is not an
            # image then fails inside Gradio with a bare "Error", and its conversions mishandle
            # alpha, 16-bit and EXIF. So the handler gets the raw uploads and `nst.load_image`
            # decodes them (and explains what is wrong); `build_settings` checks the other values.
            preprocess=False,
            show_progress="minimal",
            show_progress_on=out.status,
            # Gradio's default ("once") drops a press while the last run is still ending, as it is for
            # a moment after Stop: this starts the new run as soon as that one has ended.
            trigger_mode="always_last",
        )
        run_button.click(None, js=SHOW_RESULT_JS, queue=False, show_progress="hidden", api_visibility="private")
        api_endpoint(page, run_inputs)
        private = {"queue": False, "show_progress": "hidden", "api_visibility": "private"}
        stop_button.click(
            **page.event(stop, "status", "result", "comparison", "png", "animation", "gallery", "video"),
            inputs=[record, history], queue=False, api_visibility="private",
        )
        # On a phone Stop is far above the result: the page brings the status (and what it says) into view.
        stop_button.click(None, js=SHOW_STATUS_JS, **private)
        wire_controls(controls, page)
        wire_offers(controls, clips, page, demo, run_event)
        check_uploads(page, out.status)
        out.gallery.select(
            **page.event(restore_from_history, *FORM_FIELDS, "result", "status", *GIVEN_SLOTS), inputs=history,
            **private,
        )
        # Queued (in a queue of its own), because only queued events can show the visitor a message.
        reuse.recipe.upload(
            **page.event(reuse_settings, *FORM_FIELDS, "photo", *PAINTING_SLOTS, "recipe", "status"),
            inputs=reuse.recipe, show_progress="hidden", api_visibility="private",
        )
        reuse.link_button.click(
            **page.event(link_query, "link", "link_note"), inputs=[*form, content, *paintings.images, regions.mask],
            preprocess=False, **private,
        ).then(None, inputs=reuse.link, outputs=reuse.link, js=LINK_JS, **private)
        # Unprocessed, as the offers (see wire_offers): a size past the slider's end is kept too.
        gr.on(
            [widget.change for widget in form], remember_form, inputs=form, outputs=saved_form, preprocess=False,
            **private,
        )
        demo.load(None, js=NAMES_JS, **private)
        demo.load(
            **page.event(restore_on_load, *FORM_FIELDS, "photo", *PAINTING_SLOTS), inputs=saved_form, **private
        )
        wire_regions(regions, content, page)
        demo.unload(forget_session)
        demo.unload(forget_presses)
        agent_tool()
    demo.queue(max_size=queue_size(), default_concurrency_limit=concurrency())
    return demo


# What a run updates, in the order of /stylize's outputs.
RUN_OUTPUTS = ("result", "status", "losses", "comparison", "png", "animation", "gallery", "video", "record", "history")


def api_endpoint(page: PageOutputs, run_inputs: list[gr.components.Component]) -> None:
    """/stylize for programs, on a hidden button: the page's run with the page's inputs, its status in plain text
    (`web.run.api`) in a hidden box of its own."""
    with gr.Column(visible=False):
        status = gr.Textbox(label="Status")
        trigger = gr.Button()
    api = PageOutputs(form={}, **{**{name: page.components[name] for name in RUN_OUTPUTS}, "status": status})
    trigger.click(
        **api.event(stylize_api, *RUN_OUTPUTS), inputs=run_inputs, api_name="stylize", concurrency_id="stylize",
        preprocess=False,  # as the page's own run (see build_demo)
    )


def wire_offers(
    controls: Controls, clips: ClipPanel, page: PageOutputs, demo: gr.Blocks, run_event: gr.events.Dependency
) -> None:
    """What this server offers follows the settings, the clip and its pace: as the page opens, as they change and
    after each run; the buttons take what fits (web/form/fit.py)."""
    # Unprocessed: Gradio would refuse a size past the slider's end (typed in, or from a link) before the handler
    # could offer the size that fits.
    private = {"queue": False, "show_progress": "hidden", "api_visibility": "private", "preprocess": False}
    widgets = controls.for_estimate
    size = {**page.event(show_offer, "estimate", "size", "fit_size"), "inputs": widgets, **private}
    clip = {
        **page.event(show_clip_offer, "clip_caps", "fit_clip_length", "fit_clip_size"),
        "inputs": [clips.clip, *widgets], **private,
    }
    for shown in (size, clip):
        demo.load(**shown)
        run_event.then(**shown)
    gr.on([widget.change for widget in widgets], **size).then(None, js=SLIDER_JS, **private)
    gr.on([clips.clip.change, *(widget.change for widget in widgets)], **clip)
    controls.use_size.click(**page.event(use_size_offer, "size"), inputs=widgets, **private)
    clips.use_size.click(**page.event(use_clip_size_offer, "size"), inputs=[clips.clip, *widgets], **private)
    # Queued: cutting the clip takes a few seconds, and its progress shows on the button.
    clips.use_length.click(
        **page.event(use_clip_length_offer, "clip"), inputs=[clips.clip, *widgets], preprocess=False,
        show_progress="minimal", api_visibility="private",
    )


def check_uploads(page: PageOutputs, status: gr.Markdown) -> None:
    """Each picture and the clip is checked as it arrives (an upload, an example, a restored one): a refused one
    leaves its slot and the status says why, a good one clears a refusal (web.form.uploads)."""
    quick = {"preprocess": False, "queue": False, "show_progress": "hidden", "api_visibility": "private"}
    for slot in ("photo", *PAINTING_SLOTS, "mask_painting"):
        page.components[slot].change(
            **page.event(
                functools.partial(check_upload, slot=slot), slot, "status", "result", "comparison", "png", "animation"
            ),
            inputs=[page.components[slot], status], **quick,
        )
    # A clip is checked against the page's caps, undecoded by Gradio.
    page.components["clip"].change(
        **page.event(check_clip_upload, "clip", "status", "result", "comparison", "png", "animation", "video"),
        inputs=[page.components["clip"], status], **quick,
    )


def wire_controls(controls: Controls, page: PageOutputs) -> None:
    """A chosen preset fills the controls (and brings its painting), the network picks a matching preset.

    Presets react to the visitor's choice (`input`), not to every change, so
    that settings restored all at once are not overwritten by a preset's.
    """
    c = controls
    c.preset.input(
        **page.event(choose_preset, *PRESET_FIELDS, "painting"), inputs=c.preset, queue=False, show_progress="hidden",
        api_visibility="private",
    )
    c.backbone.input(
        **page.event(follow_backbone, "preset", *PRESET_FIELDS), inputs=[c.backbone, c.preset], queue=False,
        show_progress="hidden", api_visibility="private",
    )
    c.backbone.change(check_weights, inputs=c.backbone, concurrency_limit=None, api_visibility="private")


def agent_tool() -> None:
    """The MCP tool's endpoint, on hidden widgets: they give the tool its typed parameters."""
    with gr.Column(visible=False):
        photo = gr.Image(label="Photo", type="filepath")
        painting = gr.Image(label="Painting", type="filepath")
        strength = gr.Number(value=DEFAULT.style_strength, label="Style strength")
        size = gr.Number(value=DEFAULT.size, label="Size", precision=0)
        brush_size = gr.Number(value=DEFAULT.style_scale, label="Brush size")
        result = gr.Image(label="Result", format="png")
        trigger = gr.Button()
    trigger.click(
        stylize_image, inputs=[photo, painting, strength, size, brush_size], outputs=result,
        api_name=AGENT_ENDPOINT.lstrip("/"),
        # The uploads reach `nst.load_image` undecoded, as in the page's own run (see build_demo);
        # agents and visitors share the same run slots (NST_CONCURRENCY).
        preprocess=False, concurrency_id="stylize",
    )


def launch_options(mcp: bool = False) -> dict[str, Any]:
    """What `launch()` needs besides the network settings (Gradio 6 takes theme and CSS here).

    The examples folder is allowed so that a preset can put its painting in
    the painting slot when the app runs from another working directory too;
    it holds only the public example pictures and their credits. The lifespan
    leaves agents only the MCP tool meant for them (see web/run/agent_tool.py).
    Gradio keeps at most NST_SESSIONS sessions' state (see web/limits.py).
    """
    return {
        "theme": THEME, "css": CSS, "max_file_size": "10mb", "allowed_paths": [str(EXAMPLES)],
        "mcp_server": mcp_requested(mcp), "app_kwargs": {"lifespan": agent_tool_only},
        "state_session_capacity": sessions(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the neural style transfer web app.")
    parser.add_argument("--share", action="store_true", help="also make a temporary public link")
    parser.add_argument("--mcp", action="store_true", help="also serve the stylize_image tool to AI agents over MCP")
    args = parser.parse_args(argv)
    build_demo().launch(share=args.share, **launch_options(args.mcp))


if __name__ == "__main__":
    main()
