"""The one tool an AI agent sees when the app is served as an MCP server.

The page's /stylize streams a dozen updates with six outputs each, which suits
a browser but not an agent: an agent wants one call that returns one picture.
`stylize_image` runs the library's generator to its end with the page's
defaults and limits and returns the final image. Gradio turns its docstring
into the tool's description and its hidden components (see `app.py`) into the
tool's typed parameters.

Gradio makes every public endpoint an MCP tool, and has no per-event switch
for it. /stylize must stay public: `api_visibility="undocumented"` would hide
it from agents but also from the API description that gradio_client needs for
keyword arguments and defaults. So `agent_tool_only` narrows the MCP server's
tool table to this one endpoint when the server starts.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import gradio as gr
from PIL import Image

import nst

from ..form.fields import DEFAULT, number, page_size, page_style_scale
from ..form.uploads import load_inputs
from ..limits import deadline
from .active import ACTIVE_RUNS
from .zerogpu import fit_to_gpu, gpu

MCP_VARIABLE = "NST_MCP"
AGENT_ENDPOINT = "/stylize_image"


def mcp_requested(flag: bool) -> bool | None:
    """Serve the MCP tool if `--mcp` or NST_MCP=1 asks; None leaves Gradio's own GRADIO_MCP_SERVER in charge."""
    if flag or os.environ.get(MCP_VARIABLE, "").strip().lower() in ("1", "true", "yes"):
        return True
    return None


@contextlib.asynccontextmanager
async def agent_tool_only(app: Any) -> AsyncIterator[None]:
    """At server start (a FastAPI lifespan), leave the MCP server only the endpoint meant for agents.

    The table maps tool names to endpoints, and listing, calling and the API
    page's MCP tab all read it, so all of them agree.
    """
    server = app.get_blocks().mcp_server_obj
    if server is not None:
        server.tool_to_endpoint = {
            name: endpoint for name, endpoint in server.tool_to_endpoint.items() if endpoint == AGENT_ENDPOINT
        }
    yield


def stylize_image(
    photo: dict[str, Any] | None,
    painting: dict[str, Any] | None,
    strength: float = DEFAULT.style_strength,
    size: float = DEFAULT.size,
    brush_size: float = DEFAULT.style_scale,
) -> Image.Image:
    """Repaint a photo in the style of a painting (neural style transfer, Gatys et al. 2016) and return the picture.

    The result keeps the photo's content and takes the painting's brushwork and
    texture. It takes about a minute at 512 px on a CPU, seconds on a GPU.

    Args:
        photo: the photo to repaint (PNG, JPEG, WebP, GIF, BMP or TIFF, at most 40 megapixels).
        painting: the painting whose style to use.
        strength: how much of the painting's palette and texture the result takes; 0.25 keeps the photo's
            colours under painted texture, 1 (the default) takes the painting's palette, 4 its texture throughout.
        size: long side of the result in pixels, 64 to the page's largest (2048 on a CPU, 4096 on a GPU);
            the photo's aspect ratio is kept.
        brush_size: how large the painting's brush strokes come out: 1 (the default) as large as in the painting,
            less for finer strokes, more for bolder ones (a value outside this server's range is refused, naming it).
    Returns:
        the stylised picture, as a PNG.
    """
    try:
        settings = DEFAULT.replace(
            style_strength=number("Style strength", strength), size=page_size(size),
            style_scale=page_style_scale(brush_size), deadline=deadline(),
        )
        content_image, style_images = load_inputs(photo, [painting])
    except nst.NSTError as error:
        raise gr.Error(str(error), title="Cannot start") from error
    settings = fit_to_gpu(settings, styles=len(style_images))
    with ACTIVE_RUNS.track():
        return paint(content_image, style_images, settings)


@gpu
def paint(content_image: Image.Image, style_images: list[Image.Image], settings: nst.Settings) -> Image.Image:
    """The run to its last image: the part that holds a GPU on ZeroGPU, taking and returning plain data."""
    with contextlib.closing(nst.stylize(content_image, style_images, settings)) as run:
        try:
            for progress in run:
                last = progress
        except nst.NSTError as error:
            raise gr.Error(str(error), title="The run failed") from error
    return last.to_pil()
