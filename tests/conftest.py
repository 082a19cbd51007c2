"""Shared fixtures: small images saved to a temporary folder, the runs a test makes, the app served on loopback."""

from __future__ import annotations

import weakref
from importlib import import_module
from pathlib import Path

import pytest

from .factories import make_painting, make_photo

# The module, which the package's `stylize` (the generator) hides as an attribute.
STYLIZE_MODULE = import_module("nst.stylize")


@pytest.fixture
def photo_path(tmp_path: Path) -> Path:
    path = tmp_path / "photo.png"
    make_photo().save(path)
    return path


@pytest.fixture
def painting_path(tmp_path: Path) -> Path:
    path = tmp_path / "painting.png"
    make_painting().save(path)
    return path


@pytest.fixture
def runs(monkeypatch) -> list[weakref.ref]:
    """Weak references to every run `stylize` makes from now on, by its canvas: the real class, only noted.

    A run has one canvas, which holds its photo, its repainted start at the
    output size and, through the palette, its colour maps: what a record
    must not keep alive once the run has ended.
    """
    made: list[weakref.ref] = []

    class NotedCanvas(STYLIZE_MODULE.Canvas):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            made.append(weakref.ref(self))

    monkeypatch.setattr(STYLIZE_MODULE, "Canvas", NotedCanvas)
    return made


@pytest.fixture(scope="module")
def url():
    """The real app served on loopback, one server for a test module."""
    from .app_server import serve

    with serve() as address:
        yield address


@pytest.fixture
def client(url):
    """A gradio_client visitor of the served app."""
    from gradio_client import Client

    visitor = Client(url, verbose=False)
    yield visitor
    visitor.close()


@pytest.fixture
def no_run_left_behind():
    """The test starts and ends with no run computing (modules of the served app use it for every test)."""
    import app

    from .app_server import wait_until

    assert wait_until(lambda: app.ACTIVE_RUNS.count == 0, timeout=30)
    yield
    assert wait_until(lambda: app.ACTIVE_RUNS.count == 0, timeout=30), "a run kept computing after its test"
