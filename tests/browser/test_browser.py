"""The page in a real browser: Chromium driven by Playwright.

Checks what a visitor sees: the result image changing while the run goes,
Stop ending a run and keeping its image, presets filling the controls, and a
layout that holds up on a desktop and a phone (screenshots; run with
NST_SCREENSHOT_DIR=docs to refresh the ones in docs/). The browser is the
`chromium` on PATH (Debian's package here and in CI), else Playwright's own
download; `python3 scripts/test.py` makes sure one of them is there.
"""

from __future__ import annotations

import io
import os
import shutil
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, sync_playwright

import app
import nst
import web.run.stream
from nst.presets import PRESET_TITLES
from web.costs import estimate, offers
from web.costs.pace import Pace
from web.form.fields import BACKBONE_CHOICES, format_weights
from web.form.persist import STORAGE_KEY
from web.limits import STROKE_STEP

from ..app_server import serve, wait_until
from ..factories import make_clip, save_random_squeezenet

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}
# Warnings Gradio's own bundle gives in every visit, which the page cannot avoid (Gradio 6.31): its upload
# client's stand-in event stream, and its plot spec, written for an older Vega-Lite than it ships.
GRADIOS_OWN_WARNINGS = ("Method not implemented.", "WARN The input spec uses Vega-Lite v5.17.0")
# The desktop page is full length: about 2,500 px tall with the blend panel, history, reuse and link open.
MAX_SCREENSHOT_BYTES = 480_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def url(tmp_path_factory) -> Iterator[str]:
    # Presets and dropped recipes switch to SqueezeNet, and the page then checks its weights at once:
    # random ones in a private TORCH_HOME keep that from reaching for the network.
    home = tmp_path_factory.mktemp("torch")
    save_random_squeezenet(home)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TORCH_HOME", str(home))
        with serve() as address:
            yield address


class Console:
    """What the page told the browser's console: errors, warnings and uncaught exceptions, as text."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        self.warnings: list[str] = []
        page.on("console", self.note)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error} {error.stack}"))

    def note(self, message) -> None:
        if message.type == "error":
            self.errors.append(message.text)
        elif message.type == "warning":
            self.warnings.append(message.text)


def open_page(browser: Browser, url: str, viewport: dict[str, int] = DESKTOP) -> tuple[Page, Console]:
    """A new tab at `viewport` size on the page, its console watched from the start, once it has opened: the
    example photo and painting in place (a choice made before would give way to them)."""
    page = browser.new_page(viewport=viewport)
    console = Console(page)
    page.goto(url)
    page.wait_for_selector("#stylize")
    page.wait_for_selector("#content img[src*='content_chelsea']")
    page.wait_for_selector("#style img[src*='style_starry_night']")
    return page, console


@pytest.fixture
def page(browser: Browser, url: str) -> Iterator[Page]:
    page, _ = open_page(browser, url)
    yield page
    page.close()


@pytest.fixture(params=list(WIDTHS))
def sized(request, browser: Browser, url: str) -> Iterator[tuple[Page, Console]]:
    """The page at desktop and at phone width, with its console, which must show no error."""
    page, console = open_page(browser, url, WIDTHS[request.param])
    yield page, console
    page.close()
    assert console.errors == [], "the browser's console shows errors"


@pytest.fixture(autouse=True)
def no_run_left_behind():
    yield
    assert wait_until(lambda: app.ACTIVE_RUNS.count == 0, timeout=30), "a run kept computing after its test"


def pick_examples(page: Page, photo: str, painting: str) -> None:
    page.locator(f"#content-examples button:has(img[src*='{photo}'])").click()
    page.locator(f"#style-examples button:has(img[src*='{painting}'])").click()
    page.wait_for_selector("#content img")
    page.wait_for_selector("#style img")


# The status's own text: Gradio's tracker beside it says "0.2s" while an event that updates it is under way,
# drawn transparent where the event's progress is hidden, but still text.
STATUS_TEXT = "#status [data-testid='markdown']"
STATUS_JS = f"document.querySelector({STATUS_TEXT!r}).innerText"


def wait_for_status(page: Page, start: str, timeout: float = 120) -> None:
    page.wait_for_function(f"{STATUS_JS}.startsWith({start!r})",
                           timeout=timeout * 1000)


def set_slider(page: Page, elem_id: str, value: float) -> None:
    box = page.locator(f"#{elem_id} input[type=number]")
    box.fill(str(value))
    box.press("Enter")


def slider_value(page: Page, elem_id: str) -> str:
    return page.locator(f"#{elem_id} input[type=number]").input_value()


def wait_until_stored(page: Page, changed_from: str | None) -> None:
    """Wait until the browser's stored settings differ from `changed_from` and have stopped changing.

    Each change stores the whole form, one store after another: the first new
    value seen may come from an earlier change, with the latest still to come.
    """
    readings: list[str | None] = []

    def settled() -> bool:
        readings.append(page.evaluate(f"localStorage.getItem({STORAGE_KEY!r})"))
        return readings[-1] != changed_from and len(readings) >= 6 and len(set(readings[-6:])) == 1

    assert wait_until(settled, timeout=30, interval=0.25), "the settings were not stored"


def result_src(page: Page) -> str | None:
    image = page.locator("#result img")
    return image.first.get_attribute("src") if image.count() else None


def status(page: Page) -> str:
    return page.locator(STATUS_TEXT).inner_text()


def sources_until(page: Page, finished: Callable[[], bool], timeout: float) -> list[str]:
    """The distinct result images shown, in order, until `finished()`."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while not finished():
        assert time.monotonic() < deadline, f"timed out; status: {status(page)!r}"
        src = result_src(page)
        if src and (not seen or seen[-1] != src):
            seen.append(src)
        time.sleep(0.05)
    return seen


