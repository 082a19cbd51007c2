"""Shared fixtures: small images saved to a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from .factories import make_painting, make_photo


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
