"""This visitor's results in this session: a bounded gallery, each picture with the settings that made it.

The pictures are copies of the result PNGs (recipe chunk included), kept in a
folder of their own, so a new run, which discards the previous run's files,
leaves them alone; the oldest goes once there are MAX_ENTRIES. The page puts
that folder among the session's files (`web.run_files`), which go when the
tab closes; Gradio expiring the session's state deletes it too.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

import gradio as gr

from ..page_update import PageUpdate
from .fields import widget_values

# Twelve 1024 px PNGs are at most ~30 MB of disk per session and a screenful of thumbnails.
MAX_ENTRIES = 12


@dataclasses.dataclass(frozen=True)
class Entry:
    """One result: its picture, the page's settings that made it, and a one-line caption."""

    png: Path
    form: dict[str, Any]
    caption: str


class History:
    """A session's results, newest first, at most MAX_ENTRIES of them."""

    def __init__(self, folder: Path | None = None) -> None:
        """Keep the pictures in `folder` (made when first needed), or in a new temporary folder."""
        self.entries: list[Entry] = []
        self.folder = folder
        self.added = 0
        self.lock = threading.Lock()

    def add(self, png: str | Path, form: dict[str, Any], caption: str) -> None:
        """Keep a copy of the result `png` with its settings; forget the oldest beyond MAX_ENTRIES."""
        with self.lock:
            self.folder = self.folder or Path(tempfile.mkdtemp(prefix="nst-history-"))
            self.folder.mkdir(parents=True, exist_ok=True)
            self.added += 1
            copy = self.folder / f"nst-result-{self.added:03d}.png"
            shutil.copyfile(png, copy)
            self.entries.insert(0, Entry(copy, dict(form), caption))
            for old in self.entries[MAX_ENTRIES:]:
                old.png.unlink(missing_ok=True)
            del self.entries[MAX_ENTRIES:]

    def gallery(self) -> list[tuple[str, str]]:
        """(picture, caption) pairs, newest first, as gr.Gallery shows them."""
        return [(str(entry.png), entry.caption) for entry in self.entries]

    def entry(self, index: int) -> Entry | None:
        """The result at gallery position `index`; None if there is none."""
        entries = self.entries
        return entries[index] if 0 <= index < len(entries) else None

    def discard(self) -> None:
        """Delete every picture (Gradio has served copies of them)."""
        with self.lock:
            self.entries.clear()
            if self.folder is not None:
                shutil.rmtree(self.folder, ignore_errors=True)


def discard_history(history: History | None) -> None:
    """Let a session's history go when Gradio expires the session's state."""
    if history is not None:
        history.discard()


def restore_from_history(history: History | None, selected: gr.SelectData) -> PageUpdate:
    """Clicking a picture in the history shows it as the result and puts its settings back in the widgets."""
    entry = history.entry(selected.index) if history is not None else None
    if entry is None:
        return PageUpdate()
    status = f"**From the history**: {entry.caption}. Its settings are in the controls; press **Stylize** to run again."
    return PageUpdate(form=widget_values(entry.form), result=str(entry.png), status=status)