def screenshot(page: Page, folder: Path, name: str, full_page: bool) -> Path:
    """A palette PNG of the page, small enough to commit."""
    folder = ROOT / os.environ["NST_SCREENSHOT_DIR"] if os.environ.get("NST_SCREENSHOT_DIR") else folder
    folder.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 0)
    shot = Image.open(io.BytesIO(page.screenshot(full_page=full_page))).convert("RGB")
    path = folder / name
    shot.quantize(128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)
    return path


class Unlearning(Pace):
    """The measured prior, whatever runs this machine finishes under its load."""

    def learn(self, *args, **kwargs) -> None:
        pass


@pytest.mark.slow
def test_the_result_streams_in_and_the_page_fits_desktop_and_phone(page: Page, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(web.run.stream, "UPDATE_SECONDS", 0.3)  # a few updates even on a fast machine
    # The screenshots show what the page offers at the measured pace, not at this machine's load of the moment.
    monkeypatch.setattr(estimate, "PACE", Unlearning())
    pick_examples(page, "content_chelsea", "style_starry_night")
    page.click("#blend button")  # blend in a second painting, so the screenshot shows that part open
    page.locator("#style-2-examples button:has(img[src*='style_great_wave'])").click()
    page.wait_for_selector("#style-2 img")
    set_slider(page, "style-2-weight", 0.5)
    set_slider(page, "size", 256)
    set_slider(page, "steps", 40)
    page.click("#stylize")

    shown = sources_until(page, lambda: status(page).startswith("Done"), timeout=240)
    assert len(shown) >= 3, f"the result changed {len(shown) - 1} times while running"
    assert "· 256×170 px ·" in status(page)  # chelsea is 512×341
    page.wait_for_selector("#download-png a[download='stylized.png']")
    page.wait_for_selector("#download-animation a[download$='.webp']")
    page.wait_for_selector("#comparison img")
    page.wait_for_selector("#losses canvas, #losses svg")
    page.wait_for_selector("#history button[aria-label='Thumbnail 1 of 1']")

    page.click("#advanced button")  # show every control in the screenshot
    page.wait_for_selector("text=Style layer weights")
    desktop = screenshot(page, tmp_path, "screenshot-desktop.png", full_page=True)
    page.set_viewport_size(PHONE)
    page.locator("#result").evaluate("element => element.scrollIntoView()")
    phone = screenshot(page, tmp_path, "screenshot-phone.png", full_page=False)
    page.locator("#history").evaluate("element => element.scrollIntoView()")
    phone_history = screenshot(page, tmp_path, "screenshot-phone-history.png", full_page=False)
    assert Image.open(desktop).width == DESKTOP["width"]
    assert Image.open(phone).width == Image.open(phone_history).width == PHONE["width"]
    for shot in (desktop, phone, phone_history):
        assert shot.stat().st_size < MAX_SCREENSHOT_BYTES, f"{shot} is {shot.stat().st_size} bytes"


def in_view(page: Page, selector: str) -> bool:
    """Whether the element's top is on screen."""
    return page.locator(selector).evaluate("element => { const top = element.getBoundingClientRect().top; "
                                           "return top >= 0 && top < window.innerHeight; }")


def counting_runs(monkeypatch) -> list[int]:
    """Note each run the library starts (the real one runs); the list grows by one per run."""
    started: list[int] = []
    real_stylize = nst.stylize

    def counted(*args, **kwargs):
        started.append(len(started))
        return real_stylize(*args, **kwargs)

    monkeypatch.setattr(nst, "stylize", counted)
    return started


def test_stylize_brings_the_result_into_view_and_the_visitor_may_scroll_away(sized):
    page, _ = sized
    phone = page.viewport_size == PHONE
    if phone:
        box = page.locator("#stylize").bounding_box()
        assert box["y"] + box["height"] <= PHONE["height"], f"Stylize is not on the first screen: {box}"
    pick_examples(page, "content_coffee", "style_the_scream")
    set_slider(page, "size", 64)
    set_slider(page, "steps", 1000)
    if not phone:  # with both panels open, Stylize is far below the result
        page.click("#blend button")
        page.click("#regions button")
        page.wait_for_selector("#brush canvas")
    page.locator("#stylize").scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    assert not in_view(page, "#result")
    page.click("#stylize")
    assert wait_until(lambda: in_view(page, "#result"), timeout=5), "the run started off screen"
    wait_for_status(page, "Step")

    page.locator("#stylize").scroll_into_view_if_needed()  # the visitor goes back to the settings
    page.wait_for_timeout(2500)  # while the run streams in
    assert status(page).startswith("Step") and not in_view(page, "#result"), "the page pulled the visitor back"
    page.click("#stop")
    wait_for_status(page, "Stopped")
    # Stop's answer is where the visitor sees it, and does not send them looking below for an image above.
    assert wait_until(lambda: in_view(page, "#status"), timeout=5), "Stop's message is off screen"
    assert "The image it reached is the result" in status(page) and "below" not in status(page)


def test_stylize_right_after_stop_starts_the_new_run(browser: Browser, url: str, monkeypatch):
    started = counting_runs(monkeypatch)
    page, console = open_page(browser, url)
    pick_examples(page, "content_coffee", "style_the_scream")
    set_slider(page, "size", 64)
    set_slider(page, "steps", 1000)
    page.click("#stylize")
    for runs in range(2, 5):
        wait_for_status(page, "Step")
        page.click("#stop")
        page.click("#stylize")  # at once: the stopped run may still be ending on the server
        assert wait_until(lambda expected=runs: len(started) == expected, timeout=30), f"run {runs} did not start"
    wait_for_status(page, "Step")
    page.click("#stop")
    wait_for_status(page, "Stopped")
    assert console.errors == [], "the page fetched files of a run already gone"
    page.close()


@pytest.mark.slow
def test_uploads_are_checked_as_they_arrive_and_a_refusal_stays_in_the_status_until_answered(sized, tmp_path: Path):
    page, _ = sized
    pick_examples(page, "content_coffee", "style_the_scream")
    set_slider(page, "size", 64)
    set_slider(page, "steps", 10)
    page.click("#stylize")
    wait_for_status(page, "Done")
    page.wait_for_selector("#download-png a[download='stylized.png']")

    not_an_image = tmp_path / "holiday.jpg"
    not_an_image.write_text("a letter, not a picture")
    page.locator("#content input[type=file]").set_input_files(str(not_an_image))
    wait_for_status(page, "Cannot use this photo: holiday.jpg is not an image we can read")
    assert page.locator("#content img").count() == 0, "the refused file stays in its slot"
    assert result_src(page) is None and page.locator("#download-png a").count() == 0, "the last result stayed"
    assert page.locator("#comparison img").count() == 0

    tiny = tmp_path / "dot.png"
    Image.new("RGB", (10, 10), "red").save(tiny)
    page.locator("#style input[type=file]").set_input_files(str(tiny))
    wait_for_status(page, "Cannot use this painting: dot.png is too small (10x10 pixels)")
    assert page.locator("#style img").count() == 0
    good = tmp_path / "painting.png"
    Image.new("RGB", (96, 96), "navy").save(good)
    page.locator("#style input[type=file]").set_input_files(str(good))
    wait_for_status(page, "Press Stylize when the photo and the painting are in.")  # the refusal is answered

    page.click("#stylize")  # with no photo
    wait_for_status(page, "Cannot start: Add a photo")
    page.wait_for_timeout(11_000)  # longer than Gradio's toast stays
    assert status(page).startswith("Cannot start: Add a photo to repaint first"), status(page)
    assert "Error" not in status(page), "Gradio's error badge covers the status"


def test_a_visit_shows_no_console_error_and_the_history_shows_the_picture_it_names(sized, photo_path: Path):
    page, console = sized
    page.locator("#content input[type=file]").set_input_files(str(photo_path))
    page.locator("#style-examples button:has(img[src*='style_the_scream'])").click()
    page.wait_for_selector("#content img")
    set_slider(page, "size", 64)
    set_slider(page, "steps", 10)
    page.click("#stylize")
    wait_for_status(page, "Done")
    set_slider(page, "size", 96)
    set_slider(page, "steps", 1000)
    page.click("#stylize")
    page.wait_for_function(f"/Step [3-9]/.test({STATUS_JS})", timeout=120_000)
    page.click("#stop")
    wait_for_status(page, "Stopped at step")
    reached = status(page).split("step ")[1].split(" /")[0]
    newest = page.locator("#history button[aria-label='Thumbnail 1 of 2']")
    newest.wait_for()
    assert f"· {reached} of 1000 steps ·" in newest.inner_text(), "the caption says the steps the run did"

    older = page.locator("#history button[aria-label='Thumbnail 2 of 2']")
    picture = older.locator("img").get_attribute("src").rsplit("/", 1)[-1]
    older.click()
    page.wait_for_function(f"document.querySelector('#result img')?.src.endsWith({picture!r})")
    assert status(page).startswith("From the history: painting") or status(page).startswith("From the history:")
    assert "10 steps" in status(page)
    assert page.locator("#result img").bounding_box()["width"] > 0.7 * page.locator("#result").bounding_box()["width"]
    assert newest.is_visible(), "the gallery opened its own preview over the thumbnails"
    page.wait_for_function("document.querySelector('#size input[type=number]').value === '64'")

    page.click("#link-button")
    page.wait_for_function("document.querySelector('#link input').value.includes('?')")
    assert page.locator("#link input").input_value().endswith("&paintings=style_the_scream.jpg"), "stray commas"
    assert page.locator("#link-note").inner_text().startswith("Not in the link: your photo.")
    page.wait_for_timeout(1000)  # late messages
    assert console.errors == []
    assert all(warning.startswith(GRADIOS_OWN_WARNINGS) for warning in console.warnings), console.warnings


def overlap(first: dict[str, float], second: dict[str, float]) -> bool:
    """Whether two bounding boxes overlap."""
    return not (first["x"] + first["width"] <= second["x"] or second["x"] + second["width"] <= first["x"]
                or first["y"] + first["height"] <= second["y"] or second["y"] + second["height"] <= first["y"])


def test_examples_have_names_and_no_control_covers_another(sized):
    page, _ = sized
    page.wait_for_selector("#style-examples button[title]")  # named by the page as it opens
    for example in page.locator("#content-examples button, #style-examples button").all():
        name = example.get_attribute("title")
        assert name and example.locator("img").get_attribute("alt") == name == example.get_attribute("aria-label")
    assert page.locator("#style-examples button[title='The Scream, Edvard Munch']").count() == 1

    text_end = page.locator("#preset input").evaluate(
        "input => input.getBoundingClientRect().right - parseFloat(getComputedStyle(input).paddingRight)")
    assert text_end <= page.locator("#preset .icon-wrap").bounding_box()["x"], "the preset's text runs into its arrow"

    legend = page.locator("#loss-legend")
    assert legend.inner_text().split() == ["total", "content", "style", "palette", "tv"]
    right = legend.bounding_box()["x"] + legend.bounding_box()["width"]
    for entry in legend.locator("span").all():
        box = entry.bounding_box()
        assert box["x"] + box["width"] <= right and box["x"] + box["width"] <= page.viewport_size["width"]

    pick_examples(page, "content_coffee", "style_the_scream")
    page.click("#regions button")
    page.wait_for_selector("#brush canvas")
    label = page.locator("#brush > label").bounding_box()
    toolbar = page.locator("#brush .top-panel").bounding_box()
    assert not overlap(label, toolbar), f"the brush editor's toolbar {toolbar} covers its label {label}"


def test_stop_ends_the_run_and_keeps_its_image(page: Page, photo_path: Path, painting_path: Path):
    page.locator("#content input[type=file]").set_input_files(str(photo_path))
    page.locator("#style input[type=file]").set_input_files(str(painting_path))
    page.wait_for_selector("#content img")
    page.wait_for_selector("#style img")
    set_slider(page, "size", 128)
    set_slider(page, "steps", 1000)
    page.click("#stylize")
    page.wait_for_selector("#result img", timeout=120_000)
    assert app.ACTIVE_RUNS.count == 1

    page.click("#stop")
    wait_for_status(page, "Stopped at step")
    assert wait_until(lambda: app.ACTIVE_RUNS.count == 0, timeout=20), "the run kept computing after Stop"
    kept = result_src(page)
    time.sleep(2)
    assert kept and result_src(page) == kept, "the image changed after Stop"
    page.wait_for_selector("#download-png a[download='stylized.png']")
    page.wait_for_selector("#comparison img")


def test_a_preset_fills_the_controls_and_the_network_follows(page: Page):
    size = page.locator("#size input[type=number]")
    weights = page.get_by_label("Style layer weights")
    page.click("#advanced button")
    page.locator("#preset input").click()
    page.get_by_role("option", name=PRESET_TITLES["the-scream"]).click()
    page.wait_for_function("document.querySelector('#size input[type=number]').value === '192'")
    page.wait_for_selector("#style img[src*='style_the_scream']")  # the recipe's own painting
    assert weights.input_value() == format_weights(nst.preset("the-scream").style_layer_weights)
    assert "SqueezeNet" in page.locator("#backbone input").input_value()
    assert slider_value(page, "style-scale") == str(nst.preset("the-scream").style_scale)  # the recipe's own

    page.locator("#backbone input").click()
    page.get_by_role("option", name=dict((value, label) for label, value in BACKBONE_CHOICES)["vgg19"]).click()
    page.wait_for_function("document.querySelector('#size input[type=number]').value === '512'")
    assert page.locator("#preset input").input_value() == PRESET_TITLES["vgg19"]
    assert weights.input_value() == format_weights(nst.preset("vgg19").style_layer_weights)
    assert size.input_value() == "512" and slider_value(page, "style-scale") == "1"
    # The network's preset keeps the painting the visitor has: only a chosen preset brings its own.
    assert page.locator("#style img[src*='style_the_scream']").count() == 1


def test_famous_paintings_come_first_and_fill_the_painting_slots(page: Page):
    names = page.locator("#style-examples img").evaluate_all("images => images.map(image => image.src)")
    famous = ["starry_night", "the_scream", "composition_vii", "great_wave"]
    assert [next((name for name in famous if name in src), src) for src in names[:4]] == famous
    page.click("#blend button")
    page.locator("#style-2-examples button:has(img[src*='style_great_wave'])").click()
    page.wait_for_selector("#style-2 img[src*='style_great_wave']")


def test_the_history_restores_a_results_settings_and_downloads_them_all(page: Page, tmp_path: Path):
    pick_examples(page, "content_coffee", "style_the_scream")
    set_slider(page, "steps", 10)
    for size in (64, 96):
        set_slider(page, "size", size)
        page.click("#stylize")
        wait_for_status(page, "Done")
    page.wait_for_selector("#history button[aria-label='Thumbnail 2 of 2']")
    assert "96 px" in page.locator("#history button[aria-label='Thumbnail 1 of 2']").inner_text()  # newest first
    # The estimate under the steps is now this server's own.
    page.wait_for_function("document.querySelector('#estimate').innerText.includes(\"judging by this server's\")")

    set_slider(page, "steps", 300)
    set_slider(page, "strength", 2.5)
    pick_examples(page, "content_astronaut", "style_great_wave")
    page.click("#history button[aria-label='Thumbnail 2 of 2']")
    page.wait_for_function("document.querySelector('#size input[type=number]').value === '64'")
    assert page.locator("#steps input[type=number]").input_value() == "10"
    assert page.locator("#strength input[type=number]").input_value() == "1"
    # Its photo and painting too, so that Stylize runs it again; the status says so.
    page.wait_for_selector("#content img[src*='content_coffee']")
    page.wait_for_selector("#style img[src*='style_the_scream']")
    assert "Its settings and pictures are back: press Stylize to run it again." in status(page)

    with page.expect_download() as download:
        page.click("#history button[aria-label='Download All']")
    archive = tmp_path / "history.zip"
    download.value.save_as(archive)
    with zipfile.ZipFile(archive) as pictures:
        sizes = []
        for name in pictures.namelist():
            picture = tmp_path / name
            picture.write_bytes(pictures.read(name))
            sizes.append(nst.settings_from_recipe(nst.read_recipe(picture)).size)
    assert sizes == [96, 64]


def test_a_dropped_result_fills_the_controls_and_its_example_pictures(page: Page, tmp_path: Path):
    examples = ROOT / "examples"
    settings = nst.preset("the-scream", size=224, steps=120, style_strength=2.5, seed=42, preserve_color="luminance")
    result = tmp_path / "someone-elses-result.png"
    recipe = nst.make_recipe(settings, examples / "content_coffee.jpg", examples / "style_the_scream.jpg")
    nst.save_png(Image.new("RGB", (64, 48), "orange"), result, recipe)

    page.locator("#reuse input[type=file]").set_input_files(str(result))
    page.wait_for_function("document.querySelector('#size input[type=number]').value === '224'")
    assert page.locator("#steps input[type=number]").input_value() == "120"
    assert page.locator("#strength input[type=number]").input_value() == "2.5"
    assert slider_value(page, "style-scale") == str(settings.style_scale)
    assert page.locator("#preset input").input_value() == PRESET_TITLES["the-scream"]
    assert "SqueezeNet" in page.locator("#backbone input").input_value()
    page.wait_for_selector("#content img[src*='content_coffee']")
    page.wait_for_selector("#style img[src*='style_the_scream']")
    page.wait_for_selector("text=Settings from someone-elses-result.png are in the controls")
    assert status(page).startswith("Settings reused: Settings from someone-elses-result.png are in the controls.")

    plain = tmp_path / "holiday.png"  # a PNG that nst did not write
    Image.open(examples / "content_coffee.jpg").save(plain)
    page.locator("#reuse input[type=file]").set_input_files(str(plain))
    page.wait_for_selector("text=holiday.png carries no recipe")


def test_settings_outlive_a_reload_and_a_link_reopens_them(browser: Browser, page: Page, url: str):
    pick_examples(page, "content_chelsea", "style_great_wave")
    set_slider(page, "size", 320)
    stroke_slider = page.locator("#style-scale input[type=range]")
    stroke_slider.focus()
    for _ in range(10):  # the brush size moved by hand, ten steps up from 1
        stroke_slider.press("ArrowRight")
    moved = f"{1 + 10 * STROKE_STEP:g}"
    assert slider_value(page, "style-scale") == moved
    stored = page.evaluate(f"localStorage.getItem({STORAGE_KEY!r})")
    page.locator("#color label", has_text="Keep photo colours").click()
    # The browser stores the whole form (encrypted) as soon as a setting changes.
    wait_until_stored(page, changed_from=stored)

    page.reload()
    page.wait_for_selector("#stylize")
    page.wait_for_function("document.querySelector('#size input[type=number]').value === '320'")
    assert page.locator("#color input[value='luminance']").is_checked()
    assert slider_value(page, "style-scale") == moved
    page.wait_for_selector("#style img[src*='style_starry_night']")  # never the pictures: the page's own again
    assert page.locator("#style img[src*='style_great_wave']").count() == 0

    pick_examples(page, "content_chelsea", "style_great_wave")
    page.click("#link-button")
    page.wait_for_function("document.querySelector('#link input').value.includes('?size=320')")
    link = page.locator("#link input").input_value()
    assert link.startswith(url) and f"&style_scale={moved}&" in link

    stranger = browser.new_page(viewport=DESKTOP)  # a browser that has stored nothing
    try:
        stranger.goto(link)
        stranger.wait_for_selector("#stylize")
        stranger.wait_for_function("document.querySelector('#size input[type=number]').value === '320'")
        assert stranger.locator("#color input[value='luminance']").is_checked()
        assert slider_value(stranger, "style-scale") == moved
        stranger.wait_for_selector("#content img[src*='content_chelsea']")
        stranger.wait_for_selector("#style img[src*='style_great_wave']")
    finally:
        stranger.close()


# Points on the brush canvas, as fractions of its width and height: the photo is drawn centred and
# fitted to the canvas, so they lie on it at any zoom. The strokes go over the first one only.
BRUSHED, UNBRUSHED = (0.27, 0.5), (0.75, 0.5)


def tints(page: Page) -> tuple[float, float]:
    """How much the brush colour tints the canvas at the brushed and the unbrushed point: red minus green."""
    shot = np.asarray(Image.open(io.BytesIO(page.locator("#brush canvas").first.screenshot())).convert("RGB"))
    height, width = shot.shape[:2]
    values = []
    for x, y in (BRUSHED, UNBRUSHED):
        patch = shot[round(y * height) - 3 : round(y * height) + 3, round(x * width) - 3 : round(x * width) + 3]
        values.append(float(patch[..., 0].mean() - patch[..., 1].mean()))
    return values[0], values[1]


def settled_tints(page: Page) -> tuple[float, float]:
    """The tints once the canvas has stopped changing (the photo drawn, a change applied)."""
    readings = [tints(page)]

    def steady() -> bool:
        readings.append(tints(page))
        return readings[-1] == readings[-2]

    assert wait_until(steady, timeout=20, interval=0.5)
    return readings[-1]


@pytest.mark.slow
def test_stylize_pressed_right_after_a_stroke_gets_the_stroke(page: Page, monkeypatch):
    """The mask reaches the run even when Stylize comes before the stroke's own round trip to the server."""
    used = {}
    real_stylize = nst.stylize

    def recording(*args, **kwargs):
        used.update(kwargs)
        return real_stylize(*args, **kwargs)

    monkeypatch.setattr(nst, "stylize", recording)
    pick_examples(page, "content_coffee", "style_starry_night")
    set_slider(page, "size", 64)
    set_slider(page, "steps", 10)
    page.click("#regions button")
    page.wait_for_selector("#brush canvas")
    page.locator("#brush button[aria-label='Brush']").click()
    canvas = page.locator("#brush canvas").first
    canvas.scroll_into_view_if_needed()
    settled_tints(page)  # the photo is drawn
    box = canvas.bounding_box()
    x = box["x"] + BRUSHED[0] * box["width"]
    page.mouse.move(x, box["y"] + 0.2 * box["height"])
    page.mouse.down()
    page.mouse.move(x, box["y"] + 0.8 * box["height"], steps=20)
    page.mouse.up()
    page.click("#stylize")  # at once, not waiting for the mask
    wait_for_status(page, "Done", timeout=240)
    assert used.get("mask") is not None, "the run started without the stroke"
    assert np.asarray(used["mask"].convert("L")).max() == 255


@pytest.mark.slow
def test_brushing_a_region_paints_only_there(page: Page, monkeypatch):
    used = {}
    real_stylize = nst.stylize

    def recording(*args, **kwargs):
        used.update(kwargs)
        return real_stylize(*args, **kwargs)

    monkeypatch.setattr(nst, "stylize", recording)  # the real run, with its mask kept for measuring
    pick_examples(page, "content_coffee", "style_starry_night")
    set_slider(page, "size", 64)
    set_slider(page, "steps", 40)
    page.click("#regions button")
    page.wait_for_selector("#brush canvas")
    page.locator("#brush button[aria-label='Brush']").click()
    canvas = page.locator("#brush canvas").first
    canvas.scroll_into_view_if_needed()
    photo_tints = settled_tints(page)
    box = canvas.bounding_box()
    for offset in (-0.08, -0.04, 0.0, 0.04):  # vertical strokes over the brushed point, none near the other
        x = box["x"] + (BRUSHED[0] + offset) * box["width"]
        page.mouse.move(x, box["y"] + 0.2 * box["height"])
        page.mouse.down()
        page.mouse.move(x, box["y"] + 0.8 * box["height"], steps=20)
        page.mouse.up()
    tinted = settled_tints(page)  # the strokes show, faintly, over the photo
    assert tinted[0] > photo_tints[0] + 20 and abs(tinted[1] - photo_tints[1]) < 5, (photo_tints, tinted)

    page.click("#stylize")
    wait_for_status(page, "Done", timeout=240)
    page.wait_for_selector("#comparison img")  # the before/after slider still comes
    link = page.locator("#download-png a[download='stylized.png']").get_attribute("href")
    result = np.asarray(Image.open(io.BytesIO(page.request.get(link).body())).convert("RGB"), dtype=float)
    height, width = result.shape[:2]
    photo = nst.load_image(ROOT / "examples" / "content_coffee.jpg")
    photo = np.asarray(photo.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0), dtype=float)
    mask = np.asarray(used["mask"].convert("L").resize((width, height), Image.Resampling.BOX), dtype=float)
    change = np.abs(result - photo).mean(axis=2)
    inside, outside = change[mask == 255].mean(), change[mask == 0].mean()
    assert (mask == 255).mean() > 0.15 and (mask == 0).mean() > 0.3, "the strokes missed the photo"
    assert inside > 15 and outside < 6, f"changed {inside:.1f} levels inside the brushed region, {outside:.1f} outside"

    page.click("#brush-invert")
    assert wait_until(lambda: tints(page)[1] > photo_tints[1] + 20, timeout=20)
    inverted = settled_tints(page)
    assert abs(inverted[0] - photo_tints[0]) < 5, (photo_tints, inverted)
    page.click("#brush-clear")
    assert wait_until(lambda: tints(page)[1] < photo_tints[1] + 5, timeout=20)
    cleared = settled_tints(page)
    assert all(abs(now - before) < 5 for now, before in zip(cleared, photo_tints, strict=True)), (photo_tints, cleared)


