"""The web page's working parts, grouped by idea.

`app.py` lays the page out and wires its events; everything it calls lives
here. `run/`: a run as a stream of page updates, Stop, what a run keeps, the
GPU it holds on ZeroGPU, the MCP tool. `form/`: the settings widgets and
`nst.Settings`, presets, uploads and the brush, and what fills the form again
(history, reuse, links, the browser's copy). `costs/`: what a run will take
(time here, GPU time on ZeroGPU) and the time left while it goes. `look/`:
theme, display size, scrolling. Beside them, what all of them share: the
page's limits, the status texts, refusals, the `PageUpdate` every handler
returns, and where a session's files live. Nothing in `nst/` imports this
package.
"""
