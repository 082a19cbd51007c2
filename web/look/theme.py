"""How the page looks: its heading, theme and the few style rules Gradio's theme does not cover."""

from __future__ import annotations

import gradio as gr

HEADER = """
<div id="hero">
  <h1>Neural Style Transfer</h1>
  <p>Repaint any photo in the manner of a painting. The method of Gatys et al. (2016)
  changes the photo's pixels until a VGG-19 network sees the photo's content and the
  painting's textures in it. Watch it happen, step by step.</p>
</div>
"""

CSS = """
/* The restyled clip's box shows only once there is a clip in it: a picture run leaves no empty box. */
#clip-result:not(:has(video)) { display: none !important; }
#hero { text-align: center; margin: 0.5rem auto 0.25rem; max-width: 46rem; }
#hero h1 { font-size: 2.2rem; font-weight: 800; margin: 0 0 0.3rem;
  background: linear-gradient(90deg, #6d28d9, #db2777, #f59e0b);
  -webkit-background-clip: text; background-clip: text; color: transparent; }
#hero p { color: var(--body-text-color-subdued); margin: 0; }
#status { min-height: 2.6rem; padding: 0.5rem 0.9rem; border-radius: var(--radius-lg);
  background: var(--block-background-fill); border: 1px solid var(--block-border-color); }
#status p { margin: 0; }
/* A refusal's reason is the status text itself (web/refusals.py): Gradio's "Error" badge would cover it. */
#status [data-testid="status-tracker"] .error, #status [data-testid="status-tracker"] .clear-status { display: none; }
#estimate, #link-note, #clip-caps { background: var(--block-background-fill); }
#estimate p, #link-note p, #clip-caps p { margin: 0; font-size: var(--text-sm); color: var(--body-text-color-subdued); }
#clip-caps p + p { margin-top: 0.4rem; }
/* The video's toolbar floats over its top right: its label goes above the video, and stops short of the toolbar. */
#clip > label[data-testid="block-label"] { position: static; max-width: calc(100% - 5.5rem); }
#result button:has(> .image-frame), #result .image-frame { width: 100%; }
#result .image-frame img { width: 100%; height: auto; max-height: 70vh; object-fit: contain; }
.download .empty, #comparison .empty { min-height: 4rem !important; height: 4rem; }
#style-2-examples .gallery .container, #style-3-examples .gallery .container { width: 2.2rem; height: 2.2rem; }
/* Gradio gives a gallery without a fixed height a tall minimum; the history grows with its pictures instead. */
#history .grid-wrap.fixed-height { min-height: 9rem; max-height: none; }
#loss-legend { display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; justify-content: center;
  font-size: var(--text-sm); color: var(--body-text-color-subdued); }
#loss-legend i { display: inline-block; width: 0.7rem; height: 0.7rem; border-radius: 50%; margin-right: 0.3rem; }
/* A dropdown's text stops before its arrow, and says it goes on. */
#preset input, #backbone input { padding-right: 1.6rem; text-overflow: ellipsis; }
@media (max-width: 640px) {
  /* A phone shows the photo, the painting and Stylize on its first screen. */
  #hero h1 { font-size: 1.45rem; }
  #hero p { font-size: var(--text-sm); }
  #content, #style { height: 200px !important; }
  /* The brush editor's toolbar floats at the top of its canvas: the label goes above the canvas, not under it. */
  #brush > label[data-testid="block-label"] { position: static; }
  #brush .image-container { position: relative; height: calc(100% - 2rem); }
  #content-examples .gallery .container, #style-examples .gallery .container { width: 2.4rem; height: 2.4rem; }
}
"""

def loss_legend(colors: dict[str, str]) -> str:
    """The loss chart's legend, as HTML under it: Gradio's own cuts its last entries on a phone."""
    entries = "".join(f'<span><i style="background:{color}"></i>{term}</span>' for term, color in colors.items())
    return f'<div id="loss-legend" aria-label="Loss terms">{entries}</div>'


THEME = gr.themes.Soft(primary_hue="violet", secondary_hue="pink", neutral_hue="slate")