@pytest.mark.slow
def test_a_clip_is_checked_at_upload_and_comes_back_as_a_video(browser: Browser, url: str, painting_path: Path,
                                                               tmp_path: Path):
    page, console = open_page(browser, url)
    try:
        junk = tmp_path / "holiday.mp4"
        junk.write_bytes(np.random.default_rng(0).bytes(4096))
        page.click("#clip-panel button")
        page.locator("#clip input[type=file]").set_input_files(str(junk))
        wait_for_status(page, "Cannot use this clip: holiday.mp4")

        clip = make_clip(tmp_path / "walk.mp4", 5, fps=10, size=(96, 64), audio="aac")
        page.locator("#clip input[type=file]").set_input_files(str(clip))
        page.locator("#style input[type=file]").set_input_files(str(painting_path))
        page.wait_for_selector("#clip video")
        page.wait_for_selector("#style img")
        set_slider(page, "size", 64)
        set_slider(page, "steps", 10)
        page.click("#stylize")
        wait_for_status(page, "Done · 5 frames")
        assert result_src(page), "the last frame is shown"
        page.wait_for_selector("#losses canvas, #losses svg")  # the last frame's losses, and the chart says so
        assert "Losses of frame 5 (log scale)" in page.locator("#losses").inner_text()
        source = page.locator("#clip-result video").get_attribute("src")
        assert source and "stylized.mp4" in source
        page.wait_for_function("document.querySelector('#clip-result video').readyState >= 1", timeout=30_000)
        assert console.errors == [], "the browser's console shows errors"
    finally:
        page.close()


