"""Sends a drawing the moment the pen lifts, instead of 200 ms later.

streamlit-drawable-canvas 0.13 sends each stroke after a fixed 200 ms debounce, with no option to shorten it:
two thirds of the time the Predict canvas took to answer (issue 17). Its toolbar's "Update the app with this
drawing" button sends at once and cancels the pending send. This invisible component clicks that button when
a stroke drawn on a canvas ends, so the package still does the sending, once per stroke, and keeps its undo
history; if the button is ever missing, the package's own delayed send still delivers the drawing.
"""

from __future__ import annotations

import streamlit as st

SEND_BUTTON_LABEL = "Update the app with this drawing"
"""The accessible label of streamlit-drawable-canvas 0.13's send button (its toolbar's first button)."""

# A stroke starts with a press on Fabric's drawing surface (`canvas.upper-canvas`, inside the canvas
# component's open shadow root) and ends with the release anywhere in the window. The click waits a task
# (`setTimeout`): by then the canvas's own release handlers have added the stroke and scheduled the delayed
# send that the click cancels.
_SEND_ON_LIFT_JS = """
export default function ({ data }) {
  let strokeRoot = null;
  const onPress = (event) => {
    const path = event.composedPath();
    const onCanvas = path.some((node) => node instanceof HTMLCanvasElement && node.classList.contains("upper-canvas"));
    strokeRoot = onCanvas ? (path.find((node) => node instanceof ShadowRoot) ?? document) : null;
  };
  const onLift = () => {
    const root = strokeRoot;
    strokeRoot = null;
    if (root === null) return;
    setTimeout(() => {
      const button = root.querySelector(`button[aria-label="${data.label}"]`);
      if (button === null) {
        console.warn(`send on lift: no "${data.label}" button; the canvas sends after its own delay`);
        return;
      }
      button.click();
    }, 0);
  };
  document.addEventListener("mousedown", onPress, true);
  document.addEventListener("touchstart", onPress, true);
  window.addEventListener("mouseup", onLift);
  window.addEventListener("touchend", onLift);
  return () => {
    document.removeEventListener("mousedown", onPress, true);
    document.removeEventListener("touchstart", onPress, true);
    window.removeEventListener("mouseup", onLift);
    window.removeEventListener("touchend", onLift);
  };
}
"""

_send_on_lift = st.components.v2.component("digit_lab.send_on_lift", js=_SEND_ON_LIFT_JS)


def send_drawings_on_lift(key: str) -> None:
    """Makes every drawable canvas on the page send its drawing as soon as a stroke ends."""
    _send_on_lift(key=key, data={"label": SEND_BUTTON_LABEL})
