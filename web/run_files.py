"""Where a run's images live on disk, and when they are deleted.

Every file a run shows or offers (the streamed frames, the "before" image, the
PNG and the animation) is written by us into a folder of the visitor's session
inside Gradio's own cache folder. Gradio serves a file that is already in its
cache where it lies, without a copy of its own, so every file a run makes is
one we know and can delete: frames the animation no longer needs as soon as
the page has had time to fetch them, a run's folder when its session starts
the next run, and the session's folder when its tab closes (`forget_session`,
Gradio's unload event). Gradio's own sweep (`delete_cache`) stays as the
backstop for uploads and anything else.

Session names come from the client, so folder names are their hash: no name
a client picks can reach outside the folder.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

import gradio as gr
from gradio.utils import get_upload_folder

FOLDER = "nst-runs"


def runs_root() -> Path:
    """The folder inside Gradio's cache (GRADIO_TEMP_DIR, else the temp folder's "gradio") that holds all runs."""
    return Path(get_upload_folder()) / FOLDER


def session_folder(session: str | None) -> Path:
    """The folder of one session's runs (one shared folder for callers without a session)."""
    return runs_root() / hashlib.sha256((session or "").encode()).hexdigest()[:32]


def new_run_folder(session: str | None) -> Path:
    """A fresh, empty folder for one run of `session`."""
    parent = session_folder(session)
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="run-", dir=parent))


def forget_session(request: gr.Request) -> None:
    """Delete everything a session's runs wrote: its tab has closed (Gradio's unload event)."""
    shutil.rmtree(session_folder(request.session_hash), ignore_errors=True)
