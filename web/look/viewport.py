"""What the browser does on its own when Stylize or Stop is pressed: bring the result, or the status, into view.

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

# Runs in the browser when Stop is pressed. On a phone Stop is far above the result and the status under it,
# where Stop's answer ("Stopped at step 6 / 26 ...") comes: the status is brought up to the lower part of the
# screen, with as much of the result above it as fits. Nothing moves if it is on screen already.
SHOW_STATUS_JS = """
() => {
  const status = document.querySelector("#status");
  if (!status) return;
  const box = status.getBoundingClientRect();
  if (box.top >= 0 && box.bottom <= window.innerHeight) return;
  window.scrollBy({ top: box.bottom - window.innerHeight + 24, behavior: "smooth" });
}
"""