def test_stop_mid_clip_shows_the_frames_made_as_a_video(page: Page, painting_path: Path, tmp_path: Path):
    clip = make_clip(tmp_path / "walk.mp4", 30, fps=10, size=(96, 64), audio="aac")
    page.click("#clip-panel button")
    page.locator("#clip input[type=file]").set_input_files(str(clip))
    page.locator("#style input[type=file]").set_input_files(str(painting_path))
    page.wait_for_selector("#clip video")
    page.wait_for_selector("#style img")
    set_slider(page, "size", 96)
    set_slider(page, "steps", 10)
    page.click("#stylize")
    # Updates come about once a second, so any frame past the second will do.
    page.wait_for_function(rf"/^Frame ([3-9]|[12]\d) of 30/.test({STATUS_JS})",
                           timeout=120_000)
    page.click("#stop")
    wait_for_status(page, "Stopped after")
    assert wait_until(lambda: app.ACTIVE_RUNS.count == 0, timeout=20), "the run kept computing after Stop"
    kept = int(status(page).split("after ")[1].split(" of")[0])
    assert 2 <= kept < 30, status(page)
    page.wait_for_selector("#clip-result video[src*='stylized.mp4']")
    page.wait_for_function("document.querySelector('#clip-result video').readyState >= 1", timeout=30_000)


