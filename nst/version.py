"""The library's version: written once here; pyproject.toml and every recipe read it."""

__version__ = "0.3.0"
