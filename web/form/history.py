"""This visitor's results in this session: a bounded gallery, each picture with the settings that made it.

The pictures are copies of the result PNGs (recipe chunk included), kept in a
folder of their own, so a new run, which discards the previous run's files,
leaves them alone; the oldest goes once there are MAX_ENTRIES. The page puts
that folder among the session's files (`web.run_files`), which go when the
tab closes; Gradio expiring the session's state deletes it too.

An entry also names the pictures (and clip) its run was given, where the page
keeps them: examples in their folder, uploads in Gradio's cache until its
sweep (`delete_cache`). Clicking the entry puts them back with its settings, so
Stylize runs it again; what is gone, and the brush's strokes, the status names.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.utils import get_upload_folder

from ..page_update import PageUpdate
from .examples import example_of_file
from .fields import widget_values

# Twelve 1024 px PNGs are at most ~30 MB of disk per session and a screenful of thumbnails.
MAX_ENTRIES = 12


# The page's picture and clip slots by their `PageUpdate` fields, as a status names them.
SLOT_NAMES = {
    "photo": "the photo", "painting": "the painting", "painting_2": "the second painting",
    "painting_3": "the third painting", "mask_painting": "the painting for the rest", "clip": "the clip",
}


@dataclasses.dataclass(frozen=True)
class Entry:
    """One result: its picture, the page's settings that made it, a one-line caption, the files in its run's
    picture and clip slots (by `SLOT_NAMES`; None for an empty one), and whether it was brushed."""

    png: Path
    form: dict[str, Any]
    caption: str
    pictures: dict[str, str | None] = dataclasses.field(default_factory=dict)
    brushed: bool = False


class History:
    """A session's results, newest first, at most MAX_ENTRIES of them."""

    def __init__(self, folder: Path | None = None) -> None:
        """Keep the pictures in `folder` (made when first needed), or in a new temporary folder."""
        self.entries: list[Entry] = []
        self.folder = folder
        self.added = 0
        self.lock = threading.Lock()

    def add(
        self, png: str | Path, form: dict[str, Any], caption: str, pictures: dict[str, str | None] | None = None,
        brushed: bool = False,
    ) -> None:
        """Keep a copy of the result `png` with its settings and what it was given; forget the oldest beyond
        MAX_ENTRIES."""
        with self.lock:
            self.folder = self.folder or Path(tempfile.mkdtemp(prefix="nst-history-"))
            self.folder.mkdir(parents=True, exist_ok=True)
            self.added += 1
            copy = self.folder / f"nst-result-{self.added:03d}.png"
            shutil.copyfile(png, copy)
            self.entries.insert(0, Entry(copy, dict(form), caption, dict(pictures or {}), brushed))
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


def kept(path: str | None) -> str | None:
    """A file an earlier run was given, where a slot can show it again: an example from its folder, or an upload
    still in Gradio's cache; None when there was none or it is gone.

    Only those two places count: the path came from the visitor's browser.
    """
    if path is None or not Path(path).is_file():
        return None
    example = example_of_file(path)
    if example is not None:
        return str(example)
    inside = Path(path).resolve().is_relative_to(Path(get_upload_folder()).resolve())
    return path if inside else None


def restore_from_history(history: History | None, selected: gr.SelectData) -> PageUpdate:
    """Clicking a picture in the history shows it as the result and puts back its settings, its pictures and its
    clip (emptying the slots it did not use), so that Stylize runs it again; the status says what could not be
    put back."""
    entry = history.entry(selected.index) if history is not None else None
    if entry is None:
        return PageUpdate()
    slots = {slot: kept(path) for slot, path in entry.pictures.items()}
    gone = [SLOT_NAMES[slot] for slot, path in entry.pictures.items() if path is not None and slots[slot] is None]
    if gone:
        them = "it" if len(gone) == 1 else "them"
        back = (f"Its settings are back; {' and '.join(gone)} {'is' if len(gone) == 1 else 'are'} no longer on "
                f"this server: add {them} again, then press **Stylize** to run it again.")
    else:
        given = "pictures and clip" if entry.pictures.get("clip") else "pictures"
        back = f"Its settings and {given} are back: press **Stylize** to run it again."
    if entry.brushed:
        back += " Brush the region again: strokes are not kept."
    status = f"**From the history**: {entry.caption}. {back}"
    return PageUpdate(form=widget_values(entry.form), result=str(entry.png), status=status, **slots)
