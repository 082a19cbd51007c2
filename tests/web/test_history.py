"""The page's history: newest first, bounded in count and in files kept, each entry with its settings."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from web.form.history import MAX_ENTRIES, History


def test_the_history_keeps_the_newest_results_and_deletes_the_rest(tmp_path: Path):
    history = History()
    for number in range(MAX_ENTRIES + 3):
        result = tmp_path / "stylized.png"  # each run writes its PNG under the same name
        Image.new("RGB", (8, 8), (number, 0, 0)).save(result)
        history.add(result, {"seed": number}, f"run {number}")

    shown = history.gallery()
    assert [caption for _, caption in shown] == [f"run {n}" for n in range(MAX_ENTRIES + 2, 2, -1)]
    assert [Image.open(path).getpixel((0, 0))[0] for path, _ in shown] == list(range(MAX_ENTRIES + 2, 2, -1))
    assert sorted(history.folder.iterdir()) == sorted(Path(path) for path, _ in shown), "dropped files are deleted"
    assert history.entry(0).form == {"seed": MAX_ENTRIES + 2} and history.entry(MAX_ENTRIES) is None

    folder = history.folder
    history.discard()
    assert not folder.exists() and history.gallery() == []
