"""The Predict page's canvas in a real browser: the empty-canvas hint, Clear, stroke width, and real pen
strokes from UCI pendigits replayed as mouse movements and read back through the Prediction metric."""

from __future__ import annotations

import collections
import math
import re
import tempfile
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.canvas_latency import run_ending
from core.uncertainty import NOT_A_DIGIT_ANSWER
from tests.browser.pendigits import Stroke, first_of_each_class, fit_to_canvas, read_pendigits
from tests.browser.streamlit_ui import AppTab
from ui.widgets.send_on_lift import SEND_BUTTON_LABEL

CANVAS = "canvas.upper-canvas"  # fabric's event layer of streamlit-drawable-canvas (no iframe)
DRAWING_LAYER = "canvas.dc-canvas.lower-canvas"  # finished strokes on the background colour; in a shadow root
CANVAS_SIDE = 280
STEP_PX = 12  # mouse events at most this far apart; each costs a frame (~17 ms), fabric smooths between
DIGITS_PER_CLASS = 10
# A broken canvas path reads far fewer. The shipped model reads 96 of these 100 (the previous one 97) and 98.4% of
# all 7,494 pendigits through the offline path (97.6% before): one digit of 100 is within this sample's noise.
MIN_ACCURACY = 0.96
HINT = re.compile(r"^Draw a digit")
PREDICT_SCREENSHOT = Path(tempfile.gettempdir(), "digitlab-predict.png")
VERTICAL_STROKE: Stroke = ((140.0, 40.0), (140.0, 240.0))

INK_PIXELS_JS = """(canvas) => {
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let ink = 0;
  for (let red = 0; red < pixels.length; red += 4) if (pixels[red] > 127) ink++;
  return ink;
}"""
# Counts the clicks on the canvas's own "send" button, inside the canvas component's shadow root.
COUNT_SEND_CLICKS_JS = """(canvas, label) => {
  const button = canvas.getRootNode().querySelector(`button[aria-label="${label}"]`);
  window.__sendClicks = 0;
  button.addEventListener("click", () => { window.__sendClicks += 1; });
}"""
AT_POSITION_JS = """([element, left, top]) => {
  const box = element.getBoundingClientRect();
  return Math.abs(box.left - left) < 0.5 && Math.abs(box.top - top) < 0.5;
}"""


class Canvas:
    """The drawing surface of a freshly loaded Predict page, driven with the mouse."""

    def __init__(self, tab: AppTab) -> None:
        tab.open("/Predict")
        self.tab = tab
        self.surface = tab.page.locator(CANVAS)
        expect(self.surface).to_be_visible()
        expect(tab.main.get_by_text(HINT)).to_be_visible()
        self.home = self.surface.bounding_box()  # where the canvas sits once the page has settled

    def ink_pixels(self) -> int:
        """Light pixels on the drawing layer: the page draws white ink on a black background."""
        return self.tab.page.locator(DRAWING_LAYER).evaluate(INK_PIXELS_JS)

    def _wait_in_place(self) -> None:
        """Waits until the canvas is back where it belongs.

        For a moment after Clear, the new canvas sits below the old one's leftover slot: a stroke aimed
        at the usual place would miss it.
        """
        expect(self.surface).to_be_visible()
        self.tab.page.wait_for_function(AT_POSITION_JS, arg=[self.surface.element_handle(), self.home["x"], self.home["y"]])

    def draw(self, strokes: tuple[Stroke, ...]) -> None:
        """Replays strokes (canvas pixels) with the mouse and waits until the app has answered each one.

        Every stroke sends the drawing to the server and reruns the canvas's fragment, which redraws the "original" step
        image: a new image address shows this stroke's run arrived, an idle app that the run ended.
        """
        original = self.tab.main.get_by_test_id("stImage").locator("img").first
        mouse = self.tab.page.mouse
        left, top = self.home["x"], self.home["y"]
        for stroke in strokes:
            if len(stroke) == 1:  # fabric drops a zero-length path: make a dot a tiny line
                stroke = (stroke[0], (stroke[0][0] + 1, stroke[0][1] + 1))
            self._wait_in_place()
            before = original.get_attribute("src") if original.count() else None
            mouse.move(left + stroke[0][0], top + stroke[0][1])
            mouse.down()
            for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
                steps = max(1, math.ceil(math.dist((x0, y0), (x1, y1)) / STEP_PX))
                mouse.move(left + x1, top + y1, steps=steps)
            mouse.up()
            if before is None:
                expect(original).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
            else:
                expect(original).not_to_have_attribute("src", before)
            self.tab.wait_until_idle()

    def click(self, x: float, y: float) -> None:
        """One click, as a user trying the pen: a dot, answered without any step image."""
        self._wait_in_place()
        with self.tab.finished_run(fragment=True):
            self.tab.page.mouse.click(self.home["x"] + x, self.home["y"] + y)
        self.tab.wait_until_idle()

    def clear(self) -> None:
        """Presses the page's Clear button and waits for the fresh, empty canvas.

        Clear mounts a new canvas under a new key, a moment after the hint appears.
        """
        old_surface = self.surface.element_handle()
        with self.tab.finished_run(fragment=True):
            self.tab.main.get_by_role("button", name="Clear").click()
        expect(self.tab.main.get_by_text(HINT)).to_be_visible()
        expect(self.tab.metric("Prediction")).to_have_count(0)
        self.tab.wait_until_idle()
        self.tab.page.wait_for_function("canvas => !canvas.isConnected", arg=old_surface)
        self._wait_in_place()


