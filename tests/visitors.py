"""Visitors of the running app who talk Gradio's queue protocol over plain HTTP, as the page does.

Each `Visitor` is one browser tab: its own session, a heartbeat connection
held open while the tab is open (closing it is how Gradio learns the tab was
closed), uploads, a run joined through the queue, its event stream read on
demand. Unlike gradio_client, a visitor can do everything a person can: stop a
run the way the Stop button does, walk away while the run computes, or walk
away while still waiting in the queue. The soak and the robustness tests use
these to see what such visitors leave behind on the server.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from web.run.buttons import stylize

TIMEOUT = 60


# The page's own run event (programs call /stylize, which answers the same run in plain text).
PAGE_RUN = "stylize_page"


@functools.cache
def fn_index(url: str, name: str) -> int:
    """The index Gradio gives the event named `name` (its handler's name unless it names itself: "stop")."""
    config = httpx.get(url + "config", timeout=TIMEOUT).json()
    return next(dep["id"] for dep in config["dependencies"] if dep.get("api_name") == name)


def upload(url: str, *paths: Path) -> list[str]:
    """Upload files the way the page does; their paths on the server."""
    files = [("files", (path.name, path.read_bytes())) for path in paths]
    response = httpx.post(url + "gradio_api/upload", files=files, timeout=TIMEOUT)
    response.raise_for_status()
    return response.json()


def file_data(server_path: str) -> dict[str, Any]:
    """An uploaded file as the page sends it back in a request."""
    return {"path": server_path, "meta": {"_type": "gradio.FileData"}, "orig_name": Path(server_path).name}


def run_arguments(content: str, style: str, **settings: Any) -> list[Any]:
    """Every input of /stylize in order: the handler's defaults, the uploads, then `settings`.

    `request` is Gradio's to fill in, not an input.
    """
    parameters = inspect.signature(stylize).parameters
    values = {name: parameter.default for name, parameter in parameters.items() if name != "request"}
    values.update(content=file_data(content), style=file_data(style), **settings)
    return list(values.values())


def read_until_image(stream) -> bool:
    """Read a run's messages until its first streamed image; False if it ended before one."""
    for message in stream:
        if message["msg"] == "process_generating" and message["output"]["data"][0]:
            return True
        if message["msg"] == "process_completed":
            return False
    return False


class Heartbeat:
    """The connection an open tab keeps to /heartbeat; closing it is closing the tab.

    A bare socket, never read: the server writes a few bytes every 15 s, and
    closing the socket is noticed at once (Starlette listens for the disconnect).
    """

    def __init__(self, url: str, session: str) -> None:
        parts = urlsplit(url)
        self.socket = socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT)
        request = f"GET {parts.path}gradio_api/heartbeat/{session} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n"
        self.socket.sendall(request.encode())

    def close(self) -> None:
        self.socket.close()


class Visitor:
    """One browser tab on the app: a session of its own, open until `close`."""

    def __init__(self, url: str) -> None:
        self.url, self.session = url, uuid.uuid4().hex
        self.heartbeat = Heartbeat(url, self.session)
        self.event_id: str | None = None

    def close(self) -> None:
        """Close the tab: Gradio ends the session (its unload events run)."""
        self.heartbeat.close()

    def __enter__(self) -> Visitor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def join(self, content: str, style: str, **settings: Any) -> None:
        """Press Stylize: queue a run of the uploaded `content` and `style`."""
        body = {"data": run_arguments(content, style, **settings), "fn_index": fn_index(self.url, PAGE_RUN),
                "session_hash": self.session}
        response = httpx.post(self.url + "gradio_api/queue/join", json=body, timeout=TIMEOUT)
        response.raise_for_status()
        self.event_id = response.json()["event_id"]

    @contextlib.contextmanager
    def messages(self) -> Iterator[Iterator[dict[str, Any]]]:
        """The run's server-sent events; leaving the block hangs up, as a closed tab or lost network does."""
        with httpx.stream("GET", self.url + "gradio_api/queue/data", params={"session_hash": self.session},
                          timeout=TIMEOUT) as response:
            yield (json.loads(line[5:]) for line in response.iter_lines() if line.startswith("data:"))

    def completed(self) -> dict[str, Any]:
        """The run's final message, after reading its stream to the end."""
        with self.messages() as stream:
            for message in stream:
                if message["msg"] == "process_completed":
                    return message
        raise AssertionError("the stream ended without a result")

    def stop(self) -> dict[str, Any]:
        """Press Stop: cancel the run and call the Stop handler, as the page does; the handler's outputs."""
        cancel = {"session_hash": self.session, "fn_index": fn_index(self.url, PAGE_RUN), "event_id": self.event_id}
        httpx.post(self.url + "gradio_api/cancel", json=cancel, timeout=TIMEOUT).raise_for_status()
        body = {"data": [None, None], "fn_index": fn_index(self.url, "stop"), "session_hash": self.session}
        response = httpx.post(self.url + "gradio_api/run/predict", json=body, timeout=TIMEOUT)
        response.raise_for_status()
        return response.json()

    def fetch(self, output: dict[str, Any] | None) -> int:
        """Download a file output the way the browser shows it; its size in bytes."""
        response = httpx.get(output["url"], timeout=TIMEOUT)
        response.raise_for_status()
        return len(response.content)

