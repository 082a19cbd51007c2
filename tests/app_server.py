"""Serve the web app on loopback inside the test process.

In the same process the tests can read the app's own state (how many runs are
computing) while a real server, a real queue and real HTTP sit in between.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import gradio as gr
from gradio_client import Client, handle_file
from gradio_client.client import Job

import app


@contextlib.contextmanager
def serve_demo() -> Iterator[tuple[gr.Blocks, str]]:
    """Build the demo (queue sized from the environment as it is now), launch it, yield it and its URL."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    demo = app.build_demo()
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, **app.launch_options())
    try:
        yield demo, url
    finally:
        demo.close()


@contextlib.contextmanager
def serve() -> Iterator[str]:
    """Serve the demo as `serve_demo` does, for tests that need only its URL."""
    with serve_demo() as (_, url):
        yield url


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Poll `condition` until it holds or `timeout` seconds pass; whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


# Positions of the /stylize endpoint's outputs in each streamed update.
IMAGE, STATUS, LOSSES, COMPARISON, PNG, ANIMATION, HISTORY, VIDEO = range(8)


def submit(client: Client, photo: Path, painting: Path, **settings) -> Job:
    """Start a /stylize job the way an API user would: keyword arguments, files by handle."""
    return client.submit(content=handle_file(str(photo)), style=handle_file(str(painting)), api_name="/stylize",
                         **settings)


def first_image(job: Job) -> tuple:
    """Iterate `job` until an update carries an image; that update."""
    for output in job:
        if output[IMAGE]:
            return output
    raise AssertionError(f"the job ended without an image: {job.status()}")
