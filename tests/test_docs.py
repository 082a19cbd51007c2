"""The README and BENCHMARKS.md against what they describe: the install, the page's limits."""

from __future__ import annotations

import re
from pathlib import Path

from web.limits import MAX_SIZE

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_says_how_to_get_torchs_cpu_build_with_the_pinned_versions():
    readme = (ROOT / "README.md").read_text()
    pins = dict(re.findall(r"^(torch|torchvision)==(\S+)$", (ROOT / "requirements.txt").read_text(), re.MULTILINE))
    command = f"pip install torch=={pins['torch']} torchvision=={pins['torchvision']} --index-url " \
              "https://download.pytorch.org/whl/cpu"
    assert command in readme
    assert "CUDA build" in readme and "5.8 GB" in readme


def test_no_document_gives_the_page_a_larger_output_than_it_allows():
    for name in ("README.md", "BENCHMARKS.md"):
        text = " ".join((ROOT / name).read_text().split())
        for size in re.findall(r"(?:largest|biggest) (?:output|picture|run) the (?:app|page) allows,? (\d+)", text):
            assert int(size) <= MAX_SIZE, f"{name} says the page allows {size} px; it stops at {MAX_SIZE}"