@pytest.mark.browser
def test_empty_canvas_shows_the_hint_and_clear_empties_it(tab: AppTab, shipped_model_active) -> None:
    canvas = Canvas(tab)
    hint, prediction = tab.main.get_by_text(HINT), tab.metric("Prediction")
    expect(prediction).to_have_count(0)
    assert canvas.ink_pixels() == 0

    three = next(digit for digit in read_pendigits() if digit.label == 3)
    canvas.draw(fit_to_canvas(three, CANVAS_SIDE))
    expect(prediction).to_be_visible()
    expect(hint).to_have_count(0)
    assert canvas.ink_pixels() > 1000
    # The screenshot is for a person to look at: wait for the step images and the probability chart.
    expect(tab.main.get_by_test_id("stVegaLiteChart").locator("canvas, svg").first).to_be_visible()
    for image in tab.main.get_by_test_id("stImage").locator("img").all():
        expect(image).to_have_js_property("complete", True)
    tab.page.screenshot(path=PREDICT_SCREENSHOT, full_page=True)

    canvas.clear()
    expect(hint).to_be_visible()
    expect(prediction).to_have_count(0)
    assert canvas.ink_pixels() == 0


@pytest.mark.browser
def test_stroke_width_changes_the_drawing(tab: AppTab, shipped_model_active) -> None:
    canvas = Canvas(tab)
    thumb = tab.main.get_by_test_id("stSlider").get_by_role("slider")
    ink = {}
    for key, width in (("Home", 5), ("End", 40)):
        # The slider's value reaches the canvas through a rerun of the page: wait for it before drawing.
        with tab.finished_run():
            thumb.press(key)
        expect(tab.main.get_by_test_id("stSliderThumbValue")).to_have_text(str(width))
        if ink:
            canvas.clear()
        canvas.draw((VERTICAL_STROKE,))
        ink[width] = canvas.ink_pixels()
    print(f"\nink pixels of one 200 px stroke: width 5 -> {ink[5]}, width 40 -> {ink[40]}")
    length = math.dist(*VERTICAL_STROKE)
    assert 0.5 * length * 5 < ink[5] < 2 * length * 5
    assert ink[40] > 4 * ink[5]


@pytest.mark.browser
def test_a_stroke_reruns_only_the_canvas_and_its_answer(tab: AppTab, shipped_model_active) -> None:
    """Drawing reruns the canvas's fragment, not the whole page with its sidebar and upload tab."""
    canvas = Canvas(tab)
    endings = []
    tab.websocket.on("framereceived", lambda payload: endings.append(run_ending(payload)))
    value = tab.metric_value("Prediction")
    for strokes, digit in (((VERTICAL_STROKE,), "1"), ((ellipse(CANVAS_SIDE / 2, 90),), "0")):
        canvas.draw(strokes)
        expect(value).to_have_text(digit)
        canvas.clear()
    endings = [ending for ending in endings if ending is not None]
    # Clear reruns the fragment at once: its first run ends early for that rerun.
    assert endings.count(ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY) >= 4, endings
    assert ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY not in endings, endings  # no whole-page run


