"""The MCP tool, through a real MCP client over loopback: one typed tool, a picture back, clear errors."""

from __future__ import annotations

import asyncio
import base64
import inspect
import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
from gradio_client import Client
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from PIL import Image

import nst
from web.costs.gpu_time import gpu_seconds
from web.limits import MAX_SIZE, STROKE_RANGE
from web.run.agent_tool import paint
from web.run.zerogpu import run_gpu_seconds

from ..app_server import IMAGE, serve, submit
from ..factories import make_painting, make_photo

ROOT = Path(__file__).resolve().parents[2]


def data_uri(image: Image.Image | bytes) -> str:
    """An image as the base64 data URI an agent may pass for a file."""
    if isinstance(image, Image.Image):
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        image = buffer.getvalue()
    return "data:image/png;base64," + base64.b64encode(image).decode()


async def session_call(url: str, work):
    """Open an MCP session to the app at `url` and run `work(session)` in it."""
    async with streamable_http_client(f"{url.rstrip('/')}/gradio_api/mcp/") as (read, write, _):
        async with ClientSession(read, write) as session:
            await session.initialize()
            return await work(session)


def list_tools(url: str):
    async def work(session: ClientSession):
        return (await session.list_tools()).tools

    return asyncio.run(session_call(url, work))


def call_tool(url: str, arguments: dict):
    async def work(session: ClientSession):
        return await session.call_tool("stylize_image", arguments)

    return asyncio.run(session_call(url, work))


def check_the_one_tool(tools) -> None:
    """Exactly stylize_image, with typed parameters, the images required."""
    assert [tool.name for tool in tools] == ["stylize_image"]
    schema = tools[0].inputSchema
    types = {name: spec["type"] for name, spec in schema["properties"].items()}
    assert types == {
        "photo": "string", "painting": "string", "strength": "number", "size": "integer", "brush_size": "number"
    }
    assert sorted(schema["required"]) == ["painting", "photo"]
    assert "64 to the page's largest" in schema["properties"]["size"]["description"]
    assert tools[0].description.startswith("Repaint a photo in the style of a painting")


def test_an_agent_sees_one_tool_and_gets_a_picture_back(monkeypatch, photo_path, painting_path):
    monkeypatch.setenv("NST_MCP", "1")
    runs = []
    real_stylize = nst.stylize

    def recording(content, styles, settings, **kwargs):
        runs.append(settings)
        return real_stylize(content, styles, settings, **kwargs)

    monkeypatch.setattr(nst, "stylize", recording)  # the real run, with its settings kept for checking
    photo = make_photo()
    with serve() as url:
        check_the_one_tool(list_tools(url))
        started = time.monotonic()
        result = call_tool(
            url, {"photo": data_uri(photo), "painting": data_uri(make_painting()), "size": 64, "brush_size": 1.5}
        )
        seconds = time.monotonic() - started
        # The page's streaming API is still there for gradio_client users, keywords and defaults included.
        job = submit(Client(url, verbose=False), photo_path, painting_path, size=64, steps=10)
        assert job.result(timeout=300)[IMAGE]
    assert not result.isError, result.content
    (picture,) = [item for item in result.content if item.type == "image"]
    assert picture.mimeType == "image/png"
    assert (runs[0].size, runs[0].style_scale) == (64, 1.5)
    image = Image.open(io.BytesIO(base64.b64decode(picture.data)))
    assert image.size == (64, 48)
    before = np.asarray(photo.resize((64, 48), Image.Resampling.LANCZOS), dtype=np.float32)
    assert np.abs(np.asarray(image.convert("RGB"), dtype=np.float32) - before).mean() > 5
    print(f"stylize_image at 64 px over MCP: {seconds:.1f} s")


def test_a_bad_file_is_an_error_the_agent_can_read(monkeypatch):
    monkeypatch.setenv("NST_MCP", "1")
    with serve() as url:
        result = call_tool(url, {"photo": data_uri(make_photo()), "painting": data_uri(b"not an image at all")})
        too_big = call_tool(
            url, {"photo": data_uri(make_photo()), "painting": data_uri(make_painting()), "size": 2 * MAX_SIZE}
        )
        too_bold = call_tool(
            url, {"photo": data_uri(make_photo()), "painting": data_uri(make_painting()), "brush_size": 40}
        )
    assert result.isError and "not an image we can read" in result.content[0].text
    assert too_big.isError and f"64 to {MAX_SIZE} pixels" in too_big.content[0].text
    low, high = STROKE_RANGE
    assert too_bold.isError and f"Brush size (style_scale) goes from {low:g} to {high:g}" in too_bold.content[0].text


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_python_app_py_mcp_serves_the_tool():
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("NST_MCP", None)
    server = subprocess.Popen([sys.executable, "app.py", "--mcp"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the app did not start"
                time.sleep(0.5)
        check_the_one_tool(list_tools(url))
        # The API page's MCP tab reads this list: the same one tool.
        assert [tool["name"] for tool in httpx.get(f"{url}gradio_api/mcp/schema").json()] == ["stylize_image"]
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_on_zerogpu_the_tool_asks_for_the_gpu_time_of_its_run():
    settings = nst.preset("vgg19", size=1024)
    bound = inspect.signature(paint).bind(make_photo(), [make_painting()], settings)
    assert run_gpu_seconds(bound) == gpu_seconds(settings)
