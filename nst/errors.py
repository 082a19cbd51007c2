"""Exceptions a user can act on.

Every failure that a person can fix (a bad file, a missing download, settings
that make no sense) is raised as an `NSTError` with a message written for that
person. The layers above translate them: the app shows the message in the page,
the command line prints it and exits non-zero. Anything else is a bug.
"""

from __future__ import annotations

import numpy as np


class NSTError(Exception):
    """Base class for errors whose message is meant for the user."""


class ImageInputError(NSTError):
    """An input file is not an image we can use (unreadable, too big, too small)."""


class SettingsError(NSTError, ValueError):
    """A setting is out of range or inconsistent with another one."""


class WeightsUnavailableError(NSTError):
    """A feature extractor's weights cannot be found or downloaded."""


class RunFailedError(NSTError):
    """The optimisation stopped early; `last_image` holds the last good result.

    Raised when the loss stops being finite (weights or learning rate too
    large) or memory runs out. Nothing is lost: the last image that had finite
    pixels travels with the exception so the caller can still show or save it.
    """

    def __init__(self, message: str, last_image: np.ndarray | None = None) -> None:
        super().__init__(message)
        self.last_image = last_image