def test_the_page_opens_with_an_example_in_place_and_one_press_shows_what_it_does(sized):
    page, _ = sized
    assert status(page).startswith("An example photo and painting are in place: press Stylize")
    box = page.locator("#stylize").bounding_box()
    assert box["y"] + box["height"] <= page.viewport_size["height"], f"Stylize is not on the first screen: {box}"
    for picture in ("#content img", "#style img"):
        shown = page.locator(picture).bounding_box()
        assert shown["y"] + shown["height"] <= page.viewport_size["height"], f"{picture} is not on the first screen"
    set_slider(page, "size", 64)
    set_slider(page, "steps", 10)
    page.click("#stylize")
    wait_for_status(page, "Done")
    assert "chelsea" in page.locator("#history").inner_text() or result_src(page)


@pytest.fixture
def slow_server(monkeypatch):
    """A server whose runs have taught it a pace three times the 2-core CPU's in fp32: 30 s a unit of work."""
    pace = Pace()
    pace.learn("vgg19", 1.0, estimate.SETUP_SECONDS + 30, estimate.SETUP_SECONDS)
    monkeypatch.setattr(estimate, "PACE", pace)


def test_the_page_offers_what_finishes_here_and_takes_it_in_one_click(slow_server, page: Page, tmp_path: Path):
    largest = offers.largest_size(nst.Settings(size=512, steps=26))
    info = page.locator("#size")
    page.wait_for_function(f"document.querySelector('#size').innerText.includes('Up to {largest} px here')")
    assert "a larger picture would not finish within the 3 min a run may take on this server" in info.inner_text()
    assert page.locator("#size input[type=range]").get_attribute("max") == str(largest)
    assert page.locator("#use-size").is_hidden()

    set_slider(page, "size", 2048)  # as a link or a stored form may ask
    page.wait_for_selector(f"#use-size:has-text('Use {largest} px')")
    assert f"{largest} px finishes in time" in page.locator("#estimate").inner_text()
    page.click("#use-size")
    page.wait_for_function(f"document.querySelector('#size input[type=number]').value === '{largest}'")
    page.wait_for_selector("#use-size", state="hidden")

    clip = make_clip(tmp_path / "walk.mp4", 30, fps=10, size=(96, 64), audio="aac")  # 3 s
    page.click("#clip-panel button")
    page.locator("#clip input[type=file]").set_input_files(str(clip))
    page.wait_for_selector("#clip video")
    length = page.locator("#use-clip-length")
    length.wait_for()
    assert "It would not finish within the 3 min a run may take here" in page.locator("#clip-caps").inner_text()
    assert page.locator("#use-clip-size").inner_text().startswith("Use ")

    seconds = length.inner_text().removeprefix("Use the first ").removesuffix(" s")
    length.click()
    page.wait_for_selector(f"#clip video[src*='-first-{seconds}s.mp4']", timeout=60_000)
    page.wait_for_selector("#use-clip-length", state="hidden")
    assert "It would not finish" not in page.locator("#clip-caps").inner_text()


def test_the_clip_panel_reads_as_text_under_the_clip_and_nothing_covers_its_label(sized, tmp_path: Path):
    page, _ = sized
    page.click("#clip-panel button")
    page.locator("#clip input[type=file]").set_input_files(str(make_clip(tmp_path / "walk.mp4", 10, fps=10)))
    page.wait_for_selector("#clip video")
    page.wait_for_function("document.querySelector('#clip-caps').innerText.includes('for this clip')")
    caps, video = page.locator("#clip-caps").bounding_box(), page.locator("#clip").bounding_box()
    assert caps["width"] > 0.9 * video["width"] and caps["y"] >= video["y"] + video["height"] - 1, (caps, video)
    label, toolbar = page.locator("#clip > label").bounding_box(), page.locator("#clip .top-panel").bounding_box()
    assert not overlap(label, toolbar), f"the clip's toolbar {toolbar} covers its label {label}"
