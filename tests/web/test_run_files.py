"""A run's files: written in its session's folder, served from there, deleted when no longer needed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import app
import nst
from web.run.record import MAX_FRAMES, RECENT_FRAMES, RunRecord
from web.run_files import runs_root, session_folder

from ..app_server import wait_until
from ..factories import make_painting, make_photo
from ..visitors import Visitor, upload

SMALL = {"size": 64, "steps": 10, "multiscale": False}


def progress(step: int) -> nst.Progress:
    """A step with an image of its own noise (a WebP encoder merges frames that look alike)."""
    image = np.random.default_rng(step).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    return nst.Progress(
        step=step, total_steps=1000, scale=1, scales=1, size=(40, 30), picture=image,
        losses={"total": 1.0}, elapsed=1.0, setup_seconds=0.5, iterations_per_second=2.0, seconds_left=40.0,
        device="cpu", precision="fp32",
    )


def test_a_long_run_keeps_a_bounded_number_of_frame_files_and_all_the_recent_ones(tmp_path):
    photo = make_photo()
    record = RunRecord.start(tmp_path, photo, seed=0, recipe=nst.make_recipe(nst.Settings(), photo, make_painting()))
    shown = [record.add_frame(progress(step)) for step in range(1, 301)]
    on_disk = sorted(tmp_path.glob("frame-*.png"))
    assert on_disk == sorted(record.frames), "every frame the record holds is on disk, and only those"
    assert len(on_disk) <= MAX_FRAMES
    assert all(path.exists() for path in shown[-RECENT_FRAMES:]), "a frame the page may still fetch was deleted"
    record.add(progress(300))
    png, animation = record.downloads()
    with Image.open(animation) as frames:
        assert frames.n_frames == len(record.frames)
    record.discard()
    assert not tmp_path.exists()


@pytest.mark.parametrize("session", ["../../etc", "/tmp/x", "a" * 500, ""])
def test_a_session_name_cannot_lead_outside_the_runs_folder(session):
    folder = session_folder(session)
    assert folder.parent == runs_root() and len(folder.name) == 32


def served_files(message: dict) -> list[Path]:
    """Every file in Gradio's cache that a stream message points the page at (full values and diffs alike)."""
    cache = str(runs_root().parent)

    def walk(value) -> list[Path]:
        if isinstance(value, str):
            return [Path(value)] if value.startswith(cache + "/") else []
        items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
        return [path for item in items for path in walk(item)]

    return walk(message.get("output", {}))


def test_a_sessions_files_live_in_its_folder_and_go_when_its_tab_closes(url, tmp_path):
    photo = tmp_path / "photo.png"
    make_photo().save(photo)
    content, style = upload(url, photo, photo)
    with Visitor(url) as visitor:
        folder = session_folder(visitor.session)
        visitor.join(content, style, **SMALL)
        shown = []
        with visitor.messages() as stream:
            for message in stream:
                shown += served_files(message)
                if message["msg"] == "process_completed":
                    break
        assert message["success"], message
        uploads = {Path(content), Path(style)}
        outputs = [path for path in shown if path not in uploads]
        assert len({path.name for path in outputs}) >= 4, f"frames, before, PNG and animation expected: {outputs}"
        assert all(folder in path.parents for path in outputs), "a file was served from outside the session"
        first_run = next(path.parent for path in outputs if path.name == "stylized.png")
        assert first_run.is_dir()

        visitor.join(content, style, **SMALL)
        assert visitor.completed()["success"]
        assert not first_run.exists(), "the session's previous run kept its files"
        assert len(list((folder / "history").iterdir())) == 2, "the history keeps a copy of each result"
    assert wait_until(lambda: not folder.exists(), timeout=10), "the session's files outlived its tab"


def test_a_run_whose_tab_closes_stops_and_leaves_nothing(url, tmp_path):
    photo = tmp_path / "photo.png"
    make_photo().save(photo)
    content, style = upload(url, photo, photo)
    visitor = Visitor(url)
    folder = session_folder(visitor.session)
    visitor.join(content, style, size=128, steps=1000, multiscale=False)
    with visitor.messages() as stream:
        next(message for message in stream if message["msg"] == "process_generating" and message["output"]["data"][0])
        assert app.ACTIVE_RUNS.count == 1
        visitor.close()
    assert wait_until(lambda: app.ACTIVE_RUNS.count == 0, timeout=20), "the abandoned run kept computing"
    assert wait_until(lambda: not folder.exists(), timeout=10), "the abandoned run left its files"
