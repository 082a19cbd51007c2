"""A visitor's mistakes: said where the visitor looks, and logged in one line.

A refused request (no photo, a file that is not an image, a picture too
small, a setting out of range) is the visitor's mistake, not the server's: it
gets one log line, not a traceback, so that a server's log shows its bugs.
The message goes in the status box, where it stays until the next action
(Gradio's toast is gone within seconds, and its "Error" badge would cover the
status); API callers still get it as the error of their call.
"""

from __future__ import annotations

import logging

import gradio as gr

import nst

LOG = logging.getLogger("nst.web")


def log_refusal(title: str, error: nst.NSTError) -> None:
    """The refusal's one log line."""
    LOG.warning("%s: %s", title, error)


def refusal(error: nst.NSTError, title: str) -> gr.Error:
    """The error to raise for a refused request, logged once, without a traceback."""
    log_refusal(title, error)
    return gr.Error(str(error), title=title, print_exception=False)


def refused_text(title: str, error: nst.NSTError) -> str:
    """The status box's text for a refusal: what went wrong and what to do, in the library's words."""
    return f"**{title}**: {error}"


def is_refusal(status: object) -> bool:
    """Whether the status box holds a refusal (every refusal's title says what cannot be done)."""
    return isinstance(status, str) and status.startswith("**Cannot ")
