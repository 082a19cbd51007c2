"""What the browser does on its own when Stylize is pressed: bring the result into view.

On a phone the result sits far below the button (and on a desktop above it,
once the blend and brush panels are open), so a run would happen off screen.
The page scrolls once, when the run starts, and only if the result is not
already on screen: after that the visitor may scroll wherever they like.
Gradio's own `scroll_to_output` is not used: it scrolls again at every change
of the run's state, pulling a visitor who has scrolled away back.
"""

from __future__ import annotations

# Runs in the browser (an event with no Python function), before the run's own request goes out.
SHOW_RESULT_JS = """
() => {
  const result = document.querySelector("#result");
  if (!result) return;
  const top = result.getBoundingClientRect().top;
  // Its top in the upper half of the screen: the picture is in view already.
  if (top >= 0 && top < window.innerHeight / 2) return;
  // A little room above it, so its label is not cut by the screen's edge.
  window.scrollBy({ top: top - 12, behavior: "smooth" });
}
"""