@pytest.mark.browser
def test_each_stroke_is_sent_once_as_the_pen_lifts(tab: AppTab, shipped_model_active) -> None:
    """The page presses the canvas's send button on mouse-up (ui/widgets/send_on_lift.py) instead of
    waiting out the canvas's 200 ms delay; that send cancels the delayed one, so each stroke reruns once."""
    canvas = Canvas(tab)
    canvas.surface.evaluate(COUNT_SEND_CLICKS_JS, SEND_BUTTON_LABEL)
    endings = []
    tab.websocket.on("framereceived", lambda payload: endings.append(run_ending(payload)))
    canvas.draw((VERTICAL_STROKE,))
    canvas.draw((((100.0, 60.0), (180.0, 60.0)),))
    tab.page.wait_for_timeout(500)  # room for a delayed second send, which must not come
    tab.wait_until_idle()
    assert tab.page.evaluate("window.__sendClicks") == 2
    endings = [ending for ending in endings if ending is not None]
    assert endings == [ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY] * 2, endings


@pytest.mark.browser
def test_a_drawing_opens_in_feature_maps(tab: AppTab, shipped_model_active) -> None:
    """The link sits inside the canvas's fragment and still opens another page (a whole-app rerun)."""
    canvas = Canvas(tab)
    canvas.draw((VERTICAL_STROKE,))
    expect(tab.metric_value("Prediction")).to_have_text("1")
    with tab.finished_run():
        tab.main.get_by_role("button", name="Open its feature maps").click()
    expect(tab.page).to_have_url(re.compile(r"/Feature_maps"))
    expect(tab.main.get_by_test_id("stRadio").get_by_role("radio", name="Last drawing on Predict")).to_be_checked()
    expect(tab.metric_value("Prediction")).to_have_text("1")
    expect(tab.page.get_by_test_id("stException")).to_have_count(0)


def ellipse(centre: float, radius: float, points: int = 48) -> Stroke:
    return tuple(
        (centre + radius * math.cos(2 * math.pi * k / points), centre + radius * math.sin(2 * math.pi * k / points))
        for k in range(points + 1)
    )


@pytest.mark.browser
def test_a_dot_gets_a_message_and_digits_touching_the_edges_are_read(tab: AppTab, shipped_model_active) -> None:
    canvas = Canvas(tab)
    canvas.click(140, 140)
    expect(tab.main.get_by_test_id("stAlertContentWarning")).to_contain_text("dot, not a digit")
    expect(tab.metric("Prediction")).to_have_count(0)
    assert canvas.ink_pixels() > 0
    canvas.clear()
    # A 0 touching all four sides, then a 1 from the bottom edge to the top one.
    for strokes, digit in (((ellipse(CANVAS_SIDE / 2, CANVAS_SIDE / 2 - 2),), "0"), ((((140.0, 279.0), (140.0, 1.0)),), "1")):
        canvas.draw(strokes)
        expect(tab.metric_value("Prediction")).to_have_text(digit)
        canvas.clear()
    expect(tab.page.get_by_test_id("stException")).to_have_count(0)


@pytest.mark.browser
def test_replayed_pen_digits_are_recognised(tab: AppTab, shipped_model_active) -> None:
    digits = first_of_each_class(read_pendigits(), DIGITS_PER_CLASS)
    canvas = Canvas(tab)
    value = tab.metric_value("Prediction")
    predictions = []
    started = time.perf_counter()
    for digit in digits:
        canvas.draw(fit_to_canvas(digit, CANVAS_SIDE))
        # One character per digit found ("?" not sure, "-" not a digit), or "Not a digit" for a single mark;
        # anything but the one right digit is a mistake.
        expect(value).to_have_text(re.compile(rf"^({NOT_A_DIGIT_ANSWER}|[0-9?-]+)$"))
        predictions.append(value.inner_text())
        canvas.clear()
    elapsed = time.perf_counter() - started

    mistakes = collections.Counter(
        (digit.label, predicted) for digit, predicted in zip(digits, predictions) if str(digit.label) != predicted
    )
    accuracy = 1 - sum(mistakes.values()) / len(digits)
    print(
        f"\ncanvas accuracy on {len(digits)} pendigits: {accuracy:.1%} in {elapsed:.0f} s "
        f"({elapsed / len(digits):.1f} s per digit); mistakes (true, predicted): {dict(mistakes)}"
    )
    assert accuracy >= MIN_ACCURACY, f"accuracy {accuracy:.1%} < {MIN_ACCURACY:.0%}; mistakes: {dict(mistakes)}"
