"""The server's footprint levels off: memory a run freed goes back to the system, and the sessions kept are bounded."""

from __future__ import annotations

import threading
from pathlib import Path

from web.memory import memory_released

from .app_server import serve_demo
from .factories import make_photo
from .visitors import Visitor, upload


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_memory_freed_in_a_worker_thread_is_handed_back():
    """As a run does: many medium allocations on a worker thread, most freed, a few kept (holes remain)."""
    kept: list[bytearray] = []

    def run() -> None:
        with memory_released():
            blocks = [bytearray(100_000) for _ in range(2000)]  # 200 MB, each below glibc's mmap threshold
            kept.extend(blocks[::10])
            del blocks
            before.append(rss_mb())

    start, before = rss_mb(), []
    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    assert before[0] - start > 150, "the freed memory was not held to begin with: this test proves nothing here"
    assert rss_mb() - start < 60, f"freed memory stayed resident: {rss_mb() - start:.0f} MB above the start"
    assert len(kept) == 200


def test_the_server_keeps_at_most_nst_sessions_sessions(monkeypatch, tmp_path):
    """Gradio keeps a closed session's state until it holds NST_SESSIONS of them (its StateHolder)."""
    monkeypatch.setenv("NST_SESSIONS", "3")
    photo = tmp_path / "photo.png"
    make_photo().save(photo)
    with serve_demo() as (demo, url):
        content, style = upload(url, photo, photo)
        for _ in range(5):
            with Visitor(url) as visitor:
                visitor.join(content, style, size=64, steps=10, multiscale=False)
                assert visitor.completed()["success"]
        assert len(demo.state_holder.session_data) <= 3
